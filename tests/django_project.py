"""The one Django configuration of a test process, shared by the adapter and the store tests.

Django is configured once per process (``settings.configure``), so every test that needs Django
calls :func:`configure_django` and gets the same settings: those of a careful project (CSRF,
login required, ``ATOMIC_REQUESTS`` on every database), with the admin, the event store's app
(``checkoutkit.stores.django``) and the test shop's app (``stores.django_shop``) installed.

Databases: ``default`` is an in-memory SQLite database (one per thread: only tests that stay in
one thread use it, such as the admin's); ``events`` is a SQLite file in a temporary folder, which
every thread and the lease renewer share. :func:`add_postgres` adds an alias on the tests' real
PostgreSQL server once it runs. :func:`migrated` creates the tables of an alias, once.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

EVENTS = "events"
"""The alias of the SQLite file database the store tests use."""
POSTGRES = "postgres"
"""The alias :func:`add_postgres` adds."""

_lock = threading.Lock()
_migrated: set[str] = set()


def configure_django() -> None:
    """Settings as a careful project has them: CSRF, login required, atomic requests."""
    import django
    from django.conf import settings

    with _lock:
        if settings.configured:
            return
        folder = Path(tempfile.mkdtemp(prefix="checkoutkit-django-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        settings.configure(
            DEBUG=False,
            SECRET_KEY="checkoutkit-tests-only",
            ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
            ROOT_URLCONF="checkoutkit_tests_empty_urls",
            MIDDLEWARE=[
                "django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
                "django.contrib.auth.middleware.LoginRequiredMiddleware",
            ],
            INSTALLED_APPS=[
                "django.contrib.admin",
                "django.contrib.contenttypes",
                "django.contrib.auth",
                "django.contrib.sessions",
                "django.contrib.messages",
                "checkoutkit.stores.django",
                "stores.django_shop",
            ],
            TEMPLATES=[
                {
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True,
                    "OPTIONS": {
                        "context_processors": [
                            "django.template.context_processors.request",
                            "django.contrib.auth.context_processors.auth",
                            "django.contrib.messages.context_processors.messages",
                        ]
                    },
                }
            ],
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": ":memory:",
                    "ATOMIC_REQUESTS": True,
                },
                EVENTS: {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": str(folder / "events.sqlite3"),
                    "ATOMIC_REQUESTS": True,
                    "OPTIONS": {"timeout": 30},
                },
            },
            APPEND_SLASH=True,
            USE_TZ=True,
        )
        django.setup()


def add_database(alias: str, config: dict[str, Any]) -> None:
    """Add a database alias to the configured settings (Django reads DATABASES lazily)."""
    from django.conf import settings
    from django.db import connections

    configure_django()
    with _lock:
        if alias not in settings.DATABASES:
            settings.DATABASES[alias] = config
            connections.configure_settings(connections.settings)


def add_postgres(server: Any) -> str:
    """The alias of a fresh database on the tests' PostgreSQL ``server``, migrated."""
    import psycopg
    from django.conf import settings

    configure_django()
    if POSTGRES not in settings.DATABASES:
        name = "checkoutkit_django"
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        add_database(
            POSTGRES,
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": name,
                "USER": "checkoutkit",
                "HOST": "127.0.0.1",
                "PORT": str(server.port),
                "ATOMIC_REQUESTS": True,
                "OPTIONS": {"connect_timeout": 5},
            },
        )
    migrated(POSTGRES)
    return POSTGRES


def migrated(alias: str) -> str:
    """Create the tables of every installed app in ``alias`` (once per process); the alias."""
    from django.core.management import call_command

    configure_django()
    with _lock:
        if alias not in _migrated:
            call_command("migrate", database=alias, run_syncdb=True, verbosity=0)
            _migrated.add(alias)
    return alias


def empty(alias: str) -> None:
    """Delete every event and order in ``alias``: a fresh store for the next test."""
    from checkoutkit.stores.django.models import Event
    from stores.django_shop.models import Order

    Event.objects.using(alias).all().delete()
    Order.objects.using(alias).all().delete()
