"""SessionBuilder: what each method puts in the params, immutability, amounts, errors."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from checkoutkit import InvalidSessionError, Problem, SessionBuilder, validate_session_params

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
NOW_TS = int(NOW.timestamp())
SUCCESS = "https://shop.example/success"
CANCEL = "https://shop.example/cancel"
TEMPLATE_SUCCESS = SUCCESS + "?session_id={CHECKOUT_SESSION_ID}"


def hosted_payment() -> SessionBuilder:
    return SessionBuilder.payment().success_url(SUCCESS).cancel_url(CANCEL)


def t_shirt(builder: SessionBuilder) -> SessionBuilder:
    return builder.add_price_data(name="T-shirt", unit_amount=2000, currency="usd", quantity=1)


T_SHIRT_ITEM = {
    "price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000},
    "quantity": 1,
}


def codes(problems: tuple[Problem, ...]) -> set[tuple[str, str]]:
    return {(p.param, p.code) for p in problems}


# -- the seed's examples, compared to the whole expected dict ------------------------------


def test_seed_t_shirt_price_data() -> None:
    """The T-shirt example (price_data, 2000 usd, quantity 1) builds exactly Stripe's params."""
    params = t_shirt(hosted_payment()).build(now=NOW)
    assert params == {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [T_SHIRT_ITEM],
    }


def test_seed_t_shirt_from_decimal_major_units() -> None:
    """The same T-shirt given as Decimal("20.00") dollars builds unit_amount 2000."""
    params = (
        hosted_payment()
        .add_price_data(name="T-shirt", amount=Decimal("20.00"), currency="USD", quantity=1)
        .build(now=NOW)
    )
    assert params["line_items"] == [T_SHIRT_ITEM]


def test_seed_price_id_and_quantity() -> None:
    """A line item by Price ID and quantity builds exactly ``{"price", "quantity"}``."""
    params = hosted_payment().add_price("price_1MotwRLkdIwHu7ixYcPLm5uZ", 2).build(now=NOW)
    assert params == {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [{"price": "price_1MotwRLkdIwHu7ixYcPLm5uZ", "quantity": 2}],
    }


def test_seed_customer_email() -> None:
    """``customer_email`` adds exactly that key."""
    params = t_shirt(hosted_payment()).customer_email("ada@example.com").build(now=NOW)
    assert params == {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [T_SHIRT_ITEM],
        "customer_email": "ada@example.com",
    }


def test_seed_setup_future_usage_with_customer_creation() -> None:
    """Saving the card for off-session use with customer_creation=always builds exactly."""
    params = (
        t_shirt(hosted_payment())
        .payment_intent_data(setup_future_usage="off_session")
        .customer_creation("always")
        .build(now=NOW)
    )
    assert params == {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [T_SHIRT_ITEM],
        "payment_intent_data": {"setup_future_usage": "off_session"},
        "customer_creation": "always",
    }


def test_seed_saved_payment_method_save_enabled() -> None:
    """``payment_method_save=True`` builds ``saved_payment_method_options`` with "enabled"."""
    params = (
        t_shirt(hosted_payment())
        .customer("cus_NffrFeUfNV2Hib")
        .saved_payment_method_options(payment_method_save=True)
        .build(now=NOW)
    )
    assert params == {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [T_SHIRT_ITEM],
        "customer": "cus_NffrFeUfNV2Hib",
        "saved_payment_method_options": {"payment_method_save": "enabled"},
    }


def test_seed_manual_capture() -> None:
    """A hold (capture_method=manual) builds ``payment_intent_data.capture_method``."""
    params = t_shirt(hosted_payment()).payment_intent_data(capture_method="manual").build(now=NOW)
    assert params == {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [T_SHIRT_ITEM],
        "payment_intent_data": {"capture_method": "manual"},
    }


# -- modes ---------------------------------------------------------------------------------


