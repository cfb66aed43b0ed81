"""Run a piece of work once per key: claim it, keep the lease alive while it runs, record the end.

The router (per event) and :class:`~checkoutkit.Checkout` (per paid session) share this one path:

1. ``claim`` the key in the event store: only ``CLAIMED`` runs the work;
2. while the work runs, the claim's lease is renewed every third of the lease, so a slow
   handler is not taken over by another worker;
3. when the work returns, ``complete`` is recorded; a store that fails then (an outage, a lock
   past its timeout) is retried with a bounded backoff that ends well inside the lease, and the
   lease is still renewed meanwhile, so work that returned is not run again because of a
   hiccup;
4. when the work raises, the claim is released: ``pending`` (the next delivery runs it again)
   or, for :class:`~checkoutkit.PermanentFailure` and
   :class:`~checkoutkit.WebhookPayloadError`, ``failed``.

One window remains: a process that dies after the work returned and before ``complete`` is
recorded leaves the claim to expire, and the next delivery runs the work again.

A transactional store (:class:`~checkoutkit.stores.TransactionalEventStore`) closes it: with
``transactional=True`` the work runs inside the store's ``transaction(claim)``, which records
the key as succeeded in the same database transaction as the work's own writes, so the two
commit or roll back together, and step 3 has nothing left to do. The work gets the
transaction's handle as its one argument (None without a transaction).

Errors of the store itself surface as :class:`~checkoutkit.StoreError`, whatever the store
raised.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from checkoutkit.exceptions import (
    ClaimLostError,
    ConfigurationError,
    PermanentFailure,
    RetryLater,
    StoreError,
    StoreUnavailableError,
    WebhookPayloadError,
)
from checkoutkit.stores import Claim, ClaimOutcome, EventRecord, EventStatus

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "describe",
    "is_permanent",
    "is_transactional",
    "run_once",
    "run_once_async",
]

_log = logging.getLogger("checkoutkit.store")
_T = TypeVar("_T")

#: Completion is retried for at most this long (and at most half the lease).
MAX_RECORD_RETRY = 10.0
_FIRST_BACKOFF = 0.05
_MAX_BACKOFF = 1.0
_MAX_ERROR_CHARS = 2000


def describe(exc: BaseException) -> str:
    """``Type: message``, shortened for a store's ``last_error``."""
    return f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]


def is_permanent(exc: BaseException) -> bool:
    """True for a failure that no retry can mend: it is recorded as ``failed``."""
    return isinstance(exc, (PermanentFailure, WebhookPayloadError))


def record_budget(lease: float) -> float:
    """How long completion is retried: half the lease, at most :data:`MAX_RECORD_RETRY`.

    A renewal happens at least every third of the lease, so retrying for half of it ends
    before a lease that could no longer be renewed expires.
    """
    return min(lease / 2, MAX_RECORD_RETRY)


def _store_error(exc: Exception, what: str, key: str) -> StoreError:
    if isinstance(exc, StoreError):
        return exc
    error = StoreUnavailableError(f"the event store failed to {what} {key}: {describe(exc)}")
    error.__cause__ = exc
    return error


def _backoffs(budget: float) -> Iterator[float]:
    """Pauses between attempts (doubling from 50 ms to 1 s) until ``budget`` seconds are used."""
    deadline = time.monotonic() + budget
    pause = _FIRST_BACKOFF
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        yield min(pause, left)
        pause = min(pause * 2, _MAX_BACKOFF)


def _log_lost(claim: Claim) -> None:
    _log.warning(
        "%s: the work finished, but its claim had been taken over by another worker after the "
        "lease expired; raise the lease above the longest run",
        claim.key,
    )


def _log_rolled_back(claim: Claim) -> None:
    _log.warning(
        "%s: the work's transaction was rolled back: its claim had been taken over by another "
        "worker after the lease expired, which does the work instead; raise the lease above the "
        "longest run",
        claim.key,
    )


def _log_unrecorded(claim: Claim, exc: StoreError, budget: float) -> None:
    _log.error(
        "%s: the work finished, but the event store could not record it for %.1f s (%s); it "
        "may run again once the lease expires",
        claim.key,
        budget,
        exc,
    )


# -- keeping a lease alive -----------------------------------------------------------------


class _Renewal:
    __slots__ = ("claim", "done", "due", "lease", "store")

    def __init__(self, store: Any, claim: Claim, lease: float) -> None:
        self.store = store
        self.claim = claim
        self.lease = lease
        self.done = False
        self.due = 0.0


