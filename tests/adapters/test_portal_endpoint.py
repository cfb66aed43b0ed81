"""The portal endpoint in every adapter: the same answers through each framework's test client.

The customer comes from the application's ``portal_customer`` callback (here, a signed-in user
named by a header, as a login cookie would); the portal session is created through the stripe
SDK in the sandbox and read back from it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from adapter_harness import PREFIX, Shop, make_shop

from checkoutkit import CheckoutRequest, ConfigurationError

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def customer(sandbox: Any) -> str:
    """A customer of the sandbox: the signed-in user's billing account."""
    created: str = sandbox.client().v1.customers.create(params={"email": "ada@example.com"}).id
    return created


def _signed_in(customer: str) -> Any:
    def portal_customer(request: CheckoutRequest) -> str | None:
        user = request.headers.get("x-user") or request.headers.get("X-User")
        if user == "mallory":
            raise PermissionError("suspended")
        if user == "garbled":
            raise ValueError("a cookie that does not parse")
        return customer if user == "ada" else None

    return portal_customer


@pytest.fixture
def portal_shop(
    framework: str, sandbox: Any, request: pytest.FixtureRequest, customer: str
) -> Shop:
    return make_shop(framework, sandbox, request, portal_customer=_signed_in(customer))


def _portal_of(sandbox: Any, url: str) -> Any:
    """The portal session behind a portal URL, as the sandbox's page serves it."""
    page = httpx.get(url)
    assert page.status_code == 200, page.text
    return page


def test_portal_answers_303_to_the_customers_portal(portal_shop: Shop, customer: str) -> None:
    """A signed-in user's form POST goes to the portal of the callback's customer."""
    answer = portal_shop.post("/create-portal-session", b"", {**FORM, "X-User": "ada"})
    assert answer.status == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{portal_shop.sandbox.url}/p/session/bps_")
    assert answer.headers["cache-control"] == "no-store"
    page = _portal_of(portal_shop.sandbox, location)
    assert "ada@example.com" in page.text
    # The default return URL is the shop's root, from the configured base URL.
    assert 'href="https://shop.example/"' in page.text


def test_portal_answers_json_when_asked_and_ignores_a_customer_field(
    portal_shop: Shop, sandbox: Any, customer: str
) -> None:
    """``Accept: application/json`` gets ``{"url"}``; a ``customer`` form field changes nothing."""
    other = sandbox.client().v1.customers.create(params={"email": "eve@example.com"}).id
    body = f"customer={other}".encode()
    headers = {**FORM, "X-User": "ada", "Accept": "application/json"}
    answer = portal_shop.post("/create-portal-session/", body, headers)
    assert answer.status == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    data = json.loads(answer.body)
    assert set(data) == {"url"}
    page = _portal_of(sandbox, data["url"])
    assert "ada@example.com" in page.text
    assert "eve@example.com" not in page.text


@pytest.mark.parametrize(
    ("user", "status", "reason"),
    [
        (None, 403, "no billing account for this request"),
        ("mallory", 403, "no billing account for this request"),
        ("garbled", 400, "invalid portal request"),
    ],
)
def test_portal_refuses_without_a_customer(
    portal_shop: Shop, user: str | None, status: int, reason: str
) -> None:
    """No signed-in customer, a refused one, or a request the callback cannot read: short 4xx."""
    headers = {**FORM, **({"X-User": user} if user else {})}
    answer = portal_shop.post("/create-portal-session", b"", headers)
    assert answer.status == status
    assert answer.text.strip() == reason


def test_portal_is_a_404_when_the_application_enables_none(shop: Shop) -> None:
    """Without ``portal_customer`` the route answers 404 in words, never a portal."""
    answer = shop.post("/create-portal-session", b"", {**FORM, "X-User": "ada"})
    assert answer.status == 404
    assert answer.text.strip() == "the customer portal is not enabled"


def test_portal_takes_only_post(portal_shop: Shop) -> None:
    """GET on the portal path is the framework's own 405."""
    assert portal_shop.get("/create-portal-session").status == 405


def test_portal_return_url_and_stripe_refusing(
    framework: str, sandbox: Any, request: pytest.FixtureRequest
) -> None:
    """``portal_return_url`` is the page's way back; an unknown customer is a 502 from Stripe."""
    shop = make_shop(
        framework,
        sandbox,
        request,
        portal_customer=lambda r: "cus_unknown0000",
        portal_return_url="https://shop.example/account",
    )
    answer = shop.post("/create-portal-session", b"", {**FORM, "Accept": "application/json"})
    assert answer.status == 502
    assert answer.text.strip() == "the payment provider refused or could not be reached"
    html = shop.post("/create-portal-session", b"", {**FORM, "Accept": "text/html"})
    assert html.status == 502
    assert "https://shop.example/account" in html.text


def test_portal_return_url_must_be_a_web_url(sandbox: Any) -> None:
    """A ``portal_return_url`` that is no http(s) URL is refused when the Checkout is built."""
    from adapter_harness import session_params

    from checkoutkit import Checkout, CheckoutGateway, MemoryStore, WebhookRouter
    from checkoutkit.testing import TEST_SECRET

    store = MemoryStore()
    with pytest.raises(ConfigurationError, match="portal_return_url"):
        Checkout(
            gateway=CheckoutGateway.for_sandbox(sandbox),
            router=WebhookRouter(secrets=TEST_SECRET, store=store),
            store=store,
            build_session=session_params,
            fulfil=lambda s: None,
            base_url="https://shop.example" + PREFIX,
            portal_return_url="javascript:alert(1)",
        )
