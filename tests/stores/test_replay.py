"""``checkoutkit replay`` run as a subprocess against SQLite, PostgreSQL and Redis stores.

The application module is written to a temporary folder: its router stores payloads, and its
handler records each run as a row of a separate SQLite file (the effect being counted).
"""

from __future__ import annotations

import os
import runpy
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from checkoutkit import EventStatus, WebhookRouter
from checkoutkit.stores import open_store
from checkoutkit.testing import TEST_SECRET, checkout_event, checkout_session, signed_request
from servers import free_port

pytestmark = pytest.mark.processes

SRC = str(Path(__file__).resolve().parents[2] / "src")

APP = """
import os, sqlite3
from contextlib import closing
from checkoutkit import PermanentFailure, WebhookRouter
from checkoutkit.stores import open_store
from checkoutkit.testing import TEST_SECRET

router = WebhookRouter(
    secrets=TEST_SECRET, store=open_store(os.environ["CK_STORE"]), store_payload=True
)

@router.on("checkout.session.*")
def fulfil(event):
    if os.environ.get("CK_MODE") == "first":
        if event.id.startswith("evt_perm"):
            raise PermanentFailure("no such order yet")
        if event.id.startswith("evt_temp"):
            raise RuntimeError("database hiccup")
    with closing(sqlite3.connect(os.environ["CK_EFFECTS"])) as db, db:
        db.execute("INSERT INTO effects (event_id) VALUES (?)", (event.id,))

not_a_router = 42
"""


def _store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    if kind == "postgres":
        server = request.getfixturevalue("postgres")  # checks the driver first
        import psycopg

        name = f"ck_replay_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://checkoutkit@127.0.0.1:{server.port}/{name}"
    server = request.getfixturevalue("redis_server")
    import redis

    client = redis.Redis.from_url(server.url.rsplit("/", 1)[0] + "/5")
    client.flushdb()
    client.close()
    return server.url.rsplit("/", 1)[0] + "/5"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.services),
        pytest.param("redis", marks=pytest.mark.services),
    ]
)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The application folder and the environment its replay runs with."""
    (tmp_path / "replay_app.py").write_text(APP)
    effects = tmp_path / "effects.db"
    with closing(sqlite3.connect(effects)) as db, db:
        db.execute("CREATE TABLE effects (event_id TEXT NOT NULL)")
    return {
        "CK_STORE": _store_url(request.param, tmp_path, request),
        "CK_EFFECTS": str(effects),
        "CWD": str(tmp_path),
    }


def _effects(app: dict[str, str]) -> Counter[str]:
    with closing(sqlite3.connect(app["CK_EFFECTS"])) as db, db:
        return Counter(row[0] for row in db.execute("SELECT event_id FROM effects"))


def _deliver_first(app: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Deliver five signed events through the application's router in its failing mode."""
    monkeypatch.setenv("CK_STORE", app["CK_STORE"])
    monkeypatch.setenv("CK_EFFECTS", app["CK_EFFECTS"])
    monkeypatch.setenv("CK_MODE", "first")
    router: WebhookRouter = runpy.run_path(str(Path(app["CWD"]) / "replay_app.py"))["router"]
    ids = ["evt_ok_1", "evt_temp_1", "evt_perm_1", "evt_perm_2", "evt_ok_2"]
    statuses = []
    for event_id in ids:
        event_type = "checkout.session.expired" if event_id == "evt_perm_2" else None
        body = checkout_event(
            event_type or "checkout.session.completed", checkout_session(), event_id=event_id
        )
        statuses.append(router.handle(*signed_request(body, TEST_SECRET)).status)
    assert statuses == [200, 500, 200, 200, 200]
    close = getattr(router.store, "close", None)
    if close is not None:
        close()
    return ids


