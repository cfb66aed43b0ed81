"""DjangoStore passes the store contract and the transactional contract, on SQLite and PostgreSQL.

Django is configured once per test process (:mod:`django_project`); each test starts from an
empty ``checkoutkit_event`` table in a SQLite file (``events``) or in a database of the tests'
real PostgreSQL server (``postgres``). The effect the transactional contract writes is an
``Order`` row of the test shop's app (``stores.django_shop``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from checkoutkit import ConfigurationError, EventStatus, StoreError, StoreUnavailableError
from checkoutkit.stores import ClaimOutcome, EventStore, TransactionalEventStore
from django_project import EVENTS, add_database, add_postgres, configure_django, empty, migrated
from servers import PostgresServer, free_port

from .contract import FakeClock, Harness, StoreContract, check_against_model
from .transactional import TransactionalContract, TxHarness

configure_django()

from django.db import connections, transaction  # noqa: E402  (needs the settings above)

from checkoutkit.stores.django import DjangoStore  # noqa: E402
from stores.django_shop.models import Order  # noqa: E402

COMPLETED = "checkout.session.completed"


class ThreadTidyDjangoStore(DjangoStore):
    """A DjangoStore that closes the connection a helper thread opened once a call returns.

    Django opens a connection per thread and leaves closing it to the thread's owner (its
    request cycle); the contract calls the store from short-lived threads of its own, whose
    SQLite connections Python 3.13 would report as unclosed. Closing them changes no answer:
    the next call in that thread connects again.
    """

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or name == "transaction" or not callable(attribute):
            return attribute
        using = super().__getattribute__("using")

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            finally:
                _tidy(using)

        return call


def _tidy(alias: str) -> None:
    """Close a helper thread's connection to ``alias`` (the main thread's stays open)."""
    if threading.current_thread() is not threading.main_thread():
        connection = connections[alias]
        if not connection.in_atomic_block:
            connection.close()


def write_order(using: Any, key: str) -> None:
    """The work's effect: an order row, written through the ORM on the transaction's alias."""
    Order.objects.using(using).create(session_id=key, pid=0)


def orders(alias: str) -> Callable[[], list[str]]:
    def committed() -> list[str]:
        try:
            return sorted(Order.objects.using(alias).values_list("session_id", flat=True))
        finally:
            _tidy(alias)

    return committed


def _harness(alias: str, clock: FakeClock | None, short_lease: float) -> Harness:
    empty(alias)
    return Harness(
        ThreadTidyDjangoStore(using=alias, clock=clock),
        reopen=lambda: ThreadTidyDjangoStore(using=alias, clock=clock),
        clock=clock,
        short_lease=short_lease,
    )


def _tx_harness(alias: str, clock: FakeClock | None, short_lease: float) -> TxHarness:
    harness = _harness(alias, clock, short_lease)
    store = harness.store
    assert isinstance(store, DjangoStore)
    return TxHarness(
        store,
        write_effect=write_order,
        effects=orders(alias),
        advance=harness.advance,
        short_lease=short_lease,
    )


@pytest.fixture(scope="module")
def sqlite_alias() -> str:
    return migrated(EVENTS)


@pytest.fixture(scope="module")
def postgres_alias(postgres: PostgresServer) -> str:
    return add_postgres(postgres)


class TestDjangoStoreOnSqlite(StoreContract):
    """The contract on a SQLite file with a fake clock; a restart is a new store object."""

    @pytest.fixture
    def harness(self, sqlite_alias: str) -> Harness:
        return _harness(sqlite_alias, FakeClock(), 0.3)


class TestDjangoStoreOnSqliteTransactions(TransactionalContract):
    """The transactional contract on a SQLite file with a fake clock."""

    @pytest.fixture
    def tx_harness(self, sqlite_alias: str) -> TxHarness:
        return _tx_harness(sqlite_alias, FakeClock(), 0.3)


@pytest.mark.services
class TestDjangoStoreOnPostgres(StoreContract):
    """The contract on a real PostgreSQL with the real clock and short real leases."""

    @pytest.fixture
    def harness(self, postgres_alias: str) -> Harness:
        return _harness(postgres_alias, None, 0.3)


@pytest.mark.services
class TestDjangoStoreOnPostgresTransactions(TransactionalContract):
    """The transactional contract on a real PostgreSQL with real leases."""

    @pytest.fixture
    def tx_harness(self, postgres_alias: str) -> TxHarness:
        return _tx_harness(postgres_alias, None, 0.3)


@pytest.mark.slow
def test_matches_the_reference_model(sqlite_alias: str) -> None:
    """Random sequences of store calls give the model's answers (SQLite, fake clock)."""

    def make(clock: FakeClock) -> EventStore:
        empty(sqlite_alias)
        return DjangoStore(using=sqlite_alias, clock=clock)

    check_against_model(make)


