"""Type-checked only: every store satisfies its protocol statically, and claims are typed."""

from __future__ import annotations

from collections.abc import Sequence

from typing_extensions import assert_type

from checkoutkit import MemoryStore, SqliteStore
from checkoutkit.stores import AsyncEventStore, Claim, ClaimOutcome, EventRecord, EventStore
from checkoutkit.stores.postgres import AsyncPostgresStore, PostgresStore
from checkoutkit.stores.redis import AsyncRedisStore, RedisStore


def sync_stores() -> list[EventStore]:
    return [
        MemoryStore(),
        SqliteStore("events.db"),
        PostgresStore("postgresql://localhost/app"),
        RedisStore("redis://localhost:6379/0"),
    ]


def async_stores() -> list[AsyncEventStore]:
    return [
        AsyncPostgresStore("postgresql://localhost/app"),
        AsyncRedisStore("redis://localhost:6379/0"),
    ]


def use(store: EventStore) -> None:
    claim = store.claim("evt_1", type="checkout.session.completed", lease=30.0, payload=b"{}")
    assert_type(claim, Claim)
    assert_type(claim.outcome, ClaimOutcome)
    assert_type(claim.token, str | None)
    assert_type(store.complete(claim), bool)
    assert_type(store.release(claim, error="boom", permanent=True), bool)
    assert_type(store.get("evt_1"), EventRecord | None)
    assert_type(store.records(type_pattern="checkout.*"), Sequence[EventRecord])


async def use_async(store: AsyncEventStore) -> None:
    claim = await store.claim("evt_1", type="checkout.session.completed")
    assert_type(claim, Claim)
    assert_type(await store.complete(claim), bool)
    assert_type(await store.records(), Sequence[EventRecord])
