"""Hostile requests over real HTTP: a short 4xx, read in bounded time, never a 5xx.

Each request runs under a generous client timeout: a request that pins a sandbox thread fails
the test by timing out, without any timed assertion.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkoutkit.sandbox import Sandbox
from checkoutkit.sandbox._http import MAX_BODY
from checkoutkit.sandbox._params import MAX_DEPTH

#: Far longer than any request needs; only a pinned thread reaches it.
TIMEOUT = 30.0
_AUTH = {"Authorization": "Bearer sk_test_hostile"}
_SESSION = {
    "mode": "payment",
    "success_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cart",
    "line_items[0][price_data][currency]": "usd",
    "line_items[0][price_data][unit_amount]": "1500",
    "line_items[0][price_data][product_data][name]": "Mug",
    "line_items[0][quantity]": "1",
}


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    """One sandbox for the module."""
    with Sandbox() as box:
        yield box


@pytest.fixture(scope="module")
def http(running: Sandbox) -> Iterator[httpx.Client]:
    """A keep-alive HTTP client for the sandbox, with a generous timeout per request."""
    with httpx.Client(base_url=running.url, headers=_AUTH, timeout=TIMEOUT) as client:
        yield client


def _error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"]
    return error


def test_deep_bracket_nesting_is_400(http: httpx.Client) -> None:
    """5000 nested brackets in metadata: a 400 naming the parameter, not a RecursionError."""
    deep = "metadata" + "[a]" * 5000
    error = _error(http.post("/v1/checkout/sessions", data={**_SESSION, deep: "x"}))
    assert error["param"] == "metadata"
    nested = "metadata" + "[a]" * MAX_DEPTH
    error = _error(http.post("/v1/checkout/sessions", data={**_SESSION, nested: "x"}))
    assert error["param"].startswith("metadata[a]")  # parsed, then refused as a nested map


@pytest.mark.parametrize("index", ["²", "\u0661", "\uff10", "1" * 5000, "-1"])
def test_index_digits_are_ascii(http: httpx.Client, index: str) -> None:
    """``line_items[²][price]`` and other odd indexes are a 400, not int('²')."""
    data = {k: v for k, v in _SESSION.items() if not k.startswith("line_items")}
    data[f"line_items[{index}][price]"] = "price_x"
    _error(http.post("/v1/checkout/sessions", data=data))


@pytest.mark.parametrize(
    "value", ["1e999999999", "1e999990", "12_00", "\uff11\uff12", "NaN", "1" * 100]
)
def test_decimals_are_plain_digits(http: httpx.Client, value: str) -> None:
    """A unit_amount_decimal that is not plain ASCII digits is a 400 naming it."""
    data = {"currency": "usd", "unit_amount_decimal": value, "product_data[name]": "Mug"}
    error = _error(http.post("/v1/prices", data=data))
    assert error["param"] == "unit_amount_decimal"


@pytest.mark.parametrize("value", ["1e3", "12_00", "\u0663", " 7", "9" * 31])
def test_integers_are_plain_digits(http: httpx.Client, value: str) -> None:
    """An integer parameter that is not plain ASCII digits is parameter_invalid_integer."""
    data = {"currency": "usd", "unit_amount": value, "product_data[name]": "Mug"}
    error = _error(http.post("/v1/prices", data=data))
    assert (error["code"], error["param"]) == ("parameter_invalid_integer", "unit_amount")


@pytest.mark.parametrize(
    "amount", ["1e999999999", "1e999990", "-1e999999", "12_00", "\uff11\uff12", "Infinity"]
)
def test_page_amounts_are_bounded(http: httpx.Client, amount: str) -> None:
    """A pay-what-you-want amount in exponent form shows the page's error, quickly."""
    price = http.post(
        "/v1/prices",
        data={
            "currency": "usd",
            "custom_unit_amount[enabled]": "true",
            "product_data[name]": "Tip",
        },
    ).json()
    session = http.post(
        "/v1/checkout/sessions",
        data={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items[0][price]": price["id"],
            "line_items[0][quantity]": "1",
        },
    ).json()
    page = urlsplit(session["url"]).path
    form = {"amount": amount, "cardnumber": "4242424242424242", "expiry": "12/40", "cvc": "123"}
    response = http.post(page, data=form, follow_redirects=False)
    assert response.status_code == 402
    assert "Enter a valid amount." in response.text


@pytest.mark.parametrize(
    "expiry", ["²/30", "12/" + "9" * 5000, "1/-5", "\u0661\u0662/\u0663\u0660"]
)
def test_page_expiry_is_ascii(http: httpx.Client, expiry: str) -> None:
    """An expiry that is not ASCII digits shows the page's error, not a 500."""
    session = http.post("/v1/checkout/sessions", data=_SESSION).json()
    form = {"cardnumber": "4242424242424242", "expiry": expiry, "cvc": "123"}
    response = http.post(urlsplit(session["url"]).path, data=form, follow_redirects=False)
    assert response.status_code == 402