def test_subscription_mode_with_recurring_price_data_and_trial() -> None:
    """A subscription with an inline monthly price and a trial builds exactly."""
    params = (
        SessionBuilder.subscription()
        .add_price_data(name="Pro", unit_amount=1500, currency="eur", recurring="month", quantity=1)
        .subscription_data(trial_period_days=14, metadata={"plan": "pro", "seats": 3})
        .success_url(SUCCESS, with_session_id=True)
        .build(now=NOW)
    )
    assert params == {
        "mode": "subscription",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "product_data": {"name": "Pro"},
                    "recurring": {"interval": "month"},
                    "unit_amount": 1500,
                },
                "quantity": 1,
            }
        ],
        "subscription_data": {"trial_period_days": 14, "metadata": {"plan": "pro", "seats": "3"}},
        "success_url": TEMPLATE_SUCCESS,
    }


def test_setup_mode_with_currency() -> None:
    """``setup(currency="EUR")`` builds mode=setup with the currency in lowercase."""
    params = (
        SessionBuilder.setup(currency="EUR")
        .customer("cus_1")
        .setup_intent_data(description="Card for later")
        .success_url(SUCCESS)
        .build(now=NOW)
    )
    assert params == {
        "mode": "setup",
        "currency": "eur",
        "customer": "cus_1",
        "setup_intent_data": {"description": "Card for later"},
        "success_url": SUCCESS,
    }


def test_embedded_page_with_return_url() -> None:
    """An embedded page takes return_url (with the session id template) instead of success_url."""
    params = (
        t_shirt(SessionBuilder.payment())
        .ui_mode("embedded_page")
        .return_url("https://shop.example/return?order=7", with_session_id=True)
        .build(now=NOW)
    )
    assert params["ui_mode"] == "embedded_page"
    assert params["return_url"] == (
        "https://shop.example/return?order=7&session_id={CHECKOUT_SESSION_ID}"
    )


# -- each method's key ---------------------------------------------------------------------


