"""The builder's shortcut for common payment sessions agrees with the full validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from checkoutkit import SessionBuilder, validate_session_params

NOW = 1_800_000_000
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` seven times in eight, else ``odd``."""
    return st.integers(0, 7).flatmap(lambda i: odd if i == 0 else valid)


# Near the edges of what is valid: uppercase, unknown and whole-unit currencies, amounts around
# 0, the minimum charge and the maximum, empty strings, wrong types.
currencies = mostly(
    st.sampled_from(["usd", "USD", "eur", "jpy", "isk", "kwd"]),
    st.sampled_from(["Usd", "ugx", "xxx", "zzz", "us", "", "usd ", None]),
)
names = mostly(st.just("T-shirt"), st.one_of(st.sampled_from(["", " ", 1]), st.text(max_size=5)))
amounts = mostly(
    st.one_of(st.integers(1000, 10**6).map(lambda n: n * 100), st.integers(0, 60)),
    st.one_of(
        st.integers(-2, 105),
        st.integers(99_999_990, 100_000_010),
        st.sampled_from([10**12, True, 1.5, "100", None]),
    ),
)
quantities = mostly(st.integers(1, 3), st.sampled_from([-1, 0, 10**6, True, False, 1.0, "1", None]))
#: Top-level string options: ones no rule reads, and (less often) ones that rules read.
options = mostly(
    st.sampled_from(
        [
            ("cancel_url", "https://shop.example/cart"),
            ("client_reference_id", "order-1"),
            ("customer_account", "acct_1"),
            ("customer_email", "ada@example.com"),
            ("locale", "fr"),
            ("billing_address_collection", "required"),
            ("integration_identifier", "shop"),
            ("payment_method_configuration", "pmc_1"),
        ]
    ),
    st.tuples(
        st.sampled_from(
            [
                "cancel_url",
                "client_reference_id",
                "currency",
                "customer",
                "customer_creation",
                "customer_email",
                "locale",
                "mode",
                "redirect_on_completion",
                "return_url",
                "submit_type",
                "success_url",
                "ui_mode",
                "no_such_parameter",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "https://shop.example/ok",
                    "auto",
                    "always",
                    "pay",
                    "payment",
                    "setup",
                    "embedded_page",
                    "hosted_page",
                    "usd",
                    "cus_123",
                    "",
                    "x" * 201,
                    "x" * 5001,
                ]
            ),
            st.integers(0, 2),
            st.booleans(),
        ),
    ),
)


@st.composite
def plain_builders(draw: st.DrawFn) -> SessionBuilder:
    """A builder of name-and-amount line items and top-level strings, valid or nearly so."""
    mode = draw(mostly(st.just("payment"), st.sampled_from(["subscription", "setup"])))
    builder = getattr(SessionBuilder, mode)()
    if draw(st.integers(0, 4)):
        builder = builder.success_url("https://shop.example/ok", with_session_id=True)
    currency = draw(currencies)
    for _ in range(draw(mostly(st.integers(1, 6), st.just(0)))):
        if draw(st.integers(0, 9)) == 0:
            currency = draw(currencies)
        item_amount: Any = draw(amounts)
        builder = builder.add_price_data(
            name=draw(names), unit_amount=item_amount, currency=currency, quantity=draw(quantities)
        )
    for key, value in draw(st.lists(options, max_size=3)):
        builder = builder.param(key, value)
    return builder


@SETTINGS
@given(plain_builders())
def test_the_shortcut_only_accepts_what_validation_accepts(builder: SessionBuilder) -> None:
    """When the shortcut builds params, they equal the general build and validate clean."""
    params, pending = builder._params(NOW)
    problems = validate_session_params(params, now=NOW)
    shortcut = builder._plain_params()
    event("shortcut" if shortcut is not None else "full validation")
    event("invalid" if problems or pending else "valid")
    if shortcut is not None:
        assert shortcut == params
        assert problems == ()
        assert pending == ()
        assert builder.build(now=NOW) == params
    else:
        assert builder.problems(now=NOW) == (*pending, *problems)


def test_a_common_payment_session_takes_the_shortcut() -> None:
    """A hosted payment session of name-and-amount items and plain options is built directly."""
    builder = (
        SessionBuilder.payment()
        .add_price_data(name="T-shirt", unit_amount=2000, currency="USD", quantity=1)
        .add_price_data(name="Mug", amount=Decimal("12.50"), currency="usd", quantity=2)
        .success_url("https://shop.example/ok", with_session_id=True)
        .cancel_url("https://shop.example/cart")
        .customer_email("ada@example.com")
        .client_reference_id("order-1")
        .locale("fr")
    )
    shortcut = builder._plain_params()
    assert shortcut is not None
    assert shortcut == builder._params(NOW)[0]
    assert shortcut["line_items"][1]["price_data"]["unit_amount"] == 1250


def test_the_shortcut_leaves_rule_keys_to_the_full_validation() -> None:
    """Keys that cross-parameter rules read, such as customer, make the builder validate fully."""
    base = (
        SessionBuilder.payment()
        .add_price_data(name="T-shirt", unit_amount=2000, currency="usd", quantity=1)
        .success_url("https://shop.example/ok")
    )
    assert base._plain_params() is not None
    both = base.customer("cus_123").customer_email("ada@example.com")
    assert both._plain_params() is None
    assert [p.code for p in both.problems(now=NOW)] == ["customer_xor_customer_email"]
