"""``checkoutkit replay``: run stored events again through an application's router."""

from __future__ import annotations

import fnmatch
import importlib
import sys
from collections.abc import Callable, Iterable, Sequence

import attrs

from checkoutkit._replies import (
    BUSY,
    DUPLICATE,
    FAILED_PERMANENTLY,
    HANDLED,
    IGNORED,
    WebhookResponse,
)
from checkoutkit._router import WebhookRouter
from checkoutkit.exceptions import ConfigurationError
from checkoutkit.stores import EventRecord, EventStatus, EventStore

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STORE = 3

# The router's answers that replay reports by name, told apart by value (status and body).
_OUTCOMES = {
    (HANDLED.status, HANDLED.body): ("handled", True),
    (IGNORED.status, IGNORED.body): ("ignored (no handler for its type)", True),
    (DUPLICATE.status, DUPLICATE.body): ("skipped (already succeeded or failed permanently)", True),
    (FAILED_PERMANENTLY.status, FAILED_PERMANENTLY.body): ("failed permanently", False),
    (BUSY.status, BUSY.body): ("skipped (another worker holds it)", True),
}


@attrs.frozen
class ReplayResult:
    """How one stored event fared."""

    key: str
    type: str
    outcome: str
    ok: bool


def load_router(spec: str) -> WebhookRouter:
    """The :class:`WebhookRouter` named ``module:attribute`` (the current folder is importable).

    Raises :class:`ConfigurationError` with a short reason for anything else.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigurationError(f"a router is named module:attribute, not {spec!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r}: {exc}") from exc
    except Exception as exc:
        raise ConfigurationError(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigurationError(f"{module_name!r} has no attribute {attribute!r}") from None
    if not isinstance(target, WebhookRouter):
        raise ConfigurationError(f"{spec!r} is a {type(target).__name__}, not a WebhookRouter")
    if target.store is None:
        raise ConfigurationError(
            f"{spec!r} has no event store: replay needs one to keep events exactly-once"
        )
    return target


def select(
    store: EventStore, *, event_id: str | None, type_pattern: str | None, failed: bool
) -> Sequence[EventRecord]:
    """The records to replay, oldest first.

    Permanently failed ones with ``failed``; else the pending ones and those still processing (a
    live lease makes them ``busy``). ``event_id`` picks that one record whatever its status.
    """
    if event_id is not None:
        record = store.get(event_id)
        if record is None:
            raise ConfigurationError(f"the store has no event {event_id!r}")
        records: Iterable[EventRecord] = [record]
    elif failed:
        records = store.records(status=EventStatus.FAILED, type_pattern=type_pattern)
    else:
        records = [
            r
            for r in store.records(type_pattern=type_pattern)
            if r.status in {EventStatus.PENDING, EventStatus.PROCESSING}
        ]
    return [r for r in records if type_pattern is None or fnmatch.fnmatchcase(r.type, type_pattern)]


def replay(
    store: EventStore,
    router: WebhookRouter,
    records: Sequence[EventRecord],
    *,
    failed: bool,
    report: Callable[[ReplayResult], None] = lambda result: None,
) -> list[ReplayResult]:
    """Run ``records`` through ``router``; with ``failed``, requeue each one first."""
    results = []
    for record in records:
        if record.payload is None:
            result = ReplayResult(
                record.key,
                record.type,
                "no stored payload (create the router with store_payload=True)",
                ok=False,
            )
        else:
            if failed:
                store.requeue(record.key)
            response: WebhookResponse = router.dispatch_payload(record.payload)
            outcome, ok = _OUTCOMES.get(
                (response.status, response.body), (f"failed again (HTTP {response.status})", False)
            )
            result = ReplayResult(record.key, record.type, outcome, ok=ok)
        report(result)
        results.append(result)
    return results
