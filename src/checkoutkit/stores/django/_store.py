"""``DjangoStore``: the event store in the Django project's own database, through its ORM."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import Q

from checkoutkit.exceptions import (
    ClaimLostError,
    ConfigurationError,
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
from checkoutkit.stores._rows import RECORD_COLUMNS, matching_records, record_from_row
from checkoutkit.stores.django._schema import MAX_KEY_LENGTH

if TYPE_CHECKING:
    from checkoutkit.stores.django.models import Event

__all__ = ["DjangoStore"]

APP = "checkoutkit.stores.django"
_DONE = (EventStatus.SUCCEEDED.value, EventStatus.FAILED.value)
_PROCESSING = EventStatus.PROCESSING.value
# A claim of a key already there reads its row, then takes it over with an UPDATE guarded by
# what it read: when another worker changed the row in between, the UPDATE changes nothing and
# the row is read again. Each round that fails means another worker made progress.
_ROUNDS = 20


def _missing_table(exc: DatabaseError) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


class DjangoStore:
    """An :class:`~checkoutkit.stores.TransactionalEventStore` in a Django project's database.

    Add ``"checkoutkit.stores.django"`` to ``INSTALLED_APPS`` and run ``manage.py migrate``:
    the events live in the table ``checkoutkit_event`` of the database ``using`` names (an alias
    of ``DATABASES``), PostgreSQL, SQLite or any database Django supports, and the admin shows
    them. Each thread uses Django's own connection of that thread.

    ``claim``, ``renew``, ``complete`` and ``release`` commit on their own, so other workers see
    a key as in progress at once; called inside ``transaction.atomic()`` (or an
    ``ATOMIC_REQUESTS`` view) they raise :class:`~checkoutkit.ConfigurationError`: mark the
    view with ``django.db.transaction.non_atomic_requests`` (the Django adapter's views are).
    :meth:`transaction` runs the work in ``transaction.atomic(using=...)`` and records the key as
    succeeded in that transaction, so the work's ORM writes and the record commit together.

    A database that cannot be reached raises :class:`~checkoutkit.StoreUnavailableError` (and
    the thread's connection is closed, so the next call opens a fresh one); a table not created
    yet raises :class:`~checkoutkit.StoreError` that says to migrate. ``clock`` (like
    :func:`time.time`) is injectable for tests.
    """

    def __init__(self, using: str = "default", *, clock: Callable[[], float] | None = None) -> None:
        if not isinstance(using, str) or not using:
            raise ConfigurationError("DjangoStore(using=...) needs a database alias of DATABASES")
        self.using = using
        self._clock = time.time if clock is None else clock
        self._model: type[Event] | None = None

    def __repr__(self) -> str:
        return f"DjangoStore(using={self.using!r})"

    # -- Django ---------------------------------------------------------------------------------

    def _events(self) -> Any:
        """The model's manager on this store's database (Django set up on first use)."""
        model = self._model
        if model is None:
            model = self._model = _load_model(self.using)
        return model._default_manager.db_manager(self.using)

    def _own_transaction(self, action: str) -> Any:
        """The manager, for a write that must commit on its own (not in an atomic block)."""
        events = self._events()
        if connections[self.using].in_atomic_block:
            raise ConfigurationError(
                f"DjangoStore.{action}() must commit on its own, but it was called inside a "
                f"transaction on the database {self.using!r} (transaction.atomic() or "
                "ATOMIC_REQUESTS): mark the view with "
                "@django.db.transaction.non_atomic_requests, or call it outside atomic()"
            )
        return events

    @contextlib.contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        """Translate the database's errors into checkoutkit's."""
        what = f"{action} {key}" if key is not None else action
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            if _missing_table(exc):
                raise self._not_migrated(exc) from exc
            self._drop_connection()
            raise StoreUnavailableError(
                f"event store (Django database {self.using!r}) failed to {what}: {exc}"
            ) from exc
        except DatabaseError as exc:
            if _missing_table(exc):
                raise self._not_migrated(exc) from exc
            raise StoreError(
                f"event store (Django database {self.using!r}) failed to {what}: {exc}"
            ) from exc

    def _not_migrated(self, exc: DatabaseError) -> StoreError:
        return StoreError(
            f"the event store's table is missing from the Django database {self.using!r} "
            f"({exc}): run manage.py migrate --database {self.using}"
        )

    def _drop_connection(self) -> None:
        """Close this thread's connection after a failure, unless a transaction still holds it."""
        connection = connections[self.using]
        if not connection.in_atomic_block:
            with contextlib.suppress(DatabaseError):
                connection.close()

    # -- the protocol ---------------------------------------------------------------------------

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        """Atomically take ``key`` for processing for ``lease`` seconds."""
        check_claim_args(key, type, lease)
        _check_length("key", key)
        _check_length("event type", type)
        if payload is not None:
            payload = bytes(payload)
        events = self._own_transaction("claim")
        token = new_token()
        with self._errors("claim", key):
            for _ in range(_ROUNDS):
                now = self._clock()
                try:
                    # The common case, a key never seen: one INSERT, committed on its own.
                    events.create(
                        key=key,
                        type=type,
                        status=_PROCESSING,
                        attempts=1,
                        created_at=now,
                        updated_at=now,
                        lease_expires_at=now + lease,
                        token=token,
                        payload=payload,
                    )
                except IntegrityError:
                    pass
                else:
                    return Claim(ClaimOutcome.CLAIMED, key, token, 1)
                claim = self._take_over(events, key, lease, payload, token)
                if claim is not None:
                    return claim
        return Claim(ClaimOutcome.BUSY, key, None, 0)

    def _take_over(
        self, events: Any, key: str, lease: float, payload: bytes | None, token: str
    ) -> Claim | None:
        """Claim a key already stored; None when its row changed meanwhile (try again)."""
        for _ in range(_ROUNDS):
            row = (
                events.filter(key=key).values_list("status", "attempts", "lease_expires_at").first()
            )
            if row is None:
                return None  # gone: insert it again
            status, attempts, expires = row
            now = self._clock()
            if status in _DONE:
                return Claim(ClaimOutcome.DONE, key, None, attempts)
            if status == _PROCESSING and expires is not None and expires > now:
                return Claim(ClaimOutcome.BUSY, key, None, attempts)
            # Only the row as it was read is taken over: (status, attempts) never comes back
            # once changed, and a processing row only while its lease stays expired.
            guard = Q(key=key, status=status, attempts=attempts)
            if status == _PROCESSING:
                guard &= Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
            changes: dict[str, Any] = {
                "status": _PROCESSING,
                "attempts": attempts + 1,
                "updated_at": now,
                "lease_expires_at": now + lease,
                "token": token,
            }
            if payload is not None:
                changes["payload"] = payload
            if events.filter(guard).update(**changes) == 1:
                return Claim(ClaimOutcome.CLAIMED, key, token, attempts + 1)
        return Claim(ClaimOutcome.BUSY, key, None, 0)

    def _held(self, events: Any, claim: Claim) -> Any:
        """The query of the row ``claim`` still holds."""
        return events.filter(key=claim.key, token=claim.token, status=_PROCESSING)

    def _finish(self, claim: Claim, status: EventStatus, error: str | None, action: str) -> bool:
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        events = self._own_transaction(action)
        with self._errors(action, claim.key):
            changed: int = self._held(events, claim).update(
                status=status.value,
                last_error=_text(error, self.using),
                updated_at=self._clock(),
                lease_expires_at=None,
                token=None,
            )
        return changed == 1

    def complete(self, claim: Claim) -> bool:
        """Mark the key succeeded; False if the claim was lost (lease expired and taken over)."""
        return self._finish(claim, EventStatus.SUCCEEDED, None, "complete")

    def renew(self, claim: Claim, *, lease: float) -> bool:
        """Extend a held claim's lease to ``lease`` seconds from now; False if it was lost."""
        check_claim_args(claim.key, "", lease)
        if claim.outcome is not ClaimOutcome.CLAIMED or claim.token is None:
            return False
        events = self._own_transaction("renew")
        try:
            with self._errors("renew", claim.key):
                now = self._clock()
                changed: int = self._held(events, claim).update(
                    updated_at=now, lease_expires_at=now + lease
                )
        finally:
            # Renewals come from checkoutkit's lease-renewer thread, where no request ends to
            # close old connections: a renewal (every third of a lease) opens its own, so that
            # no idle connection is kept, and none outlives a database restart.
            self._drop_connection()
        return changed == 1

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        """Give the key back after a failure: ``pending`` (retried) or ``failed`` if permanent."""
        status = EventStatus.FAILED if permanent else EventStatus.PENDING
        return self._finish(claim, status, error, "release")

    def requeue(self, key: str) -> bool:
        """Move a permanently ``failed`` key back to ``pending``; False if it was not failed."""
        events = self._events()
        with self._errors("requeue", key):
            changed: int = events.filter(key=key, status=EventStatus.FAILED.value).update(
                status=EventStatus.PENDING.value, updated_at=self._clock()
            )
        return changed == 1

    def get(self, key: str) -> EventRecord | None:
        """The record of ``key``, or None."""
        events = self._events()
        with self._errors("read", key):
            row = events.filter(key=key).values_list(*RECORD_COLUMNS).first()
        return None if row is None else record_from_row(row)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        """Records filtered by status and ``fnmatch`` type pattern, oldest first."""
        query = self._events().all()
        if status is not None:
            query = query.filter(status=EventStatus(status).value)
        with self._errors("list the events"):
            rows = list(query.order_by("created_at", "key").values_list(*RECORD_COLUMNS))
        return matching_records(rows, type_pattern)

    def transaction(self, claim: Claim) -> _Transaction:
        """Run the held ``claim``'s work in ``transaction.atomic(using=...)``; yield the alias.

        The work's ORM writes on that database join the transaction by themselves (and
        ``transaction.on_commit`` callbacks run once it committed). Leaving the block normally
        records the key as succeeded in the same transaction and commits; if the claim was taken
        over or finished meanwhile, :class:`~checkoutkit.ClaimLostError` is raised and everything
        rolls back. An exception in the block rolls back and propagates unchanged.
        """
        if claim.outcome is not ClaimOutcome.CLAIMED or not claim.token:
            raise ConfigurationError(
                f"only a held claim opens a transaction; {claim.key!r} is {claim.outcome.value}"
            )
        return _Transaction(self, claim)


class _Transaction:
    """``transaction(claim)``: the atomic block, and the record written just before it commits."""

    def __init__(self, store: DjangoStore, claim: Claim) -> None:
        self._store = store
        self._claim = claim
        self._atomic: Any = None

    def __enter__(self) -> str:
        store = self._store
        events = store._own_transaction("transaction")
        self._events = events
        atomic = transaction.atomic(using=store.using)
        with store._errors("open the transaction of", self._claim.key):
            atomic.__enter__()
        self._atomic = atomic
        return store.using

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        atomic, store, claim = self._atomic, self._store, self._claim
        if exc_type is not None:
            atomic.__exit__(exc_type, exc, tb)  # rolls back; the work's error propagates
            return
        try:
            with store._errors("record the work of", claim.key):
                recorded = store._held(self._events, claim).update(
                    status=EventStatus.SUCCEEDED.value,
                    last_error=None,
                    updated_at=store._clock(),
                    lease_expires_at=None,
                    token=None,
                )
        except BaseException as failure:
            atomic.__exit__(type(failure), failure, failure.__traceback__)
            raise
        if recorded != 1:
            lost = ClaimLostError(
                f"{claim.key}: the claim was taken over or finished before its work committed; "
                "everything the work wrote is rolled back"
            )
            atomic.__exit__(ClaimLostError, lost, None)
            raise lost
        with store._errors("commit the work of", claim.key):
            atomic.__exit__(None, None, None)


def _check_length(what: str, value: str) -> None:
    if len(value) > MAX_KEY_LENGTH:
        raise ConfigurationError(
            f"a DjangoStore {what} is at most {MAX_KEY_LENGTH} characters: {value[:40]!r}..."
        )
    if "\x00" in value:  # PostgreSQL's text cannot hold it
        raise ConfigurationError(f"a DjangoStore {what} cannot contain NUL: {value[:40]!r}")


def _text(error: str | None, using: str) -> str | None:
    """An error message as the database's text column holds it: PostgreSQL's holds no NUL, so
    there it is spelled out (other databases keep the message as it is)."""
    if error is None or connections[using].vendor != "postgresql":
        return error
    return error.replace("\x00", "\\x00")


def _load_model(using: str) -> type[Event]:
    """The ``Event`` model, once Django is set up, the app installed and ``using`` defined.

    Django is set up here when it is not yet and ``DJANGO_SETTINGS_MODULE`` names the settings
    (as for ``checkoutkit replay --store django://default``).
    """
    import django
    from django.apps import apps
    from django.conf import settings

    if not apps.ready:
        if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
            raise ConfigurationError(
                "DjangoStore needs Django's settings: set DJANGO_SETTINGS_MODULE "
                "(or call django.setup() first)"
            )
        django.setup()
    if not apps.is_installed(APP):
        raise ConfigurationError(
            f"DjangoStore needs {APP!r} in INSTALLED_APPS (then run manage.py migrate)"
        )
    if using not in connections.settings:
        raise ConfigurationError(f"DjangoStore(using={using!r}): no such database in DATABASES")
    from checkoutkit.stores.django.models import Event

    return Event
