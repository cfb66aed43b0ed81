"""Checkout over DjangoStore through the Django adapter: the order and its record commit together.

A real in-process sandbox creates and pays the sessions; requests go through Django's test
client to the adapter's views, on a database with ``ATOMIC_REQUESTS`` (the adapter's views opt
out). Fulfilment writes an ``Order`` row (the test shop's app) through the transaction's alias,
on a SQLite file and on the tests' real PostgreSQL.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import checkoutkit
from checkoutkit import EventStatus
from checkoutkit.testing import TEST_SECRET, sign_payload
from django_project import EVENTS, add_postgres, configure_django, empty, migrated

configure_django()

from django.db import connections  # noqa: E402  (needs the settings above)
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import clear_url_caches, include, path  # noqa: E402

from checkoutkit.adapters.django import urls  # noqa: E402
from checkoutkit.stores.django import DjangoStore  # noqa: E402
from stores.django_shop.models import Order  # noqa: E402
from stores.django_shop.shop import make_checkout  # noqa: E402

BASE_URL = "https://shop.example/shop"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from checkoutkit.sandbox import Sandbox

    with Sandbox() as running:
        yield running


@pytest.fixture(
    params=[EVENTS, pytest.param("postgres", marks=pytest.mark.services)],
    ids=["sqlite", "postgres"],
)
def alias(request: pytest.FixtureRequest) -> str:
    if request.param == EVENTS:
        name = migrated(EVENTS)
    else:
        name = add_postgres(request.getfixturevalue("postgres"))
    empty(name)
    return name


class DjangoShop:
    """The test shop's Checkout served by the Django adapter at ``/shop/``, and its orders."""

    def __init__(self, sandbox: Any, alias: str, extra: list[Any], **options: Any) -> None:
        self.sandbox = sandbox
        self.alias = alias
        self.gateway = checkoutkit.CheckoutGateway.for_sandbox(sandbox)
        self.checkout = make_checkout(
            gateway=self.gateway,
            using=alias,
            base_url=BASE_URL,
            secret=TEST_SECRET,
            **options,
        )
        self.urlconf = types.ModuleType(f"checkoutkit_django_store_urls_{id(self)}")
        self.urlconf.urlpatterns = [  # type: ignore[attr-defined]
            path("shop/", include(urls(self.checkout))),
            *extra,
        ]
        sys.modules[self.urlconf.__name__] = self.urlconf
        self.client = Client(enforce_csrf_checks=True)

    def close(self) -> None:
        del sys.modules[self.urlconf.__name__]
        self.gateway.close()

    def paid_session(self) -> str:
        """A session created through the adapter's endpoint, paid on the sandbox."""
        with override_settings(ROOT_URLCONF=self.urlconf.__name__):
            clear_url_caches()
            created = self.client.post(
                "/shop/create-checkout-session",
                b"",
                content_type="application/x-www-form-urlencoded",
                headers={"Accept": "application/json"},
            )
        assert created.status_code == 200, created.content
        session_id: str = json.loads(created.content)["id"]
        answer = httpx.post(
            f"{self.sandbox.url}/_sandbox/sessions/{session_id}/pay",
            data={"card": "4242424242424242"},
        )
        assert answer.status_code == 200, answer.text
        return session_id

    def event_body(self, session_id: str) -> bytes:
        answer = httpx.get(
            f"{self.sandbox.url}/v1/events",
            params={"type": "checkout.session.completed", "limit": 100},
            headers={"Authorization": "Bearer sk_test_checkoutkit_sandbox"},
        )
        for event in answer.json()["data"]:
            if event["data"]["object"]["id"] == session_id:
                return json.dumps(event).encode()
        raise AssertionError(f"no event for {session_id}")

    def get(self, url: str) -> Any:
        with override_settings(ROOT_URLCONF=self.urlconf.__name__):
            clear_url_caches()
            return self.client.get(url)

    def deliver(self, body: bytes) -> Any:
        with override_settings(ROOT_URLCONF=self.urlconf.__name__):
            clear_url_caches()
            return self.client.post(
                "/shop/webhook",
                body,
                content_type="application/json",
                headers={"Stripe-Signature": sign_payload(body, TEST_SECRET)},
            )

    def orders(self) -> list[str]:
        return sorted(Order.objects.using(self.alias).values_list("session_id", flat=True))

    def record(self, session_id: str) -> Any:
        return DjangoStore(using=self.alias).get(f"fulfil:{session_id}")


@pytest.fixture
def make_shop(sandbox: Any, alias: str) -> Iterator[Callable[..., DjangoShop]]:
    shops: list[DjangoShop] = []

    def make(extra: list[Any] | None = None, **options: Any) -> DjangoShop:
        shops.append(DjangoShop(sandbox, alias, extra or [], **options))
        return shops[-1]

    yield make
    for shop in shops:
        shop.close()


