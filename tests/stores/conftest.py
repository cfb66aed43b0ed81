"""Real PostgreSQL and Redis servers for the store tests, started once per test session.

Without a server binary or driver the tests that need it are skipped on a developer's machine;
with ``CI`` set they fail instead, so that CI cannot pass without running them. The one
exception is ``nox -s core`` (``CHECKOUTKIT_CORE_ONLY`` set), which installs no extra on purpose:
there a missing driver skips, with the reason.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

from servers import PostgresServer, RedisServer, ServerUnavailable


def _unavailable(what: str, why: object) -> None:
    message = f"{what} is not available: {why}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run these tests)", pytrace=False)
    pytest.skip(message)


def _need_driver(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CHECKOUTKIT_CORE_ONLY"):
            pytest.skip(f"needs checkoutkit[{extra}]; the core-only session installs no extra")
        _unavailable(f"the {module} driver (checkoutkit[{extra}])", "not installed")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (its DSN is ``postgres.dsn``)."""
    _need_driver("psycopg", "postgres")
    try:
        server = PostgresServer()
    except (ServerUnavailable, OSError) as exc:
        _unavailable("PostgreSQL", exc)
    try:
        server.start()
    except (ServerUnavailable, OSError) as exc:
        server.destroy()
        _unavailable("PostgreSQL", exc)
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the whole session (its URL is ``redis_server.url``)."""
    _need_driver("redis", "redis")
    try:
        server = RedisServer()
    except (ServerUnavailable, OSError) as exc:
        _unavailable("Redis", exc)
    try:
        server.start()
    except (ServerUnavailable, OSError) as exc:
        server.destroy()
        _unavailable("Redis", exc)
    yield server
    server.destroy()
