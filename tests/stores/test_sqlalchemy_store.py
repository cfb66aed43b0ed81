"""SqlAlchemyStore and AsyncSqlAlchemyStore on SQLite files and on a real PostgreSQL.

Each passes the store contract and the transactional contract (its work writes an effect row
through the Session the transaction hands it), and the model check; the rest covers what is
particular to SQLAlchemy: the application's MetaData (and Alembic's view of it), its
sessionmaker, and errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from checkoutkit import (
    ConfigurationError,
    EventStatus,
    MissingDependencyError,
    StoreUnavailableError,
)
from checkoutkit.stores import (
    AsyncTransactionalEventStore,
    Claim,
    ClaimOutcome,
    open_store,
)
from checkoutkit.stores.sqlalchemy import AsyncSqlAlchemyStore, SqlAlchemyStore
from servers import PostgresServer, free_port

from .contract import FakeClock, Harness, StoreContract, check_against_model
from .loop import LoopThread, SyncOverAsync
from .transactional import TransactionalContract, TxHarness

COMPLETED = "checkout.session.completed"


def _name() -> str:
    return f"ck_{uuid.uuid4().hex[:12]}"


def engine_for(url: str, *, is_async: bool = False, **options: Any) -> Any:
    """An engine (async for an async driver's URL) as an application configures one: SQLite in
    WAL mode with ``synchronous=NORMAL``, as SqliteStore uses it (a commit then waits for no
    disk flush, and readers never wait for the writer)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine: Any = (create_async_engine if is_async else sa.create_engine)(url, **options)
    if url.startswith("sqlite"):
        sync_engine = engine.sync_engine if is_async else engine

        @sa.event.listens_for(sync_engine, "connect")
        def wal(dbapi_connection: Any, record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

    return engine


def _pg_url(postgres: PostgresServer, driver: str = "psycopg") -> str:
    return f"postgresql+{driver}://checkoutkit@127.0.0.1:{postgres.port}/postgres"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(sync URL, async URL) of one empty database (PostgreSQL: fresh table names instead)."""
    if request.param == "sqlite":
        path = tmp_path / "shop.db"
        return f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}"
    url = _pg_url(request.getfixturevalue("postgres"))
    return url, url


class Effects:
    """The application's table that the work writes through the transaction's handle."""

    def __init__(self, engine: sa.Engine, metadata: sa.MetaData) -> None:
        self.engine = engine
        self.table = sa.Table(
            f"{_name()}_orders", metadata, sa.Column("session_id", sa.Text, nullable=False)
        )
        self.table.create(engine)

    def insert(self, key: str) -> Any:
        return self.table.insert().values(session_id=key)

    def rows(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(sa.select(self.table.c.session_id)))


def _advance(clock: FakeClock | None) -> Callable[[float], None]:
    return clock.advance if clock is not None else time.sleep


class TestSqlAlchemyStore(StoreContract, TransactionalContract):
    """The contracts through a sync Engine; on SQLite with a fake clock, on PostgreSQL with
    the server's clock and real short leases."""

    @pytest.fixture
    def setup(self, urls: tuple[str, str]) -> Iterator[tuple[SqlAlchemyStore, Any]]:
        engine = engine_for(urls[0])
        clock = FakeClock() if engine.dialect.name == "sqlite" else None
        metadata = sa.MetaData()
        table = _name()
        engines = [engine]

        def reopen() -> SqlAlchemyStore:
            engines.append(engine_for(urls[0]))
            return SqlAlchemyStore(engines[-1], table=table, clock=clock)

        store = SqlAlchemyStore(engine, metadata=metadata, table=table, clock=clock)
        store.create_all()
        yield store, (clock, reopen, Effects(engine, metadata))
        for each in engines:
            each.dispose()

    @pytest.fixture
    def harness(self, setup: tuple[SqlAlchemyStore, Any]) -> Harness:
        store, (clock, reopen, _) = setup
        return Harness(store, reopen=reopen, clock=clock, short_lease=0.3)

    @pytest.fixture
    def tx_harness(self, setup: tuple[SqlAlchemyStore, Any]) -> TxHarness:
        store, (clock, _, effects) = setup
        return TxHarness(
            store,
            write_effect=lambda session, key: session.execute(effects.insert(key)),
            effects=effects.rows,
            advance=_advance(clock),
        )


class TxSyncOverAsync(SyncOverAsync):
    """SyncOverAsync with the transaction, entered and left on the loop's thread."""

    @contextmanager
    def transaction(self, claim: Claim) -> Iterator[Any]:
        manager = self.inner.transaction(claim)  # type: ignore[attr-defined]
        handle = self.loop.run(manager.__aenter__())
        try:
            yield handle
        except BaseException as exc:
            if not self.loop.run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            self.loop.run(manager.__aexit__(None, None, None))


class TestAsyncSqlAlchemyStore(StoreContract, TransactionalContract):
    """The contracts through an AsyncEngine (aiosqlite, psycopg async), awaited on a loop in
    another thread, with the database's clock and real short leases."""

    @pytest.fixture
    def setup(self, urls: tuple[str, str]) -> Iterator[tuple[TxSyncOverAsync, Any]]:
        loop = LoopThread()
        sync_engine = engine_for(urls[0])
        metadata = sa.MetaData()
        table = _name()
        effects = Effects(sync_engine, metadata)
        engines: list[Any] = []

        async def make(create: bool) -> AsyncSqlAlchemyStore:
            engines.append(engine_for(urls[1], is_async=True))
            store = AsyncSqlAlchemyStore(engines[-1], metadata=metadata, table=table)
            if create:
                await store.create_all()
            return store

        def reopen() -> TxSyncOverAsync:
            return TxSyncOverAsync(loop, loop.run(make(False)))

        yield TxSyncOverAsync(loop, loop.run(make(True))), (reopen, effects, loop)
        for engine in engines:
            loop.run(engine.dispose())
        loop.stop()
        sync_engine.dispose()

    @pytest.fixture
    def harness(self, setup: tuple[TxSyncOverAsync, Any]) -> Harness:
        store, (reopen, _, _) = setup
        return Harness(store, reopen=reopen, short_lease=0.3)

    @pytest.fixture
    def tx_harness(self, setup: tuple[TxSyncOverAsync, Any]) -> TxHarness:
        store, (_, effects, loop) = setup
        return TxHarness(
            store,  # type: ignore[arg-type]
            write_effect=lambda session, key: loop.run(session.execute(effects.insert(key))),
            effects=effects.rows,
            advance=time.sleep,
        )

    def test_the_async_store_is_async_transactional(
        self, setup: tuple[TxSyncOverAsync, Any]
    ) -> None:
        """AsyncSqlAlchemyStore itself satisfies the async protocol."""
        assert isinstance(setup[0].inner, AsyncTransactionalEventStore)


def test_agrees_with_the_model(tmp_path: Path) -> None:
    """Random claims, renewals, completions, releases and clock moves answer as the model (on
    SQLite; PostgreSQL runs the same statements but for the dialect's INSERT)."""
    engine = engine_for(f"sqlite:///{tmp_path / 'model.db'}")
    table = _name()
    SqlAlchemyStore(engine, table=table).create_all()

    def make(clock: FakeClock) -> SqlAlchemyStore:
        store = SqlAlchemyStore(engine, table=table, clock=clock)
        with engine.begin() as conn:
            conn.execute(store.table.delete())
        return store

    try:
        check_against_model(make)
    finally:
        engine.dispose()


# -- the application's MetaData, Alembic, sessionmaker ------------------------------------------


def test_tables_land_on_the_applications_metadata_for_alembic(urls: tuple[str, str]) -> None:
    """Two stores on the app's MetaData: Alembic's autogenerate sees both tables (and their
    index) before they exist, and nothing to do once ``create_all`` made them."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = engine_for(urls[0])
    metadata = sa.MetaData()
    orders, refunds = _name(), _name()
    first = SqlAlchemyStore(engine, metadata=metadata, table=orders)
    second = SqlAlchemyStore(engine, metadata=metadata, table=refunds)
    again = SqlAlchemyStore(engine, metadata=metadata, table=orders)
    assert first.table is again.table is metadata.tables[orders]
    assert second.table is metadata.tables[refunds]
    ours = {orders, refunds}  # the database may hold other tests' tables: not compared
    opts = {"include_name": lambda name, kind, parent: kind != "table" or name in ours}
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
        added = {d[1].name for d in diff if d[0] == "add_table"}
        assert added == ours
        first.create_all()
        second.create_all()
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
        claim = first.claim("evt_1", type=COMPLETED)
        assert second.claim("evt_1", type=COMPLETED).outcome is ClaimOutcome.CLAIMED
        assert first.complete(claim)
        assert second.get("evt_1").status is EventStatus.PROCESSING  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_a_foreign_table_of_the_same_name_is_refused() -> None:
    """A MetaData whose table of that name is the application's own: ConfigurationError."""
    metadata = sa.MetaData()
    sa.Table("checkoutkit_events", metadata, sa.Column("id", sa.Integer, primary_key=True))
    with pytest.raises(ConfigurationError, match="not an event store"):
        SqlAlchemyStore(sa.create_engine("sqlite://"), metadata=metadata)


class Base(DeclarativeBase):
    """The application's declarative base (its MetaData gets the store's table too)."""


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str]


class ShopSession(Session):
    """The application's own Session class, made by its sessionmaker."""


def test_the_applications_sessionmaker_and_orm_models_are_used(tmp_path: Path) -> None:
    """The transaction's Session comes from the app's sessionmaker: its ORM rows commit with
    the record, and a failing work leaves neither."""
    engine = engine_for(f"sqlite:///{tmp_path / 'shop.db'}")
    factory = sessionmaker(engine, class_=ShopSession)
    store = SqlAlchemyStore(engine, metadata=Base.metadata, session_factory=factory)
    Base.metadata.create_all(engine)
    claim = store.claim("fulfil:cs_1", type=COMPLETED)

    def fail(session: Session) -> None:
        assert isinstance(session, ShopSession)
        session.add(Order(session_id="cs_1"))
        session.flush()
        raise RuntimeError("the warehouse is offline")

    with pytest.raises(RuntimeError), store.transaction(claim) as session:
        fail(session)
    assert store.release(claim, error="offline")
    claim = store.claim("fulfil:cs_1", type=COMPLETED)
    with store.transaction(claim) as session:
        session.add(Order(session_id="cs_1"))  # flushed by the store, before its record
    with factory() as session:
        assert [o.session_id for o in session.scalars(sa.select(Order))] == ["cs_1"]
    assert store.get("fulfil:cs_1").status is EventStatus.SUCCEEDED  # type: ignore[union-attr]
    engine.dispose()


def test_sessions_that_cannot_share_the_transaction_are_refused(tmp_path: Path) -> None:
    """A sessionmaker on another database, a session already in a transaction, or work that
    commits by itself: ConfigurationError, and the claim is still held."""
    from sqlalchemy.orm import scoped_session

    engine = engine_for(f"sqlite:///{tmp_path / 'shop.db'}")
    other = engine_for(f"sqlite:///{tmp_path / 'other.db'}")
    scoped = scoped_session(sessionmaker(engine))
    scoped.execute(sa.text("SELECT 1"))  # the request's session, in its own transaction
    for factory, message in [(sessionmaker(other), "another database"), (scoped, "already")]:
        store = SqlAlchemyStore(engine, table=_name(), session_factory=factory)
        store.create_all()
        claim = store.claim("evt_1", type=COMPLETED)
        with pytest.raises(ConfigurationError, match=message), store.transaction(claim):
            pass
    store = SqlAlchemyStore(engine, table=_name())
    store.create_all()
    claim = store.claim("evt_1", type=COMPLETED)
    with pytest.raises(ConfigurationError, match="committed"), store.transaction(claim) as s:
        s.commit()
    assert store.get("evt_1").status is EventStatus.PROCESSING  # type: ignore[union-attr]
    scoped.remove()
    engine.dispose()
    other.dispose()


# -- errors --------------------------------------------------------------------------------------


def test_unsupported_arguments_are_refused(tmp_path: Path) -> None:
    """Not an engine, an async engine for the sync store, a bad clock or table name."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    async_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    bad: list[Callable[[], object]] = [
        lambda: SqlAlchemyStore("sqlite://"),  # type: ignore[arg-type]
        lambda: SqlAlchemyStore(async_engine),  # type: ignore[arg-type]
        lambda: AsyncSqlAlchemyStore(engine),  # type: ignore[arg-type]
        lambda: SqlAlchemyStore(engine, clock=42),  # type: ignore[arg-type]
        lambda: SqlAlchemyStore(engine, table=""),
        lambda: SqlAlchemyStore(engine, metadata={}),  # type: ignore[arg-type]
        lambda: SqlAlchemyStore.from_url("not a url"),
    ]
    for make in bad:
        with pytest.raises(ConfigurationError):
            make()
    store = SqlAlchemyStore(engine)
    store.create_all()
    assert store.complete(store.claim("evt_1", type=COMPLETED))
    done = store.claim("evt_1", type=COMPLETED)
    assert done.outcome is ClaimOutcome.DONE
    with pytest.raises(ConfigurationError), store.transaction(done):
        pass
    engine.dispose()


@pytest.mark.services
def test_a_connection_lost_before_the_record_is_store_unavailable(
    postgres: PostgresServer,
) -> None:
    """The work's connection killed by the server before the store records the work:
    StoreUnavailableError, the effect is not committed, the claim is still held and the next
    attempt commits the effect once."""
    import psycopg

    engine = engine_for(_pg_url(postgres))
    metadata = sa.MetaData()
    store = SqlAlchemyStore(engine, metadata=metadata, table=_name())
    effects = Effects(engine, metadata)
    store.create_all()
    claim = store.claim("fulfil:cs_1", type=COMPLETED)

    def write_then_lose_the_connection(session: Session) -> None:
        session.execute(effects.insert("cs_1"))
        pid = session.scalar(sa.text("SELECT pg_backend_pid()"))
        with psycopg.connect(postgres.dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(StoreUnavailableError), store.transaction(claim) as session:
        write_then_lose_the_connection(session)
    assert effects.rows() == []
    assert store.get("fulfil:cs_1").status is EventStatus.PROCESSING  # type: ignore[union-attr]
    assert store.release(claim, error="lost")
    again = store.claim("fulfil:cs_1", type=COMPLETED)
    with store.transaction(again) as session:
        session.execute(effects.insert("cs_1"))
    assert effects.rows() == ["cs_1"]
    engine.dispose()


def test_an_unreachable_database_is_store_unavailable() -> None:
    """Every call of both stores on a server nobody answers: StoreUnavailableError."""
    from sqlalchemy.ext.asyncio import create_async_engine

    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x?connect_timeout=2"
    store = SqlAlchemyStore(sa.create_engine(url))
    with pytest.raises(StoreUnavailableError):
        store.claim("evt_1", type=COMPLETED)
    with pytest.raises(StoreUnavailableError):
        store.records()
    held = Claim(ClaimOutcome.CLAIMED, "evt_1", "0" * 32, 1)
    with pytest.raises(StoreUnavailableError):
        store.complete(held)
    store.engine.dispose()
    loop = LoopThread()
    try:
        async_store = AsyncSqlAlchemyStore(create_async_engine(url))
        with pytest.raises(StoreUnavailableError):
            loop.run(async_store.claim("evt_1", type=COMPLETED))
        with pytest.raises(StoreUnavailableError):
            loop.run(async_store.renew(held, lease=30))
        loop.run(async_store.engine.dispose())
    finally:
        loop.stop()


def test_a_locked_sqlite_database_is_store_unavailable(tmp_path: Path) -> None:
    """A writer that holds SQLite's lock past the driver's timeout: StoreUnavailableError."""
    import sqlite3

    path = tmp_path / "shop.db"
    engine = engine_for(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    store = SqlAlchemyStore(engine)
    store.create_all()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError):
            store.claim("evt_1", type=COMPLETED)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.claim("evt_1", type=COMPLETED).outcome is ClaimOutcome.CLAIMED
    engine.dispose()


# -- open_store and the extra --------------------------------------------------------------------


def test_open_store_takes_a_sqlalchemy_url(tmp_path: Path) -> None:
    """``sqlalchemy+<URL>`` opens a SqlAlchemyStore on its own engine, closed with the store."""
    store = open_store(f"sqlalchemy+sqlite:///{tmp_path / 'shop.db'}")
    assert isinstance(store, SqlAlchemyStore)
    store.create_all()
    assert store.complete(store.claim("evt_1", type=COMPLETED))
    store.close()
    with pytest.raises((ConfigurationError, MissingDependencyError)):
        open_store("sqlalchemy+nosuchdialect://x")


def test_missing_sqlalchemy_names_the_extra() -> None:
    """Without SQLAlchemy, creating the store raises MissingDependencyError naming the extra."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "sqlalchemy":
            raise ImportError(name)
sys.meta_path.insert(0, Block())
from checkoutkit import MissingDependencyError
from checkoutkit.stores.sqlalchemy import SqlAlchemyStore
try:
    SqlAlchemyStore(None)
except MissingDependencyError as exc:
    print(exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert "checkoutkit[sqlalchemy]" in out


def test_an_error_with_nul_characters_is_kept_readable(urls: tuple[str, str]) -> None:
    """A release whose error holds NUL (which PostgreSQL's text refuses) is recorded."""
    engine = engine_for(urls[0])
    store = SqlAlchemyStore(engine, table=_name())
    store.create_all()
    claim = store.claim("evt_1", type=COMPLETED)
    assert store.release(claim, error="ValueError: a\x00b")
    record = store.get("evt_1")
    assert record is not None
    assert record.last_error in ("ValueError: a\x00b", "ValueError: a\ufffdb")
    assert record.status is EventStatus.PENDING
    engine.dispose()


# -- the shop served for the fault suite, and replay ---------------------------------------------


@pytest.mark.services
def test_the_sqla_shop_commits_one_order_per_paid_session(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqla_shop`` on PostgreSQL: the success page, reloaded, and the webhook, delivered
    twice, leave one committed order row, recorded as fulfilled."""
    import httpx

    from checkoutkit.sandbox import Sandbox
    from checkoutkit.testing import sign_payload

    from . import sqla_shop

    url, table = _pg_url(postgres), _name()
    sqla_shop.create_tables(url, table)
    with Sandbox() as sandbox:
        for name, value in {
            "SQLA_SHOP_URL": url,
            "SQLA_SHOP_TABLE": table,
            "SHOP_URL": "http://shop.test",
            "STRIPE_SECRET_KEY": "sk_test_checkoutkit_sqla",
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
        }.items():
            monkeypatch.setenv(name, value)
        app = sqla_shop.flask_app()
        client = app.test_client()
        created = client.post("/create-checkout-session", headers={"Accept": "application/json"})
        session_id = created.get_json()["id"]
        sandbox.pay(session_id, card="4242424242424242")
        assert client.get(f"/success?session_id={session_id}").status_code == 200
        assert client.get(f"/success?session_id={session_id}").status_code == 200
        events = httpx.get(
            f"{sandbox.url}/v1/events",
            params={"type": "checkout.session.completed"},
            headers={"Authorization": "Bearer sk_test_checkoutkit_sqla"},
        ).json()["data"]
        (event,) = (e for e in events if e["data"]["object"]["id"] == session_id)
        body = json.dumps(event).encode()
        headers = {"Stripe-Signature": sign_payload(body, sandbox.webhook_secret)}
        for _ in range(2):
            assert client.post("/webhook", data=body, headers=headers).status_code == 200
    app.extensions["sqla_shop.checkout"].store.engine.dispose()
    assert sqla_shop.order_counts(url, table) == {session_id: 1}
    store = SqlAlchemyStore(sa.create_engine(url), table=table)
    record = store.get(f"fulfil:{session_id}")
    assert record is not None
    assert record.status is EventStatus.SUCCEEDED
    store.engine.dispose()


REPLAY_APP = """
import os
import sqlalchemy as sa
from checkoutkit import WebhookRouter
from checkoutkit.stores.sqlalchemy import SqlAlchemyStore
from checkoutkit.testing import TEST_SECRET

store = SqlAlchemyStore.from_url(os.environ["CK_DB"])
router = WebhookRouter(secrets=TEST_SECRET, store=store, store_payload=True)

@router.on("checkout.session.*", transactional=True)
def fulfil(event, db):
    db.execute(sa.text("INSERT INTO effects (event_id) VALUES (:id)"), {"id": event.id})
    if os.environ.get("CK_MODE") == "first" and event.id.startswith("evt_temp"):
        raise RuntimeError("database hiccup")
"""


def test_replay_reruns_a_pending_event_in_its_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``checkoutkit replay --store sqlalchemy+sqlite:///…`` runs the event whose transactional
    handler failed (its effect rolled back) once more: one effect, recorded as succeeded."""
    import runpy

    from checkoutkit.testing import TEST_SECRET, checkout_event, checkout_session, signed_request

    db = f"sqlite:///{tmp_path / 'shop.db'}"
    (tmp_path / "replay_app.py").write_text(REPLAY_APP)
    engine = engine_for(db)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE effects (event_id TEXT NOT NULL)"))
    SqlAlchemyStore(engine).create_all()
    monkeypatch.setenv("CK_DB", db)
    monkeypatch.setenv("CK_MODE", "first")
    app = runpy.run_path(str(tmp_path / "replay_app.py"))
    statuses = []
    for event_id in ("evt_ok_1", "evt_temp_1"):
        body = checkout_event("checkout.session.completed", checkout_session(), event_id=event_id)
        statuses.append(app["router"].handle(*signed_request(body, TEST_SECRET)).status)
    app["store"].close()
    assert statuses == [200, 500]

    def effects() -> list[str]:
        with engine.connect() as conn:
            return sorted(conn.scalars(sa.text("SELECT event_id FROM effects")))

    assert effects() == ["evt_ok_1"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    env["CK_MODE"] = "replay"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkoutkit",
            "replay",
            "--store",
            f"sqlalchemy+{db}",
            "--router",
            "replay_app:router",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "evt_temp_1 checkout.session.completed: handled" in result.stdout
    assert effects() == ["evt_ok_1", "evt_temp_1"]
    store = SqlAlchemyStore(engine)
    assert store.get("evt_temp_1").status is EventStatus.SUCCEEDED  # type: ignore[union-attr]
    engine.dispose()
