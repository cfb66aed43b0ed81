"""Objects answered through the stripe SDK carry every field the installed SDK declares.

The field lists come from the SDK's resource classes (see ``sdk_fields``), so a newer SDK shows
at once which fields the sandbox lacks. Objects are read as raw JSON over HTTP (the SDK would
hide an absent field behind ``AttributeError``) after being made through the SDK.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sdk_fields
import stripe

from checkoutkit.sandbox import Sandbox


@pytest.fixture(scope="module")
def objects() -> Any:
    """One object of each kind, made through the SDK and read back as raw JSON."""
    with Sandbox() as box:
        client = box.client("sk_test_shapes")

        def raw(path: str) -> dict[str, Any]:
            answer = httpx.get(box.url + path, auth=("sk_test_shapes", ""))
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        product = client.v1.products.create(params={"name": "Mug"})
        price = client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 1200, "product": product.id}
        )
        monthly = client.v1.prices.create(
            params={
                "currency": "eur",
                "unit_amount": 900,
                "product": product.id,
                "recurring": {"interval": "month"},
            }
        )
        coupon = client.v1.coupons.create(params={"percent_off": 10})
        code = client.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": coupon.id}}
        )
        rate = client.v1.shipping_rates.create(
            params={
                "display_name": "Post",
                "type": "fixed_amount",
                "fixed_amount": {"amount": 500, "currency": "usd"},
            }
        )
        made: dict[str, dict[str, Any]] = {
            "product": raw(f"/v1/products/{product.id}"),
            "price": raw(f"/v1/prices/{price.id}"),
            "coupon": raw(f"/v1/coupons/{coupon.id}"),
            "promotion_code": raw(f"/v1/promotion_codes/{code.id}"),
            "shipping_rate": raw(f"/v1/shipping_rates/{rate.id}"),
        }
        paid = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "https://shop.example/ok",
                "customer_creation": "always",
                "shipping_options": [{"shipping_rate": rate.id}],
                "invoice_creation": {"enabled": False},
            }
        )
        made["checkout.session (open)"] = raw(f"/v1/checkout/sessions/{paid.id}")
        box.pay(paid.id, card="4242424242424242", email="ada@example.com")
        session = raw(f"/v1/checkout/sessions/{paid.id}")
        intent = raw(f"/v1/payment_intents/{session['payment_intent']}")
        made["checkout.session"] = session
        made["payment_intent"] = intent
        made["payment_method"] = raw(f"/v1/payment_methods/{intent['payment_method']}")
        made["customer"] = raw(f"/v1/customers/{session['customer']}")
        setup = client.v1.checkout.sessions.create(
            params={"mode": "setup", "currency": "eur", "success_url": "https://shop.example/ok"}
        )
        box.pay(setup.id, iban="DE89370400440532013000")
        made["setup_intent"] = raw(
            f"/v1/setup_intents/{raw(f'/v1/checkout/sessions/{setup.id}')['setup_intent']}"
        )
        embedded = client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "ui_mode": "embedded_page",
                "return_url": "https://shop.example/back",
                "line_items": [{"price": monthly.id, "quantity": 1}],
            }
        )
        made["checkout.session (embedded)"] = raw(f"/v1/checkout/sessions/{embedded.id}")
        box.pay(embedded.id, card="4242424242424242")
        sub_id = raw(f"/v1/checkout/sessions/{embedded.id}")["subscription"]
        made["subscription"] = raw(f"/v1/subscriptions/{sub_id}")
        yield made


@pytest.mark.parametrize(
    "name",
    [
        "checkout.session (open)",
        "checkout.session",
        "checkout.session (embedded)",
        "payment_intent",
        "setup_intent",
        "subscription",
        "payment_method",
        "customer",
        "price",
        "product",
        "coupon",
        "promotion_code",
        "shipping_rate",
    ],
)
def test_every_declared_field_is_present(objects: dict[str, Any], name: str) -> None:
    """Every field the SDK declares is there, null only where the SDK allows null."""
    kind = name.split(" ", maxsplit=1)[0]
    obj = objects[name]
    assert obj["object"] == kind
    assert sdk_fields.problems(kind, obj) == []


def test_hosted_and_embedded_sessions_answer_their_own_urls(objects: dict[str, Any]) -> None:
    """A hosted session leaves out return_url and redirect_on_completion; an embedded one has
    both, and neither has a null where Stripe fills a value."""
    hosted, embedded = objects["checkout.session"], objects["checkout.session (embedded)"]
    assert "return_url" not in hosted
    assert "redirect_on_completion" not in hosted
    assert embedded["return_url"] == "https://shop.example/back"
    assert embedded["redirect_on_completion"] == "always"
    assert hosted["invoice_creation"]["invoice_data"]["metadata"] == {}
    assert hosted["branding_settings"]["display_name"]
    assert hosted["presentment_details"] == {
        "presentment_amount": hosted["amount_total"],
        "presentment_currency": "usd",
    }


def test_the_check_finds_a_missing_and_a_null_field() -> None:
    """The shape check itself fails on a field left out and on a null where none belongs."""
    incomplete = {"object": "shipping_rate", "id": "shr_1", "active": None}
    found = sdk_fields.problems("shipping_rate", incomplete)
    assert "active: null" in found
    assert "created: missing" in found


def test_the_sdk_objects_read_the_same(objects: dict[str, Any]) -> None:
    """The SDK turns the raw session into its own class with the filled fields readable."""
    session = stripe.checkout.Session.construct_from(objects["checkout.session"], "sk_test_x")
    assert session.tax_id_collection is not None
    assert session.tax_id_collection.required == "never"
    assert session.shipping_cost is not None
    assert session.total_details is not None
    assert session.total_details.amount_shipping == 500
    assert session.amount_total == 1700
