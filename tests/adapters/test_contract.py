"""The public adapter contract: one reply type, all headers whatever their case, public names only.

The endpoints are called directly here, with the request parts an adapter hands them; the
adapters themselves go through the conformance suite.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from adapter_harness import BASE_URL, session_params

import checkoutkit
from checkoutkit import Checkout, CheckoutGateway, MemoryStore, WebhookRouter
from checkoutkit.adapters import endpoints
from checkoutkit.testing import TEST_SECRET, sign_payload

ADAPTERS = Path(endpoints.__file__).parent
EVENT = (
    b'{"id": "evt_contract", "object": "event", "type": "customer.created",'
    b' "data": {"object": {"id": "cus_contract", "object": "customer"}}}'
)


@pytest.fixture
def checkout(sandbox: Any) -> Iterator[Checkout]:
    store = MemoryStore()
    gateway = CheckoutGateway.for_sandbox(sandbox)
    yield Checkout(
        gateway=gateway,
        router=WebhookRouter(secrets=TEST_SECRET, store=store),
        store=store,
        build_session=session_params,
        fulfil=lambda session: None,
        base_url=BASE_URL,
    )
    gateway.close()


def test_the_router_and_the_endpoints_answer_with_one_type() -> None:
    """``WebhookResponse`` is ``Reply``: what the router returns reaches the adapter as it is."""
    assert checkoutkit.WebhookResponse is endpoints.Reply
    reply = endpoints.Reply(200, b"{}")
    assert reply.content_type == "application/json"
    assert reply.ok
    assert endpoints.Reply(404, b"", {"Content-Type": "text/plain"}).content_type == "text/plain"
    assert endpoints.Reply(204, b"", {}).content_type == ""


def test_headers_ignore_the_case_of_names() -> None:
    """``Headers`` is a read-only Mapping whose lookups ignore case; the last value wins."""
    headers = endpoints.Headers([("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")])
    assert headers["content-type"] == headers.get("CONTENT-TYPE") == "text/plain"
    assert "X-a" in headers
    assert headers.get("missing") is None
    assert dict(headers) == {"content-type": "text/plain", "x-a": "2"}
    assert len(headers) == 2
    assert endpoints.Headers({"Accept": "*/*"})["accept"] == "*/*"


def test_the_route_table_names_each_endpoint_once() -> None:
    """Five routes, webhook first, each path one of the module's constants."""
    assert [(r.name, r.method, r.path) for r in endpoints.ROUTES] == [
        ("webhook", "POST", endpoints.WEBHOOK_PATH),
        ("create", "POST", endpoints.CREATE_PATH),
        ("success", "GET", endpoints.SUCCESS_PATH),
        ("cancel", "GET", endpoints.CANCEL_PATH),
        ("portal", "POST", endpoints.PORTAL_PATH),
    ]


@pytest.mark.parametrize(
    "name", ["Stripe-Signature", "stripe-signature", "STRIPE-SIGNATURE", "sTrIpE-sIgNaTuRe"]
)
def test_the_webhook_finds_the_signature_in_all_headers_whatever_the_case(
    checkout: Checkout, name: str
) -> None:
    """All request headers go in, as a plain dict in any case: the signature is found."""
    headers = {"Content-Type": "application/json", name: sign_payload(EVENT, TEST_SECRET)}
    chunks = iter([EVENT[:10], EVENT[10:]])
    reply = endpoints.receive_webhook(
        checkout, length=str(len(EVENT)), chunks=chunks, headers=headers
    )
    assert (reply.status, json.loads(reply.body)) == (200, {"received": True, "handled": False})


