"""An application test against the sandbox: create a session, pay it, receive the webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

from checkoutkit.sandbox import Sandbox


def test_paid_checkout(sandbox: Sandbox) -> None:
    """A session paid with 4242 is complete and paid, and its webhook verifies."""
    received: list[stripe.Event] = []
    arrived = threading.Event()

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            event = stripe.Webhook.construct_event(
                body, self.headers["Stripe-Signature"], sandbox.webhook_secret
            )
            received.append(event)
            if event.type == "checkout.session.completed":  # events may arrive in any order
                arrived.set()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sandbox.add_webhook_endpoint(f"http://127.0.0.1:{server.server_port}/webhooks")
    try:
        # A stripe.StripeClient with base_addresses={"api": sandbox.url}; the sandbox keeps
        # connections alive and closes this client's when it stops.
        client = sandbox.client("sk_test_123")
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 2000,
                            "product_data": {"name": "T-shirt"},
                        },
                        "quantity": 1,
                    }
                ],
            }
        )
        result = sandbox.pay(session.id, card="4242424242424242", email="jenny@example.com")
        assert result["status"] == "succeeded"
        assert arrived.wait(10)
        completed = [e for e in received if e.type == "checkout.session.completed"]
        assert completed[0].data.object.id == session.id
        assert json.loads(str(completed[0]))["data"]["object"]["payment_status"] == "paid"
    finally:
        server.shutdown()
        server.server_close()
