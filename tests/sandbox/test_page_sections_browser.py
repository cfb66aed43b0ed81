"""The hosted page's shipping, promotion code, consent and custom field sections in Chromium.

A shopper fills the page in real headless Chromium; the session read back through the stripe
SDK answers what was entered and charged.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

pytestmark = pytest.mark.browser


def _session(client: stripe.StripeClient) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 2000,
                        "product_data": {"name": "Kettle"},
                    },
                    "quantity": 1,
                    "adjustable_quantity": {"enabled": True, "maximum": 5},
                }
            ],
            "allow_promotion_codes": True,
            "shipping_address_collection": {"allowed_countries": ["DE"]},
            "shipping_options": [
                {
                    "shipping_rate_data": {
                        "display_name": "Standard",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 400, "currency": "usd"},
                    }
                },
                {
                    "shipping_rate_data": {
                        "display_name": "Express",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 900, "currency": "usd"},
                    }
                },
            ],
            "consent_collection": {"terms_of_service": "required"},
            "custom_text": {
                "terms_of_service_acceptance": {"message": "I accept the <b>kettle</b> terms"}
            },
            "custom_fields": [
                {
                    "key": "giftnote",
                    "label": {"type": "custom", "custom": "Gift note"},
                    "type": "text",
                }
            ],
            "phone_number_collection": {"enabled": True},
        }
    )


def test_a_shopper_fills_every_section_and_pays(page: Any, client: stripe.StripeClient) -> None:
    """Code applied, quantity and express shipping chosen, address, phone, consent and custom
    field entered: the paid session answers all of it and the charged total."""
    coupon = client.v1.coupons.create(params={"percent_off": 50})
    client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "HALF"}
    )
    session = _session(client)
    page.goto(session.url)
    assert page.text_content("#total") == "$24.00"
    assert page.text_content("#shipping") == "$4.00"  # the first option until one is chosen
    assert "<b>kettle</b>" in (page.text_content("label:has(#terms)") or "")
    page.fill("input[name=promotion_code]", "WRONG")
    page.click("#apply-code")
    assert "invalid" in (page.text_content("#promotion_code-error") or "")
    page.fill("input[name=promotion_code]", "half")
    page.click("#apply-code")
    assert page.text_content("#discount") == "-$10.00"
    assert "HALF" in (page.text_content("#summary") or "")
    assert page.text_content("#total") == "$14.00"
    page.fill("input[name=email]", "ada@example.com")
    page.fill(f"input[name='quantity.{_line_item_id(client, session.id)}']", "2")
    page.check("input[name=shipping_rate] >> nth=1")
    page.fill("input[name=shipping_name]", "Ada Lovelace")
    page.fill("input[name=shipping_line1]", "Hauptstr. 1")
    page.fill("input[name=shipping_city]", "Berlin")
    page.fill("input[name=shipping_postal_code]", "10115")
    page.fill("input[name=shipping_country]", "DE")
    page.fill("input[name=phone]", "+49 30 1234")
    page.fill("input[name='custom.giftnote']", "For you")
    page.fill("input[name=cardnumber]", "4242 4242 4242 4242")
    page.fill("input[name=expiry]", "12 / 40")
    page.fill("input[name=cvc]", "123")
    page.fill("input[name=postal_code]", "10115")
    page.click("#submit")
    assert "Accept the terms" in (page.text_content("#terms-error") or "")
    # The refused attempt kept the quantity and shipping chosen: the summary shows them.
    assert page.text_content("#shipping") == "$9.00"
    assert page.text_content("#total") == "$29.00"
    page.check("#terms")
    page.fill("input[name=cvc]", "123")
    with page.expect_request(lambda r: r.url.startswith("https://shop.example/ok")) as sent:
        page.route("https://shop.example/**", lambda route: route.fulfill(body="ok"))
        page.click("#submit")
    assert session.id in sent.value.url
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    assert done.amount_subtotal == 4000
    assert done.total_details is not None
    assert (done.total_details.amount_discount, done.total_details.amount_shipping) == (2000, 900)
    assert done.amount_total == 2900
    assert done.consent is not None
    assert done.consent.terms_of_service == "accepted"
    assert done.custom_fields[0].text is not None
    assert done.custom_fields[0].text.value == "For you"
    assert done.customer_details is not None
    assert done.customer_details.phone == "+49 30 1234"
    assert done.collected_information is not None
    assert done.collected_information.shipping_details is not None
    assert done.collected_information.shipping_details.name == "Ada Lovelace"
    assert client.v1.payment_intents.retrieve(str(done.payment_intent)).amount == 2900


def _line_item_id(client: stripe.StripeClient, session_id: str) -> str:
    return str(client.v1.checkout.sessions.line_items.list(session_id).data[0].id)
