"""Hypothesis strategies and small session factories shared by the tests."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from checkoutkit import _currencies

#: The clock every test passes as ``now`` (2027-01-15T08:00:00Z).
NOW = 1_800_000_000


def item(
    amount: int = 2000, currency: str = "usd", quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    """A line item with inline ``price_data`` (a T-shirt)."""
    return {
        "price_data": {
            "currency": currency,
            "product_data": {"name": "T-shirt"},
            "unit_amount": amount,
        },
        "quantity": quantity,
        **extra,
    }


def recurring_item(interval: str = "month", **extra: Any) -> dict[str, Any]:
    """A line item with an inline recurring price."""
    line = item(**extra)
    line["price_data"]["recurring"] = {"interval": interval}
    return line


def payment(**extra: Any) -> dict[str, Any]:
    """A valid hosted payment-mode session with one inline line item, plus ``extra``."""
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://example.com/done?session_id={CHECKOUT_SESSION_ID}",
        "line_items": [item()],
    }
    params.update(extra)
    return params


def subscription(**extra: Any) -> dict[str, Any]:
    """A valid hosted subscription-mode session with one monthly price, plus ``extra``."""
    return payment(**{"mode": "subscription", "line_items": [recurring_item()], **extra})


def setup(**extra: Any) -> dict[str, Any]:
    """A valid hosted setup-mode session, plus ``extra``."""
    return {
        "mode": "setup",
        "currency": "usd",
        "success_url": "https://example.com/done",
        **extra,
    }


def embedded(**extra: Any) -> dict[str, Any]:
    """A valid embedded payment session, plus ``extra``."""
    params = payment(ui_mode="embedded_page", return_url="https://example.com/return")
    del params["success_url"]
    params.update(extra)
    return params


def without(params: dict[str, Any], key: str) -> dict[str, Any]:
    """A copy of ``params`` without ``key``."""
    result = copy.deepcopy(params)
    del result[key]
    return result


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)

#: Arbitrary JSON-like values, plus tuples and Decimals that Python callers may pass.
json_values = st.recursive(
    json_scalars | st.decimals(allow_nan=True),
    lambda children: (
        st.lists(children, max_size=5)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=25,
)

_TOP_KEYS = [
    "mode",
    "ui_mode",
    "line_items",
    "success_url",
    "cancel_url",
    "return_url",
    "customer",
    "customer_email",
    "customer_creation",
    "customer_update",
    "currency",
    "metadata",
    "payment_intent_data",
    "subscription_data",
    "setup_intent_data",
    "custom_fields",
    "shipping_options",
    "discounts",
    "allow_promotion_codes",
    "expires_at",
    "optional_items",
    "automatic_tax",
    "invoice_creation",
    "permissions",
    "allowed_payment_method_types",
    "redirect_on_completion",
    "locale",
    "unknown_key",
]

_ITEM_KEYS = ["price", "price_data", "quantity", "adjustable_quantity", "metadata", "amount"]
_PRICE_DATA_KEYS = [
    "currency",
    "product",
    "product_data",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "tax_behavior",
]

#: Dicts that look like session params (real keys at the top, in line items and in price_data)
#: with arbitrary values: they reach far deeper into the validator than random JSON does.
session_like = st.dictionaries(
    st.sampled_from(_TOP_KEYS),
    json_values
    | st.lists(
        st.dictionaries(
            st.sampled_from(_ITEM_KEYS),
            json_values
            | st.dictionaries(st.sampled_from(_PRICE_DATA_KEYS), json_values, max_size=6),
            max_size=5,
        ),
        max_size=4,
    ),
    max_size=10,
)

_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
)
_metadata = st.dictionaries(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=40),
    st.text(max_size=100),
    max_size=5,
)

# Currencies with a known minimum, so that any amount at or above it is valid.
_currencies_with_minimum = sorted(_currencies.MINIMUM_CHARGE)


@st.composite
def valid_payment_sessions(draw: st.DrawFn) -> dict[str, Any]:
    """Hosted or embedded payment sessions that Stripe accepts."""
    currency = draw(st.sampled_from(_currencies_with_minimum))
    minimum = _currencies.MINIMUM_CHARGE[currency]
    step = 100 if currency in _currencies.WHOLE_UNITS_ONLY else 1
    items = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        amount = draw(st.integers(min_value=minimum // step, max_value=100_000 // step)) * step
        line: dict[str, Any] = {
            "price_data": {
                "currency": draw(st.sampled_from([currency, currency.upper()])),
                "product_data": {"name": draw(_names)},
                "unit_amount": amount,
            },
            "quantity": draw(st.integers(min_value=1, max_value=99)),
        }
        if draw(st.booleans()):
            line["adjustable_quantity"] = {"enabled": True, "maximum": 99}
        if draw(st.booleans()):
            line["metadata"] = draw(_metadata)
        items.append(line)
    params: dict[str, Any] = {"mode": "payment", "line_items": items}
    if draw(st.booleans()):
        params["ui_mode"] = "embedded_page"
        params["return_url"] = "https://example.com/return?session_id={CHECKOUT_SESSION_ID}"
    else:
        params["success_url"] = "https://example.com/done"
        if draw(st.booleans()):
            params["cancel_url"] = "https://example.com/cart"
    if draw(st.booleans()):
        params["customer_email"] = "buyer@example.com"
        params["customer_creation"] = draw(st.sampled_from(["always", "if_required"]))
    if draw(st.booleans()):
        params["payment_intent_data"] = {
            "setup_future_usage": draw(st.sampled_from(["on_session", "off_session"])),
            "capture_method": draw(st.sampled_from(["automatic", "automatic_async", "manual"])),
            "metadata": draw(_metadata),
        }
    if draw(st.booleans()):
        params["metadata"] = draw(_metadata)
    if draw(st.booleans()):
        params["expires_at"] = NOW + draw(st.integers(min_value=31 * 60, max_value=24 * 3600))
    if draw(st.booleans()):
        params["locale"] = draw(st.sampled_from(["auto", "en", "fr-CA", "pt-BR", "zh-TW"]))
    if draw(st.booleans()):
        params["allow_promotion_codes"] = True
    elif draw(st.booleans()):
        params["discounts"] = [{"coupon": "SUMMER"}]
    return params


@st.composite
def valid_subscription_sessions(draw: st.DrawFn) -> dict[str, Any]:
    """Hosted subscription sessions that Stripe accepts."""
    interval = draw(st.sampled_from(["day", "week", "month", "year"]))
    limits = {"day": 5000, "week": 156, "month": 36, "year": 3}
    line = recurring_item(interval=interval, amount=draw(st.integers(0, 10**6)))
    line["price_data"]["recurring"]["interval_count"] = draw(
        st.integers(min_value=1, max_value=limits[interval])
    )
    params = subscription(line_items=[line])
    if draw(st.booleans()):
        params["subscription_data"] = {
            "trial_period_days": draw(st.integers(min_value=1, max_value=730)),
            "metadata": draw(_metadata),
        }
    if draw(st.booleans()):
        params["payment_method_collection"] = "if_required"
    return params


valid_sessions = valid_payment_sessions() | valid_subscription_sessions()

#: Amounts in major units, as Decimals with up to three decimals.
decimal_amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=3, allow_nan=False
)
