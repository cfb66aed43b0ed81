"""Scale-out: a bounded load run against a two-worker uvicorn server on a PostgreSQL store.

Distinct signed ``checkout.session.completed`` events are posted from 8 client threads over
loopback (at most 2000, at most 10 s of sending), then 200 of them are posted once more. The server
is a minimal ASGI application around ``WebhookRouter.handle_async`` with a ``PostgresStore``
(durable defaults) and a handler that inserts one effect row per event; PostgreSQL is a
throw-away server started with the tests' helper. Reports requests/s and the counts that must
hold: no non-2xx answer, one effect per event, none added by the redeliveries.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = 2000


def run() -> list[tuple[str, str]]:
    """Rows of (label, figure) for the load run."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from load import run_load
        from servers import ServerUnavailable, postgres_server

        with postgres_server(fsync=True) as server:
            result = run_load(server.dsn, events=EVENTS, concurrency=8, budget=10.0)
    except (ServerUnavailable, OSError, ImportError) as exc:
        return [("scale: load run (2 workers, PostgresStore)", f"skipped: {exc}")]
    finally:
        del sys.path[:2]
    sent = result["sent"]
    return [
        (
            "scale: webhook requests/s (2 uvicorn workers, PostgresStore)",
            f"{result['requests_per_s']:.0f}",
        ),
        ("scale: distinct events sent / non-2xx", f"{sent} / {result['non_2xx']}"),
        (
            "scale: effects / distinct (each event handled once)",
            f"{result['effects']} / {result['distinct_effects']} (of {sent})",
        ),
        (
            "scale: redeliveries / non-2xx",
            f"{result['redelivered']} / {result['redelivered_non_2xx']}",
        ),
        ("scale: workers that handled events", str(result["workers"])),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label}: {figure}")