def test_satisfies_both_protocols(sqlite_alias: str) -> None:
    """A DjangoStore is an EventStore and a TransactionalEventStore; its repr names the alias."""
    store = DjangoStore(using=sqlite_alias)
    assert isinstance(store, EventStore)
    assert isinstance(store, TransactionalEventStore)
    assert repr(store) == f"DjangoStore(using={sqlite_alias!r})"


@pytest.mark.parametrize("action", ["claim", "renew", "complete", "release", "transaction"])
def test_refuses_to_run_inside_an_atomic_block(sqlite_alias: str, action: str) -> None:
    """Claims and their ends must commit on their own: inside atomic() they are refused."""
    empty(sqlite_alias)
    store = DjangoStore(using=sqlite_alias)
    held = store.claim("evt_1", type=COMPLETED, lease=30)
    calls: dict[str, Callable[[], object]] = {
        "claim": lambda: store.claim("evt_2", type=COMPLETED),
        "renew": lambda: store.renew(held, lease=30),
        "complete": lambda: store.complete(held),
        "release": lambda: store.release(held, error="boom"),
        "transaction": lambda: store.transaction(held).__enter__(),
    }
    with (
        transaction.atomic(using=sqlite_alias),
        pytest.raises(ConfigurationError, match="non_atomic_requests"),
    ):
        calls[action]()
    assert store.get("evt_2") is None
    record = store.get("evt_1")
    assert record is not None
    assert record.status is EventStatus.PROCESSING
    assert store.complete(held)


def test_an_atomic_block_on_another_database_is_no_obstacle(sqlite_alias: str) -> None:
    """Only a transaction on the store's own database matters."""
    migrated("default")
    empty(sqlite_alias)
    store = DjangoStore(using=sqlite_alias)
    with transaction.atomic(using="default"):
        claim = store.claim("evt_1", type=COMPLETED)
        assert claim.outcome is ClaimOutcome.CLAIMED
        assert store.complete(claim)


def test_work_errors_propagate_unchanged_and_roll_back(sqlite_alias: str) -> None:
    """A database error raised by the work itself is the work's failure: not a store error."""
    from django.db import OperationalError

    empty(sqlite_alias)
    store = DjangoStore(using=sqlite_alias)
    claim = store.claim("evt_1", type=COMPLETED)
    failure = OperationalError("the work's own failure")

    def work(using: str) -> None:
        write_order(using, "evt_1")
        raise failure

    with pytest.raises(OperationalError) as raised, store.transaction(claim) as using:
        work(using)
    assert raised.value is failure
    assert orders(sqlite_alias)() == []
    assert not connections[sqlite_alias].in_atomic_block


def test_long_keys_are_refused(sqlite_alias: str) -> None:
    """The key column holds 255 characters: a longer key is a ConfigurationError."""
    store = DjangoStore(using=sqlite_alias)
    with pytest.raises(ConfigurationError, match="255"):
        store.claim("evt_" + "x" * 252, type=COMPLETED)
    with pytest.raises(ConfigurationError, match="255"):
        store.claim("evt_1", type="t" * 256)


@pytest.mark.parametrize("alias", [EVENTS, pytest.param("postgres", marks=pytest.mark.services)])
def test_nul_is_refused_in_keys_and_spelled_out_in_errors(
    alias: str, request: pytest.FixtureRequest
) -> None:
    """Keys with a NUL are refused; errors keep it (spelled ``\\x00`` on PostgreSQL, whose text
    holds no NUL)."""
    name = migrated(alias) if alias == EVENTS else request.getfixturevalue("postgres_alias")
    empty(name)
    store = DjangoStore(using=name)
    with pytest.raises(ConfigurationError, match="NUL"):
        store.claim("evt_\x00", type=COMPLETED)
    with pytest.raises(ConfigurationError, match="NUL"):
        store.claim("evt_1", type="a\x00b")
    claim = store.claim("evt_1", type=COMPLETED)
    assert store.release(claim, error="ValueError: bad byte \x00 here")
    record = store.get("evt_1")
    assert record is not None
    kept = "\\x00" if alias == "postgres" else "\x00"
    assert record.last_error == f"ValueError: bad byte {kept} here"