class _Renewer:
    """One daemon thread per process that renews the leases of sync stores' running claims.

    Claims wait in one queue per renewal interval, so each queue is in order of due time;
    registering one is an append, and most work ends before its first renewal is due (its
    entry is dropped when the thread gets to it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards starting the thread and adding queues
        self._queues: dict[float, deque[_Renewal]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def forget(self) -> None:
        """In a forked child: the parent's thread and its claims are not ours."""
        self.__init__()  # type: ignore[misc]

    def add(self, renewal: _Renewal, interval: float) -> None:
        renewal.due = time.monotonic() + interval
        queue = self._queues.get(interval)
        if queue is None:
            queue = self._queue(interval)
        queue.append(renewal)

    def _queue(self, interval: float) -> deque[_Renewal]:
        with self._lock:
            queue = self._queues.setdefault(interval, deque())
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="checkoutkit-lease-renewer", daemon=True
                )
                self._thread.start()
        self._wake.set()  # a shorter interval than any so far: look again now
        return queue

    def _run(self) -> None:
        while True:
            pause = self._renew_due()
            self._wake.wait(pause)
            self._wake.clear()

    def _renew_due(self) -> float:
        """Renew the claims whose renewal is due; the pause until one may be due again."""
        pause = math.inf
        for interval, queue in list(self._queues.items()):
            while queue and (queue[0].done or queue[0].due <= time.monotonic()):
                renewal = queue.popleft()
                if renewal.done:
                    continue
                again = _renew_sync(renewal)
                if again is not None and not renewal.done:
                    self.add(renewal, again)
            # An empty queue is looked at twice per interval: new entries are due after one.
            wait = queue[0].due - time.monotonic() if queue else interval / 2
            pause = min(pause, wait)
        return max(pause, 0.001)


def _renew_sync(renewal: _Renewal) -> float | None:
    """Renew once; the pause until the next renewal, or None to stop."""
    try:
        kept = renewal.store.renew(renewal.claim, lease=renewal.lease)
    except Exception as exc:
        _log.warning("%s: renewing the lease failed: %s", renewal.claim.key, describe(exc))
        return _retry_interval(renewal.lease)
    if not kept:
        renewal.done = True
        return None
    return _interval(renewal.lease)


def _interval(lease: float) -> float:
    """Renew every third of the lease: two renewals may fail before it expires."""
    return lease / 3


def _retry_interval(lease: float) -> float:
    return min(lease / 6, 1.0)


_RENEWER = _Renewer()
os.register_at_fork(after_in_child=_RENEWER.forget)


def _can_renew(store: Any) -> bool:
    return callable(getattr(store, "renew", None))


def _keep_alive(store: Any, claim: Claim, lease: float) -> _Renewal | None:
    """Start renewing ``claim`` from the renewer thread; set ``done`` on the result to stop."""
    if not _can_renew(store):
        return None
    renewal = _Renewal(store, claim, lease)
    _RENEWER.add(renewal, _interval(lease))
    return renewal


def _stop(renewal: _Renewal | None) -> None:
    if renewal is not None:
        renewal.done = True


# -- sync ----------------------------------------------------------------------------------


def is_transactional(store: Any) -> bool:
    """True for a store that records work in the work's own database transaction."""
    return callable(getattr(store, "transaction", None))


def _is_async_store(store: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(store, "claim", None))


def run_once(
    store: Any,
    key: str,
    *,
    type: str,
    lease: float,
    work: Callable[[Any], _T],
    payload: bytes | None = None,
    transactional: bool = False,
) -> tuple[ClaimOutcome, _T | None]:
    """Claim ``key`` and run ``work`` once; ``(CLAIMED, result)`` when this call ran it.

    ``(DONE, None)``: the work was done before; ``(BUSY, None)``: another worker holds the
    claim (or took it over while a transaction ran, which then rolled back). An exception from
    ``work`` releases the claim and propagates; a store failure raises
    :class:`~checkoutkit.StoreError` (after the work returned: only once recording it has been
    retried for :func:`record_budget` seconds).

    ``work`` gets the transaction's handle with ``transactional=True`` on a transactional
    store, else None.
    """
    in_transaction = transactional and is_transactional(store)
    if in_transaction and _is_async_store(store):
        raise ConfigurationError("an async transactional store needs the async path")
    try:
        claim: Claim = store.claim(key, type=type, lease=lease, payload=payload)
    except Exception as exc:
        raise _store_error(exc, "claim", key) from exc
    if claim.outcome is not ClaimOutcome.CLAIMED:
        return claim.outcome, None
    renewal = _keep_alive(store, claim, lease)
    try:
        result = _in_transaction(store, claim, work) if in_transaction else work(None)
    except ClaimLostError:
        _stop(renewal)
        _log_rolled_back(claim)
        return ClaimOutcome.BUSY, None
    except BaseException as exc:
        _stop(renewal)
        _release(store, claim, exc)
        raise
    try:
        if not in_transaction:
            _complete(store, claim, lease)
    finally:
        _stop(renewal)
    return ClaimOutcome.CLAIMED, result