EXPECTED_KEYS: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "client_reference_id",
        lambda b: b.client_reference_id("order-7"),
        {"client_reference_id": "order-7"},
    ),
    ("locale", lambda b: b.locale("fr-CA"), {"locale": "fr-CA"}),
    ("submit_type", lambda b: b.submit_type("donate"), {"submit_type": "donate"}),
    (
        "metadata",
        lambda b: b.metadata({"order": 7}, paid=True),
        {"metadata": {"order": "7", "paid": "true"}},
    ),
    ("allow_promotion_codes", lambda b: b.allow_promotion_codes(), {"allow_promotion_codes": True}),
    ("discount", lambda b: b.discount(coupon="SPRING"), {"discounts": [{"coupon": "SPRING"}]}),
    (
        "billing_address_collection",
        lambda b: b.billing_address_collection(),
        {"billing_address_collection": "required"},
    ),
    (
        "shipping_address_collection",
        lambda b: b.shipping_address_collection(("US", "CA")),
        {"shipping_address_collection": {"allowed_countries": ["US", "CA"]}},
    ),
    (
        "add_shipping_rate",
        lambda b: b.add_shipping_rate("shr_1"),
        {"shipping_options": [{"shipping_rate": "shr_1"}]},
    ),
    (
        "add_shipping_rate_data",
        lambda b: b.add_shipping_rate_data(
            display_name="Express", amount=Decimal("15"), currency="usd"
        ),
        {
            "shipping_options": [
                {
                    "shipping_rate_data": {
                        "display_name": "Express",
                        "fixed_amount": {"currency": "usd", "amount": 1500},
                    }
                }
            ]
        },
    ),
    (
        "phone_number_collection",
        lambda b: b.phone_number_collection(),
        {"phone_number_collection": {"enabled": True}},
    ),
    (
        "tax_id_collection",
        lambda b: b.tax_id_collection(),
        {"tax_id_collection": {"enabled": True}},
    ),
    ("automatic_tax", lambda b: b.automatic_tax(), {"automatic_tax": {"enabled": True}}),
    (
        "add_custom_field",
        lambda b: b.add_custom_field(
            "size", "Size", "dropdown", options=[("s", "Small"), ("m", "Medium")]
        ),
        {
            "custom_fields": [
                {
                    "key": "size",
                    "label": {"type": "custom", "custom": "Size"},
                    "type": "dropdown",
                    "dropdown": {
                        "options": [
                            {"value": "s", "label": "Small"},
                            {"value": "m", "label": "Medium"},
                        ]
                    },
                }
            ]
        },
    ),
    (
        "custom_text",
        lambda b: b.custom_text(submit="We ship in 2 days."),
        {"custom_text": {"submit": {"message": "We ship in 2 days."}}},
    ),
    (
        "consent_collection",
        lambda b: b.consent_collection(promotions="auto"),
        {"consent_collection": {"promotions": "auto"}},
    ),
    (
        "invoice_creation",
        lambda b: b.invoice_creation(description="Thanks"),
        {"invoice_creation": {"enabled": True, "invoice_data": {"description": "Thanks"}}},
    ),
    (
        "allowed_payment_method_types",
        lambda b: b.allowed_payment_method_types("card", "link"),
        {"allowed_payment_method_types": ["card", "link"]},
    ),
    (
        "payment_intent_data",
        lambda b: b.payment_intent_data(
            description="Order 7", statement_descriptor_suffix="ORDER 7", metadata={"n": 7}
        ),
        {
            "payment_intent_data": {
                "description": "Order 7",
                "statement_descriptor_suffix": "ORDER 7",
                "metadata": {"n": "7"},
            }
        },
    ),
    (
        "add_optional_item",
        lambda b: b.add_optional_item("price_socks", 1, adjustable_quantity=True),
        {
            "optional_items": [
                {"price": "price_socks", "quantity": 1, "adjustable_quantity": {"enabled": True}}
            ]
        },
    ),
    (
        "param",
        lambda b: b.param("payment_method_collection", None).param("origin_context", "web"),
        {"origin_context": "web"},
    ),
    ("extra", lambda b: b.extra(origin_context="web"), {"origin_context": "web"}),
    (
        "expires_at",
        lambda b: b.expires_at(NOW + timedelta(hours=2)),
        {"expires_at": NOW_TS + 7200},
    ),
    (
        "expires_in",
        lambda b: b.expires_in(timedelta(hours=2)),
        {"expires_at": NOW_TS + 7200},
    ),
]


@pytest.mark.parametrize(
    ("name", "step", "expected"), EXPECTED_KEYS, ids=[e[0] for e in EXPECTED_KEYS]
)
def test_method_adds_exactly_its_key(name: str, step: Any, expected: dict[str, Any]) -> None:
    """Each method adds exactly the key(s) it names, in the SDK's form, and the result is valid."""
    base = t_shirt(hosted_payment())
    before = base.build(now=NOW)
    after = step(base).build(now=NOW)
    assert {k: v for k, v in after.items() if k not in before} == expected
    assert {k: after[k] for k in before} == before


def test_sub_objects_merge_across_calls() -> None:
    """Calling a sub-object method twice merges the keys; a repeated key takes the later value."""
    params = (
        t_shirt(hosted_payment())
        .payment_intent_data(capture_method="manual", description="first")
        .payment_intent_data(description="second")
        .metadata(a=1)
        .metadata(b=2)
        .build(now=NOW)
    )
    assert params["payment_intent_data"] == {"capture_method": "manual", "description": "second"}
    assert params["metadata"] == {"a": "1", "b": "2"}


