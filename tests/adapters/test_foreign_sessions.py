"""Sessions this shop never created are not fulfilled, in every adapter (sandbox over HTTP)."""

from __future__ import annotations

import uuid

from adapter_harness import Shop

SUCCESS_URL = "https://elsewhere.example/done?session_id={CHECKOUT_SESSION_ID}"


def _created_elsewhere(shop: Shop, **params: object) -> str:
    """A session created on the same account without this shop's Checkout (no origin marker)."""
    session = shop.checkout.gateway.create(
        {
            "success_url": SUCCESS_URL,
            "cancel_url": "https://elsewhere.example/",
            # Distinct params per call: the gateway's idempotency key is derived from them.
            "client_reference_id": uuid.uuid4().hex,
            **params,
        }
    )
    return str(session.id)


def test_a_setup_session_created_elsewhere_is_not_fulfilled(shop: Shop) -> None:
    """A mode=setup session of another service: success page 404, webhook 200, no order."""
    session_id = _created_elsewhere(shop, mode="setup", currency="usd")
    shop.pay(session_id)
    page = shop.get(f"/success?session_id={session_id}")
    assert page.status == 404
    assert "unknown checkout session" in page.text
    answer = shop.deliver(shop.event_body(session_id, "checkout.session.completed"))
    assert answer.status == 200
    assert shop.orders == []


def test_a_paid_session_created_elsewhere_is_not_fulfilled(shop: Shop) -> None:
    """Even a paid payment-mode session is left alone when this shop did not create it."""
    session_id = _created_elsewhere(
        shop,
        mode="payment",
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1500,
                    "product_data": {"name": "Poster"},
                },
                "quantity": 1,
            }
        ],
    )
    shop.pay(session_id)
    assert shop.get(f"/success?session_id={session_id}").status == 404
    assert shop.deliver(shop.event_body(session_id, "checkout.session.completed")).status == 200
    assert shop.orders == []
    # The shop's own sessions still are.
    own = shop.create_session()
    shop.pay(own)
    assert shop.get(f"/success?session_id={own}").status == 200
    assert shop.orders == [own]
