"""FastAPI: dependencies given to ``include_router`` guard the pages, never Stripe's webhook."""

from __future__ import annotations

import json

import fastapi
from fastapi.testclient import TestClient

from checkoutkit import Checkout, CheckoutSession, MemoryStore, WebhookRouter
from checkoutkit.adapters.fastapi import router
from checkoutkit.testing import TEST_SECRET, sign_payload


def _paid_event(session_id: str) -> bytes:
    session = {"id": session_id, "object": "checkout.session", "payment_status": "paid",
               "metadata": {"checkoutkit_origin": "checkoutkit"}}  # fmt: skip
    event = {"id": "evt_dep_1", "object": "event", "type": "checkout.session.completed",
             "data": {"object": session}}  # fmt: skip
    return json.dumps(event).encode()


def test_include_router_dependencies_do_not_apply_to_the_webhook() -> None:
    """A dependency that refuses everyone answers 403 on the pages; the webhook still fulfils.

    Stripe can meet no dependency, so the webhook is a plain route that FastAPI's dependencies
    never reach; its signature is checked as usual.
    """
    store = MemoryStore()
    fulfilled: list[str] = []

    def fulfil(session: CheckoutSession) -> None:
        fulfilled.append(session.id)

    checkout = Checkout(
        gateway=None,  # never reached: the dependency refuses the create endpoint first
        router=WebhookRouter(secrets=TEST_SECRET, store=store),
        store=store,
        build_session=lambda request: {},
        fulfil=fulfil,
        base_url="http://testserver/checkout",
    )

    def staff_only() -> None:
        raise fastapi.HTTPException(status_code=403, detail="staff only")

    app = fastapi.FastAPI()
    app.include_router(
        router(checkout), prefix="/checkout", dependencies=[fastapi.Depends(staff_only)]
    )
    with TestClient(app) as client:
        assert client.post("/checkout/create-checkout-session", content=b"").status_code == 403
        assert client.get("/checkout/cancel").status_code == 403
        body = _paid_event("cs_test_dep1")
        unsigned = client.post("/checkout/webhook", content=body)
        assert unsigned.status_code == 400
        signed = client.post(
            "/checkout/webhook",
            content=body,
            headers={"Stripe-Signature": sign_payload(body, TEST_SECRET)},
        )
        assert (signed.status_code, signed.json()) == (200, {"received": True})
        assert client.get("/checkout/webhook").status_code == 405
    assert fulfilled == ["cs_test_dep1"]
