"""The test shop's Django app (label ``django_shop``)."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoShopConfig(AppConfig):
    name = "stores.django_shop"
    label = "django_shop"
    default_auto_field = "django.db.models.BigAutoField"
