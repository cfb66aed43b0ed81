"""The in-process scenarios' shop: a real sandbox and gateway, a real store wrapped in
:class:`~faultpoints.FaultyStore`, and a Checkout whose callback's effects are counted.

Sessions are created through :meth:`Checkout.create` (so they carry what a session of this shop
carries) and paid through the sandbox.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

import checkoutkit
from checkoutkit import Checkout, CheckoutRequest, CheckoutSession
from checkoutkit.stores import EventRecord
from stores.exactly_once import Effects

from .fault_shop import PRODUCT, open_store
from .faultpoints import FaultControl, FaultyStore, Plan
from .harness import store_spec

SHORT_LEASE = 0.5
"""The in-process scenarios' lease: a claim left held (the bug they guard against) expires soon."""


@attrs.define
class Local:
    """A Checkout over a faulty store, the sandbox, and the effects of its callback."""

    checkout: Checkout
    store: FaultyStore
    faults: FaultControl
    effects: Effects
    sandbox: Any

    def paid_session(self) -> CheckoutSession:
        success_url, cancel_url = self.checkout.urls_for("https://shop.example")
        request = CheckoutRequest(
            form={}, headers={}, success_url=success_url, cancel_url=cancel_url
        )
        created = self.checkout.create(request, idempotency_key=uuid.uuid4().hex)
        paid = self.sandbox.pay(created.id, card="4242424242424242")
        assert paid["session"]["payment_status"] == "paid", paid["error"]
        session: CheckoutSession = self.checkout.gateway.retrieve(created.id)
        return session

    def record(self, key: str) -> EventRecord | None:
        return self.store.inner.get(key)


def recording(effects: Effects, plan: Plan) -> Callable[[CheckoutSession], None]:
    """A plain fulfil callback: points ``callback:start``/``commit``/``end`` around its effect."""

    def fulfil(session: CheckoutSession) -> None:
        key = f"fulfil:{session.id}"
        plan.hit("callback:start", key)
        effects.note_attempt(key)
        effects.apply(key, lambda: plan.hit("callback:commit", key))
        plan.hit("callback:end", key)

    return fulfil


@contextlib.contextmanager
def local_checkout(
    store_kind: str,
    server: Any,
    tmp: Path,
    *,
    fulfil: Callable[[Effects, Plan], Callable[[CheckoutSession], Any]] = recording,
    lease: float = SHORT_LEASE,
) -> Iterator[Local]:
    from checkoutkit.sandbox import Sandbox

    effects = Effects(str(tmp / "effects.db"))
    effects.create()
    faults = FaultControl(tmp / "plan")
    plan = Plan(faults.directory)
    store = FaultyStore(open_store(store_spec(store_kind, tmp, server)), plan)
    with Sandbox() as sandbox, checkoutkit.CheckoutGateway.for_sandbox(sandbox) as gateway:
        router = checkoutkit.WebhookRouter(secrets=sandbox.webhook_secret, store=store, lease=lease)
        checkout = Checkout(
            gateway=gateway,
            router=router,
            store=store,
            build_session=lambda request: PRODUCT,
            fulfil=fulfil(effects, plan),
            base_url="https://shop.example",
            lease=lease,
        )
        try:
            yield Local(checkout, store, faults, effects, sandbox)
        finally:
            faults.release_all()
            store.close()
