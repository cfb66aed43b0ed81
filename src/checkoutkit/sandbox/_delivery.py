"""Webhook delivery: signed POSTs to each endpoint, retried with exponential backoff.

Delivery is at least once, as with Stripe: an event is posted to every endpoint until one
attempt is answered 2xx or the schedule runs out. Stripe does not publish its exact intervals
(live mode retries with exponential backoff for up to three days), so the sandbox uses
:data:`RETRY_DELAYS` — tripling from one minute, eight retries, about 2.3 days in all — and
``retry_scale`` shrinks it for tests (``retry_scale=0.001``: 60 ms, 180 ms, 540 ms, …).
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from checkoutkit._signature import signature_header
from checkoutkit.sandbox._state import State

#: Seconds to wait before each retry (before ``retry_scale``).
RETRY_DELAYS: Final = (60, 180, 540, 1620, 4860, 14580, 43740, 131220)

_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks); checkoutkit-sandbox"


class Delivery:
    """The delivery worker: one scheduling thread and a few threads that make the POSTs."""

    def __init__(
        self,
        state: State,
        secret: str,
        *,
        retry_scale: float = 1.0,
        timeout: float = 10.0,
        workers: int = 4,
    ) -> None:
        self.state = state
        self.secret = secret
        self.retry_scale = retry_scale
        self.timeout = timeout
        self._queue: list[tuple[float, int, dict[str, Any], str, int]] = []
        self._seq = itertools.count()
        self._log: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._in_flight = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-webhook")
        self._thread = threading.Thread(target=self._run, name="sandbox-delivery", daemon=True)
        self._thread.start()

    # endpoints -----------------------------------------------------------------------------

    def endpoints(self) -> list[str]:
        """The webhook endpoint URLs events are posted to."""
        return list(self.state.meta.get("endpoints", []))

    def add_endpoint(self, url: str) -> None:
        """Post future events to ``url`` as well (kept across restarts with a database)."""
        current = self.endpoints()
        if url not in current:
            self.state.set_meta("endpoints", [*current, url])

    # scheduling ----------------------------------------------------------------------------

    def submit(self, event: dict[str, Any]) -> int:
        """Queue a first attempt of ``event`` to every endpoint; how many were queued."""
        endpoints = self.endpoints()
        with self._cond:
            for url in endpoints:
                heapq.heappush(self._queue, (time.monotonic(), next(self._seq), event, url, 1))
            self._cond.notify_all()
        return len(endpoints)

    def redeliver(self, event: dict[str, Any]) -> int:
        """Send an event again to every endpoint (a fresh retry schedule)."""
        return self.submit(event)

    def log(self, *, event_id: str | None = None) -> list[dict[str, Any]]:
        """Every attempt so far, oldest first (optionally for one event)."""
        with self._cond:
            return [dict(e) for e in self._log if event_id is None or e["event"] == event_id]

    def pending(self) -> int:
        """Attempts queued or in flight."""
        with self._cond:
            return len(self._queue) + self._in_flight

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._queue and self._queue[0][0] <= time.monotonic():
                        break
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(wait)
                if self._stopping:
                    return
                _, _, event, url, attempt = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._pool.submit(self._attempt, event, url, attempt)
            except RuntimeError:  # the pool shut down while stopping
                return

    def _attempt(self, event: dict[str, Any], url: str, attempt: int) -> None:
        body = json.dumps(event, indent=2).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - endpoints are http(s) URLs by contract
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": _USER_AGENT,
                "Stripe-Signature": signature_header(body, (self.secret,), int(time.time())),
            },
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        entry = {
            "event": event["id"],
            "type": event["type"],
            "endpoint": url,
            "attempt": attempt,
            "status": status,
            "error": error,
            "succeeded": ok,
            "at": time.time(),
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
            "next_attempt_in": None,
        }
        with self._cond:
            if not ok and attempt <= len(RETRY_DELAYS) and not self._stopping:
                delay = RETRY_DELAYS[attempt - 1] * self.retry_scale
                entry["next_attempt_in"] = delay
                heapq.heappush(
                    self._queue,
                    (time.monotonic() + delay, next(self._seq), event, url, attempt + 1),
                )
                self._cond.notify_all()
            self._log.append(entry)
            self._in_flight -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no attempt is queued or in flight; True when that happened in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self) -> None:
        """Stop the worker; attempts in flight finish, queued ones are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
