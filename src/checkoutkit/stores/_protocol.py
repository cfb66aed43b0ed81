"""The event store protocol: claim → run → complete / release, with a lease.

A store records, per key (a Stripe event id, or ``fulfil:<session id>`` for fulfilment), who is
processing it and how it ended. ``claim`` is atomic across threads, processes and (for server
stores) machines: exactly one caller gets ``ClaimOutcome.CLAIMED`` until the claim is completed,
released, or its lease expires — then another caller may take it over. ``complete`` and
``release`` take the claim's token, so a worker whose lease expired cannot finish a claim that
another worker has taken over.
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import attrs

from checkoutkit.exceptions import ConfigurationError


class ClaimOutcome(enum.Enum):
    """What ``claim`` found."""

    CLAIMED = "claimed"
    """The caller holds the claim now and must complete or release it."""
    DONE = "done"
    """The key was processed already (``succeeded``, or ``failed`` permanently): do nothing."""
    BUSY = "busy"
    """Another worker holds an unexpired claim: try again later."""


class EventStatus(str, enum.Enum):
    """Where a key's processing stands."""

    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a permanent failure: never retried automatically
    PENDING = "pending"  # released after a failure: the next delivery runs it again


@attrs.frozen
class Claim:
    """The result of ``claim``; ``token`` is set when ``outcome`` is ``CLAIMED``."""

    outcome: ClaimOutcome
    key: str
    token: str | None = None
    attempts: int = 0


@attrs.frozen
class EventRecord:
    """What a store knows of one key."""

    key: str
    type: str
    status: EventStatus
    attempts: int
    last_error: str | None
    created_at: float
    updated_at: float
    lease_expires_at: float | None = None
    payload: bytes | None = None


@runtime_checkable
class EventStore(Protocol):
    """A synchronous event store."""

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost.

        Called while a handler runs and while completion is retried, so that a slow handler is
        not taken over by another worker. Raises :class:`~checkoutkit.StoreError` when the
        store cannot be reached (the caller keeps trying; the lease it had still holds).
        """

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""


@runtime_checkable
class AsyncEventStore(Protocol):
    """The asynchronous twin of :class:`EventStore`."""

    async def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""

    async def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost."""

    async def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""

    async def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure."""

    async def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""

    async def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""

    async def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and type pattern, oldest first."""


@runtime_checkable
class TransactionalEventStore(EventStore, Protocol):
    """An :class:`EventStore` in the application's database that records work in its transaction.

    The claim is taken (and its lease renewed) in transactions of their own, so other workers
    see the key as in progress; the work then runs inside :meth:`transaction`, and the key is
    recorded as succeeded in that same transaction. If the work raises or the process dies, the
    work's writes roll back together with the record, and the next attempt runs the work once.
    """

    def transaction(self, claim: Claim) -> AbstractContextManager[Any]:
        """Open a transaction for the work of the held ``claim``; yield its handle.

        The handle is what the work writes through (a SQLAlchemy ``Session``; for Django, the
        database alias, whose ORM writes join the transaction by themselves). Leaving the block
        normally records the key as succeeded in the same transaction and commits; if the claim
        was taken over meanwhile, that raises :class:`~checkoutkit.ClaimLostError` and everything
        rolls back. An exception inside the block rolls everything back and propagates (the
        caller then releases the claim). Raises :class:`~checkoutkit.ConfigurationError` for a
        claim that is not held (not ``CLAIMED``).
        """


@runtime_checkable
class AsyncTransactionalEventStore(AsyncEventStore, Protocol):
    """The asynchronous twin of :class:`TransactionalEventStore`."""

    def transaction(self, claim: Claim) -> AbstractAsyncContextManager[Any]:
        """Open a transaction for the work of the held ``claim`` (``async with``)."""


def new_token() -> str:
    """A fresh, unguessable claim token."""
    return os.urandom(16).hex()


def check_claim_args(key: str, type: str, lease: float) -> None:
    """Refuse arguments no store can honour (raises :class:`ConfigurationError`)."""
    if not isinstance(key, str) or not key:
        raise ConfigurationError("an event store key must be a non-empty string")
    if not isinstance(type, str):
        raise ConfigurationError("an event type must be a string")
    if isinstance(lease, bool) or not isinstance(lease, (int, float)):
        raise ConfigurationError("a lease must be a number of seconds")
    if not (lease > 0 and math.isfinite(lease)):
        raise ConfigurationError(f"a lease must be a positive, finite number of seconds: {lease}")
