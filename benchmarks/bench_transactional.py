"""Fulfilment in the application's own transaction: claim + fulfil + commit per paid session.

Each row runs ``Checkout.fulfil_session`` for distinct paid sessions, with a fulfil callback
that inserts one order row through the transaction it is handed (SQLAlchemy ``Session``,
Django ORM), against a throw-away PostgreSQL server with its durable defaults. Per session:
the claim commits on its own, then the order and the store's record commit together.

The reference, measured in the same run on the same server: ``PostgresStore`` claim +
complete per event (the two commits every exactly-once handling costs). Target: each
transactional row ≤ 2x the reference.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
EVENTS = 300
TARGET_RATIO = 2.0


def _best(make: Callable[[int], Callable[[], object]]) -> float:
    """Best per-event time (seconds) over REPEATS fresh batches of EVENTS events."""
    best = float("inf")
    for repeat in range(REPEATS):
        loop = make(repeat)
        start = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - start)
    return best / EVENTS


def _sessions(repeat: int) -> list[Any]:
    """Distinct paid sessions created through a Checkout (the origin marker set)."""
    from checkoutkit import Event, testing

    return [
        Event.from_dict(
            json.loads(
                testing.completed(
                    id=f"cs_test_b{repeat}x{i}{uuid.uuid4().hex[:8]}",
                    metadata={"checkoutkit_origin": "checkoutkit"},
                )
            )
        ).session
        for i in range(EVENTS)
    ]


def _checkout(store: Any, fulfil: Callable[..., None]) -> Any:
    import stripe

    import checkoutkit

    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway(stripe.StripeClient("sk_test_bench")),
        router=checkoutkit.WebhookRouter(secrets="whsec_bench", store=store),
        store=store,
        build_session=lambda request: None,
        fulfil=fulfil,
        base_url="https://shop.example",
    )


def _fulfil_loop(checkout: Any) -> Callable[[int], Callable[[], object]]:
    from checkoutkit import FulfilOutcome

    def make(repeat: int) -> Callable[[], object]:
        sessions = _sessions(repeat)

        def loop() -> None:
            for session in sessions:
                if checkout.fulfil_session(session) is not FulfilOutcome.FULFILLED:
                    raise AssertionError(session.id)

        return loop

    return make


def _reference(dsn: str) -> float:
    from checkoutkit.stores.postgres import PostgresStore

    store = PostgresStore(dsn, pool_size=1, table=f"ref_{uuid.uuid4().hex[:8]}")
    store.claim("warm-up", type="x")

    def make(repeat: int) -> Callable[[], object]:
        keys = [f"evt_{repeat}_{i}" for i in range(EVENTS)]

        def loop() -> None:
            for key in keys:
                if not store.complete(store.claim(key, type="checkout.session.completed")):
                    raise AssertionError(key)

        return loop

    try:
        return _best(make)
    finally:
        store.close()


def _sqlalchemy(port: int) -> float:
    import sqlalchemy as sa

    from checkoutkit.stores.sqlalchemy import SqlAlchemyStore

    engine = sa.create_engine(
        f"postgresql+psycopg://checkoutkit@127.0.0.1:{port}/postgres", pool_size=2
    )
    metadata = sa.MetaData()
    orders = sa.Table("bench_orders", metadata, sa.Column("session_id", sa.Text))
    store = SqlAlchemyStore(engine, metadata=metadata, table=f"sqla_{uuid.uuid4().hex[:8]}")
    metadata.create_all(engine)

    def fulfil(session: Any, db: Any) -> None:
        db.execute(orders.insert().values(session_id=session.id))

    try:
        return _best(_fulfil_loop(_checkout(store, fulfil)))
    finally:
        engine.dispose()


def _row(name: str, per_event: float, reference: float) -> tuple[str, str]:
    ratio = per_event / reference
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    return (
        f"{name} claim + fulfil + commit",
        f"{per_event * 1e6:7.1f} µs/event; {ratio:.2f}x PostgresStore claim + complete "
        f"({reference * 1e6:.1f} µs; target ≤ {TARGET_RATIO:.0f}x, {verdict})",
    )


def run() -> list[tuple[str, str]]:
    """Measure the transactional stores against PostgresStore on one PostgreSQL server."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from servers import postgres_server

        server_cm = postgres_server(fsync=True)
        server = server_cm.__enter__()
    except (ImportError, RuntimeError, OSError) as exc:
        return [("transactional stores", f"not measured: {exc}")]
    try:
        reference = _reference(server.dsn)
        rows = [("PostgresStore claim + complete", f"{reference * 1e6:7.1f} µs/event")]
        for name, bench in (("SqlAlchemyStore", _sqlalchemy),):
            try:
                rows.append(_row(name, bench(server.port), reference))
            except ImportError as exc:
                rows.append((f"{name} claim + fulfil + commit", f"not measured: {exc}"))
        return rows
    finally:
        server_cm.__exit__(None, None, None)


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:45} {figure}")
