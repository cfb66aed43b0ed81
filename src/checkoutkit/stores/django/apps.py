"""The event store's Django app: ``INSTALLED_APPS += ["checkoutkit.stores.django"]``."""

from __future__ import annotations

from django.apps import AppConfig


class CheckoutKitStoreConfig(AppConfig):  # type: ignore[misc]
    """The app: label ``checkoutkit``, one model (``Event``)."""

    name = "checkoutkit.stores.django"
    label = "checkoutkit"
    verbose_name = "Checkout events"
    default_auto_field = "django.db.models.BigAutoField"
