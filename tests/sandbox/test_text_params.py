"""Text parameters whose value reads like a boolean or a number stay text in the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

_WORDS = ["true", "false", "1", "0"]


@pytest.mark.parametrize("word", _WORDS)
def test_session_text_params_keep_boolean_like_words(
    client: stripe.StripeClient, session_params: dict[str, Any], word: str
) -> None:
    """Session text params (reference, names, metadata) accept "true"/"false" as text."""
    params = {
        **session_params,
        "client_reference_id": word,
        "metadata": {"flag": word},
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 500,
                    "product_data": {"name": word, "metadata": {"k": word}},
                },
                "quantity": 1,
            }
        ],
    }
    session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert session.client_reference_id == word
    assert session.metadata is not None
    assert session.metadata.to_dict() == {"flag": word}


@pytest.mark.parametrize("word", _WORDS)
def test_catalogue_text_params_keep_boolean_like_words(
    client: stripe.StripeClient, word: str
) -> None:
    """Product, price and customer text params accept "true"/"false" as text."""
    product = client.v1.products.create(
        params={"name": word, "description": word, "active": True, "metadata": {"a": word}}
    )
    assert (product.name, product.description, product.active) == (word, word, True)
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 100, "product": product.id, "nickname": word}
    )
    assert price.nickname == word
    customer = client.v1.customers.create(params={"name": word, "email": "a@example.com"})
    assert customer.name == word


def test_boolean_params_still_become_booleans(client: stripe.StripeClient) -> None:
    """A boolean parameter sent as "false" by the SDK is read as False."""
    product = client.v1.products.create(params={"name": "Tea", "active": False})
    assert product.active is False


def test_empty_string_is_unset_where_stripe_allows_it(
    client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """An empty string the SDK types as "unset" (custom_text[submit]) is accepted as absent."""
    params = {**session_params, "custom_text": {"submit": ""}, "metadata": {"note": ""}}
    session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert session.status == "open"
    assert session.metadata is not None
    assert session.metadata.to_dict() == {"note": ""}


def test_empty_name_is_refused_on_its_param(client: stripe.StripeClient) -> None:
    """An empty product name in price_data is parameter_invalid_empty on that param."""
    item = {"price_data": {"currency": "eur", "unit_amount": 500, "product_data": {"name": ""}}}
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "line_items": [{**item, "quantity": 1}],
    }
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert info.value.param == "line_items[0][price_data][product_data][name]"
    assert info.value.code == "parameter_invalid_empty"
