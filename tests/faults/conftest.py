"""Fixtures of the fault suite: the store kinds, and PostgreSQL and Redis servers of its own
(the outage scenarios stop and restart them, so they are not shared with other tests)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from stores.conftest import postgres, redis_server

__all__ = ["multi_process", "postgres", "redis_server"]

STORE_KINDS = ["sqlite", "postgres", "redis"]


def _newest_supported_python() -> tuple[int, int]:
    """The newest Python the project supports (its classifiers in pyproject.toml)."""
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    minors = re.findall(r"Programming Language :: Python :: 3\.(\d+)", text)
    return (3, max(int(m) for m in minors))


NEWEST = _newest_supported_python()

multi_process = pytest.mark.skipif(
    sys.version_info[:2] != NEWEST,
    reason=(
        "the multi-process scenarios (gunicorn workers, servers stopped and restarted) run on "
        f"the newest supported Python only ({NEWEST[0]}.{NEWEST[1]}), to keep the suite within "
        "its time budget; what they prove does not depend on the Python version, and the "
        "in-process scenarios run on every version"
    ),
)


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def server(store_kind: str, request: pytest.FixtureRequest) -> Any:
    """The PostgreSQL or Redis server of ``store_kind`` (None for SQLite); up when given."""
    if store_kind == "sqlite":
        return None
    name = "postgres" if store_kind == "postgres" else "redis_server"
    found = request.getfixturevalue(name)
    if store_kind == "postgres":
        if not (Path(found.data) / "postmaster.pid").exists():
            found.start()  # a failed test left it stopped
    elif found.proc is None:
        found.start()
    return found