def test_unknown_alias_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no such database"):
        DjangoStore(using="nowhere").get("evt_1")
    with pytest.raises(ConfigurationError):
        DjangoStore(using="")


def test_missing_table_says_to_migrate(tmp_path: Any) -> None:
    """A database without the migration applied gives a StoreError that says to migrate."""
    add_database(
        "unmigrated",
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "empty.sqlite3")},
    )
    store = DjangoStore(using="unmigrated")
    with pytest.raises(StoreError, match="migrate") as raised:
        store.claim("evt_1", type=COMPLETED)
    assert not isinstance(raised.value, StoreUnavailableError)
    with pytest.raises(StoreError, match="migrate"):
        store.records()
    connections["unmigrated"].close()


@pytest.fixture
def unreachable() -> str:
    """An alias of a PostgreSQL server that does not run (nobody listens on its port)."""
    pytest.importorskip("psycopg")
    alias = f"unreachable_{free_port()}"
    add_database(
        alias,
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "shop",
            "USER": "checkoutkit",
            "HOST": "127.0.0.1",
            "PORT": alias.rsplit("_", 1)[1],
            "OPTIONS": {"connect_timeout": 2},
        },
    )
    return alias


def test_an_unreachable_database_is_store_unavailable(unreachable: str) -> None:
    """Every call raises StoreUnavailableError when the database cannot be reached."""
    from checkoutkit.stores import Claim

    store = DjangoStore(using=unreachable)
    held = Claim(ClaimOutcome.CLAIMED, "evt_1", "t" * 32, 1)
    calls: list[Callable[[], object]] = [
        lambda: store.claim("evt_1", type=COMPLETED),
        lambda: store.renew(held, lease=30),
        lambda: store.complete(held),
        lambda: store.release(held, error="boom"),
        lambda: store.requeue("evt_1"),
        lambda: store.get("evt_1"),
        store.records,
        lambda: store.transaction(held).__enter__(),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailableError, match=unreachable):
            call()
    assert not connections[unreachable].in_atomic_block


@pytest.mark.services
def test_a_connection_lost_before_the_commit_is_store_unavailable(postgres_alias: str) -> None:
    """The server ends the transaction's connection while the work runs: nothing commits,
    StoreUnavailableError (not the driver's error), and the next call connects again."""
    import psycopg

    empty(postgres_alias)
    store = DjangoStore(using=postgres_alias)
    claim = store.claim("evt_1", type=COMPLETED, lease=30)
    settings = connections[postgres_alias].settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname=postgres"

    def work_whose_connection_ends(using: str) -> None:
        write_order(using, "evt_1")
        pid = connections[using].connection.info.backend_pid
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(StoreUnavailableError), store.transaction(claim) as using:
        work_whose_connection_ends(using)
    assert orders(postgres_alias)() == []
    record = store.get("evt_1")  # a fresh connection
    assert record is not None
    assert record.status is EventStatus.PROCESSING
    with store.transaction(claim) as using:
        write_order(using, "evt_1")
    assert orders(postgres_alias)() == ["evt_1"]


@pytest.mark.services
def test_claims_from_many_threads_on_postgres_have_one_winner(postgres_alias: str) -> None:
    """Each thread has its own Django connection: one claim per key wins, once per key."""
    empty(postgres_alias)
    store = DjangoStore(using=postgres_alias)
    keys = [f"evt_{i}" for i in range(20)]
    wins: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        try:
            for key in keys:
                claim = store.claim(key, type=COMPLETED, lease=30)
                if claim.outcome is ClaimOutcome.CLAIMED:
                    with lock:
                        wins.append(key)
                    with store.transaction(claim) as using:
                        write_order(using, key)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(wins) == sorted(keys)
    assert orders(postgres_alias)() == sorted(keys)
