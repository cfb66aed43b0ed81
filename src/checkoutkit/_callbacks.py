"""Calling an application's callbacks: plain or ``async``, with or without a transaction.

A callback given to :class:`~checkoutkit.Checkout` (or a router handler) takes the session (or
event); on a transactional store it may take a second parameter, the transaction's handle
(a SQLAlchemy ``Session``, a Django database alias), to write its effects through.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeGuard, TypeVar

from checkoutkit.exceptions import ConfigurationError

__all__ = [
    "call_async",
    "call_sync",
    "in_event_loop",
    "is_coroutine_function",
    "takes_transaction",
    "with_handle",
]

_A = TypeVar("_A")


def in_event_loop() -> bool:
    """True when called from a running asyncio loop (asyncio itself is imported only if used)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def is_coroutine_function(
    callback: Callable[..., object],
) -> TypeGuard[Callable[..., Coroutine[Any, Any, Any]]]:
    """True for an ``async def`` function, or an object with an ``async def __call__``."""
    return inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 (an object with an async __call__)
    )


def takes_transaction(callback: Callable[..., object]) -> bool:
    """True when ``callback`` accepts a second positional argument: the transaction's handle.

    Known per callback after its first call (reading a signature is slow next to a call).
    """
    try:
        return _takes_transaction(callback)
    except TypeError:  # an unhashable callable object
        return _reads_signature(callback)


@functools.lru_cache(maxsize=256)
def _takes_transaction(callback: Callable[..., object]) -> bool:
    return _reads_signature(callback)


def _reads_signature(callback: Callable[..., object]) -> bool:
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # a builtin without a signature: one argument
        return False
    try:
        signature.bind(None, None)
    except TypeError:
        return False
    return True


def with_handle(callback: Callable[..., object]) -> Callable[[_A, Any], object]:
    """``callback`` as a function of (argument, handle), passing the handle only if it takes it.

    An ``async`` callback stays an ``async`` function, so callers can still tell.
    """
    if takes_transaction(callback):
        return callback
    if is_coroutine_function(callback):

        async def call_async_without(argument: _A, handle: Any) -> object:
            return await callback(argument)

        return call_async_without

    def call_without(argument: _A, handle: Any) -> object:
        return callback(argument)

    return call_without


def call_sync(callback: Callable[..., object], *args: Any) -> object:
    """Call ``callback`` from sync code; an ``async`` one runs to its end in a new event loop."""
    if is_coroutine_function(callback):
        if in_event_loop():
            raise ConfigurationError(
                "an async callback cannot run from sync code inside an event loop: "
                "use fulfil_async() (the FastAPI adapter does)"
            )
        import asyncio

        return asyncio.run(callback(*args))
    return callback(*args)


async def call_async(callback: Callable[..., object], *args: Any, blocking: bool) -> object:
    """Await ``callback``; a plain one runs in a worker thread when it may block."""
    if is_coroutine_function(callback):
        return await callback(*args)
    if blocking:
        import asyncio

        result = await asyncio.to_thread(callback, *args)
    else:
        result = callback(*args)
    if inspect.isawaitable(result):
        return await result
    return result