def test_adjustable_quantity_and_item_options() -> None:
    """Line-item options (adjustable quantity, tax rates, metadata) land on their item."""
    params = (
        hosted_payment()
        .add_price(
            "price_1",
            3,
            adjustable_quantity={"enabled": True, "minimum": 1, "maximum": 10},
            tax_rates=["txr_1"],
            metadata={"sku": 42},
        )
        .build(now=NOW)
    )
    assert params["line_items"] == [
        {
            "price": "price_1",
            "quantity": 3,
            "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10},
            "tax_rates": ["txr_1"],
            "metadata": {"sku": "42"},
        }
    ]


def test_price_data_with_existing_product_and_interval_count() -> None:
    """``product=`` refers to an existing Product, and interval_count joins the interval."""
    params = (
        SessionBuilder.subscription()
        .add_price_data(
            product="prod_1",
            unit_amount=900,
            currency="gbp",
            recurring="month",
            interval_count=3,
            quantity=1,
        )
        .success_url(SUCCESS)
        .build(now=NOW)
    )
    assert params["line_items"][0]["price_data"] == {
        "currency": "gbp",
        "product": "prod_1",
        "recurring": {"interval": "month", "interval_count": 3},
        "unit_amount": 900,
    }


# -- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/ok", "https://a.example/ok?session_id={CHECKOUT_SESSION_ID}"),
        ("https://a.example/ok?x=1", "https://a.example/ok?x=1&session_id={CHECKOUT_SESSION_ID}"),
        ("https://a.example/ok?", "https://a.example/ok?session_id={CHECKOUT_SESSION_ID}"),
        ("https://a.example/ok?x=1&", "https://a.example/ok?x=1&session_id={CHECKOUT_SESSION_ID}"),
        ("https://a.example/ok#top", "https://a.example/ok?session_id={CHECKOUT_SESSION_ID}#top"),
        (
            "https://a.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "https://a.example/ok?session_id={CHECKOUT_SESSION_ID}",
        ),
    ],
)
def test_url_with_session_id(url: str, expected: str) -> None:
    """The session id template is appended with the right separator and unescaped braces."""
    assert SessionBuilder.url_with_session_id(url) == expected
    params = t_shirt(SessionBuilder.payment()).success_url(url, with_session_id=True).build(now=NOW)
    assert params["success_url"] == expected


# -- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("500"), "jpy", 500),
        (Decimal("19.99"), "usd", 1999),
        ("19.99", "USD", 1999),
        (5, "eur", 500),
        (Decimal("5.125"), "kwd", 5125),
        (Decimal("1000"), "krw", 1000),
    ],
)
def test_major_units_convert_exactly(amount: Any, currency: str, minor: int) -> None:
    """Major-unit amounts become Stripe's minor units for the currency (zero-decimal aware)."""
    params = (
        hosted_payment()
        .add_price_data(name="Tea", amount=amount, currency=currency, quantity=1)
        .build(now=NOW)
    )
    price_data = params["line_items"][0]["price_data"]
    assert price_data["unit_amount"] == minor
    assert price_data["currency"] == currency.lower()


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        (Decimal("1.5"), "jpy", "zero_decimal_currency_amounts"),
        (Decimal("19.999"), "usd", "amount_too_precise"),
        (19.99, "usd", "invalid_type"),
        ("nineteen", "usd", "invalid_type"),
    ],
)
def test_unrepresentable_amounts_are_problems(amount: Any, currency: str, code: str) -> None:
    """An amount the currency cannot represent is a problem at the item's unit_amount."""
    builder = (
        hosted_payment()
        .add_price("price_1", 1)
        .add_price_data(name="Tea", amount=amount, currency=currency, quantity=1)
    )
    problems = builder.problems(now=NOW)
    assert ("line_items[1][price_data][unit_amount]", code) in codes(problems)


