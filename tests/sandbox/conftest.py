"""Fixtures for the sandbox tests: a running sandbox and a stripe SDK client pointed at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from checkoutkit.sandbox import Sandbox


@pytest.fixture
def box() -> Iterator[Sandbox]:
    """A sandbox with fast retries and SEPA settlement in 2 s.

    Long enough for a test to see a debit still unpaid on a busy machine, short enough to wait for.
    """
    with Sandbox(retry_scale=0.001, async_delay=2.0) as running:
        yield running


@pytest.fixture
def client(box: Sandbox) -> stripe.StripeClient:
    """The real stripe SDK (a ``StripeClient`` with ``base_addresses``) talking to the sandbox."""
    return box.client("sk_test_123")


@pytest.fixture
def price(client: stripe.StripeClient) -> stripe.Price:
    """A one-time USD price of 15.00."""
    return client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 1500, "product_data": {"name": "T-shirt"}}
    )


@pytest.fixture
def session_params(price: stripe.Price) -> dict[str, Any]:
    """Valid payment-mode session parameters: two of :func:`price`."""
    return {
        "mode": "payment",
        "line_items": [{"price": price.id, "quantity": 2}],
        "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
    }


class Receiver:
    """A real local HTTP server that records webhook posts; fails the first ``fail_first``."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.attempts = 0
        self.lock = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.attempts += 1
                    failing = outer.attempts <= outer.fail_first
                    if not failing:
                        outer.received.append((body, dict(self.headers.items())))
                    outer.lock.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until ``count`` events arrived; their parsed bodies."""
        with self.lock:
            self.lock.wait_for(lambda: len(self.received) >= count, timeout)
            return [json.loads(body) for body, _ in self.received]

    def types(self) -> list[str]:
        """Event types received so far."""
        with self.lock:
            return [json.loads(body)["type"] for body, _ in self.received]

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver that answers 200."""
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    """A factory of receivers (``fail_first=n``), all closed after the test."""
    made: list[Receiver] = []

    def make(fail_first: int = 0) -> Receiver:
        r = Receiver(fail_first)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
