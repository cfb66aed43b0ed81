"""An in-process event store: for tests and single-process tools."""

from __future__ import annotations

import fnmatch
import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence

from checkoutkit.stores._protocol import (
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    check_claim_args,
)

__all__ = ["MemoryStore"]

_PROCESSING = EventStatus.PROCESSING
_DONE_STATUSES = (EventStatus.SUCCEEDED, EventStatus.FAILED)
_SUCCEEDED = EventStatus.SUCCEEDED
_CLAIMED = ClaimOutcome.CLAIMED


class _Entry:
    """One key's state, mutated under the store's lock (records are built only when read)."""

    __slots__ = (
        "attempts",
        "created_at",
        "key",
        "last_error",
        "lease_expires_at",
        "payload",
        "seq",
        "status",
        "token",
        "type",
        "updated_at",
    )

    def __init__(  # noqa: PLR0917 (positional: built on every claim)
        self, key: str, type: str, now: float, lease: float, payload: bytes | None, seq: int
    ) -> None:
        self.key = key
        self.type = type
        self.status = _PROCESSING
        self.attempts = 1
        self.last_error: str | None = None
        self.created_at = now
        self.updated_at = now
        self.lease_expires_at: float | None = now + lease
        self.payload = payload
        self.seq = seq
        self.token: str | None = None

    def record(self) -> EventRecord:
        return EventRecord(
            key=self.key,
            type=self.type,
            status=self.status,
            attempts=self.attempts,
            last_error=self.last_error,
            created_at=self.created_at,
            updated_at=self.updated_at,
            lease_expires_at=self.lease_expires_at,
            payload=self.payload,
        )


class MemoryStore:
    """An :class:`~checkoutkit.stores.EventStore` that keeps everything in a dict, under a lock.

    Safe across threads of one process; nothing survives the process. ``clock`` (seconds, like
    :func:`time.time`) is injectable so that tests can expire leases without sleeping.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._seq = itertools.count(1)
        # Tokens only need to be unique and unforgeable within this process's store.
        self._token_prefix = os.urandom(8).hex()

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        if (
            key.__class__ is not str
            or not key
            or type.__class__ is not str
            or lease.__class__ not in (float, int)
            or not 0 < lease < math.inf
        ):
            check_claim_args(key, type, lease)
        seq = next(self._seq)
        token = f"{self._token_prefix}{seq:x}"
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is None:
                entry = _Entry(key, type, now, lease, payload, seq)
                entry.token = token
                self._entries[key] = entry
                return Claim(_CLAIMED, key, token, 1)
            status = entry.status
            if status in _DONE_STATUSES:
                return Claim(ClaimOutcome.DONE, key, None, entry.attempts)
            expires = entry.lease_expires_at
            if status is _PROCESSING and expires is not None and expires > now:
                return Claim(ClaimOutcome.BUSY, key, None, entry.attempts)
            entry.token = token
            entry.status = _PROCESSING
            entry.attempts += 1
            entry.updated_at = now
            entry.lease_expires_at = now + lease
            if payload is not None:
                entry.payload = payload
            return Claim(_CLAIMED, key, token, entry.attempts)

    def _held(self, claim: Claim) -> _Entry | None:
        """The entry ``claim`` still holds (its token, still processing), else None; locked."""
        token = claim.token
        if token is None or claim.outcome is not _CLAIMED:
            return None
        entry = self._entries.get(claim.key)
        if entry is None or entry.token != token or entry.status is not _PROCESSING:
            return None
        return entry

    def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        with self._lock:
            entry = self._held(claim)
            if entry is None:
                return False
            entry.token = None
            entry.status = status
            entry.last_error = error
            entry.updated_at = self._clock()
            entry.lease_expires_at = None
            return True

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, _SUCCEEDED, None)

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        with self._lock:
            entry = self._held(claim)
            if entry is None:
                return False
            now = self._clock()
            entry.updated_at = now
            entry.lease_expires_at = now + lease
            return True

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return self._finish(claim, status, error)

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.status is not EventStatus.FAILED:
                return False
            entry.status = EventStatus.PENDING
            entry.updated_at = self._clock()
            return True

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else entry.record()

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        wanted = None if status is None else EventStatus(status)
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda e: (e.created_at, e.seq))
            return [
                e.record()
                for e in entries
                if (wanted is None or e.status is wanted)
                and (type_pattern is None or fnmatch.fnmatchcase(e.type, type_pattern))
            ]

    def clear(self) -> None:
        """Forget every record (between tests)."""
        with self._lock:
            self._entries.clear()