def test_an_unconvertible_amount_is_reported_once() -> None:
    """The conversion problem replaces validation's report of the then missing amount."""
    builder = (
        hosted_payment()
        .add_price_data(name="Tea", amount=Decimal("1.5"), currency="jpy", quantity=1)
        .add_shipping_rate_data(display_name="Post", amount="1.234", currency="jpy")
    )
    assert codes(builder.problems(now=NOW)) == {
        ("line_items[0][price_data][unit_amount]", "zero_decimal_currency_amounts"),
        (
            "shipping_options[0][shipping_rate_data][fixed_amount][amount]",
            "zero_decimal_currency_amounts",
        ),
    }


def test_replacing_items_drops_their_amount_problems() -> None:
    """A bad amount stops mattering once its line item or shipping option is replaced."""
    builder = (
        hosted_payment()
        .add_price_data(name="Tea", amount="1.5", currency="jpy", quantity=1)
        .add_shipping_rate_data(display_name="Post", amount="1.234", currency="usd")
    )
    assert len(builder.problems(now=NOW)) == 2
    fixed = builder.line_items([{"price": "price_1", "quantity": 1}]).param(
        "shipping_options", [{"shipping_rate": "shr_1"}]
    )
    assert fixed.problems(now=NOW) == ()


def test_amount_and_unit_amount_together_is_a_problem() -> None:
    """Giving both major and minor units for one price is reported, not silently resolved."""
    builder = hosted_payment().add_price_data(
        name="Tea", amount=Decimal("2"), unit_amount=200, currency="usd", quantity=1
    )
    assert (
        "line_items[0][price_data][unit_amount]",
        "unit_amount_xor_unit_amount_decimal",
    ) in codes(builder.problems(now=NOW))


# -- expiry --------------------------------------------------------------------------------


def test_expires_in_is_resolved_against_build_now() -> None:
    """``expires_in`` is measured from the ``now`` given to build, each time it is built."""
    builder = t_shirt(hosted_payment()).expires_in(timedelta(hours=1))
    assert builder.build(now=NOW)["expires_at"] == NOW_TS + 3600
    assert builder.build(now=NOW_TS + 60)["expires_at"] == NOW_TS + 3660


def test_expires_at_and_expires_in_replace_each_other() -> None:
    """The later of expires_at and expires_in wins."""
    base = t_shirt(hosted_payment())
    at = base.expires_in(timedelta(hours=5)).expires_at(NOW_TS + 3600)
    assert at.build(now=NOW)["expires_at"] == NOW_TS + 3600
    delay = base.expires_at(NOW_TS + 3600).expires_in(timedelta(hours=5))
    assert delay.build(now=NOW)["expires_at"] == NOW_TS + 5 * 3600


def test_expires_in_too_short_is_a_problem() -> None:
    """An expiry 10 minutes out is rejected with the expires_at rule."""
    builder = t_shirt(hosted_payment()).expires_in(timedelta(minutes=10))
    assert ("expires_at", "expires_at_30min_to_24h") in codes(builder.problems(now=NOW))


# -- immutability --------------------------------------------------------------------------


def test_methods_return_new_builders_and_leave_the_original_unchanged() -> None:
    """A method call never changes the builder it was called on."""
    base = hosted_payment()
    first = base.add_price("price_a", 1)
    second = base.add_price("price_b", 2).metadata(k="v")
    assert base.problems(now=NOW)  # still no line items
    assert first.build(now=NOW)["line_items"] == [{"price": "price_a", "quantity": 1}]
    assert second.build(now=NOW)["line_items"] == [{"price": "price_b", "quantity": 2}]
    assert "metadata" not in first.build(now=NOW)


def test_builder_attributes_cannot_be_set() -> None:
    """Assigning to a builder raises AttributeError."""
    builder = SessionBuilder.payment()
    with pytest.raises(AttributeError):
        builder._fields = {}  # type: ignore[misc]
    with pytest.raises(AttributeError):
        builder.anything = 1  # type: ignore[attr-defined]


