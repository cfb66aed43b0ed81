"""The hosted page as a shopper sees it, in real headless Chromium, and the docs' screenshots.

The screenshots in ``docs/images/`` are written by the first test every time it runs, after it
checked what they show, so the documentation never shows an outdated page. Chromium comes from
the system; under CI a missing browser fails instead of skipping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe

from checkoutkit import FulfilOutcome
from checkoutkit._events import CheckoutSession
from checkoutkit.adapters.endpoints import default_cancel_page, default_success_page
from checkoutkit.sandbox import Sandbox

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
MAX_PNG_BYTES = 120_000


def _one_time(client: stripe.StripeClient, **extra: Any) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            **extra,
            "mode": "payment",
            "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://shop.example/cart",
            "branding_settings": {"display_name": "Cool new products"},
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 2000,
                        "product_data": {"name": "Stubborn Attachments"},
                    },
                    "quantity": 1,
                },
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 450,
                        "product_data": {"name": "Bookmark"},
                    },
                    "quantity": 2,
                },
            ],
        }
    )


def _subscription(client: stripe.StripeClient, trial: int | None) -> stripe.checkout.Session:
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro plan"},
        }
    )
    params: dict[str, Any] = {
        "mode": "subscription",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/plans",
        "branding_settings": {"display_name": "Cool new products"},
        "line_items": [{"price": price.id, "quantity": 1}],
    }
    if trial:
        params["subscription_data"] = {"trial_period_days": trial}
    return client.v1.checkout.sessions.create(params=params)


def _box(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] | None = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def _open(page: Any, url: str, width: int, height: int) -> list[str]:
    """Open ``url`` at the viewport size; the URLs of every request the page made."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    return requested


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("kind", ["payment", "subscription"])
def test_screenshots_at_desktop_and_phone_widths(
    page: Any, box: Sandbox, client: stripe.StripeClient, kind: str, width: str
) -> None:
    """Badge, merchant, amounts, two columns on a desktop and one on a phone; then the picture."""
    session = _one_time(client) if kind == "payment" else _subscription(client, trial=14)
    w, h = WIDTHS[width]
    requested = _open(page, session.url, w, h)
    assert requested == [session.url]  # no fonts, images or stylesheets from anywhere

    badge = page.locator("#test-mode")
    assert badge.is_visible()
    assert badge.inner_text().strip().lower() == "test mode"
    assert page.inner_text("#merchant") == "Cool new products"
    if kind == "payment":
        assert page.inner_text("#headline-amount") == "$29.00"
        assert page.inner_text("#total") == "$29.00"
        assert "Qty 2" in page.inner_text("#items")
        assert page.inner_text("#submit") == "Pay"
    else:
        assert page.inner_text("#trial") == "14 days free, then $15.00 per month"
        assert page.inner_text("#total") == "$0.00"
        assert page.inner_text("#after-trial") == "$15.00"
        assert page.inner_text("#submit") == "Start trial"

    summary, form = _box(page, "#summary"), _box(page, "#payment")
    if width == "desktop":  # side by side, summary on the left
        assert summary["x"] + summary["width"] <= form["x"]
        assert abs(summary["y"] - form["y"]) < 40
    else:  # stacked, summary first, nothing wider than the screen
        assert summary["y"] + summary["height"] <= form["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= w
    button = page.locator("#submit")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(0, 116, 212)"
    assert _box(page, "#submit")["width"] >= form["width"] - 1  # a full-width button
    assert "BlinkMacSystemFont" in page.evaluate("getComputedStyle(document.body).fontFamily")

    IMAGES.mkdir(exist_ok=True)
    target = IMAGES / f"checkout-{kind}-{width}.png"
    page.screenshot(path=str(target), full_page=True)
    assert 0 < target.stat().st_size <= MAX_PNG_BYTES


def test_screenshot_with_a_discount_and_shipping(page: Any, client: stripe.StripeClient) -> None:
    """A promotion code and a shipping rate are summary rows between the subtotal and the total,
    and the shipping sections sit between the contact and the payment sections; then the
    picture."""
    coupon = client.v1.coupons.create(params={"percent_off": 20, "name": "Launch week"})
    code = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "LAUNCH20"}
    )
    session = _one_time(
        client,
        discounts=[{"promotion_code": code.id}],
        shipping_address_collection={"allowed_countries": ["US", "CA"]},
        shipping_options=[
            {
                "shipping_rate_data": {
                    "display_name": name,
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": amount, "currency": "usd"},
                    "delivery_estimate": {
                        "minimum": {"unit": "business_day", "value": low},
                        "maximum": {"unit": "business_day", "value": high},
                    },
                }
            }
            for name, amount, low, high in (("Standard", 500, 3, 5), ("Express", 1500, 1, 1))
        ],
    )
    _open(page, session.url, *WIDTHS["desktop"])
    rows = page.locator(".totals dd").evaluate_all("dds => dds.map(d => d.id)")
    assert rows == ["subtotal", "discount", "shipping", "total"]
    assert page.inner_text("#subtotal") == "$29.00"
    assert page.inner_text("#discount") == "-$5.80"  # 20% of $29.00
    assert "LAUNCH20" in page.inner_text(".totals")
    assert page.inner_text("#shipping") == "$5.00"
    assert page.inner_text("#total") == page.inner_text("#headline-amount") == "$28.20"
    sections = page.locator(".pay section").evaluate_all("ss => ss.map(s => s.id)")
    assert sections == ["contact", "shipping-address", "shipping-options", "payment-method"]
    assert "3 to 5 business days" in page.inner_text("#shipping-options")
    summary, form = _box(page, "#summary"), _box(page, "#payment")
    assert summary["x"] + summary["width"] <= form["x"]
    target = IMAGES / "checkout-discount-shipping-desktop.png"
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": height})  # the whole panel
    page.screenshot(path=str(target))
    assert 0 < target.stat().st_size <= MAX_PNG_BYTES


