"""Whatever a client sends, the sandbox answers 2xx or 4xx in Stripe's shape, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from budget import examples
from checkoutkit.sandbox import Sandbox

_AUTH = {
    "Authorization": "Bearer sk_test_fuzz",
    "Content-Type": "application/x-www-form-urlencoded",
}

_NAMES = [
    "mode",
    "ui_mode",
    "success_url",
    "cancel_url",
    "return_url",
    "customer",
    "customer_email",
    "customer_creation",
    "currency",
    "expires_at",
    "metadata",
    "line_items",
    "payment_intent_data",
    "subscription_data",
    "saved_payment_method_options",
    "automatic_tax",
    "invoice_creation",
    "phone_number_collection",
    "allowed_payment_method_types",
    "expand",
]
_SUBKEYS = [
    "0",
    "1",
    "",
    "price",
    "price_data",
    "quantity",
    "currency",
    "unit_amount",
    "unit_amount_decimal",
    "product_data",
    "name",
    "recurring",
    "interval",
    "enabled",
    "capture_method",
    "payment_method_save",
    "custom_unit_amount",
]
_VALUES = st.one_of(
    st.sampled_from(
        [
            "payment",
            "setup",
            "subscription",
            "hosted_page",
            "embedded_page",
            "https://shop.example/ok",
            "usd",
            "eur",
            "1",
            "0",
            "-5",
            "1500",
            "true",
            "false",
            "",
            "month",
            "manual",
            "enabled",
            "always",
            "price_missing",
            "cus_missing",
            "99999999999999999999999",
        ]
    ),
    st.text(max_size=12),
)
_KEYS = st.builds(
    lambda name, subs: name + "".join(f"[{s}]" for s in subs),
    st.sampled_from(_NAMES),
    st.lists(st.sampled_from(_SUBKEYS), max_size=4),
)


_VALID = [
    ("mode", "payment"),
    ("success_url", "https://shop.example/ok"),
    ("line_items[0][price_data][currency]", "eur"),
    ("line_items[0][price_data][unit_amount]", "100"),
    ("line_items[0][price_data][product_data][name]", "x"),
    ("line_items[0][quantity]", "1"),
]


@pytest.fixture(scope="module")
def app_client() -> Iterator[Client]:
    """The sandbox's WSGI app, called in-process (the HTTP layer is tested elsewhere)."""
    with Sandbox() as box:
        yield Client(box._server.app)


@settings(
    max_examples=examples(250),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=12))
def test_session_create_never_answers_500(app_client: Client, pairs: list[tuple[str, str]]) -> None:
    """Random bracket params to session create get a 200 or a 4xx Stripe error body."""
    response = app_client.post("/v1/checkout/sessions", data=urlencode(pairs), headers=_AUTH)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["message"]


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.sampled_from(
        [
            "/v1/prices",
            "/v1/products",
            "/v1/customers",
            "/_sandbox/clock/advance",
            "/_sandbox/webhook_endpoints",
        ]
    ),
    st.lists(
        st.tuples(_KEYS | st.sampled_from(["name", "unit_amount", "seconds", "url"]), _VALUES),
        max_size=8,
    ),
)
def test_other_creates_never_answer_500(
    app_client: Client, path: str, pairs: list[tuple[str, str]]
) -> None:
    """Random params to the other POST endpoints get a 200 or a 4xx, never a 500."""
    response = app_client.post(path, data=urlencode(pairs), headers=_AUTH)
    assert response.status_code < 500, response.get_data(as_text=True)


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.sampled_from(
        [
            "card",
            "iban",
            "exp_month",
            "exp_year",
            "cvc",
            "amount",
            "email",
            "save",
            "three_d_secure",
        ]
    ),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["card", "iban", "exp_month", "exp_year", "cvc", "amount", "three_d_secure"]
            ),
            _VALUES,
        ),
        max_size=6,
    ),
)
def test_pay_control_never_answers_500(
    app_client: Client, first: str, pairs: list[tuple[str, str]]
) -> None:
    """Random payment details to the pay control get a 200 or a 4xx, never a 500."""
    created = app_client.post(
        "/v1/checkout/sessions",
        data={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items[0][price_data][currency]": "eur",
            "line_items[0][price_data][unit_amount]": "100",
            "line_items[0][price_data][product_data][name]": "x",
            "line_items[0][quantity]": "1",
        },
        headers=_AUTH,
    )
    session_id = created.get_json()["id"]
    response = app_client.post(
        f"/_sandbox/sessions/{session_id}/pay",
        data=urlencode([(first, "1"), *pairs]),
        headers=_AUTH,
    )
    assert response.status_code < 500, response.get_data(as_text=True)
    page = app_client.post(
        f"/c/pay/{session_id}", data=urlencode([("method", "card"), *pairs]), headers=_AUTH
    )
    assert page.status_code < 500, page.get_data(as_text=True)
