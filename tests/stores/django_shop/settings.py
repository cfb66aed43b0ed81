"""Settings of the shop served as a real application (``DJANGO_SETTINGS_MODULE``).

See the package's docstring for the environment it reads.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any


def database(url: str) -> dict[str, Any]:
    """Django's settings of the database ``url`` names (PostgreSQL or SQLite)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.path[1:] or parts.path}
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": urllib.parse.unquote(parts.username or ""),
            "PASSWORD": urllib.parse.unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": {"connect_timeout": 5},
        }
    raise ValueError(f"SHOP_DATABASE_URL must be sqlite:// or postgresql://, not {url!r}")


SECRET_KEY = "checkoutkit-test-shop-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "stores.django_shop.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "checkoutkit.stores.django",
    "stores.django_shop",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
DATABASES = {
    "default": {
        **database(os.environ["SHOP_DATABASE_URL"]),
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": float(os.environ.get("SHOP_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
    }
}