def _in_transaction(store: Any, claim: Claim, work: Callable[[Any], _T]) -> _T:
    """Run ``work`` in the store's transaction for ``claim``, which records it on commit."""
    with store.transaction(claim) as handle:
        return work(handle)


def _release(store: Any, claim: Claim, exc: BaseException) -> None:
    """Give the claim back after ``exc``; a store failure here only shortens nothing: logged."""
    try:
        store.release(claim, error=_error_of(exc), permanent=is_permanent(exc))
    except Exception as failure:
        _log.warning(
            "%s: releasing the claim failed (%s); it is retried once its lease expires",
            claim.key,
            describe(failure),
        )


def _error_of(exc: BaseException) -> str:
    if isinstance(exc, RetryLater):
        return f"retry later: {exc}"[:_MAX_ERROR_CHARS]
    return describe(exc)


def _complete(store: Any, claim: Claim, lease: float) -> None:
    budget = record_budget(lease)
    pauses = _backoffs(budget)
    retried = False
    while True:
        try:
            completed = store.complete(claim) or (retried and _succeeded(store.get(claim.key)))
        except Exception as exc:
            pause = next(pauses, None)
            if pause is None:
                error = _store_error(exc, "record the completion of", claim.key)
                _log_unrecorded(claim, error, budget)
                raise error from exc
            time.sleep(pause)
            retried = True
            continue
        if not completed:
            _log_lost(claim)
        return


def _succeeded(record: EventRecord | None) -> bool:
    """After a failed ``complete``, whether it had been recorded before the failure showed.

    A ``complete`` whose answer was lost (the connection broke after the server committed)
    finds the claim finished when retried: ``succeeded`` then means it was recorded.
    """
    return record is not None and record.status is EventStatus.SUCCEEDED


# -- async ---------------------------------------------------------------------------------