def test_mutating_built_params_or_inputs_does_not_change_the_builder() -> None:
    """The built dict and the caller's inputs share no container with the builder."""
    metadata = {"k": "v"}
    source = {
        "mode": "payment",
        "success_url": SUCCESS,
        "line_items": [{"price": "price_1", "quantity": 1, "tax_rates": ["txr_1"]}],
    }
    builder = SessionBuilder.from_params(source).metadata(metadata)
    metadata["k"] = "changed"
    source["line_items"][0]["quantity"] = 5  # type: ignore[index]
    built = builder.build(now=NOW)
    built["line_items"][0]["tax_rates"].append("txr_2")
    built["metadata"]["k"] = "x"
    again = builder.build(now=NOW)
    assert again["line_items"] == [{"price": "price_1", "quantity": 1, "tax_rates": ["txr_1"]}]
    assert again["metadata"] == {"k": "v"}


def test_one_base_builder_shared_by_threads() -> None:
    """Threads extending one base builder each get their own, correct params."""
    base = hosted_payment().customer_email("shared@example.com")
    results: dict[int, Any] = {}

    def worker(n: int) -> None:
        results[n] = base.add_price(f"price_{n}", n + 1).client_reference_id(str(n)).build(now=NOW)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, params in results.items():
        assert params["line_items"] == [{"price": f"price_{n}", "quantity": n + 1}]
        assert params["client_reference_id"] == str(n)
    assert base.problems(now=NOW)


# -- errors --------------------------------------------------------------------------------


def test_build_reports_every_problem_at_once() -> None:
    """Several mistakes are all reported, each with Stripe's bracket param and the rule id."""
    builder = (
        SessionBuilder.subscription()
        .add_price("price_1", 0)
        .payment_intent_data(capture_method="manual")
        .allow_promotion_codes()
        .discount(coupon="SPRING")
        .customer("cus_1")
        .customer_email("ada@example.com")
        .success_url(SUCCESS)
    )
    with pytest.raises(InvalidSessionError) as caught:
        builder.build(now=NOW)
    found = codes(caught.value.problems)
    assert ("line_items[0][quantity]", "quantity_min_1") in found
    assert ("payment_intent_data", "payment_intent_data_payment_only") in found
    assert any(code == "allow_promotion_codes_xor_discounts" for _, code in found)
    assert any(code == "customer_xor_customer_email" for _, code in found)
    assert caught.value.problems == builder.problems(now=NOW)
    assert isinstance(caught.value, ValueError)


def test_problems_match_validate_session_params() -> None:
    """``problems()`` is exactly what validation finds in the assembled params."""
    builder = SessionBuilder.setup().add_price("price_1", 1).success_url(SUCCESS)
    params = SessionBuilder.from_params({"mode": "setup", "success_url": SUCCESS})
    assert builder.problems(now=NOW)
    assert params.problems(now=NOW) == validate_session_params(
        {"mode": "setup", "success_url": SUCCESS}, now=NOW
    )


def test_wrong_types_become_problems_not_exceptions() -> None:
    """Values of the wrong type are reported by build, never raised as TypeError."""
    builder = (
        SessionBuilder.payment()
        .add_price(123, "x")  # type: ignore[arg-type]
        .add_price_data(name=None, amount=object(), currency=7, quantity=None)  # type: ignore[arg-type]
        .success_url(None)  # type: ignore[arg-type]
        .metadata(["not", "a", "mapping"])  # type: ignore[arg-type]
        .expires_at("tomorrow")  # type: ignore[arg-type]
        .expires_in("soon")  # type: ignore[arg-type]
        .shipping_address_collection(5)  # type: ignore[arg-type]
        .param("no_such_param", {"a": [1, {"b": None}]})
    )
    problems = builder.problems(now=NOW)
    params = {p.param for p in problems}
    assert "line_items[0][quantity]" in params
    assert "no_such_param" in params
    with pytest.raises(InvalidSessionError):
        builder.build(now=NOW)


