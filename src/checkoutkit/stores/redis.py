"""Redis event stores (redis-py): :class:`RedisStore` and :class:`AsyncRedisStore`.

Install with ``pip install 'checkoutkit[redis]'``. A claim is one Lua script, so it is atomic for
every client of the server, and leases are measured by the server's clock (``TIME``); Redis 5 or
newer is needed. Keys, under ``prefix`` (``{checkoutkit}:`` by default; the braces keep all keys
in one Redis Cluster hash slot):

- ``<prefix>event:<key>``: a hash per key with ``key``, ``type``, ``status``, ``attempts``,
  ``last_error``, ``created_at``, ``updated_at``, ``lease_expires_at``, ``token``, ``payload``
  and ``seq``;
- ``<prefix>index``: a sorted set of every key, scored by ``seq`` (the order of first claims);
- ``<prefix>seq``: the counter behind ``seq``.

Records survive a restart of Redis only as far as its persistence is configured (use the
append-only file, ``appendonly yes``, for an event store).
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from checkoutkit.exceptions import (
    ConfigurationError,
    MissingDependencyError,
    StoreError,
    StoreUnavailableError,
)
from checkoutkit.stores._protocol import (
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    check_claim_args,
    new_token,
)

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["AsyncRedisStore", "RedisStore"]

DEFAULT_PREFIX = "{checkoutkit}:"

_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nows = string.format('%.6f', now)
local expires = string.format('%.6f', now + tonumber(ARGV[3]))
local st = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'lease_expires_at')
if not st[1] then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('HSET', KEYS[1], 'key', ARGV[1], 'type', ARGV[2], 'status', 'processing',
    'attempts', 1, 'created_at', nows, 'updated_at', nows, 'lease_expires_at', expires,
    'token', ARGV[4], 'seq', seq)
  if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'payload', ARGV[6]) end
  redis.call('ZADD', KEYS[2], seq, ARGV[1])
  return {'claimed', 1}
end
local attempts = tonumber(st[2])
if st[1] == 'succeeded' or st[1] == 'failed' then return {'done', attempts} end
if st[1] == 'processing' and st[3] and tonumber(st[3]) > now then return {'busy', attempts} end
attempts = attempts + 1
redis.call('HSET', KEYS[1], 'status', 'processing', 'attempts', attempts, 'updated_at', nows,
  'lease_expires_at', expires, 'token', ARGV[4])
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'payload', ARGV[6]) end
return {'claimed', attempts}
"""

_FINISH = """
local st = redis.call('HMGET', KEYS[1], 'status', 'token')
if st[1] ~= 'processing' or st[2] ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local nows = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updated_at', nows)
redis.call('HDEL', KEYS[1], 'lease_expires_at', 'token')
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'last_error', ARGV[4])
else
  redis.call('HDEL', KEYS[1], 'last_error')
end
return 1
"""

_RENEW = """
local st = redis.call('HMGET', KEYS[1], 'status', 'token')
if st[1] ~= 'processing' or st[2] ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[1], 'updated_at', string.format('%.6f', now),
  'lease_expires_at', string.format('%.6f', now + tonumber(ARGV[2])))
return 1
"""

