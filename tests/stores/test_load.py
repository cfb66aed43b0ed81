"""A bounded load run against a real two-worker server sharing a PostgreSQL store."""

from __future__ import annotations

from typing import Any

import pytest

from load import run_load


@pytest.mark.slow
@pytest.mark.services
def test_distinct_events_to_two_workers_are_each_handled_once(postgres: Any) -> None:
    """300 distinct signed events all get a 2xx, each has one effect; redeliveries add none."""
    result = run_load(postgres.dsn, events=300, concurrency=8, budget=60.0, redeliver=300)
    assert result["redelivered"] == 300
    assert result["unsent"] == 0
    assert result["non_2xx"] == 0
    assert result["redelivered_non_2xx"] == 0
    assert result["effects"] == 300
    assert result["distinct_effects"] == 300
