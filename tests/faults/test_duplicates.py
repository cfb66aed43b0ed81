"""50 concurrent duplicates of each event across the shop's 4 worker processes: each paid
session is fulfilled once, one delivery is answered "handled", every other one is a duplicate
(200) or "in progress" (409, so that Stripe retries) — never a 5xx."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .conftest import multi_process
from .harness import HANDLED, WORKERS, Answer, running_shop, store_spec

pytestmark = [multi_process, pytest.mark.slow, pytest.mark.services]

COPIES = 50
SESSIONS = 3


def test_fifty_concurrent_duplicates_per_event_across_four_processes(
    store_kind: str, server: Any, tmp_path: Path
) -> None:
    """The first event's holder is paused inside its callback while its 49 other copies arrive,
    so they are surely answered by the other processes; the other events' copies race freely."""
    spec = store_spec(store_kind, tmp_path, server)
    with running_shop(spec, tmp_path, forward=False) as shop:
        sessions = [shop.create_session() for _ in range(SESSIONS)]
        events = {shop.pay(s): s for s in sessions}
        held_event = next(iter(events))
        shop.faults.plan(
            [
                {
                    "id": "hold",
                    "point": "callback:start",
                    "match": f"fulfil:{events[held_event]}",
                    "action": "pause",
                }
            ]
        )
        answers: dict[str, list[Answer]] = {e: [] for e in events}
        with ThreadPoolExecutor(16) as pool:
            holder = pool.submit(shop.post_copy, held_event)
            held = shop.faults.wait_fired("hold")
            answers[held_event] = list(pool.map(shop.post_copy, [held_event] * (COPIES - 1)))
            shop.faults.go("hold")
            answers[held_event].append(holder.result())
            others = [e for e in events if e != held_event]
            for event_id, answer in zip(
                [e for e in others for _ in range(COPIES)],
                pool.map(shop.post_copy, [e for e in others for _ in range(COPIES)]),
                strict=True,
            ):
                answers[event_id].append(answer)
        late = [shop.post_copy(e) for e in events]
        counts = shop.effects.counts()
        attempts = shop.effects.attempts()
    pids = {a.pid for batch in answers.values() for a in batch}
    statuses = Counter(a.status for batch in answers.values() for a in batch)
    assert sum(len(batch) for batch in answers.values()) == COPIES * SESSIONS
    assert counts == {f"fulfil:{s}": 1 for s in sessions}
    assert attempts == {f"fulfil:{s}": 1 for s in sessions}
    for event_id, batch in answers.items():
        handled = [a for a in batch if a.status == 200 and a.body == HANDLED]
        assert len(handled) == 1, (event_id, Counter((a.status, a.body) for a in batch))
    assert set(statuses) <= {200, 409}, statuses
    held_copies = answers[held_event][:-1]
    assert held["pid"] not in {a.pid for a in held_copies}
    assert {a.status for a in held_copies} == {409}  # all arrived while it was in progress
    assert 2 <= len(pids) <= WORKERS
    assert {(a.status, a.body) for a in late} == {(200, b'{"received":true,"duplicate":true}')}
