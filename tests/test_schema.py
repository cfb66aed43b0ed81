"""The parameter spec is derived from the installed stripe SDK's SessionCreateParams."""

from __future__ import annotations

from typing import Dict, List, Literal, Union  # noqa: UP035 - spelled as the SDK spells them

from stripe.params.checkout import SessionCreateParams
from typing_extensions import NotRequired, TypedDict

from checkoutkit import validate_session_params
from checkoutkit._rules import REQUEST_OPTION_KEYS, Kind, session_create_spec
from checkoutkit._rules._spec import _Compiler


def test_top_level_keys_are_the_sdks_own() -> None:
    """The accepted top-level keys are SessionCreateParams' keys minus RequestOptions."""
    spec = session_create_spec()
    sdk_keys = set(SessionCreateParams.__annotations__) - REQUEST_OPTION_KEYS
    assert set(spec.fields) == sdk_keys
    assert not REQUEST_OPTION_KEYS & set(spec.fields)
    assert {"mode", "line_items", "allowed_payment_method_types", "ui_mode"} <= set(spec.fields)
    assert "payment_method_types" not in spec.fields


def test_enums_come_from_literal_values() -> None:
    """Enum values are the SDK's Literal values, with the rule id attached."""
    spec = session_create_spec()
    assert spec.fields["ui_mode"].enum == {"hosted_page", "embedded_page", "elements", "form"}
    assert spec.fields["ui_mode"].enum_code == "ui_mode_enum"
    assert spec.fields["mode"].enum == {"payment", "setup", "subscription"}
    pms = spec.fields["allowed_payment_method_types"]
    assert pms.kind == Kind.LIST
    assert pms.item is not None
    assert {"card", "ideal", "bizum", "upi"} <= pms.item.enum
    assert pms.item.enum_code == "allowed_payment_method_types_enum"


def test_plain_strings_are_not_enums() -> None:
    """A str field whose only Literal value is the unset marker '' is a free string."""
    spec = session_create_spec()
    assert spec.fields["customer"].kind == Kind.STR
    colour = spec.fields["branding_settings"].fields["background_color"]
    assert colour.kind == Kind.STR


def test_empty_string_unsets_where_the_sdk_allows_it() -> None:
    """Fields typed Literal[''] | X accept '' as well as X."""
    spec = session_create_spec()
    submit = spec.fields["custom_text"].fields["submit"]
    assert submit.kind == Kind.OBJECT
    assert submit.empty_ok
    params = {
        "mode": "payment",
        "success_url": "https://example.com/done",
        "line_items": [{"price": "price_1", "quantity": 1}],
        "custom_text": {"submit": "", "after_submit": {"message": "Thanks"}},
    }
    assert validate_session_params(params) == ()


def test_required_keys_come_from_the_typeddicts() -> None:
    """Keys the SDK marks required are required; the rest are optional."""
    spec = session_create_spec()
    assert spec.required == ()
    line_item = spec.fields["line_items"].item
    assert line_item is not None
    assert line_item.fields["price_data"].required == ("currency",)
    assert spec.fields["automatic_tax"].required == ("enabled",)


class _NewRecurring(TypedDict):
    interval: Union[Literal["day", "month", "week", "year", "decade"], str]  # noqa: UP007


class _NewPriceData(TypedDict):
    currency: str
    recurring: NotRequired[_NewRecurring]
    shiny_new_option: NotRequired[bool]


class _NewLineItem(TypedDict):
    price_data: NotRequired[_NewPriceData]
    quantity: NotRequired[int]


class _NewerSessionCreateParams(SessionCreateParams):
    line_items: NotRequired[List[_NewLineItem]]  # type: ignore[misc]  # noqa: UP006
    brand_new_param: NotRequired["Dict[str, str]"]  # noqa: UP006, UP037 - a string, as the SDK writes


def test_a_newer_sdk_needs_no_code_change() -> None:
    """New keys, nested keys and enum values in a newer SDK's TypedDicts are picked up."""
    spec = _Compiler().compile_typeddict(_NewerSessionCreateParams, (), REQUEST_OPTION_KEYS)
    assert "brand_new_param" in spec.fields
    line_item = spec.fields["line_items"].item
    assert line_item is not None
    price_data = line_item.fields["price_data"]
    assert "shiny_new_option" in price_data.fields
    assert "decade" in price_data.fields["recurring"].fields["interval"].enum
    assert price_data.fields["recurring"].fields["interval"].enum_code == "recurring_interval_enum"
    assert "idempotency_key" not in spec.fields


def test_compiling_twice_gives_the_same_cached_spec() -> None:
    """The spec is built once and reused."""
    assert session_create_spec() is session_create_spec()
