"""Fulfilment in the application's own transaction: claim + fulfil + commit per paid session.

Each row runs ``Checkout.fulfil_session`` for distinct paid sessions, with a fulfil callback
that inserts one order row in the transaction the store opens (through the SQLAlchemy
``Session`` it is handed; through the Django ORM, whose writes join it), against a throw-away
PostgreSQL server with its durable defaults. Per session:
the claim commits on its own, then the order and the store's record commit together.

The reference, measured in the same run on the same server: ``PostgresStore`` claim +
complete per event (the two commits every exactly-once handling costs). Target: each
transactional row ≤ 2x the reference. A third row runs the transactional protocol's statements
on bare psycopg, so that the cost of the design and the cost of the ORM show apart.
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


def _protocol_floor(dsn: str) -> float:
    """The same statements on a bare psycopg connection, without any library: the claim
    (autocommit), then BEGIN, the order's INSERT, the record's UPDATE and COMMIT."""
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    suffix = uuid.uuid4().hex[:8]
    conn.execute(f"CREATE TABLE floor_ev_{suffix} (key text PRIMARY KEY, status text)")
    conn.execute(f"CREATE TABLE floor_o_{suffix} (session_id text)")

    def make(repeat: int) -> Callable[[], object]:
        keys = [f"evt_{repeat}_{i}" for i in range(EVENTS)]

        def loop() -> None:
            for key in keys:
                conn.execute(f"INSERT INTO floor_ev_{suffix} VALUES (%s, 'processing')", (key,))
                with conn.transaction():
                    conn.execute(f"INSERT INTO floor_o_{suffix} VALUES (%s)", (key,))
                    conn.execute(
                        f"UPDATE floor_ev_{suffix} SET status = 'succeeded' WHERE key = %s",
                        (key,),
                    )

        return loop

    try:
        return _best(make)
    finally:
        conn.close()


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


def _django(port: int) -> float:
    import os

    import django
    from django.conf import settings
    from django.core.management import call_command

    from checkoutkit.stores.django import DjangoStore

    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "postgres",
                "USER": "checkoutkit",
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "CONN_MAX_AGE": None,
            }
        },
        INSTALLED_APPS=["checkoutkit.stores.django", "stores.django_shop"],
        USE_TZ=True,
    )
    django.setup()
    call_command("migrate", verbosity=0)
    from stores.django_shop.models import Order

    pid = os.getpid()

    def fulfil(session: Any) -> None:  # the ORM write joins the store's transaction
        Order.objects.create(session_id=session.id, pid=pid)

    return _best(_fulfil_loop(_checkout(DjangoStore(), fulfil)))


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
        floor = _protocol_floor(server.dsn)
        rows.append(
            (
                "the same protocol on bare psycopg",
                f"{floor * 1e6:7.1f} µs/event; {floor / reference:.2f}x (no library: the cost "
                "of the design itself)",
            )
        )
        for name, bench in (("SqlAlchemyStore", _sqlalchemy), ("DjangoStore", _django)):
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
