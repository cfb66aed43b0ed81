"""The shop's Checkout: fulfilment writes an ``Order`` row through the store's transaction."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import checkoutkit
from checkoutkit.stores import Claim, EventRecord, EventStatus, EventStore
from checkoutkit.stores.django import DjangoStore

from .models import Order

PRODUCT = checkoutkit.SessionBuilder.payment().add_price_data(
    currency="usd", name="T-shirt", unit_amount=2000, quantity=1
)


def _hit(point: str, key: str) -> None:
    """Pass the fault point ``point`` when the process runs under a fault plan."""
    if not os.environ.get("CK_FAULT_PLAN"):
        return
    from faults.faultpoints import Plan

    plan = Plan.from_env()
    if plan is not None:
        plan.hit(point, key)


def fulfil(session: checkoutkit.CheckoutSession, using: str) -> None:
    """Write the session's order in the transaction of the store's database ``using``."""
    from django.db import transaction

    key = f"fulfil:{session.id}"
    _hit("callback:start", key)
    Order.objects.using(using).create(session_id=session.id, pid=os.getpid())
    _hit("callback:commit", key)
    transaction.on_commit(lambda: _hit("callback:end", key), using=using)


class NonTransactional:
    """An event store that hides ``transaction()``: fulfilment commits, then completes."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        return self.inner.claim(key, type=type, lease=lease, payload=payload)

    def complete(self, claim: Claim) -> bool:
        return self.inner.complete(claim)

    def renew(self, claim: Claim, *, lease: float) -> bool:
        return self.inner.renew(claim, lease=lease)

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        return self.inner.release(claim, error=error, permanent=permanent)

    def requeue(self, key: str) -> bool:
        return self.inner.requeue(key)

    def get(self, key: str) -> EventRecord | None:
        return self.inner.get(key)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        return self.inner.records(status=status, type_pattern=type_pattern)


def fulfil_in_own_transaction(using: str) -> Any:
    """The callback for a non-transactional store: the order commits in its own transaction."""
    from django.db import transaction

    def callback(session: checkoutkit.CheckoutSession) -> None:
        with transaction.atomic(using=using):
            fulfil(session, using)

    return callback


def make_checkout(
    *,
    gateway: Any = None,
    store: Any = None,
    using: str = "default",
    base_url: str | None = None,
    transactional: bool | None = None,
    lease: float | None = None,
    secret: str | None = None,
) -> checkoutkit.Checkout:
    """The shop's Checkout; every argument left out comes from the environment."""
    if transactional is None:
        transactional = os.environ.get("SHOP_TRANSACTIONAL", "1") != "0"
    if lease is None:
        lease = float(os.environ.get("SHOP_LEASE", "60"))
    store = DjangoStore(using=using) if store is None else store
    if not transactional:
        store = NonTransactional(store)
    callback: Any = fulfil if transactional else fulfil_in_own_transaction(using)
    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env() if gateway is None else gateway,
        router=checkoutkit.WebhookRouter(
            secrets=os.environ["STRIPE_WEBHOOK_SECRET"] if secret is None else secret,
            store=store,
            lease=lease,
            store_payload=True,
        ),
        store=store,
        build_session=lambda request: PRODUCT,
        fulfil=callback,
        base_url=os.environ["SHOP_URL"] if base_url is None else base_url,
        lease=lease,
    )
