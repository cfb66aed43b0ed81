"""The hosted payment page, driven with plain HTTP form posts (no browser, no JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from checkoutkit.sandbox import Sandbox

_FUTURE = "12 / 40"


@pytest.fixture
def web() -> Iterator[httpx.Client]:
    """A browser-like HTTP client that does not follow redirects by itself."""
    with httpx.Client(follow_redirects=False) as client:
        yield client


def _card(number: str, **extra: str) -> dict[str, str]:
    return {
        "email": "buyer@example.com",
        "method": "card",
        "cardnumber": number,
        "expiry": _FUTURE,
        "cvc": "123",
        "postal_code": "10115",
        **extra,
    }


def test_page_shows_items_total_email_and_cancel_link(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """The page lists the items and total, prefills the email and links to cancel_url."""
    session = client.v1.checkout.sessions.create(
        params={**session_params, "customer_email": "jenny@example.com"}
    )
    page = web.get(session.url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<div class=item-name>T-shirt</div><div class=item-detail>Qty 2</div>" in html
    assert "<dd id=total>$30.00</dd>" in html
    assert 'value="jenny@example.com"' in html
    assert 'href="https://shop.example/cart"' in html
    assert "<script" not in html
    assert "name=save" not in html
    assert "http://" not in html.replace(session.url, "")  # nothing loaded from the network


def test_page_escapes_product_names(web: httpx.Client, client: stripe.StripeClient) -> None:
    """Product names and URLs are HTML-escaped."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "cancel_url": 'https://shop.example/"><script>x</script>',
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 100,
                        "product_data": {"name": "<b>bold</b> & <script>alert(1)</script>"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    html = web.get(session.url).text
    assert "<script>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in html


def test_4242_redirects_to_success_url_with_session_id(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Paying with 4242 answers 303 to success_url with {CHECKOUT_SESSION_ID} replaced."""
    session = client.v1.checkout.sessions.create(params=session_params)
    response = web.post(session.url, data=_card("4242 4242 4242 4242"))
    assert response.status_code == 303
    assert response.headers["location"] == f"https://shop.example/ok?session_id={session.id}"
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "buyer@example.com"
    assert web.get(session.url).status_code == 410


def test_3155_goes_through_the_authentication_page(
    web: httpx.Client, box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """3155 redirects to an authentication page; Fail goes back to the payment page (its URL,
    the error and the typed email), Complete pays."""
    session = client.v1.checkout.sessions.create(params=session_params)
    response = web.post(session.url, data=_card("4000002500003155"))
    assert response.status_code == 303
    auth_url = box.url + response.headers["location"]
    page = web.get(auth_url)
    assert "Complete" in page.text
    assert "Fail" in page.text
    failed = web.post(auth_url, data={"result": "fail"})
    assert failed.status_code == 303
    back = failed.headers["location"]
    assert back == f"/c/pay/{session.id}?authentication=failed"
    again = web.get(box.url + back)
    assert again.status_code == 200
    assert "unable to authenticate" in again.text
    assert "id=error role=alert" in again.text
    assert 'value="buyer@example.com"' in again.text
    assert "role=alert" not in web.get(session.url).text  # a fresh load shows no old error
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    web.post(session.url, data=_card("4000002500003155"))
    done = web.post(auth_url, data={"result": "complete"})
    assert done.status_code == 303
    assert done.headers["location"].startswith("https://shop.example/ok")
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


@pytest.mark.parametrize(
    "case",
    [
        ("4000000000009995", "insufficient funds"),
        ("4000000000000002", "Your card was declined."),
        ("4000000000000069", "Your card has expired."),
    ],
)
def test_declines_are_shown_above_the_form_and_the_session_stays_open(
    web: httpx.Client,
    client: stripe.StripeClient,
    session_params: dict[str, Any],
    case: tuple[str, str],
) -> None:
    """A decline belongs to no one field: it shows above the form; the session stays open."""
    number, message = case
    session = client.v1.checkout.sessions.create(params=session_params)
    response = web.post(session.url, data=_card(number))
    assert response.status_code == 402
    assert message in response.text
    assert "id=error role=alert" in response.text
    assert 'value="buyer@example.com"' in response.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


@pytest.mark.parametrize(
    "case",
    [
        ("4000000000000127", {}, "cvc", "security code is incorrect"),
        ("4242424242424241", {}, "cardnumber", "card number is incorrect"),
        ("4242424242424242", {"expiry": "01 / 20"}, "expiry", "in the past"),
        ("4242424242424242", {"expiry": "soon"}, "expiry", "expiration date is incomplete"),
        ("", {}, "cardnumber", "card number is incomplete"),
        ("4242424242424242", {"cvc": ""}, "cvc", "security code is incomplete"),
        ("4242424242424242", {"email": "nope"}, "email", "email address is invalid"),
    ],
)
def test_field_errors_are_shown_on_their_field(
    web: httpx.Client,
    client: stripe.StripeClient,
    session_params: dict[str, Any],
    case: tuple[str, dict[str, str], str, str],
) -> None:
    """Bad or missing details show under their own field, marked invalid; no payment is made."""
    number, extra, field, message = case
    session = client.v1.checkout.sessions.create(params=session_params)
    response = web.post(session.url, data=_card(number, **extra))
    assert response.status_code == 402
    html = response.text.replace("&#x27;", "'")
    assert f'<p class=field-error id="{field}-error">' in html
    assert message in html.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert f'name="{field}" id="{field}"' in html
    assert f'aria-invalid=true aria-describedby="{field}-error"' in html
    assert "role=alert" not in html
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_an_empty_form_gets_a_message_on_every_field(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Empty email, card number, expiry and CVC: each field says what it misses, at once."""
    session = client.v1.checkout.sessions.create(params=session_params)
    response = web.post(session.url, data={"method": "card"})
    assert response.status_code == 402
    html = response.text.replace("&#x27;", "'")
    expected = {
        "email": "Your email address is incomplete.",
        "cardnumber": "Your card number is incomplete.",
        "expiry": "Your card's expiration date is incomplete.",
        "cvc": "Your card's security code is incomplete.",
    }
    for field, message in expected.items():
        assert f'<p class=field-error id="{field}-error">{message}</p>' in html


def test_sepa_option_on_the_page(web: httpx.Client, client: stripe.StripeClient) -> None:
    """EUR sessions offer SEPA; paying with DE89… redirects and leaves the session unpaid."""
    price = client.v1.prices.create(
        params={"currency": "eur", "unit_amount": 900, "product_data": {"name": "Book"}}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    assert "IBAN" in web.get(session.url).text
    response = web.post(
        session.url,
        data={"email": "e@example.com", "method": "sepa_debit", "iban": "DE89370400440532013000"},
    )
    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")


def test_save_checkbox_when_enabled(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """payment_method_save=enabled shows the 'save for next time' checkbox."""
    session = client.v1.checkout.sessions.create(
        params={
            **session_params,
            "customer_creation": "always",
            "saved_payment_method_options": {"payment_method_save": "enabled"},
        }
    )
    assert "name=save" in web.get(session.url).text
    response = web.post(session.url, data=_card("4242424242424242", save="true"))
    assert response.status_code == 303
    intent = client.v1.payment_intents.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).payment_intent
    )
    assert intent.setup_future_usage == "off_session"


def test_expired_and_unknown_pages(
    web: httpx.Client, box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """An expired session's page is 410 and refuses payment; an unknown one is 404."""
    session = client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.expire(session.id)
    url = f"{box.url}/c/pay/{session.id}"
    assert web.get(url).status_code == 410
    assert web.post(url, data=_card("4242424242424242")).status_code == 410
    assert web.get(f"{box.url}/c/pay/cs_test_nope").status_code == 404


def test_pay_what_you_want_on_the_page(web: httpx.Client, client: stripe.StripeClient) -> None:
    """The page asks for the amount of a custom_unit_amount price and charges what is entered."""
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "custom_unit_amount": {"enabled": True, "minimum": 100, "preset": 500},
            "product_data": {"name": "Tip jar"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    assert 'name="amount" id="amount" value="5.00" inputmode="decimal"' in web.get(session.url).text
    too_low = web.post(session.url, data=_card("4242424242424242", amount="0.50"))
    assert too_low.status_code == 402
    assert 'id="amount-error">Enter an amount between' in too_low.text
    paid = web.post(session.url, data=_card("4242424242424242", amount="12,34"))
    assert paid.status_code == 303
    assert client.v1.checkout.sessions.retrieve(session.id).amount_total == 1234


def test_only_allowed_payment_methods_are_offered(
    web: httpx.Client, box: Sandbox, client: stripe.StripeClient
) -> None:
    """allowed_payment_method_types=[card] hides SEPA on the page and refuses an IBAN."""
    price = client.v1.prices.create(
        params={"currency": "eur", "unit_amount": 900, "product_data": {"name": "Book"}}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
            "allowed_payment_method_types": ["card"],
        }
    )
    assert session.payment_method_types == ["card"]
    assert "IBAN" not in web.get(session.url).text
    refused = box.pay(session.id, iban="DE89370400440532013000")
    assert refused["error"]["code"] == "payment_method_not_available"


def _button(html: str) -> str:
    return html.split("id=submit>", 1)[1].split("</button>", 1)[0]


def test_the_button_says_what_submit_type_asks_else_what_the_mode_does(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """``submit_type`` names the button when given (not ``auto``); otherwise Pay, Subscribe or
    Start trial (a trial) by the session's mode."""
    recurring = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    plan = {**session_params, "mode": "subscription", "line_items": [{"price": recurring.id}]}
    trial = {"subscription_data": {"trial_period_days": 7}}
    for params, label in [
        (session_params, "Pay"),
        ({**session_params, "submit_type": "auto"}, "Pay"),
        ({**session_params, "submit_type": "donate"}, "Donate"),
        ({**session_params, "submit_type": "book"}, "Book"),
        (plan, "Subscribe"),
        ({**plan, **trial}, "Start trial"),
        ({**plan, **trial, "submit_type": "subscribe"}, "Subscribe"),
        ({**plan, "submit_type": "pay"}, "Pay"),
    ]:
        session = client.v1.checkout.sessions.create(params=params)
        assert _button(web.get(session.url).text) == label, params


def test_collected_details_are_refused_on_their_own_field(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """A missing shipping city, phone or terms checkbox shows under that field, what was typed
    stays, and the session stays open until everything asked for is given."""
    session = client.v1.checkout.sessions.create(
        params={
            **session_params,
            "shipping_address_collection": {"allowed_countries": ["DE"]},
            "phone_number_collection": {"enabled": True},
            "consent_collection": {"terms_of_service": "required"},
        }
    )
    address = {
        "shipping_name": "Ada",
        "shipping_line1": "Hauptstr. 1",
        "shipping_city": "Berlin",
        "shipping_postal_code": "10115",
        "shipping_country": "DE",
    }
    given = {**address, "phone": "+49 30 1234", "terms": "accepted"}
    for field in ("shipping_city", "phone", "terms"):
        partial = {k: v for k, v in given.items() if k != field}
        response = web.post(session.url, data=_card("4242424242424242", **partial))
        assert response.status_code == 402, field
        html = response.text
        assert f'<p class=field-error id="{field}-error">' in html, field
        assert f'aria-describedby="{field}-error"' in html, field
        assert "role=alert" not in html
        kept = next(k for k in partial if k.startswith("shipping_") and k != field)
        assert f'value="{partial[kept]}"' in html
    paid = web.post(session.url, data=_card("4242424242424242", **given))
    assert paid.status_code == 303
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"


def test_a_typed_promotion_code_is_applied_before_anything_is_charged(
    web: httpx.Client, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Pressing Pay (or Enter) with a code typed but not applied applies it and shows the new
    total instead of charging the old one; an unknown code is an error under its field."""
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd"})
    client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "FIVE"}
    )
    session = client.v1.checkout.sessions.create(
        params={**session_params, "allow_promotion_codes": True}
    )
    wrong = web.post(session.url, data=_card("4242424242424242", promotion_code="NOPE"))
    assert wrong.status_code == 402
    assert '<p class=field-error id="promotion_code-error">' in wrong.text
    shown = web.post(session.url, data=_card("4242424242424242", promotion_code="five"))
    assert shown.status_code == 200
    assert '<dd id="discount">-$5.00</dd>' in shown.text
    assert "<dd id=total>$25.00</dd>" in shown.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    paid = web.post(session.url, data=_card("4242424242424242", promotion_code="five"))
    assert paid.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.amount_total) == ("complete", 2500)
