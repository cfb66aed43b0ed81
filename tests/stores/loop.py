"""Run an asynchronous store through the synchronous contract, on a loop in another thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any, TypeVar

from checkoutkit import EventStatus
from checkoutkit.stores import AsyncEventStore, Claim, EventRecord

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _await(value: Awaitable[T]) -> T:
    return await value


class SyncOverAsync:
    """An ``EventStore`` whose every call awaits the same call of an ``AsyncEventStore``."""

    def __init__(self, loop: LoopThread, store: AsyncEventStore) -> None:
        self.loop = loop
        self.inner = store

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        return self.loop.run(_await(self.inner.claim(key, type=type, lease=lease, payload=payload)))

    def complete(self, claim: Claim) -> bool:
        return self.loop.run(_await(self.inner.complete(claim)))

    def renew(self, claim: Claim, *, lease: float) -> bool:
        return self.loop.run(_await(self.inner.renew(claim, lease=lease)))

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        return self.loop.run(_await(self.inner.release(claim, error=error, permanent=permanent)))

    def requeue(self, key: str) -> bool:
        return self.loop.run(_await(self.inner.requeue(key)))

    def get(self, key: str) -> EventRecord | None:
        return self.loop.run(_await(self.inner.get(key)))

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        return self.loop.run(_await(self.inner.records(status=status, type_pattern=type_pattern)))
