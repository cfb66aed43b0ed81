"""The sandbox works unchanged with an official Stripe SDK other than Python's: stripe-node.

Each test runs one scenario of sdk_check.cjs, which drives a fresh sandbox with stripe-node
over HTTP and prints what the SDK saw (IDs, fields, exception classes). These tests decide what
that must be, and read the same sandbox with stripe-python to check that both SDKs see one
state. Error codes are asserted where Stripe documents them for the case; elsewhere the two
SDKs must agree on the error the sandbox sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from node_sdk import StripeNode, pinned_version

from checkoutkit.sandbox import Sandbox

pytestmark = pytest.mark.processes

UNIT_AMOUNT = 1500
QUANTITY = 3
SESSION_COUNT = 5
PAGE_SIZE = 2
PRICE = {"currency": "usd", "unit_amount": UNIT_AMOUNT}
SUCCESS_URL = "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.example/cart"


def _fields(python: stripe.StripeObject, node: dict[str, Any]) -> dict[str, Any]:
    """The fields of a stripe-python object that stripe-node's view holds, as plain JSON."""
    as_json = python.to_dict()
    return {key: as_json[key] for key in node}


def test_stripe_node_pins_the_api_version_stripe_python_pins(stripe_node: StripeNode) -> None:
    """The installed stripe-node is package.json's and speaks stripe-python's API version."""
    seen = stripe_node.run(None, "version")
    assert seen["sdk_version"] == pinned_version()
    assert seen["api_version"] == stripe.api_version, (
        f"stripe-node {seen['sdk_version']} pins {seen['api_version']}, stripe-python "
        f"{stripe.VERSION} pins {stripe.api_version}: pin the stripe-node release of that "
        "API version in tests/sdk_node/package.json (npm install --package-lock-only there)"
    )


def test_create_retrieve_and_list_sessions_with_pagination(
    sandbox: Sandbox, stripe_node: StripeNode
) -> None:
    """Sessions made by stripe-node read back alike through both SDKs, newest first, paged."""
    seen = stripe_node.run(
        sandbox, "sessions", **PRICE, quantity=QUANTITY, count=SESSION_COUNT, page_size=PAGE_SIZE
    )
    created = seen["created"]
    ids = [s["id"] for s in created]
    assert len(set(ids)) == SESSION_COUNT
    client = sandbox.client()
    for n, session in enumerate(created):
        assert session["object"] == "checkout.session"
        assert session["amount_total"] == UNIT_AMOUNT * QUANTITY
        assert (session["currency"], session["status"], session["payment_status"]) == (
            "usd",
            "open",
            "unpaid",
        )
        assert session["metadata"] == {"n": str(n)}
        python = client.v1.checkout.sessions.retrieve(session["id"])
        assert _fields(python, session) == session

    retrieved = seen["retrieved"]
    assert {key: retrieved[key] for key in created[0]} == created[0]
    assert retrieved["line_items"] == [
        {"price": seen["price_id"], "quantity": QUANTITY, "amount_total": UNIT_AMOUNT * QUANTITY}
    ]

    newest_first = ids[::-1]
    python_listed = [
        s.id
        for s in client.v1.checkout.sessions.list(params={"limit": PAGE_SIZE}).auto_paging_iter()
    ]
    assert seen["autopaged"] == python_listed == newest_first
    pages = seen["pages"]
    assert [p["ids"] for p in pages] == [
        newest_first[i : i + PAGE_SIZE] for i in range(0, SESSION_COUNT, PAGE_SIZE)
    ]
    assert [p["has_more"] for p in pages] == [True] * (len(pages) - 1) + [False]
    assert {p["url"] for p in pages} == {"/v1/checkout/sessions"}
    # The page just before the oldest session: the PAGE_SIZE sessions made right after it.
    assert seen["ending_before_oldest"] == newest_first[-1 - PAGE_SIZE : -1]


def _python_error(call: Callable[[], object]) -> dict[str, Any]:
    """The error body stripe-python received for ``call``, with its HTTP status."""
    try:
        call()
    except stripe.StripeError as exc:
        body = dict((exc.json_body or {})["error"])
        return {
            "statusCode": exc.http_status,
            "rawType": body["type"],
            "code": body.get("code"),
            "param": body.get("param"),
            "message": body["message"],
        }
    raise AssertionError("stripe-python raised nothing")


