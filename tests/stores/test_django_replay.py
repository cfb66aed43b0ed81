"""``checkoutkit replay --store django://default`` on a DjangoStore, and the migrations.

The application's events are delivered in this process (through a router over the ``events``
SQLite file); the replay then runs as a subprocess configured the way a project is, by
``DJANGO_SETTINGS_MODULE`` (the test shop's settings, pointed at the same file).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from checkoutkit import ConfigurationError, EventStatus, PermanentFailure, WebhookRouter
from checkoutkit.stores import open_store
from checkoutkit.testing import TEST_SECRET, checkout_event, checkout_session, signed_request
from django_project import EVENTS, configure_django, empty, migrated

configure_django()

from django.conf import settings  # noqa: E402  (needs the settings above)
from django.core.management import call_command  # noqa: E402

from checkoutkit.stores.django import DjangoStore  # noqa: E402
from stores.django_shop.models import Order  # noqa: E402

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"

APP = """
import os
from checkoutkit import PermanentFailure, WebhookRouter
from checkoutkit.stores import open_store
from checkoutkit.testing import TEST_SECRET

store = open_store("django://default")
router = WebhookRouter(secrets=TEST_SECRET, store=store, store_payload=True)

@router.on("checkout.session.completed", transactional=True)
def fulfil(event, using):
    from stores.django_shop.models import Order

    Order.objects.using(using).create(session_id=event.id, pid=os.getpid())
"""


def _deliver(alias: str) -> None:
    """Five events through a router on ``alias``: two succeed, one fails for now, two for good."""
    router = WebhookRouter(secrets=TEST_SECRET, store=DjangoStore(using=alias), store_payload=True)

    @router.on("checkout.session.completed", transactional=True)
    def fulfil(event: object, using: str) -> None:
        event_id: str = event.id  # type: ignore[attr-defined]
        Order.objects.using(using).create(session_id=event_id, pid=os.getpid())
        if event_id.startswith("evt_temp"):
            raise RuntimeError("the warehouse is offline")
        if event_id.startswith("evt_perm"):
            raise PermanentFailure("no such product")

    statuses = [
        router.handle(
            *signed_request(
                checkout_event("checkout.session.completed", checkout_session(), event_id=event_id),
                TEST_SECRET,
            )
        ).status
        for event_id in ["evt_ok_1", "evt_temp_1", "evt_perm_1", "evt_perm_2", "evt_ok_2"]
    ]
    assert statuses == [200, 500, 200, 200, 200]


def _replay(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "replay_app.py").write_text(APP)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]),
        "DJANGO_SETTINGS_MODULE": "stores.django_shop.settings",
        "SHOP_DATABASE_URL": f"sqlite:///{settings.DATABASES[EVENTS]['NAME']}",
    }
    return subprocess.run(
        [sys.executable, "-m", "checkoutkit", "replay", "--store", "django://default", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _orders() -> Counter[str]:
    return Counter(Order.objects.using(EVENTS).values_list("session_id", flat=True))


@pytest.mark.slow
def test_replay_runs_pending_then_failed_events_once(tmp_path: Path) -> None:
    """Only the work that committed counts: replay runs the pending event, ``--failed`` the
    failed ones (requeued), each once, and their orders commit with their records."""
    empty(migrated(EVENTS))
    _deliver(EVENTS)
    assert _orders() == Counter({"evt_ok_1": 1, "evt_ok_2": 1})

    plain = _replay(tmp_path, "--router", "replay_app:router")
    assert plain.returncode == 0, plain.stderr
    assert "evt_temp_1 checkout.session.completed: handled" in plain.stdout
    assert "1 replayed, 0 not completed" in plain.stdout
    failed = _replay(tmp_path, "--router", "replay_app:router", "--failed")
    assert failed.returncode == 0, failed.stderr
    assert "2 replayed, 0 not completed" in failed.stdout

    assert _orders() == Counter(
        {f"evt_{n}": 1 for n in ["ok_1", "ok_2", "temp_1", "perm_1", "perm_2"]}
    )
    store = DjangoStore(using=EVENTS)
    assert {r.status for r in store.records()} == {EventStatus.SUCCEEDED}


def test_a_django_store_url_names_an_alias() -> None:
    """``django://alias`` opens a DjangoStore on that alias; anything else is refused."""
    store = open_store(f"django://{EVENTS}")
    assert isinstance(store, DjangoStore)
    assert store.using == EVENTS
    for url in ["django://", "django://default/extra"]:
        with pytest.raises(ConfigurationError, match="django://"):
            open_store(url)


def test_the_migrations_match_the_model() -> None:
    """``makemigrations --check`` finds nothing to add for the app (label ``checkoutkit``)."""
    call_command("makemigrations", "checkoutkit", check=True, dry_run=True, verbosity=0)


def test_migrate_creates_the_table_and_its_index(tmp_path: Path) -> None:
    """``migrate`` on a new database creates ``checkoutkit_event`` with the documented columns."""
    from django.db import connections

    from django_project import add_database

    add_database(
        "fresh",
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "fresh.sqlite3")},
    )
    call_command("migrate", "checkoutkit", database="fresh", verbosity=0)
    connection = connections["fresh"]
    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, "checkoutkit_event")
        ]
        constraints = connection.introspection.get_constraints(cursor, "checkoutkit_event")
    assert columns == [
        "key", "type", "status", "attempts", "last_error", "token",
        "lease_expires_at", "created_at", "updated_at", "payload",
    ]  # fmt: skip
    assert "checkoutkit_event_retry" in constraints
    store = DjangoStore(using="fresh")
    assert store.complete(store.claim("evt_1", type="invoice.paid"))
    connection.close()


def test_django_must_be_set_up_with_the_app_installed(tmp_path: Path) -> None:
    """Without settings, or without the app in INSTALLED_APPS, a DjangoStore says what to do."""
    script = """
import sys
from checkoutkit import ConfigurationError
from checkoutkit.stores.django import DjangoStore

try:
    DjangoStore().get("evt_1")
except ConfigurationError as exc:
    print("1:", exc)
from django.conf import settings
import django
settings.configure(INSTALLED_APPS=[], DATABASES={
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
django.setup()
try:
    DjangoStore().get("evt_1")
except ConfigurationError as exc:
    print("2:", exc)
"""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(SRC)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "1: DjangoStore needs Django's settings: set DJANGO_SETTINGS_MODULE" in result.stdout
    assert "2: DjangoStore needs 'checkoutkit.stores.django' in INSTALLED_APPS" in result.stdout
