"""The sandbox's /v1 API through the real stripe SDK over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from checkoutkit.sandbox import Sandbox


def test_session_create_returns_stripes_fields(
    client: stripe.StripeClient, session_params: dict[str, Any], box: Sandbox
) -> None:
    """A created session is open/unpaid with amounts, URLs, expiry and a hosted page URL."""
    params = {
        **session_params,
        "client_reference_id": "order-42",
        "customer_email": "jenny@example.com",
        "metadata": {"order": "42"},
    }
    session = client.v1.checkout.sessions.create(params=params)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (3000, 3000, "usd")
    assert session.customer_email == "jenny@example.com"
    assert session.client_reference_id == "order-42"
    assert session.metadata.to_dict() == {"order": "42"}
    assert session.url == f"{box.url}/c/pay/{session.id}"
    assert session.expires_at - session.created == 24 * 3600
    assert session.success_url == params["success_url"]
    assert session.livemode is False
    assert session.mode == "payment"
    assert session.ui_mode == "hosted_page"
    assert session.payment_intent is None
    assert session.client_secret is None


def test_embedded_session_has_client_secret_and_no_url(
    client: stripe.StripeClient, price: stripe.Price
) -> None:
    """``ui_mode=embedded_page`` answers a client secret instead of a page URL."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "ui_mode": "embedded_page",
            "line_items": [{"price": price.id, "quantity": 1}],
            "return_url": "https://shop.example/return?s={CHECKOUT_SESSION_ID}",
        }
    )
    assert session.url is None
    assert session.client_secret.startswith(f"{session.id}_secret_")


def test_price_data_session_and_line_items(client: stripe.StripeClient) -> None:
    """Inline ``price_data`` sessions compute totals; line_items lists them with the price."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 1250,
                        "product_data": {"name": "Mug"},
                    },
                    "quantity": 3,
                },
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount_decimal": "99.5",
                        "product_data": {"name": "Sticker"},
                    },
                    "quantity": 2,
                },
            ],
        }
    )
    assert session.amount_total == 3750 + 199
    assert session.currency == "eur"
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.description for i in items.data] == ["Mug", "Sticker"]
    assert [i.amount_total for i in items.data] == [3750, 199]
    assert items.data[0].price.unit_amount == 1250
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert len(expanded.line_items.data) == 2


def test_unknown_price_is_resource_missing_with_bracket_param(
    client: stripe.StripeClient,
) -> None:
    """An unknown Price ID raises InvalidRequestError with param ``line_items[0][price]``."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [{"price": "price_doesnotexist", "quantity": 1}],
            }
        )
    assert info.value.code == "resource_missing"
    assert info.value.param == "line_items[0][price]"
    assert info.value.http_status == 400


def test_recurring_price_in_payment_mode_is_rejected(client: stripe.StripeClient) -> None:
    """A recurring Price ID in payment mode is an InvalidRequestError naming the item."""
    recurring = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [{"price": recurring.id, "quantity": 1}],
            }
        )
    assert info.value.param == "line_items[0][price]"


def test_mixed_currencies_are_rejected(client: stripe.StripeClient, price: stripe.Price) -> None:
    """Prices in two currencies cannot share a session."""
    eur = client.v1.prices.create(
        params={"currency": "eur", "unit_amount": 100, "product_data": {"name": "E"}}
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [
                    {"price": price.id, "quantity": 1},
                    {"price": eur.id, "quantity": 1},
                ],
            }
        )
    assert info.value.param == "line_items[1][price]"


def test_unknown_session_is_404_invalid_request(client: stripe.StripeClient) -> None:
    """Retrieving an unknown session raises InvalidRequestError (404 resource_missing)."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.retrieve("cs_test_unknown")
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")


def test_session_list_paginates_newest_first(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Lists are newest first with limit, starting_after and has_more."""
    ids = [client.v1.checkout.sessions.create(params=session_params).id for _ in range(3)]
    first = client.v1.checkout.sessions.list(params={"limit": 2})
    assert [s.id for s in first.data] == ids[::-1][:2]
    assert first.has_more is True
    rest = client.v1.checkout.sessions.list(params={"limit": 2, "starting_after": ids[1]})
    assert [s.id for s in rest.data] == [ids[0]]
    assert rest.has_more is False


