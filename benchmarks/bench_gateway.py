"""Gateway against the sandbox: session creation rate, and the latency of a whole paid flow.

1. Sessions created per second through the stripe SDK against an in-process sandbox:
   ``CheckoutGateway.create`` (validation, derived idempotency key, typed view) next to the
   floor, the bare SDK call ``client.v1.checkout.sessions.create`` with the same params, measured
   in the same run, taking turns. Target: at least 300 sessions/s through the gateway.
2. One whole flow: create → pay through the sandbox's ``/_sandbox`` control endpoint → the
   ``checkout.session.completed`` webhook received by a local HTTP server and verified with
   ``checkoutkit.verify_signature``. Median and 90th percentile. Target: median at most 150 ms.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BATCH = 50
REPEATS = 12
FLOWS = 60
CREATE_TARGET = 300.0
FLOW_TARGET_MS = 150.0


def _params(reference: str) -> dict[str, Any]:
    return {
        "mode": "payment",
        "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        "client_reference_id": reference,
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2000,
                    "product_data": {"name": "T-shirt"},
                },
                "quantity": 2,
            }
        ],
    }


class _Receiver:
    """A webhook endpoint that verifies each delivery and signals the session it completes."""

    def __init__(self, secret: str) -> None:
        from checkoutkit import SignatureVerifier

        verifier = SignatureVerifier(secret)
        self.completed: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                verifier.verify(body, self.headers.get("Stripe-Signature"))
                event = json.loads(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if event["type"] == "checkout.session.completed":
                    receiver.signal(event["data"]["object"]["id"])

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks"

    def expect(self, session_id: str) -> threading.Event:
        with self.lock:
            return self.completed.setdefault(session_id, threading.Event())

    def signal(self, session_id: str) -> None:
        self.expect(session_id).set()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _creation_rates() -> dict[str, float]:
    """Best sessions/s of the gateway and of the bare SDK call, taking turns."""
    from checkoutkit import CheckoutGateway
    from checkoutkit.sandbox import Sandbox

    counter = iter(range(10**9))
    with Sandbox() as sandbox, CheckoutGateway.for_sandbox(sandbox) as gateway:
        client = gateway.client

        def sdk() -> None:
            for _ in range(BATCH):
                client.v1.checkout.sessions.create(params=_params(f"sdk-{next(counter)}"))  # type: ignore[arg-type]

        def through_gateway() -> None:
            for _ in range(BATCH):
                gateway.create(_params(f"gw-{next(counter)}"))

        contenders: dict[str, Callable[[], None]] = {"sdk": sdk, "gateway": through_gateway}
        for loop in contenders.values():  # warm up connections and caches
            loop()
        best = dict.fromkeys(contenders, float("inf"))
        for _ in range(REPEATS):
            for name, loop in contenders.items():
                start = time.perf_counter()
                loop()
                best[name] = min(best[name], time.perf_counter() - start)
    return {name: BATCH / seconds for name, seconds in best.items()}


def _flow_latencies() -> list[float]:
    """Milliseconds from create to a verified checkout.session.completed, one flow at a time."""
    import httpx

    from checkoutkit import CheckoutGateway
    from checkoutkit.sandbox import Sandbox

    with Sandbox() as sandbox:
        receiver = _Receiver(sandbox.webhook_secret)
        sandbox.add_webhook_endpoint(receiver.url)
        controls = httpx.Client(base_url=sandbox.url)
        times: list[float] = []
        try:
            with CheckoutGateway.for_sandbox(sandbox) as gateway:
                for i in range(FLOWS + 5):
                    start = time.perf_counter()
                    session = gateway.create(_params(f"flow-{i}"))
                    done = receiver.expect(session.id)
                    paid = controls.post(
                        f"/_sandbox/sessions/{session.id}/pay", data={"card": "4242424242424242"}
                    )
                    assert paid.json()["status"] == "succeeded", paid.text
                    if not done.wait(10):
                        raise RuntimeError(f"no webhook for {session.id}")
                    if i >= 5:  # the first flows warm up connections
                        times.append((time.perf_counter() - start) * 1000)
        finally:
            controls.close()
            receiver.stop()
    return times


def run() -> list[tuple[str, str]]:
    """Creation rate (gateway and SDK floor) and whole-flow latency."""
    rates = _creation_rates()
    flows = sorted(_flow_latencies())
    median = statistics.median(flows)
    p90 = flows[int(len(flows) * 0.9) - 1]
    gw, sdk = rates["gateway"], rates["sdk"]
    return [
        ("create via gateway (sessions/s)", f"{gw:,.0f}/s (target >= {CREATE_TARGET:.0f}/s)"),
        ("create via bare SDK call (floor)", f"{sdk:,.0f}/s"),
        ("gateway time / SDK time", f"{sdk / gw:.2f}x"),
        (
            "create -> pay -> verified webhook, median",
            f"{median:.1f} ms (target <= {FLOW_TARGET_MS:.0f} ms)",
        ),
        ("create -> pay -> verified webhook, p90", f"{p90:.1f} ms"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:45} {figure}")
