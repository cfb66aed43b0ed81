"""Fulfil in the project's own transaction with Django: ``shop/checkout.py``."""

from __future__ import annotations

from shop.models import Order  # your app's model

import checkoutkit
from checkoutkit.stores.django import DjangoStore

# settings.py: INSTALLED_APPS += ["checkoutkit.stores.django"], then `manage.py migrate`.
store = DjangoStore(using="default")


def fulfil(session: checkoutkit.CheckoutSession) -> None:
    # Runs inside transaction.atomic(using="default"): this write and the store's record of the
    # fulfilment commit together, or neither does. Mail and other side effects that must not
    # repeat belong in transaction.on_commit().
    Order.objects.create(session_id=session.id, email=session.email or "")


def create_checkout(*, secret: str, base_url: str) -> checkoutkit.Checkout:
    router = checkoutkit.WebhookRouter(secrets=secret, store=store)
    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(),
        router=router,
        store=store,
        build_session=lambda request: checkoutkit.SessionBuilder.payment().add_price("price_…"),
        fulfil=fulfil,
        base_url=base_url,
    )
