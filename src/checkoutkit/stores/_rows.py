"""What the stores that keep their records as table rows share: a row as an ``EventRecord``.

Every such store (SQLite, PostgreSQL, SQLAlchemy, Django) selects the columns of a record in
the order of :data:`RECORD_COLUMNS`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from checkoutkit.stores._protocol import EventRecord, EventStatus

__all__ = ["RECORD_COLUMNS", "matching_records", "record_from_row"]

RECORD_COLUMNS = (
    "key",
    "type",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "updated_at",
    "lease_expires_at",
    "payload",
)
"""The columns of a record, in the order :func:`record_from_row` reads them."""


def record_from_row(row: Sequence[Any]) -> EventRecord:
    """The record of a row selected in the order of :data:`RECORD_COLUMNS`."""
    payload = row[8]
    return EventRecord(
        key=row[0],
        type=row[1],
        status=EventStatus(row[2]),
        attempts=row[3],
        last_error=row[4],
        created_at=row[5],
        updated_at=row[6],
        lease_expires_at=row[7],
        payload=None if payload is None else bytes(payload),
    )


def matching_records(rows: Sequence[Sequence[Any]], type_pattern: str | None) -> list[EventRecord]:
    """The records of ``rows`` whose type matches the ``fnmatch`` pattern (all without one)."""
    return [
        record_from_row(row)
        for row in rows
        if type_pattern is None or fnmatch.fnmatchcase(row[1], type_pattern)
    ]
