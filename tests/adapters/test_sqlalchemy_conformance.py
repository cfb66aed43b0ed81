"""The conformance suite's fulfilment tests with the SQLAlchemy stores, end to end.

Flask runs :class:`SqlAlchemyStore` (a plain fulfil callback), FastAPI and Litestar
:class:`AsyncSqlAlchemyStore` (an ``async`` one, on aiosqlite). The fulfil callback writes the
order through the Session its transaction hands it, and ``shop.orders`` reads the orders table
back: an order counts only once committed, together with the store's record of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from adapter_harness import (
    BASE_URL,
    Shop,
    fastapi_request,
    flask_request,
    litestar_request,
    session_params,
)
from test_conformance import (  # collected here again, with this module's ``shop``
    _together,
    test_a_failing_fulfilment_is_500_then_the_redelivery_fulfils_once,  # noqa: F401
    test_declined_card_creates_no_order,  # noqa: F401
    test_delayed_payment_failure_calls_the_failure_callback_only,  # noqa: F401
    test_delayed_payment_fulfils_only_when_it_succeeds,  # noqa: F401
    test_expired_session_calls_the_expiry_callback_not_the_failure_one,  # noqa: F401
    test_success_page_fulfils_a_paid_session_once,  # noqa: F401
    test_success_page_of_an_unpaid_session_does_not_fulfil,  # noqa: F401
    test_success_page_then_webhook_fulfil_once,  # noqa: F401
    test_webhook_fulfils_and_a_duplicate_is_200_without_rerun,  # noqa: F401
)

from checkoutkit import Checkout, CheckoutGateway, WebhookRouter
from checkoutkit._events import CheckoutSession
from checkoutkit.testing import TEST_SECRET

FRAMEWORKS = ["flask", "fastapi", "litestar"]


class Orders:
    """The committed rows of the orders table, compared and counted like a list."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, engine: sa.Engine, table: sa.Table) -> None:
        self._engine = engine
        self._table = table

    def _rows(self) -> list[str]:
        with self._engine.connect() as conn:
            return list(conn.scalars(sa.select(self._table.c.session_id)))

    def __eq__(self, other: object) -> bool:
        return self._rows() == other

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())

    def __repr__(self) -> str:
        return repr(self._rows())


def _wal(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def wal(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def sqlalchemy_shop(
    framework: str, sandbox: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> Shop:
    """The harness's shop with a SQLAlchemy store and an orders table on one SQLite file."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from checkoutkit.stores.sqlalchemy import AsyncSqlAlchemyStore, SqlAlchemyStore

    path = tmp_path / "shop.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    _wal(engine)
    request.addfinalizer(engine.dispose)
    metadata = sa.MetaData()
    orders = sa.Table("orders", metadata, sa.Column("session_id", sa.Text, nullable=False))
    store: Any
    if framework == "flask":
        store = SqlAlchemyStore(engine, metadata=metadata)
    else:
        # NullPool: no connection outlives its use, so none is left on the client's event
        # loop when the test client closes it.
        async_engine = create_async_engine(f"sqlite+aiosqlite:///{path}", poolclass=NullPool)
        _wal(async_engine.sync_engine)
        store = AsyncSqlAlchemyStore(async_engine, metadata=metadata)
    metadata.create_all(engine)
    failures_left = [0]
    failed: list[str] = []
    expired: list[str] = []

    def order(session: CheckoutSession, db: Any) -> Any:
        if failures_left[0] > 0:
            failures_left[0] -= 1
            raise RuntimeError("the warehouse is offline")
        return db.execute(orders.insert().values(session_id=session.id))

    def fulfil(session: CheckoutSession, db: Any) -> None:
        order(session, db)

    async def fulfil_async(session: CheckoutSession, db: Any) -> None:
        await order(session, db)

    gateway = CheckoutGateway.for_sandbox(sandbox)
    checkout = Checkout(
        gateway=gateway,
        router=WebhookRouter(secrets=TEST_SECRET, store=store),
        store=store,
        fulfil=fulfil if framework == "flask" else fulfil_async,
        on_payment_failed=lambda s: failed.append(s.id),
        on_expired=lambda s: expired.append(s.id),
        base_url=BASE_URL,
        build_session=session_params,
    )
    if framework == "flask":
        send = flask_request(checkout)
        request.addfinalizer(gateway.close)
    elif framework == "fastapi":
        send = fastapi_request(checkout, gateway, request.addfinalizer)
    else:
        send = litestar_request(checkout, gateway, request.addfinalizer)
    return Shop(
        framework,
        sandbox,
        checkout,
        send,
        Orders(engine, orders),  # type: ignore[arg-type]
        failures_left,
        failed,
        expired,
    )


@pytest.fixture(params=FRAMEWORKS)
def shop(request: pytest.FixtureRequest, sandbox: Any, tmp_path: Path) -> Shop:
    return sqlalchemy_shop(request.param, sandbox, request, tmp_path)


def test_success_page_and_webhook_together_commit_one_order(shop: Shop) -> None:
    """The success page and the webhook at once, three times: one order each, and the
    redelivery of the webhook answers 200 without a second one."""
    for _ in range(3):
        session_id = shop.create_session()
        shop.pay(session_id)
        body = shop.event_body(session_id, "checkout.session.completed")
        page, hook = _together(shop, session_id, body)
        assert page.status == 200
        assert hook.status in (200, 409)
        assert shop.deliver(body).status == 200
    assert len(shop.orders) == len(set(shop.orders)) == 3
