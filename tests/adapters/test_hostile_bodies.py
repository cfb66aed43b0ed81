"""Hostile requests against every adapter: only the 2xx/4xx the docs list, never a traceback.

Hypothesis sends arbitrary bodies and headers to the webhook and the create endpoint of each
framework, through its own test client (Starlette's and Django's re-raise what the application
did not handle; Flask's answers 500 and logs it, which fails the test as well). The router's
body limit is small here, so bodies past it are among the cases.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from adapter_harness import FRAMEWORKS, Answer, Shop, make_shop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit.testing import TEST_SECRET, sign_payload

LIMIT = 2048
WEBHOOK_STATUSES = {200, 400, 409, 413}
CREATE_STATUSES = {200, 303, 400, 403, 413}
HOSTILE = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Header values a client can send: visible ASCII and spaces (no CR/LF, which HTTP forbids).
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "",
        ]
    ),
    header_text,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=LIMIT + 64),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.text(max_size=12), st.text(max_size=30), max_size=6).map(
        lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")
    ),
    st.integers(1, 4000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(LIMIT - 2, LIMIT + 2).map(lambda n: b"{" + b" " * (n - 1)),
)


@st.composite
def hostile_headers(draw: st.DrawFn, body: bytes) -> dict[str, str]:
    headers = {"Content-Type": draw(content_types)}
    if draw(st.booleans()):
        headers["Accept"] = draw(st.sampled_from(["application/json", "text/html", "*/*"]))
    signature = draw(st.sampled_from(["none", "valid", "garbage", "old", "wrong-secret", "many"]))
    if signature == "valid":
        headers["Stripe-Signature"] = sign_payload(body, TEST_SECRET)
    elif signature == "garbage":
        headers["Stripe-Signature"] = draw(header_text)
    elif signature == "old":
        headers["Stripe-Signature"] = sign_payload(body, TEST_SECRET, timestamp=1)
    elif signature == "wrong-secret":
        headers["Stripe-Signature"] = sign_payload(body, "whsec_another_secret_000000")
    elif signature == "many":
        headers["Stripe-Signature"] = ",".join(["v1=" + "0" * 64] * draw(st.integers(1, 300)))
    return headers


@pytest.fixture(params=FRAMEWORKS)
def hostile_shop(
    request: pytest.FixtureRequest, sandbox: Any, caplog: pytest.LogCaptureFixture
) -> Iterator[Shop]:
    """The shop with a 2 KiB body limit; at the end, no log record may carry a traceback."""
    shop = make_shop(request.param, sandbox, request, max_body_bytes=LIMIT)
    with caplog.at_level(logging.INFO):
        yield shop
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


def check(answer: Answer, allowed: set[int]) -> None:
    assert answer.status in allowed, (answer.status, answer.body[:300])
    assert len(answer.body) < 1000  # a short answer, never a debug page


@HOSTILE
@given(data=st.data(), body=bodies)
def test_hostile_webhooks_get_a_short_2xx_or_4xx(
    hostile_shop: Shop, data: Any, body: bytes
) -> None:
    """Any body with any headers at the webhook: 200/400/409/413, short, nothing fulfilled."""
    headers = data.draw(hostile_headers(body))
    check(hostile_shop.post("/webhook", body, headers), WEBHOOK_STATUSES)
    assert hostile_shop.orders == []


@HOSTILE
@given(data=st.data(), body=bodies)
def test_hostile_checkout_requests_get_a_short_2xx_3xx_or_4xx(
    hostile_shop: Shop, data: Any, body: bytes
) -> None:
    """Any body with any headers at the create endpoint: a session, or a short 4xx."""
    headers = data.draw(hostile_headers(body))
    check(hostile_shop.post("/create-checkout-session", body, headers), CREATE_STATUSES)