_REQUEUE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'failed' then return 0 end
local t = redis.call('TIME')
local nows = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', nows)
return 1
"""


def _require() -> None:
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            "the Redis event store needs redis-py: pip install 'checkoutkit[redis]'"
        ) from exc


@contextmanager
def _translate_errors(where: str) -> Iterator[None]:
    import redis

    try:
        yield
    except (
        redis.exceptions.ConnectionError,  # also: no free connection within the pool's timeout
        redis.exceptions.TimeoutError,
        asyncio.TimeoutError,  # not the built-in TimeoutError before Python 3.11
        OSError,  # socket errors that reach us unwrapped
    ) as exc:
        raise StoreUnavailableError(f"Redis event store ({where}): {exc}") from exc
    except redis.exceptions.RedisError as exc:
        raise StoreError(f"Redis event store ({where}): {exc}") from exc


class _Keys:
    def __init__(self, prefix: str) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise ConfigurationError("the Redis key prefix must be a non-empty string")
        self.prefix = prefix
        self.index = f"{prefix}index"
        self.seq = f"{prefix}seq"

    def event(self, key: str) -> str:
        return f"{self.prefix}event:{key}"

    def claim_call(
        self, key: str, type: str, lease: float, token: str, payload: bytes | None
    ) -> tuple[list[str], list[Any]]:
        keys = [self.event(key), self.index, self.seq]
        has_payload = payload is not None
        args: list[Any] = [key, type, repr(float(lease)), token, "1" if has_payload else "0"]
        args.append(bytes(payload) if payload is not None else b"")
        return keys, args

    @staticmethod
    def finish_call(claim: Claim, status: EventStatus, error: str | None) -> list[Any]:
        return [claim.token, status.value, "0" if error is None else "1", error or ""]


def _claim_from_reply(key: str, token: str, reply: Any) -> Claim:
    outcome, attempts = reply
    outcome = outcome.decode() if isinstance(outcome, bytes) else outcome
    if outcome == "claimed":
        return Claim(ClaimOutcome.CLAIMED, key, token, int(attempts))
    if outcome == "done":
        return Claim(ClaimOutcome.DONE, key, None, int(attempts))
    return Claim(ClaimOutcome.BUSY, key, None, int(attempts))


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8")


def _number(value: bytes | None) -> float | None:
    return None if value is None else float(value)


def _record(fields: dict[bytes, bytes]) -> EventRecord | None:
    if not fields:
        return None
    return EventRecord(
        key=fields[b"key"].decode("utf-8"),
        type=fields[b"type"].decode("utf-8"),
        status=EventStatus(fields[b"status"].decode()),
        attempts=int(fields[b"attempts"]),
        last_error=_text(fields.get(b"last_error")),
        created_at=float(fields[b"created_at"]),
        updated_at=float(fields[b"updated_at"]),
        lease_expires_at=_number(fields.get(b"lease_expires_at")),
        payload=fields.get(b"payload"),
    )


def _select(
    replies: Sequence[dict[bytes, bytes]], status: EventStatus | None, type_pattern: str | None
) -> list[EventRecord]:
    wanted = None if status is None else EventStatus(status)
    records = []
    for fields in replies:
        record = _record(fields)
        if record is None:
            continue
        if wanted is not None and record.status is not wanted:
            continue
        if type_pattern is not None and not fnmatch.fnmatchcase(record.type, type_pattern):
            continue
        records.append(record)
    return records


def _check_limits(timeout: float, pool_size: int) -> None:
    if not timeout > 0 or not isinstance(pool_size, int) or pool_size < 1:
        raise ConfigurationError("timeout must be positive and pool_size at least 1")


def _check_client(client: Any) -> None:
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    if kwargs.get("decode_responses"):
        raise ConfigurationError(
            "the Redis event store needs a client with decode_responses=False (payloads are bytes)"
        )


class RedisStore:
    """An :class:`~checkoutkit.stores.EventStore` in Redis, shared by every instance of an app.

    ``client`` is a ``redis://`` URL or a :class:`redis.Redis` client created with
    ``decode_responses=False`` (the default). From a URL the store keeps a blocking pool of up to
    ``pool_size`` connections; ``timeout`` (seconds) bounds connecting, each call, and the wait
    for a free connection. A server that cannot be reached raises
    :class:`~checkoutkit.StoreUnavailableError`. Nothing needs creating: keys appear on first use.

    The store recovers by itself once Redis is back, whenever the outage began: a pooled
    connection the server dropped is noticed when it is taken from the pool and replaced.
    """

    def __init__(
        self,
        client: str | redis.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 5.0,
        pool_size: int = 16,
    ) -> None:
        _require()
        import redis

        _check_limits(timeout, pool_size)
        self._keys = _Keys(prefix)
        self._pool: redis.BlockingConnectionPool | None = None
        if isinstance(client, str):
            self._pool = redis.BlockingConnectionPool.from_url(
                client,
                max_connections=pool_size,
                timeout=timeout,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
            )
            client = redis.Redis(connection_pool=self._pool)
        elif not isinstance(client, redis.Redis):
            raise ConfigurationError("RedisStore needs a redis:// URL or a redis.Redis client")
        _check_client(client)
        self._client = client
        self._claim_script = client.register_script(_CLAIM)
        self._finish_script = client.register_script(_FINISH)
        self._requeue_script = client.register_script(_REQUEUE)
        self._renew_script = client.register_script(_RENEW)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._keys.prefix!r})"

    def close(self) -> None:
        """Close the connections the store opened from a URL (a client passed in stays open)."""
        if self._pool is not None:
            self._client.close()
            self._pool.disconnect()

    def __enter__(self) -> RedisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        token = new_token()
        keys, args = self._keys.claim_call(key, type, lease, token, payload)
        with _translate_errors("claim"):
            reply = self._claim_script(keys=keys, args=args)
        return _claim_from_reply(key, token, reply)

    def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with _translate_errors(status.value):
            done = self._finish_script(
                keys=[self._keys.event(claim.key)],
                args=self._keys.finish_call(claim, status, error),
            )
        return bool(done == 1)

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, EventStatus.SUCCEEDED, None)

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with _translate_errors("renew"):
            done = self._renew_script(
                keys=[self._keys.event(claim.key)], args=[claim.token, repr(float(lease))]
            )
        return bool(done == 1)

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        return self._finish(claim, EventStatus.FAILED if permanent else EventStatus.PENDING, error)

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        with _translate_errors("requeue"):
            done = self._requeue_script(keys=[self._keys.event(key)], args=[])
        return bool(done == 1)

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        with _translate_errors("get"):
            fields: Any = self._client.hgetall(self._keys.event(key))
        return _record(fields)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first.

        Reads every record: meant for replay and inspection, not for a request's hot path.
        """
        with _translate_errors("records"):
            members: Any = self._client.zrange(self._keys.index, 0, -1)
            pipe = self._client.pipeline(transaction=False)
            for member in members:
                pipe.hgetall(self._keys.event(member.decode("utf-8")))
            replies = pipe.execute()
        return _select(replies, status, type_pattern)


