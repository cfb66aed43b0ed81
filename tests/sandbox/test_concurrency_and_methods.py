"""Concurrent requests, answer snapshots, card and IBAN checksums, slow webhook receivers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit.sandbox import Sandbox
from checkoutkit.sandbox._methods import iban_ok, luhn_ok
from checkoutkit.sandbox._state import snapshot


def test_concurrent_creates_are_all_kept(box: Sandbox, session_params: dict[str, Any]) -> None:
    """Sessions created from eight threads at once are all distinct and all listed."""

    def create(_: int) -> str:
        client = box.client()
        return client.v1.checkout.sessions.create(params=session_params).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40
    listed = box.client().v1.checkout.sessions.list(params={"limit": 100})
    assert {s.id for s in listed.data} == set(ids)


def test_concurrent_requests_with_one_idempotency_key_make_one_session(
    box: Sandbox, session_params: dict[str, Any]
) -> None:
    """Racing requests with one key all get the same session (the SDK retries the 409s)."""

    def create(_: int) -> str:
        client = box.client(max_network_retries=10)
        session = client.v1.checkout.sessions.create(
            params=session_params, options={"idempotency_key": "race"}
        )
        return session.id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(create, range(12)))
    assert len(ids) == 1
    assert len(box.client().v1.checkout.sessions.list().data) == 1


def _with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_ok(body + digit):
            return body + digit
    raise AssertionError("unreachable")


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.data())
def test_luhn_catches_every_single_digit_error(body: str, data: st.DataObject) -> None:
    """A number with its check digit passes; changing any one digit makes it fail."""
    number = _with_check_digit(body)
    assert luhn_ok(number)
    i = data.draw(st.integers(0, len(number) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[i]]))
    assert not luhn_ok(number[:i] + other + number[i + 1 :])


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(0, 19), st.sampled_from("0123456789"))
def test_iban_checksum_catches_single_digit_errors(position: int, digit: str) -> None:
    """Stripe's test IBAN is valid; changing one digit of its account part makes it invalid."""
    iban = "DE89370400440532013000"
    assert iban_ok(iban)
    i = 4 + position % (len(iban) - 4)
    changed = iban[:i] + digit + iban[i + 1 :]
    assert iban_ok(changed) == (changed == iban)


def test_slow_receiver_times_out_and_gets_a_retry(session_params: dict[str, Any]) -> None:
    """A receiver slower than the delivery timeout is retried; a quick answer then succeeds."""
    calls: list[float] = []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(time.monotonic())
            if len(calls) == 1:
                time.sleep(1.0)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hooks"
    try:
        with Sandbox(forward_to=[url], retry_scale=0.001, delivery_timeout=0.2) as box:
            client = box.client()
            price = client.v1.prices.create(
                params={"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}
            )
            session = client.v1.checkout.sessions.create(
                params={**session_params, "line_items": [{"price": price.id, "quantity": 1}]}
            )
            client.v1.checkout.sessions.expire(session.id)
            deadline = time.monotonic() + 10
            while not any(e["succeeded"] for e in box.deliveries()):
                assert time.monotonic() < deadline
                time.sleep(0.02)
            log = box.deliveries()
            assert log[0]["succeeded"] is False
            assert "timed out" in (log[0]["error"] or "")
            assert log[-1]["attempt"] == 2
    finally:
        server.shutdown()
        server.server_close()


def test_the_sdk_reuses_one_connection(box: Sandbox) -> None:
    """Consecutive SDK calls travel over one kept-alive connection."""
    client = box.client()
    client.v1.customers.create(params={"email": "a@example.com"})
    first = box._server._connections.copy()
    for _ in range(5):
        client.v1.customers.create(params={"email": "b@example.com"})
    assert box._server._connections == first
    assert len(first) == 1


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=40,
)


def _containers(value: Any) -> list[Any]:
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            found.append(item)
            stack.extend(item)
    return found


@settings(max_examples=examples(200))
@given(_JSON)
def test_snapshot_is_an_equal_copy_sharing_no_container(value: Any) -> None:
    """An answer's snapshot equals the stored object and shares no dict or list with it."""
    copied = snapshot(value)
    assert copied == value
    originals = {id(c) for c in _containers(value)}
    assert not originals & {id(c) for c in _containers(copied)}