def test_non_http_urls_are_never_links(running: Sandbox, http: httpx.Client) -> None:
    """javascript: and data: URLs are refused as url_invalid; the page links only http(s)."""
    client = running.client("sk_test_hostile")
    for url in ("javascript:alert(document.cookie)", "data:text/html,<b>x</b>", "JaVaScRiPt:x"):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "success_url": "https://shop.example/ok",
                    "cancel_url": url,
                    "line_items": [
                        {
                            "price_data": {
                                "currency": "usd",
                                "unit_amount": 1500,
                                "product_data": {"name": "Mug"},
                            },
                            "quantity": 1,
                        }
                    ],
                }
            )
        assert (info.value.code, info.value.param) == ("url_invalid", "cancel_url")
    session = http.post("/v1/checkout/sessions", data=_SESSION).json()
    page = http.get(urlsplit(session["url"]).path).text
    assert 'href="https://shop.example/cart"' in page


def test_chunked_bodies_are_read(http: httpx.Client) -> None:
    """A chunked request body (no Content-Length) creates the session as any other body."""
    body = urlencode(_SESSION).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = http.post(
        "/v1/checkout/sessions",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["amount_total"] == 1500


def _raw(running: Sandbox, request: bytes) -> bytes:
    """Send raw bytes on a new connection and return all the sandbox answers."""
    address = urlsplit(running.url)
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


_HEAD = (
    b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: sandbox\r\n"
    b"Authorization: Bearer sk_test_hostile\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
)


@pytest.mark.parametrize(
    ("request_tail", "status"),
    [
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\nmode=payment\r\n0\r\n\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n\r\n5\r\nmode\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 2000 + b"\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n\r\n7fffffff\r\nmode=payment\r\n", b"413"),
        (b"Transfer-Encoding: gzip\r\n\r\n", b"501"),
        (b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", b"400"),
        (b"Content-Length: " + str(MAX_BODY + 1).encode() + b"\r\n\r\nmode=payment", b"413"),
        (b"Content-Length: \xd9\xa3\r\n\r\nabc", b"400"),
        (b"Content-Length: 50\r\n\r\nmode=payment", b"400"),
    ],
    ids=[
        "bad-size",
        "cut-short",
        "long-size-line",
        "too-large-chunked",
        "other-encoding",
        "both-lengths",
        "too-large",
        "non-ascii-length",
        "short-body",
    ],
)
def test_malformed_bodies_are_refused(running: Sandbox, request_tail: bytes, status: bytes) -> None:
    """Malformed, oversized or ambiguous bodies get a 4xx (or 501) and the connection closes."""
    answer = _raw(running, _HEAD + request_tail)
    assert answer.split(b" ", 2)[1] == status, answer[:200]
    assert b"Connection: close" in answer


def test_a_body_at_the_limit_is_read(http: httpx.Client) -> None:
    """A body of exactly MAX_BODY bytes is read (and judged by the API: too many keys)."""
    filler = "x" * (MAX_BODY - len(urlencode({**_SESSION, "metadata[pad]": ""})))
    body = urlencode({**_SESSION, "metadata[pad]": filler})
    assert len(body) == MAX_BODY
    response = http.post(
        "/v1/checkout/sessions",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"].startswith("metadata")


_NAMES = st.sampled_from(
    ["mode", "metadata", "line_items", "success_url", "cancel_url", "expand", "custom_fields"]
)
_SEGMENTS = st.one_of(
    st.sampled_from(["0", "1", "", "price", "price_data", "quantity", "unit_amount", "label"]),
    st.text(alphabet="0123456789²³¹\u0661\u0662\u0663\uff10\uff11e_-+.", min_size=1, max_size=8),
    st.text(max_size=6),
)
_HOSTILE_VALUES = st.one_of(
    st.sampled_from(
        [
            "1e999999999",
            "1e999990",
            "-1e999999",
            "12_00",
            "\uff11\uff12",
            "NaN",
            "Infinity",
            "javascript:alert(1)",
            "data:text/html,x",
            "9" * 5000,
            "payment",
            "https://shop.example/ok",
        ]
    ),
    st.text(max_size=20),
)
_KEYS = st.builds(
    lambda name, segments, depth: name + "".join(f"[{s}]" for s in segments) + "[a]" * depth,
    _NAMES,
    st.lists(_SEGMENTS, max_size=5),
    st.sampled_from([0, 0, 0, 3, MAX_DEPTH, 50, 3000]),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_KEYS, _HOSTILE_VALUES), max_size=10))
def test_hostile_form_bodies_never_answer_5xx(
    http: httpx.Client, pairs: list[tuple[str, str]]
) -> None:
    """Random hostile keys and values, on top of a valid session, get a 2xx or a 4xx."""
    body = urlencode([*_SESSION.items(), *pairs])
    response = http.post(
        "/v1/checkout/sessions",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["message"]
        assert "request_log_url" not in error


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(["/v1/prices", "/v1/products", "/v1/customers", "/v1/checkout/sessions"]),
    st.binary(max_size=300),
)
def test_hostile_bytes_never_answer_5xx(http: httpx.Client, path: str, body: bytes) -> None:
    """Arbitrary bytes as a form body get a 2xx or a 4xx."""
    response = http.post(
        path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code < 500, response.text[:500]
