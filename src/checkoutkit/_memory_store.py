"""An in-process event store: for tests and single-process tools."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Sequence

import attrs

from checkoutkit._store import (
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    check_claim_args,
    new_token,
)

__all__ = ["MemoryStore"]


@attrs.define
class _Entry:
    record: EventRecord
    token: str | None
    seq: int


class MemoryStore:
    """An :class:`~checkoutkit.EventStore` that keeps everything in a dict, guarded by a lock.

    Safe across threads of one process; nothing survives the process. ``clock`` (seconds, like
    :func:`time.time`) is injectable so that tests can expire leases without sleeping.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._seq = 0

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is None:
                token = new_token()
                self._seq += 1
                record = EventRecord(
                    key=key,
                    type=type,
                    status=EventStatus.PROCESSING,
                    attempts=1,
                    last_error=None,
                    created_at=now,
                    updated_at=now,
                    lease_expires_at=now + lease,
                    payload=payload,
                )
                self._entries[key] = _Entry(record, token, self._seq)
                return Claim(ClaimOutcome.CLAIMED, key, token, 1)
            rec = entry.record
            if rec.status in (EventStatus.SUCCEEDED, EventStatus.FAILED):
                return Claim(ClaimOutcome.DONE, key, None, rec.attempts)
            if (
                rec.status is EventStatus.PROCESSING
                and rec.lease_expires_at is not None
                and rec.lease_expires_at > now
            ):
                return Claim(ClaimOutcome.BUSY, key, None, rec.attempts)
            token = new_token()
            entry.token = token
            entry.record = attrs.evolve(
                rec,
                status=EventStatus.PROCESSING,
                attempts=rec.attempts + 1,
                updated_at=now,
                lease_expires_at=now + lease,
                payload=rec.payload if payload is None else payload,
            )
            return Claim(ClaimOutcome.CLAIMED, key, token, rec.attempts + 1)

    def _finish(self, claim: Claim, status: EventStatus, error: str | None) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        with self._lock:
            entry = self._entries.get(claim.key)
            if (
                entry is None
                or entry.token != claim.token
                or entry.record.status is not EventStatus.PROCESSING
            ):
                return False
            entry.token = None
            entry.record = attrs.evolve(
                entry.record,
                status=status,
                last_error=error,
                updated_at=self._clock(),
                lease_expires_at=None,
            )
            return True

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, EventStatus.SUCCEEDED, None)

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return self._finish(claim, status, error)

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else entry.record

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda e: (e.record.created_at, e.seq))
        return [
            e.record
            for e in entries
            if (status is None or e.record.status is EventStatus(status))
            and (type_pattern is None or fnmatch.fnmatchcase(e.record.type, type_pattern))
        ]

    def clear(self) -> None:
        """Forget every record (between tests)."""
        with self._lock:
            self._entries.clear()