async def _call(store: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a store method, sync or async (a sync store's calls are short)."""
    result = getattr(store, name)(*args, **kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


@contextmanager
def _kept_alive_async(store: Any, claim: Claim, lease: float) -> Iterator[None]:
    """Renew an async store's lease from the running loop; a sync store's from the thread."""
    if not _is_async_store(store):
        renewal = _keep_alive(store, claim, lease)
        try:
            yield
        finally:
            _stop(renewal)
        return
    if not _can_renew(store):
        yield
        return
    import asyncio

    loop = asyncio.get_running_loop()
    renewal = _Renewal(store, claim, lease)
    handles: list[asyncio.TimerHandle | asyncio.Task[None]] = []

    async def renew() -> None:
        try:
            kept = await store.renew(claim, lease=lease)
        except Exception as exc:
            _log.warning("%s: renewing the lease failed: %s", claim.key, describe(exc))
            schedule(_retry_interval(lease))
            return
        if kept:
            schedule(_interval(lease))

    def schedule(pause: float) -> None:
        if not renewal.done:
            handles.append(
                loop.call_later(pause, lambda: handles.append(loop.create_task(renew())))
            )

    schedule(_interval(lease))
    try:
        yield
    finally:
        renewal.done = True
        for handle in handles:
            handle.cancel()


async def run_once_async(
    store: Any,
    key: str,
    *,
    type: str,
    lease: float,
    work: Callable[[Any], Awaitable[_T]] | None = None,
    blocking: Callable[[Any], _T] | None = None,
    payload: bytes | None = None,
    transactional: bool = False,
) -> tuple[ClaimOutcome, _T | None]:
    """The async twin of :func:`run_once`, for a sync or an async store.

    Give ``work`` (awaited) or ``blocking`` (a plain function, run in a worker thread). A
    worker thread cannot be stopped, so cancelling the caller while ``blocking`` runs does not
    give the claim back: the claim is kept, the outcome is recorded when the thread ends, and
    then ``CancelledError`` propagates.

    With ``transactional=True``, a sync transactional store's transaction runs in the worker
    thread, around ``blocking`` (``work`` cannot join it); an async one's around ``work``.
    """
    if (work is None) == (blocking is None):
        raise ConfigurationError("run_once_async needs one of work= and blocking=")
    in_transaction = transactional and is_transactional(store)
    async_store = _is_async_store(store)
    if in_transaction and (blocking is None) != async_store:
        raise ConfigurationError(
            "a transactional store of sync code runs plain callbacks (in a worker thread), and "
            "an async one runs async callbacks: the callback must be able to use its transaction"
        )
    try:
        claim: Claim = await _call(store, "claim", key, type=type, lease=lease, payload=payload)
    except Exception as exc:
        raise _store_error(exc, "claim", key) from exc
    if claim.outcome is not ClaimOutcome.CLAIMED:
        return claim.outcome, None
    if blocking is not None:
        return await _run_to_the_end(store, claim, lease, blocking, in_transaction)
    assert work is not None
    with _kept_alive_async(store, claim, lease):
        try:
            if in_transaction:
                async with store.transaction(claim) as handle:
                    result = await work(handle)
            else:
                result = await work(None)
        except ClaimLostError:
            _log_rolled_back(claim)
            return ClaimOutcome.BUSY, None
        except BaseException as exc:
            await _release_async(store, claim, exc)
            raise
        if not in_transaction:
            await _complete_async(store, claim, lease)
    return ClaimOutcome.CLAIMED, result


def _in_thread(
    store: Any, claim: Claim, blocking: Callable[[Any], _T], in_transaction: bool
) -> Awaitable[_T]:
    """Run ``blocking`` in a worker thread (in the store's transaction if asked): its future.

    The executor's future, not a task: the loop's shutdown cancels tasks, and the claim must
    stay until the thread has really finished.
    """
    import asyncio
    import contextvars
    import functools

    call = (
        functools.partial(_in_transaction, store, claim, blocking)
        if in_transaction
        else functools.partial(blocking, None)
    )
    context = contextvars.copy_context()
    return asyncio.get_running_loop().run_in_executor(None, context.run, call)


async def _run_to_the_end(
    store: Any, claim: Claim, lease: float, blocking: Callable[[Any], _T], in_transaction: bool
) -> tuple[ClaimOutcome, _T | None]:
    """Run and record ``blocking`` even when the caller is cancelled meanwhile, then re-raise."""
    import asyncio

    with _kept_alive_async(store, claim, lease):
        done, cancelled = await _unstoppable(_in_thread(store, claim, blocking, in_transaction))
        if cancelled:
            _log.info(
                "%s: cancelled while its work runs in a worker thread; the claim is kept until "
                "the work ends and its outcome is recorded",
                claim.key,
            )
        failure = asyncio.CancelledError() if done.cancelled() else done.exception()
        lost = isinstance(failure, ClaimLostError)
        if lost:
            _log_rolled_back(claim)
            recorded, again = None, False
        elif failure is not None:
            recorded, again = await _unstoppable(_release_async(store, claim, failure))
        elif in_transaction:
            recorded, again = None, False
        else:
            recorded, again = await _unstoppable(_complete_async(store, claim, lease))
    if cancelled or again or (recorded is not None and recorded.cancelled()):
        raise asyncio.CancelledError
    if lost:
        return ClaimOutcome.BUSY, None
    if failure is not None:
        raise failure
    error = None if recorded is None else recorded.exception()
    if error is not None:
        raise error
    return ClaimOutcome.CLAIMED, done.result()


async def _unstoppable(awaitable: Awaitable[_T]) -> tuple[asyncio.Future[_T], bool]:
    """Wait for ``awaitable`` to end whatever happens to the caller; (its future, cancelled?)."""
    import asyncio

    future = asyncio.ensure_future(awaitable)
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait({future})
        except asyncio.CancelledError:
            cancelled = True
    return future, cancelled


async def _release_async(store: Any, claim: Claim, exc: BaseException) -> None:
    try:
        await _call(store, "release", claim, error=_error_of(exc), permanent=is_permanent(exc))
    except Exception as failure:
        _log.warning(
            "%s: releasing the claim failed (%s); it is retried once its lease expires",
            claim.key,
            describe(failure),
        )


async def _complete_async(store: Any, claim: Claim, lease: float) -> None:
    import asyncio

    budget = record_budget(lease)
    pauses = _backoffs(budget)
    retried = False
    while True:
        try:
            completed = await _call(store, "complete", claim) or (
                retried and _succeeded(await _call(store, "get", claim.key))
            )
        except Exception as exc:
            pause = next(pauses, None)
            if pause is None:
                error = _store_error(exc, "record the completion of", claim.key)
                _log_unrecorded(claim, error, budget)
                raise error from exc
            await asyncio.sleep(pause)
            retried = True
            continue
        if not completed:
            _log_lost(claim)
        return