def test_session_list_filters_by_status(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """``status=expired`` lists only expired sessions."""
    a = client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.expire(a.id)
    listed = client.v1.checkout.sessions.list(params={"status": "expired"})
    assert [s.id for s in listed.data] == [a.id]


def test_expire_endpoint_and_expire_twice(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Expire turns an open session expired; expiring again is an InvalidRequestError."""
    session = client.v1.checkout.sessions.create(params=session_params)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert expired.url is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_products_and_prices(client: stripe.StripeClient) -> None:
    """Products and prices are created, retrieved and listed; recurring prices keep intervals."""
    product = client.v1.products.create(params={"name": "Pro plan", "metadata": {"tier": "pro"}})
    assert client.v1.products.retrieve(product.id).name == "Pro plan"
    monthly = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 2000,
            "product": product.id,
            "recurring": {"interval": "month", "interval_count": 3},
            "lookup_key": "pro-quarterly",
        }
    )
    assert monthly.type == "recurring"
    assert (monthly.recurring.interval, monthly.recurring.interval_count) == ("month", 3)
    fetched = client.v1.prices.retrieve(monthly.id, params={"expand": ["product"]})
    assert fetched.product.id == product.id
    listed = client.v1.prices.list(params={"product": product.id})
    assert [p.id for p in listed.data] == [monthly.id]
    assert [p.id for p in client.v1.prices.list(params={"lookup_keys": ["pro-quarterly"]})] == [
        monthly.id
    ]
    assert product.id in [p.id for p in client.v1.products.list()]


def test_custom_unit_amount_price(client: stripe.StripeClient) -> None:
    """A pay-what-you-want price keeps its minimum, maximum and preset."""
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "custom_unit_amount": {"enabled": True, "minimum": 500, "preset": 1000},
            "product_data": {"name": "Donation"},
        }
    )
    assert price.unit_amount is None
    assert price.custom_unit_amount.minimum == 500
    assert price.custom_unit_amount.preset == 1000


def test_price_for_unknown_product_is_resource_missing(client: stripe.StripeClient) -> None:
    """A price for an unknown product names ``product``."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"currency": "usd", "unit_amount": 1, "product": "prod_x"})
    assert (info.value.param, info.value.code) == ("product", "resource_missing")


def test_unknown_parameter_is_rejected(client: stripe.StripeClient) -> None:
    """An unknown top-level parameter is parameter_unknown, as Stripe answers."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.products.create(params={"name": "x", "colour": "red"})  # type: ignore[typeddict-unknown-key]
    assert (info.value.param, info.value.code) == ("colour", "parameter_unknown")


def test_customers(client: stripe.StripeClient, session_params: dict[str, Any]) -> None:
    """Customers are created and retrieved; a session can name one; unknown ones are 404."""
    customer = client.v1.customers.create(params={"email": "c@example.com", "name": "C"})
    assert customer.id.startswith("cus_")
    assert client.v1.customers.retrieve(customer.id).email == "c@example.com"
    session = client.v1.checkout.sessions.create(params={**session_params, "customer": customer.id})
    assert session.customer == customer.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params={**session_params, "customer": "cus_nope"})
    assert info.value.param == "customer"


def test_missing_api_key_is_401(box: Sandbox) -> None:
    """No Authorization header → 401, which the SDK raises as AuthenticationError."""
    response = httpx.get(f"{box.url}/v1/checkout/sessions")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_live_key_is_refused_clearly(box: Sandbox) -> None:
    """A ``sk_live_`` key raises AuthenticationError saying only test keys are accepted."""
    live = box.client("sk_live_abc")
    with pytest.raises(stripe.AuthenticationError) as info:
        live.v1.checkout.sessions.list()
    assert "test mode keys" in str(info.value)
    assert "sk_live_abc" not in str(info.value)


def test_malformed_key_is_refused_without_echoing_it(box: Sandbox) -> None:
    """A key that is not a test key is refused, and the message masks it."""
    bad = box.client("pk_test_0123456789abcdef")
    with pytest.raises(stripe.AuthenticationError) as info:
        bad.v1.customers.list()
    assert "0123456789abcdef" not in str(info.value)


def test_idempotent_replay_returns_the_same_session(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Same key and params → the same session, and only one exists."""
    opts = {"idempotency_key": "order-1"}
    a = client.v1.checkout.sessions.create(params=session_params, options=opts)
    b = client.v1.checkout.sessions.create(params=session_params, options=opts)
    assert a.id == b.id
    assert b.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(client.v1.checkout.sessions.list().data) == 1


def test_idempotency_key_reused_with_other_params(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Same key with other params raises IdempotencyError (400 idempotency_error)."""
    opts = {"idempotency_key": "order-2"}
    client.v1.checkout.sessions.create(params=session_params, options=opts)
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.checkout.sessions.create(
            params={**session_params, "client_reference_id": "other"}, options=opts
        )
    assert info.value.http_status == 400


def test_failed_validation_is_not_saved_under_the_key(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """A request rejected for its params saves no result: the key works once fixed."""
    opts = {"idempotency_key": "order-3"}
    bad = {**session_params, "line_items": [{"price": "price_missing", "quantity": 1}]}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(params=bad, options=opts)
    session = client.v1.checkout.sessions.create(params=session_params, options=opts)
    assert session.status == "open"


def test_stripe_version_header_is_echoed(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """The answer names the API version the SDK asked for, and has a request ID."""
    session = client.v1.checkout.sessions.create(params=session_params)
    headers = session.last_response.headers
    assert headers["Stripe-Version"] == stripe.api_version
    assert headers["Request-Id"].startswith("req_")


def test_unknown_route_is_404_json(box: Sandbox) -> None:
    """An unknown /v1 path answers Stripe's JSON error, not an HTML page."""
    response = httpx.get(f"{box.url}/v1/charges", headers={"Authorization": "Bearer sk_test_1"})
    assert response.status_code == 404
    assert "Unrecognized request URL" in response.json()["error"]["message"]


def test_empty_string_param_is_refused(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """An empty string for a parameter that cannot be unset is parameter_invalid_empty."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params={**session_params, "customer_email": ""})
    assert (info.value.param, info.value.code) == ("customer_email", "parameter_invalid_empty")


def test_the_plugin_fixture_serves(sandbox: Sandbox) -> None:
    """The ``sandbox`` pytest fixture is a running sandbox the SDK can use."""
    client = sandbox.client()
    assert client.v1.customers.create(params={"email": "f@example.com"}).email == "f@example.com"
    assert sandbox.webhook_secret.startswith("whsec_")


def test_rule_violations_answer_the_first_problem(
    client: stripe.StripeClient, session_params: dict[str, Any], box: Sandbox
) -> None:
    """Params the shared rules reject raise InvalidRequestError with the problem's param.

    The rule id stays in the Problem; the wire carries Stripe's code (none for quantity 0).
    """
    from checkoutkit import validate_session_params
    from checkoutkit.sandbox._errors import stripe_code

    bad = {
        **session_params,
        "line_items": [{"price": session_params["line_items"][0]["price"], "quantity": 0}],
    }
    expected = validate_session_params(bad)[0]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params=bad)
    assert (info.value.param, info.value.code) == (expected.param, stripe_code(expected.code))
    assert info.value.http_status == 400
    assert client.v1.checkout.sessions.list().data == []


def test_missing_mode_is_rejected(client: stripe.StripeClient, price: stripe.Price) -> None:
    """A session without mode is refused with param ``mode``."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(
            params={  # type: ignore[typeddict-item]
                "success_url": "https://shop.example/ok",
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )
    assert info.value.param == "mode"


def test_session_list_filters_by_customer_email(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """``customer_details[email]`` lists the sessions paid with that email."""
    paid = client.v1.checkout.sessions.create(params=session_params)
    client.v1.checkout.sessions.create(params=session_params)
    box.pay(paid.id, card="4242424242424242", email="find@example.com")
    found = client.v1.checkout.sessions.list(
        params={"customer_details": {"email": "find@example.com"}}
    )
    assert [s.id for s in found.data] == [paid.id]


def test_unknown_currency_is_rejected(client: stripe.StripeClient) -> None:
    """A price in a currency Stripe does not support names ``currency``."""
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(
            params={"currency": "xyz", "unit_amount": 100, "product_data": {"name": "x"}}
        )
    assert info.value.param == "currency"


def test_idempotency_keys_are_forgotten_after_24_hours(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """After 24 sandbox hours a key can be used again, even with other params."""
    opts = {"idempotency_key": "old-key"}
    first = client.v1.checkout.sessions.create(params=session_params, options=opts)
    box.advance_clock(24 * 3600 + 1)
    other = {**session_params, "client_reference_id": "new"}
    second = client.v1.checkout.sessions.create(params=other, options=opts)
    assert second.id != first.id
