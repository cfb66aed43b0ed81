"""Support for the gateway tests: a webhook receiver, sandbox controls, sync/async calls."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import httpx

from checkoutkit import CheckoutGateway


@attrs.frozen
class Delivery:
    """One webhook request as it arrived: raw body and headers, and the status answered."""

    body: bytes
    headers: dict[str, str]
    status: int


class WebhookReceiver:
    """A webhook endpoint on a free loopback port (and a shop's "thank you" page for GETs).

    It answers 500 to the first ``fail_first`` deliveries of each event, then 200.
    """

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.deliveries: list[Delivery] = []
        self.pages: list[str] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                event_id = _event_id(body)
                with receiver._cond:
                    tries = sum(1 for d in receiver.deliveries if _event_id(d.body) == event_id)
                    status = 500 if tries < receiver.fail_first else 200
                    receiver.deliveries.append(
                        Delivery(body, {k.lower(): v for k, v in self.headers.items()}, status)
                    )
                    receiver._cond.notify_all()
                reply = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self) -> None:
                with receiver._cond:
                    receiver.pages.append(self.path)
                    receiver._cond.notify_all()
                reply = b"<!doctype html><title>Thanks</title><h1 id=thanks>Thank you</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The URL to give the sandbox as a webhook endpoint."""
        return f"{self.base}/webhooks"

    @property
    def base(self) -> str:
        """The server's base URL; a GET of any other path answers a small "thank you" page."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def wait_for(
        self, predicate: Callable[[list[Delivery]], bool], timeout: float = 10.0
    ) -> list[Delivery]:
        """Block until ``predicate(deliveries)`` holds; fail the test after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.deliveries):
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [d.body[:120] for d in self.deliveries]
                    raise AssertionError(f"webhooks not received in {timeout}s; got {got}")
                self._cond.wait(left)
            return list(self.deliveries)

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _event_id(body: bytes) -> str | None:
    try:
        found = json.loads(body).get("id")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


class LoopThread:
    """One event loop running in a thread for the whole test, as an async application has."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and return its result (or raise its exception)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        """Stop the loop and close it."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


class Api:
    """The gateway's methods, called directly (``sync``) or as their ``_async`` twins."""

    def __init__(self, gateway: CheckoutGateway, mode: str) -> None:
        self.gateway = gateway
        self.mode = mode
        self._loop = LoopThread() if mode == "async" else None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if self._loop is None:
            method: Callable[..., Any] = getattr(self.gateway, name)
            return method
        twin = getattr(self.gateway, name + "_async")
        loop = self._loop
        return lambda *args, **kwargs: loop.run(twin(*args, **kwargs))

    def close(self) -> None:
        """Close the gateway's connections on the loop they belong to, then the loop."""
        if self._loop is None:
            self.gateway.close()
        else:
            self._loop.run(self.gateway.aclose())
            self._loop.close()


class Controls:
    """The sandbox's ``/_sandbox`` test controls, called over HTTP."""

    def __init__(self, url: str) -> None:
        self._http = httpx.Client(base_url=url, timeout=10)

    def _post(self, path: str, **form: Any) -> dict[str, Any]:
        response = self.post(path, **form)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def post(self, path: str, **form: Any) -> httpx.Response:
        """POST a form to a control endpoint and return the response, whatever its status."""
        data = {k: str(v) for k, v in form.items() if v is not None}
        return self._http.post(path, data=data)

    def refused_payment(self, session_id: str, **details: Any) -> dict[str, Any]:
        """Try to pay; assert the sandbox refused the attempt itself and return its error."""
        response = self.post(f"/_sandbox/sessions/{session_id}/pay", **details)
        assert response.status_code == 400, response.text
        error: dict[str, Any] = response.json()["error"]
        return error

    def pay(self, session_id: str, **details: Any) -> dict[str, Any]:
        """Pay with ``card=…`` or ``iban=…`` (plus ``amount``, ``three_d_secure``, …)."""
        return self._post(f"/_sandbox/sessions/{session_id}/pay", **details)

    def authenticate(self, session_id: str, result: str) -> dict[str, Any]:
        """Complete or fail a pending 3D Secure step."""
        return self._post(f"/_sandbox/sessions/{session_id}/authenticate", result=result)

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward."""
        return self._post("/_sandbox/clock/advance", seconds=seconds)

    def deliveries(self, event: str | None = None) -> list[dict[str, Any]]:
        """The sandbox's webhook delivery log, oldest first."""
        params = {"event": event} if event else {}
        response = self._http.get("/_sandbox/deliveries", params=params)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
