"""The shop's URLs: the Django adapter's endpoints at the root.

``urlpatterns`` is built on first use, so management commands that never resolve a URL (such as
``migrate --skip-checks`` and ``makemigrations``) run without the Stripe settings.
"""

from __future__ import annotations

from typing import Any

_urlpatterns: list[Any] = []


def __getattr__(name: str) -> Any:
    if name != "urlpatterns":
        raise AttributeError(name)
    if not _urlpatterns:
        from django.urls import include, path

        from checkoutkit.adapters.django import urls

        from .shop import make_checkout

        _urlpatterns.append(path("", include(urls(make_checkout()))))
    return _urlpatterns