def test_subscription_without_trial_shows_the_interval(
    page: Any, client: stripe.StripeClient
) -> None:
    """ "$15.00 per month": the amount and how often it is charged."""
    session = _subscription(client, trial=None)
    _open(page, session.url, *WIDTHS["desktop"])
    headline = page.inner_text(".headline")
    assert "Subscribe to Pro plan" in headline
    assert page.inner_text("#headline-amount") == "$15.00"
    assert page.inner_text("#interval") == "per month"
    assert "$15.00 per month" in page.inner_text("#items")
    assert page.inner_text("#total") == "$15.00"
    assert page.inner_text("#submit") == "Subscribe"


def test_an_empty_card_gets_a_message_on_each_field(page: Any, client: stripe.StripeClient) -> None:
    """Pay with nothing typed: email, card number, expiry and CVC each say what they miss."""
    session = _one_time(client)
    _open(page, session.url, *WIDTHS["desktop"])
    page.fill("#email", "ada@example.com")
    page.click("#submit")
    page.wait_for_selector("#cardnumber-error")
    for field, message in {
        "cardnumber": "Your card number is incomplete.",
        "expiry": "Your card's expiration date is incomplete.",
        "cvc": "Your card's security code is incomplete.",
    }.items():
        error = page.locator(f"#{field}-error")
        assert error.is_visible()
        assert error.inner_text() == message
        assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
    assert page.locator("#email-error").count() == 0
    assert page.input_value("#email") == "ada@example.com"


def test_failed_3d_secure_ends_on_the_payment_page_with_the_email(
    page: Any, client: stripe.StripeClient
) -> None:
    """Fail on the 3D Secure page: the address bar shows the payment page, the error, the email."""
    session = _one_time(client)
    _open(page, session.url, *WIDTHS["desktop"])
    page.fill("#email", "grace@example.com")
    page.fill("#cardnumber", "4000 0025 0000 3155")
    page.fill("#expiry", "12 / 34")
    page.fill("#cvc", "123")
    page.click("#submit")
    page.wait_for_selector("#fail")
    assert page.locator("#test-mode").is_visible()
    with page.expect_navigation():
        page.click("#fail")
    assert page.url.split("?")[0] == session.url
    assert "/authenticate" not in page.url
    assert "unable to authenticate" in page.inner_text("#error")
    assert page.input_value("#email") == "grace@example.com"
    page.fill("#cardnumber", "4242 4242 4242 4242")
    page.fill("#expiry", "12 / 34")
    page.fill("#cvc", "123")
    page.route(
        lambda url: url.startswith("https://shop.example/"),
        lambda route: route.fulfill(body="thanks", content_type="text/plain"),
    )
    page.click("#submit")
    page.wait_for_url("https://shop.example/ok*")
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def _session(**fields: Any) -> CheckoutSession:
    return CheckoutSession.from_dict(
        {"id": "cs_test_page", "object": "checkout.session", "currency": "usd", **fields}
    )


@pytest.mark.parametrize(
    "case",
    [
        (
            {"status": "complete", "payment_status": "paid", "amount_total": 2000},
            FulfilOutcome.FULFILLED,
            "Thanks for your order!",
            "Paid",
            "Back to the shop",
        ),
        (
            {"status": "complete", "payment_status": "unpaid", "amount_total": 2000},
            FulfilOutcome.NOT_PAID,
            "Payment processing",
            "Payment processing",
            "Back to the shop",
        ),
        (
            {
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": 2000,
                "url": "https://pay.example/c/pay/cs_test_page",
            },
            FulfilOutcome.NOT_PAID,
            "Your order is not paid yet",
            "Not paid yet",
            "Return to payment",
        ),
    ],
)
def test_default_success_page_reads_heading_first(
    page: Any, case: tuple[dict[str, Any], FulfilOutcome, str, str, str]
) -> None:
    """Heading first, the state in plain words, the total, and a link onwards."""
    fields, outcome, heading, state, link = case
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(default_success_page(_session(**fields), outcome))
    assert page.eval_on_selector("main", "m => m.firstElementChild.tagName") == "H1"
    assert page.inner_text("h1") == heading
    assert page.inner_text("#state") == state
    assert "$20.00" in page.inner_text("#summary")
    first = page.locator(".actions a").first
    assert first.is_visible()
    assert first.inner_text() == link
    if link == "Return to payment":
        assert first.get_attribute("href") == fields["url"]


def test_default_cancel_page_is_styled_with_a_way_back(page: Any) -> None:
    """The cancel page: heading first, nothing charged, a button back to the shop."""
    page.set_content(default_cancel_page())
    assert page.eval_on_selector("main", "m => m.firstElementChild.tagName") == "H1"
    assert page.inner_text("h1") == "Checkout canceled"
    back = page.locator(".actions a")
    assert back.inner_text() == "Back to the shop"
    assert back.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(0, 116, 212)"