class AsyncRedisStore:
    """The asyncio twin of :class:`RedisStore` (an :class:`~checkoutkit.stores.AsyncEventStore`).

    ``client`` is a ``redis://`` URL (the store keeps a blocking pool of up to ``pool_size``
    connections) or a :class:`redis.asyncio.Redis` client with ``decode_responses=False``. Same
    keys and guarantees: sync and async instances may share them.
    """

    def __init__(
        self,
        client: str | redis.asyncio.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 5.0,
        pool_size: int = 16,
    ) -> None:
        _require()
        import redis.asyncio

        _check_limits(timeout, pool_size)
        self._keys = _Keys(prefix)
        self._pool: redis.asyncio.BlockingConnectionPool | None = None
        if isinstance(client, str):
            self._pool = redis.asyncio.BlockingConnectionPool.from_url(
                client,
                max_connections=pool_size,
                timeout=timeout,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
            )
            client = redis.asyncio.Redis(connection_pool=self._pool)
        elif not isinstance(client, redis.asyncio.Redis):
            raise ConfigurationError(
                "AsyncRedisStore needs a redis:// URL or a redis.asyncio.Redis client"
            )
        _check_client(client)
        self._client = client
        self._claim_script = client.register_script(_CLAIM)
        self._finish_script = client.register_script(_FINISH)
        self._requeue_script = client.register_script(_REQUEUE)
        self._renew_script = client.register_script(_RENEW)

    def __repr__(self) -> str:
        return f"AsyncRedisStore(prefix={self._keys.prefix!r})"

    async def close(self) -> None:
        """Close the connections the store opened from a URL (a client passed in stays open)."""
        if self._pool is not None:
            await self._client.aclose()
            await self._pool.disconnect()

    async def __aenter__(self) -> AsyncRedisStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        token = new_token()
        keys, args = self._keys.claim_call(key, type, lease, token, payload)
        with _translate_errors("claim"):
            reply = await self._claim_script(keys=keys, args=args)
        return _claim_from_reply(key, token, reply)

    async def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with _translate_errors(status.value):
            done = await self._finish_script(
                keys=[self._keys.event(claim.key)],
                args=self._keys.finish_call(claim, status, error),
            )
        return bool(done == 1)

    async def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost."""
        return await self._finish(claim, EventStatus.SUCCEEDED, None)

    async def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with _translate_errors("renew"):
            done = await self._renew_script(
                keys=[self._keys.event(claim.key)], args=[claim.token, repr(float(lease))]
            )
        return bool(done == 1)

    async def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return await self._finish(claim, status, error)

    async def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        with _translate_errors("requeue"):
            done = await self._requeue_script(keys=[self._keys.event(key)], args=[])
        return bool(done == 1)

    async def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        with _translate_errors("get"):
            fields: Any = await self._client.hgetall(self._keys.event(key))  # type: ignore[misc,unused-ignore]
        return _record(fields)

    async def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        with _translate_errors("records"):
            members: Any = await self._client.zrange(self._keys.index, 0, -1)
            pipe = self._client.pipeline(transaction=False)
            for member in members:
                pipe.hgetall(self._keys.event(member.decode("utf-8")))
            replies = await pipe.execute()
        return _select(replies, status, type_pattern)
