"""A shop (Flask adapter) that fulfils each order in its own database transaction, through
:class:`~checkoutkit.stores.sqlalchemy.SqlAlchemyStore`: for the fault suite and benchmarks.

Serve it with several workers (``tests/`` on ``PYTHONPATH``)::

    gunicorn -w 4 -b 127.0.0.1:8000 'stores.sqla_shop:flask_app()'

Configured by the environment:

- ``SQLA_SHOP_URL``: the SQLAlchemy URL of the shop's database, e.g.
  ``postgresql+psycopg://checkoutkit@127.0.0.1:5432/postgres`` (SQLite works too);
- ``SQLA_SHOP_TABLE``: the event store's table; the orders go to ``<table>_orders``
  (``session_id``, ``pid``), with no unique constraint, so that a second fulfilment would show
  as a second row. :func:`create_tables` makes both (call it once, before the workers start);
  :func:`order_counts` reads the committed orders back;
- ``SHOP_URL``: the public URL of the endpoints (the success page's base);
- ``SQLA_SHOP_LEASE``: the claims' lease in seconds (default 60);
- ``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE`` (the sandbox), ``STRIPE_WEBHOOK_SECRET``;
- ``CK_FAULT_PLAN`` (optional): the fault plan's directory (``faults.faultpoints``). The fulfil
  callback then reaches ``callback:start``, ``callback:commit`` (the order row is written
  through the transaction's Session and nothing is committed yet: a ``kill`` there dies between
  the callback's last write and the commit) and ``callback:end`` (returned; the store records
  the fulfilment and commits right after), each with the key ``fulfil:<session id>``.

The fulfil callback takes the transaction's ``Session`` as its second argument and adds the
order through it: the order and the store's record of it commit together.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import sqlalchemy as sa

import checkoutkit
from checkoutkit.stores.sqlalchemy import SqlAlchemyStore

PRODUCT = checkoutkit.SessionBuilder.payment().add_price_data(
    currency="usd", name="T-shirt", unit_amount=2000, quantity=1
)


def tables(table: str) -> tuple[sa.MetaData, sa.Table]:
    """The shop's MetaData (the store's table goes on it too) and its orders table."""
    metadata = sa.MetaData()
    orders = sa.Table(
        f"{table}_orders",
        metadata,
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
    )
    return metadata, orders


def create_tables(url: str, table: str) -> None:
    """Create the event store's table and the orders table (as a migration would)."""
    engine = sa.create_engine(url)
    try:
        metadata, _ = tables(table)
        SqlAlchemyStore(engine, metadata=metadata, table=table)
        metadata.create_all(engine)
    finally:
        engine.dispose()


def order_counts(url: str, table: str) -> Counter[str]:
    """How many committed order rows each session id has."""
    engine = sa.create_engine(url)
    try:
        _, orders = tables(table)
        with engine.connect() as conn:
            return Counter(conn.scalars(sa.select(orders.c.session_id)))
    finally:
        engine.dispose()


def make_checkout(url: str, table: str) -> checkoutkit.Checkout:
    """The Checkout of one worker: its own engine and store over the shared database."""
    engine = sa.create_engine(url, pool_size=2, pool_pre_ping=True)
    metadata, orders = tables(table)
    store = SqlAlchemyStore(engine, metadata=metadata, table=table)
    lease = float(os.environ.get("SQLA_SHOP_LEASE", "60"))
    plan: Any = None
    if os.environ.get("CK_FAULT_PLAN"):
        from faults.faultpoints import Plan

        plan = Plan.from_env()

    def hit(point: str, key: str) -> None:
        if plan is not None:
            plan.hit(point, key)

    def fulfil(session: checkoutkit.CheckoutSession, db: sa.orm.Session) -> None:
        key = f"fulfil:{session.id}"
        hit("callback:start", key)
        db.execute(orders.insert().values(session_id=session.id, pid=os.getpid()))
        db.flush()
        hit("callback:commit", key)
        hit("callback:end", key)

    return checkoutkit.Checkout(
        gateway=checkoutkit.CheckoutGateway.from_env(),
        router=checkoutkit.WebhookRouter(
            secrets=os.environ["STRIPE_WEBHOOK_SECRET"], store=store, lease=lease
        ),
        store=store,
        build_session=lambda request: PRODUCT,
        fulfil=fulfil,
        base_url=os.environ["SHOP_URL"],
        lease=lease,
    )


def flask_app() -> Any:
    """The WSGI application of one worker; every answer names the worker's pid.

    ``app.extensions["sqla_shop.checkout"]`` is its Checkout (``.store.engine.dispose()``
    closes its connections, for in-process use).
    """
    import flask

    from checkoutkit.adapters.flask import blueprint

    app = flask.Flask(__name__)
    checkout = make_checkout(os.environ["SQLA_SHOP_URL"], os.environ["SQLA_SHOP_TABLE"])
    app.register_blueprint(blueprint(checkout))
    app.extensions["sqla_shop.checkout"] = checkout  # its store's engine: store.engine

    @app.after_request
    def name_worker(response: flask.Response) -> flask.Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    return app