def test_errors_map_to_stripe_node_exceptions(sandbox: Sandbox, stripe_node: StripeNode) -> None:
    """Each error reaches stripe-node as the exception Stripe's answer would raise."""
    unknown = "colour_of_the_box"
    missing = "cs_test_" + "0" * 58
    bad_key = "sk_bogus_" + uuid.uuid4().hex
    live_key = "sk_live_" + uuid.uuid4().hex
    seen = stripe_node.run(
        sandbox,
        "errors",
        **PRICE,
        unknown_parameter=unknown,
        missing_id=missing,
        bad_key=bad_key,
        live_key=live_key,
    )
    for name, error in seen.items():
        assert error is not None, f"{name}: stripe-node raised nothing"
        assert error["isStripeError"], name
        assert error["type"] == error["class"], name  # stripe-node's type is its class name

    invalid_integer = seen["invalid_integer"]
    assert invalid_integer["class"] == "StripeInvalidRequestError"
    assert invalid_integer["isInvalidRequestError"]
    assert (invalid_integer["statusCode"], invalid_integer["rawType"]) == (
        400,
        "invalid_request_error",
    )
    assert (invalid_integer["code"], invalid_integer["param"]) == (
        "parameter_invalid_integer",
        "unit_amount",
    )
    assert "twelve" in invalid_integer["message"]

    unknown_price = seen["unknown_price_parameter"]
    assert unknown_price["class"] == "StripeInvalidRequestError"
    assert unknown_price["statusCode"] == 400
    assert (unknown_price["code"], unknown_price["param"]) == ("parameter_unknown", unknown)

    unknown_session = seen["unknown_parameter"]
    assert unknown_session["class"] == "StripeInvalidRequestError"
    assert (unknown_session["statusCode"], unknown_session["rawType"]) == (
        400,
        "invalid_request_error",
    )
    assert unknown_session["param"] == unknown
    assert unknown in unknown_session["message"]
    assert unknown_session["requestId"].startswith("req_")

    missing_session = seen["missing_session"]
    assert missing_session["class"] == "StripeInvalidRequestError"
    assert (missing_session["statusCode"], missing_session["code"]) == (404, "resource_missing")
    assert missing in missing_session["message"]

    for name, key in (("bad_key", bad_key), ("live_key", live_key)):
        refused = seen[name]
        assert refused["class"] == "StripeAuthenticationError", name
        assert not refused["isInvalidRequestError"], name
        assert refused["statusCode"] == 401, name
        assert key not in refused["message"], name  # a key is never echoed whole
    assert seen["bad_key"]["message"].startswith("Invalid API Key provided: ")

    # Whatever code the sandbox sends, both SDKs read the same error from it.
    client = sandbox.client()
    price = client.v1.prices.create(params={**PRICE, "product_data": {"name": "Errors"}})
    session_params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
    }
    python = {
        "invalid_integer": _python_error(
            lambda: client.v1.prices.create(
                params={"currency": "usd", "unit_amount": "twelve", "product_data": {"name": "B"}}
            )
        ),
        "unknown_parameter": _python_error(
            lambda: client.v1.checkout.sessions.create(params={**session_params, unknown: "x"})
        ),
        "missing_session": _python_error(lambda: client.v1.checkout.sessions.retrieve(missing)),
        "bad_key": _python_error(sandbox.client(bad_key).v1.checkout.sessions.list),
        "live_key": _python_error(sandbox.client(live_key).v1.checkout.sessions.list),
    }
    for name, expected in python.items():
        assert {key: seen[name][key] for key in expected} == expected, name


def test_idempotent_requests_and_the_sdks_own_retry(
    sandbox: Sandbox, stripe_node: StripeNode
) -> None:
    """A key replays its first answer; a retry after a lost answer creates nothing twice."""
    key = f"node-{uuid.uuid4()}"
    seen = stripe_node.run(sandbox, "idempotency", **PRICE, quantity=QUANTITY, idempotency_key=key)
    first, again = seen["first"], seen["again"]
    assert again["id"] == first["id"]
    assert (first["replayed"], again["replayed"]) == (None, "true")
    assert again["idempotency_key"] == key

    conflict = seen["conflict"]
    assert conflict["class"] == "StripeIdempotencyError"
    assert (conflict["statusCode"], conflict["rawType"]) == (400, "idempotency_error")
    assert key in conflict["message"]

    # The proxy dropped the connection after the sandbox had made the session; the SDK sent the
    # same request again, with the key it had generated, and got the first answer replayed.
    lost, replayed = seen["proxied"]
    assert lost["dropped"]
    assert not replayed["dropped"]
    assert lost["idempotency_key"] == replayed["idempotency_key"]
    assert lost["idempotency_key"].startswith("stripe-node-retry-")
    assert (lost["status"], lost["replayed"]) == (200, None)
    assert (replayed["status"], replayed["replayed"]) == (200, "true")
    assert lost["session_id"] == replayed["session_id"] == seen["retried"]["id"]
    assert seen["retried"]["idempotency_key"] == lost["idempotency_key"]

    listed = sandbox.client().v1.checkout.sessions.list(params={"limit": 100})
    assert sorted(s.id for s in listed.data) == sorted({first["id"], seen["retried"]["id"]})


def test_paid_session_webhook_verifies_with_stripe_nodes_verifier(
    sandbox: Sandbox, stripe_node: StripeNode
) -> None:
    """A session paid through /_sandbox sends a webhook that stripe-node's verifier accepts."""
    seen = stripe_node.run(
        sandbox,
        "webhook",
        **PRICE,
        quantity=QUANTITY,
        card="4242424242424242",
        secret=sandbox.webhook_secret,
        wrong_secret="whsec_" + uuid.uuid4().hex,
        wait_seconds=15,
    )
    session_id = seen["session_id"]
    assert seen["completed"] is not None, f"no checkout.session.completed among {seen['events']}"
    assert seen["endpoint_secret"] == sandbox.webhook_secret
    assert seen["pay"] == {"status": 200, "outcome": "succeeded"}

    completed = seen["completed"]
    assert completed["type"] == "checkout.session.completed"
    assert completed["api_version"] == stripe.api_version
    paid = completed["session"]
    assert paid["id"] == session_id
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["amount_total"] == UNIT_AMOUNT * QUANTITY
    assert seen["fetched_event"] == {"id": completed["id"], "type": completed["type"]}

    for refused in (seen["tampered"], seen["wrong_secret"]):
        assert refused is not None
        assert refused["class"] == "StripeSignatureVerificationError"

    client = sandbox.client()
    event = client.v1.events.retrieve(completed["id"])
    assert event.type == completed["type"]
    assert event.data.object["id"] == session_id
    python = client.v1.checkout.sessions.retrieve(session_id)
    assert _fields(python, seen["after"]) == seen["after"]
    assert {e["id"] for e in seen["events"]} <= {e.id for e in client.v1.events.list().data}
