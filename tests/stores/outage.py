"""Helpers for the outage tests: bounded waits around store calls while a server is down.

No test asserts a duration: a call that does not return within its bound fails the test as a
hang, and the durations seen are printed (run with ``-s`` to read them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from checkoutkit import StoreUnavailableError
from checkoutkit.stores import Claim, ClaimOutcome, EventStore

from .loop import LoopThread, SyncOverAsync

T = TypeVar("T")


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()`` in a thread; its result or exception, or AssertionError if it hangs."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise AssertionError(f"the store call did not return within {seconds} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]


def unavailable(what: str, call: Callable[[], object], *, bound: float) -> float:
    """Assert that ``call()`` raises StoreUnavailableError within ``bound`` seconds."""
    started = time.monotonic()
    try:
        within(bound, call)
    except StoreUnavailableError:
        took = time.monotonic() - started
        print(f"[outage] {what}: StoreUnavailableError after {took:.3f} s")
        return took
    raise AssertionError(f"{what}: the call succeeded although the store is unreachable")


def until_it_works(what: str, call: Callable[[], T], *, bound: float = 60.0) -> tuple[T, int]:
    """Call until it stops raising StoreUnavailableError (within ``bound`` seconds in all).

    Returns the result and how many calls failed first.
    """
    started = time.monotonic()
    deadline = started + bound
    failures = 0
    while True:
        try:
            result = within(max(deadline - time.monotonic(), 0.1), call)
        except StoreUnavailableError:
            failures += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
            continue
        took = time.monotonic() - started
        print(f"[outage] {what}: worked again after {took:.3f} s, {failures} failed call(s)")
        return result, failures


#: The event type the outage tests claim, and the stores' timeout in them.
PAID = "invoice.paid"
TIMEOUT = 1.0

MakeStore = Callable[..., EventStore]


@contextmanager
def store_maker(
    mode: str, make_sync: Callable[..., EventStore], make_async: Callable[..., Any]
) -> Iterator[MakeStore]:
    """Make stores for one test: sync ones, or async ones driven from another thread's loop.

    ``make_sync(**kwargs)`` and ``make_async(**kwargs)`` build the store; every store made is
    closed when the test ends, with the stores' timeout set to :data:`TIMEOUT` by default.
    """
    closers: list[Callable[[], Any]] = []
    loop = LoopThread() if mode == "async" else None

    def make(**kwargs: Any) -> EventStore:
        kwargs.setdefault("timeout", TIMEOUT)
        if loop is None:
            store = make_sync(**kwargs)
            closers.append(store.close)  # type: ignore[attr-defined]
            return store

        async def create() -> Any:
            return make_async(**kwargs)

        inner = loop.run(create())
        closers.append(lambda: loop.run(inner.close()))
        return SyncOverAsync(loop, inner)

    try:
        yield make
    finally:
        for close in closers:
            close()
        if loop is not None:
            loop.stop()


def claimed(store: EventStore, key: str) -> Claim:
    """A claim on ``key`` that must be granted."""
    claim = store.claim(key, type=PAID, lease=30)
    assert claim.outcome is ClaimOutcome.CLAIMED, claim
    return claim
