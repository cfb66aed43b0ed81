"""Helpers for the outage tests: bounded waits around store calls while a server is down.

No test asserts a duration: a call that does not return within its bound fails the test as a
hang, and the durations seen are printed (run with ``-s`` to read them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from checkoutkit import StoreUnavailableError

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