def test_the_success_page_and_the_webhook_fulfil_once(make_shop: Callable[..., DjangoShop]) -> None:
    """The success page fulfils (one order, recorded succeeded); the webhook then does nothing."""
    shop = make_shop()
    session_id = shop.paid_session()
    assert connections.settings[shop.alias]["ATOMIC_REQUESTS"] is True
    page = shop.get(f"/shop/success?session_id={session_id}")
    assert page.status_code == 200
    assert shop.orders() == [session_id]
    record = shop.record(session_id)
    assert record.status is EventStatus.SUCCEEDED
    assert record.attempts == 1
    for _ in range(2):
        assert shop.deliver(shop.event_body(session_id)).status_code == 200
    assert shop.get(f"/shop/success?session_id={session_id}").status_code == 200
    assert shop.orders() == [session_id]


def test_a_failing_callback_leaves_no_order_and_the_retry_writes_one(
    make_shop: Callable[..., DjangoShop], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The callback writes its order, then fails: the order rolls back with the record; the
    webhook's delivery runs it again and one order commits."""
    shop = make_shop()
    session_id = shop.paid_session()
    from stores.django_shop import shop as shop_module

    failures = [1]
    real_hit = shop_module._hit

    def fail_once_after_the_write(point: str, key: str) -> None:
        real_hit(point, key)
        if point == "callback:commit" and failures[0]:
            failures[0] -= 1
            raise RuntimeError("the warehouse is offline")

    monkeypatch.setattr(shop_module, "_hit", fail_once_after_the_write)
    page = shop.get(f"/shop/success?session_id={session_id}")
    assert page.status_code == 200  # the page says the order is on its way
    assert shop.orders() == []
    record = shop.record(session_id)
    assert record.status is EventStatus.PENDING
    assert "warehouse is offline" in record.last_error
    assert shop.deliver(shop.event_body(session_id)).status_code == 200
    assert shop.orders() == [session_id]
    assert shop.record(session_id).attempts == 2


def test_a_view_in_an_atomic_request_is_told_to_opt_out(
    make_shop: Callable[..., DjangoShop],
) -> None:
    """Fulfilling from the project's own view under ATOMIC_REQUESTS fails with the advice to
    mark the view non_atomic_requests; nothing is claimed."""
    holder: list[DjangoShop] = []

    def my_view(request: HttpRequest) -> HttpResponse:
        try:
            holder[0].checkout.fulfil(request.GET["session_id"])
        except checkoutkit.CheckoutKitError as exc:
            return HttpResponse(str(exc), status=500)
        return HttpResponse("ok")

    from django.contrib.auth.decorators import login_not_required

    shop = make_shop([path("mine", login_not_required(my_view))])
    holder.append(shop)
    session_id = shop.paid_session()
    answer = shop.get(f"/mine?session_id={session_id}")
    assert answer.status_code == 500
    assert b"non_atomic_requests" in answer.content
    assert shop.record(session_id) is None
    assert shop.orders() == []


@pytest.mark.services
@pytest.mark.parametrize("alias", ["postgres"], indirect=True)
def test_the_lease_is_renewed_from_the_renewer_thread_while_the_callback_runs(
    make_shop: Callable[..., DjangoShop], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a one-second lease, the callback (its order written, its transaction open) waits
    until the renewer thread, on a Django connection of its own, has extended the lease; the
    order then commits once, in the first attempt."""
    shop = make_shop(lease=1.0)
    session_id = shop.paid_session()
    key = f"fulfil:{session_id}"
    from stores.django_shop import shop as shop_module

    renewed: list[float] = []
    real_hit = shop_module._hit

    def read_lease() -> float:
        found: list[float] = []

        def read() -> None:
            try:
                record = DjangoStore(using=shop.alias).get(key)
                found.append(record.lease_expires_at if record else 0.0)
            finally:
                connections[shop.alias].close()

        thread = threading.Thread(target=read)
        thread.start()
        thread.join(30)
        return found[0]

    def wait_for_a_renewal(point: str, key_: str) -> None:
        real_hit(point, key_)
        if point != "callback:commit":
            return
        first = read_lease()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if (now := read_lease()) > first:
                renewed.append(now)
                return
            time.sleep(0.05)

    monkeypatch.setattr(shop_module, "_hit", wait_for_a_renewal)
    assert shop.get(f"/shop/success?session_id={session_id}").status_code == 200
    assert renewed, "the lease was never renewed"
    assert shop.orders() == [session_id]
    record = shop.record(session_id)
    assert record.status is EventStatus.SUCCEEDED
    assert record.attempts == 1