def test_hostile_values_are_problems_not_exceptions() -> None:
    """Huge numbers, endless iterators, odd names and broken time zones are all reported."""
    import itertools
    from datetime import tzinfo

    class BrokenZone(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            raise RuntimeError("no offset")

    builder = (
        hosted_payment()
        .add_price_data(name="Tea", amount="1e999999", currency="usd", quantity=1)
        .add_price_data(name="Tea", amount=10**5000, currency="usd", quantity=1)
        .shipping_address_collection(itertools.repeat("US"))
        .expires_at(datetime(2026, 1, 1, tzinfo=BrokenZone()))
        .param(["not", "a", "name"], 1)  # type: ignore[arg-type]
    )
    found = codes(builder.problems(now=NOW))
    assert ("line_items[0][price_data][unit_amount]", "invalid_type") in found  # an exponent
    assert ("line_items[1][price_data][unit_amount]", "maximum_amount_8_digits") in found
    assert ("", "invalid_type") in found
    assert any(param.startswith("shipping_address_collection") for param, _ in found)
    assert any(param == "expires_at" for param, _ in found)
    with pytest.raises(InvalidSessionError):
        builder.build(now=10**400)


def test_bad_now_is_a_problem() -> None:
    """A ``now`` that is not a time is reported as a problem."""
    builder = t_shirt(hosted_payment())
    with pytest.raises(InvalidSessionError) as caught:
        builder.build(now="noon")  # type: ignore[arg-type]
    assert ("", "invalid_type") in codes(caught.value.problems)


@pytest.mark.parametrize("params", [None, 5, "mode=payment", [1, 2], {"line_items": "x"}, {1: 2}])
def test_from_params_with_garbage_reports_problems(params: Any) -> None:
    """``from_params`` with something that is not session params fails at build with problems."""
    with pytest.raises(InvalidSessionError) as caught:
        SessionBuilder.from_params(params).build(now=NOW)
    assert caught.value.problems


def test_from_params_of_a_cyclic_structure_reports_problems() -> None:
    """A self-referencing dict is reported, not a RecursionError."""
    cyclic: dict[str, Any] = {"mode": "payment"}
    cyclic["metadata"] = cyclic
    with pytest.raises(InvalidSessionError):
        SessionBuilder.from_params(cyclic).build(now=NOW)


def test_from_params_round_trip_of_the_seed_examples() -> None:
    """``from_params(p).build() == p`` for the seed's params, and methods still apply after."""
    params = t_shirt(hosted_payment()).customer_email("ada@example.com").build(now=NOW)
    builder = SessionBuilder.from_params(params)
    assert builder.build(now=NOW) == params
    more = builder.add_price("price_1", 1).build(now=NOW)
    assert more["line_items"] == [T_SHIRT_ITEM, {"price": "price_1", "quantity": 1}]


def test_line_items_replace_and_remove() -> None:
    """``line_items(...)`` replaces all items; ``param("line_items", None)`` removes the key."""
    base = t_shirt(hosted_payment())
    replaced = base.line_items([{"price": "price_9", "quantity": 9}]).build(now=NOW)
    assert replaced["line_items"] == [{"price": "price_9", "quantity": 9}]
    removed = base.param("line_items", None)
    assert ("line_items", "payment_requires_line_items") in codes(removed.problems(now=NOW))


def test_repr_shows_the_params() -> None:
    """The repr shows the params gathered so far."""
    assert "'mode': 'payment'" in repr(SessionBuilder.payment())


def test_get_reads_what_was_set_without_sharing_it() -> None:
    """``get`` answers what a builder it was handed already has, as a copy."""
    builder = SessionBuilder.payment().success_url("https://shop.example/ok").metadata(order="7")
    assert builder.get("success_url") == "https://shop.example/ok"
    assert builder.get("cancel_url") is None
    metadata = builder.get("metadata")
    assert metadata == {"order": "7"}
    metadata["order"] = "8"
    assert builder.get("metadata") == {"order": "7"}