def _replay(app: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "CK_MODE": "replay"}
    env.update({k: v for k, v in app.items() if k.startswith("CK_")})
    return subprocess.run(
        [sys.executable, "-m", "checkoutkit", "replay", *args],
        cwd=app["CWD"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _status(app: dict[str, str], key: str) -> EventStatus:
    store: Any = open_store(app["CK_STORE"])
    try:
        record = store.get(key)
        assert record is not None
        return EventStatus(record.status)
    finally:
        store.close()


def test_replay_runs_pending_then_failed_events_exactly_once(
    app: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replay runs the pending event, ``--failed`` the failed ones, and nothing ever runs twice."""
    _deliver_first(app, monkeypatch)
    assert _effects(app) == Counter({"evt_ok_1": 1, "evt_ok_2": 1})
    router = "replay_app:router"

    plain = _replay(app, "--store", app["CK_STORE"], "--router", router)
    assert plain.returncode == 0, plain.stderr
    assert "evt_temp_1 checkout.session.completed: handled" in plain.stdout
    assert _effects(app) == Counter({"evt_ok_1": 1, "evt_ok_2": 1, "evt_temp_1": 1})
    assert _status(app, "evt_perm_1") is EventStatus.FAILED

    typed = _replay(
        app, "--store", app["CK_STORE"], "--router", router, "--failed",
        "--type", "checkout.session.completed",
    )  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    assert "evt_perm_1" in typed.stdout
    assert "evt_perm_2" not in typed.stdout
    assert _status(app, "evt_perm_2") is EventStatus.FAILED

    one = _replay(
        app, "--store", app["CK_STORE"], "--router", router, "--failed", "--event", "evt_perm_2"
    )
    assert one.returncode == 0, one.stderr
    forced = _replay(app, "--store", app["CK_STORE"], "--router", router, "--event", "evt_ok_1")
    assert forced.returncode == 0, forced.stderr
    assert "skipped (already succeeded" in forced.stdout
    again = _replay(app, "--store", app["CK_STORE"], "--router", router, "--failed")
    assert again.returncode == 0, again.stderr
    assert "0 replayed" in again.stdout

    assert _effects(app) == Counter(
        {"evt_ok_1": 1, "evt_ok_2": 1, "evt_temp_1": 1, "evt_perm_1": 1, "evt_perm_2": 1}
    )
    for key in ("evt_temp_1", "evt_perm_1", "evt_perm_2"):
        assert _status(app, key) is EventStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("router", "message"),
    [
        ("replay_app", "module:attribute"),
        ("no_such_module:router", "cannot import"),
        ("replay_app:nope", "no attribute"),
        ("replay_app:not_a_router", "not a WebhookRouter"),
    ],
)
def test_bad_router_names_exit_2_with_a_short_message(
    tmp_path: Path, router: str, message: str
) -> None:
    """A router spec that does not name a WebhookRouter exits 2 with one line, no traceback."""
    (tmp_path / "replay_app.py").write_text(APP)
    app = {"CK_STORE": f"sqlite:///{tmp_path / 'e.db'}", "CK_EFFECTS": "x", "CWD": str(tmp_path)}
    result = _replay(app, "--store", app["CK_STORE"], "--router", router)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_store_url_exits_2(tmp_path: Path) -> None:
    """A store URL of an unknown scheme exits 2 with a short message."""
    (tmp_path / "replay_app.py").write_text(APP)
    app = {"CK_STORE": f"sqlite:///{tmp_path / 'e.db'}", "CK_EFFECTS": "x", "CWD": str(tmp_path)}
    result = _replay(app, "--store", "mysql://x", "--router", "replay_app:router")
    assert result.returncode == 2
    assert "unknown store URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.services
def test_unreachable_store_exits_3(tmp_path: Path, redis_server: Any) -> None:
    """A store whose server does not answer exits 3 with a short message, no traceback."""
    (tmp_path / "replay_app.py").write_text(APP)
    app = {"CK_STORE": f"sqlite:///{tmp_path / 'e.db'}", "CK_EFFECTS": "x", "CWD": str(tmp_path)}
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = _replay(app, "--store", url, "--router", "replay_app:router")
    assert result.returncode == 3
    assert "Redis event store" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_event_exits_2(tmp_path: Path) -> None:
    """Asking for an event id the store does not know exits 2."""
    (tmp_path / "replay_app.py").write_text(APP)
    app = {"CK_STORE": f"sqlite:///{tmp_path / 'e.db'}", "CK_EFFECTS": "x", "CWD": str(tmp_path)}
    result = _replay(
        app, "--store", app["CK_STORE"], "--router", "replay_app:router", "--event", "evt_nope"
    )
    assert result.returncode == 2
    assert "no event 'evt_nope'" in result.stderr


def test_permanent_failure_stays_failed_without_the_flag(
    app: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``--failed`` a permanently failed event is not run, even when named by id."""
    _deliver_first(app, monkeypatch)
    result = _replay(
        app, "--store", app["CK_STORE"], "--router", "replay_app:router", "--event", "evt_perm_1"
    )
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stdout
    assert _status(app, "evt_perm_1") is EventStatus.FAILED
    assert "evt_perm_1" not in _effects(app)