@pytest.mark.parametrize(
    ("content_type", "accept"),
    [("Content-Type", "Accept"), ("content-type", "accept"), ("CONTENT-TYPE", "ACCEPT")],
)
def test_create_reads_content_type_and_accept_whatever_their_case(
    checkout: Checkout, content_type: str, accept: str
) -> None:
    """The form is read and JSON answered, whichever case the headers' names arrive in."""
    headers = {content_type: "application/x-www-form-urlencoded", accept: "application/json"}
    reply = endpoints.create(
        checkout,
        length="10",
        chunks=iter([b"quantity=3"]),
        headers=headers,
        create_url=BASE_URL + "/create-checkout-session",
    )
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == "application/json"
    session = checkout.gateway.retrieve(json.loads(reply.body)["id"])
    assert session.raw["amount_total"] == 6000


def test_the_async_endpoints_give_the_same_replies(checkout: Checkout, sandbox: Any) -> None:
    """create_async and receive_webhook_async take an async stream and answer alike."""

    async def stream(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    async def main() -> tuple[endpoints.Reply, endpoints.Reply]:
        created = await endpoints.create_async(
            checkout,
            length=None,
            chunks=stream(b"quan", b"tity=1"),
            headers={"content-type": "application/x-www-form-urlencoded", "accept": "*/*"},
            create_url=BASE_URL + "/create-checkout-session",
        )
        hook = await endpoints.receive_webhook_async(
            checkout,
            length=None,
            chunks=stream(EVENT),
            headers={"stripe-signature": sign_payload(EVENT, TEST_SECRET)},
        )
        await checkout.gateway.aclose()
        return created, hook

    created, hook = asyncio.run(main())
    assert created.status == 303
    assert created.headers["location"].startswith(sandbox.url)
    assert hook.status == 200


def test_a_declared_length_past_the_limit_is_refused_before_reading(checkout: Checkout) -> None:
    """413 on ``Content-Length`` alone: the stream is never touched."""

    def untouchable() -> Any:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    too_long = str(checkout.router.max_body_bytes + 1)
    hook = endpoints.receive_webhook(checkout, length=too_long, chunks=untouchable(), headers={})
    assert (hook.status, hook.body) == (413, b'{"error":"payload too large"}')
    page = endpoints.create(
        checkout, length=too_long, chunks=untouchable(), headers={}, create_url=BASE_URL
    )
    assert (page.status, page.body) == (413, b"request body too large\n")


# The contract module itself is the package's side of the contract: it may use the core's
# private modules. The framework adapters are its users, like a third-party adapter.
FRAMEWORK_ADAPTERS = sorted(
    p for p in ADAPTERS.glob("*.py") if p.stem not in ("endpoints", "_body", "_pages", "_requests")
)


def test_every_framework_adapter_is_checked() -> None:
    assert [p.stem for p in FRAMEWORK_ADAPTERS] == [
        "__init__",
        "django",
        "fastapi",
        "flask",
        "litestar",
    ]


@pytest.mark.parametrize("path", FRAMEWORK_ADAPTERS, ids=lambda p: p.name)
def test_the_adapters_import_only_public_names(path: Path) -> None:
    """No adapter reaches into a private ``checkoutkit._…`` module or name."""
    tree = ast.parse(path.read_text())
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("checkout"):
            if any(part.startswith("_") for part in node.module.split(".")):
                private.append(node.module)
            private += [a.name for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            private += [a.name for a in node.names if a.name.startswith("checkoutkit._")]
    assert private == [], f"{path.name} imports private names: {private}"


def test_the_old_private_module_is_a_deprecated_alias() -> None:
    """``checkoutkit._endpoints`` still imports for one release, with a DeprecationWarning."""
    sys.modules.pop("checkoutkit._endpoints", None)
    with pytest.warns(DeprecationWarning, match=r"checkoutkit\.adapters\.endpoints"):
        old = importlib.import_module("checkoutkit._endpoints")
    assert old.create is endpoints.create
    assert old.Reply is endpoints.Reply
    reply = endpoints.Reply(200, b"{}")
    assert old.webhook_reply(reply) is reply
    assert old.signature_headers("t=1,v1=x") == {"Stripe-Signature": "t=1,v1=x"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.import_module("checkoutkit._endpoints")  # warns once, on first import
