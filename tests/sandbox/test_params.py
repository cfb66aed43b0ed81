"""Stripe's bracket form encoding, parsed as Stripe parses it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit.sandbox._errors import ApiError
from checkoutkit.sandbox._params import coerce, parse_pairs


def _encode(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Encode like the stripe SDK: dicts as ``[key]``, lists as ``[index]``."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for k, v in value.items():
            pairs += _encode(v, f"{prefix}[{k}]" if prefix else k)
        return pairs
    if isinstance(value, list):
        pairs = []
        for i, v in enumerate(value):
            pairs += _encode(v, f"{prefix}[{i}]")
        return pairs
    return [(prefix, value)]


def test_nested_dicts_and_lists() -> None:
    """``a[b][0][c]=v`` becomes nested dicts and lists in index order."""
    pairs = parse_qsl(
        "line_items[1][price]=p2&line_items[0][price]=p1&line_items[0][quantity]=2"
        "&metadata[order]=7&mode=payment"
    )
    assert parse_pairs(pairs) == {
        "line_items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}],
        "metadata": {"order": "7"},
        "mode": "payment",
    }


def test_empty_brackets_append() -> None:
    """``expand[]=a&expand[]=b`` is a list, as other clients send it."""
    assert parse_pairs([("expand[]", "a"), ("expand[]", "b")]) == {"expand": ["a", "b"]}


def test_conflicting_shapes_are_a_400_naming_the_param() -> None:
    """A scalar and a hash under one key is an invalid_request_error for that key."""
    with pytest.raises(ApiError) as info:
        parse_pairs([("metadata", "x"), ("metadata[a]", "b")])
    assert info.value.status == 400
    assert info.value.param == "metadata"


def test_coerce_integers_and_booleans_but_not_metadata() -> None:
    """Integer fields become ints, ``true`` becomes True; metadata values stay strings."""
    params = {
        "line_items": [{"quantity": "3", "price_data": {"unit_amount": "100"}}],
        "metadata": {"quantity": "3", "flag": "true"},
        "phone_number_collection": {"enabled": "true"},
    }
    assert coerce(params) == {
        "line_items": [{"quantity": 3, "price_data": {"unit_amount": 100}}],
        "metadata": {"quantity": "3", "flag": "true"},
        "phone_number_collection": {"enabled": True},
    }


def test_bad_integer_names_the_bracket_param() -> None:
    """A non-integer quantity is parameter_invalid_integer at ``line_items[0][quantity]``."""
    with pytest.raises(ApiError) as info:
        coerce({"line_items": [{"quantity": "two"}]})
    assert info.value.param == "line_items[0][quantity]"
    assert info.value.code == "parameter_invalid_integer"


# ``metadata`` is a map of text whatever its brackets say (a list there parses as "0", "1"…).
_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda key: key != "metadata"
)
_values: st.SearchStrategy[Any] = st.recursive(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=10),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(_keys, inner, min_size=1, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=examples(150), deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=5))
def test_round_trip_of_sdk_encoding(params: dict[str, Any]) -> None:
    """Whatever nested params the SDK encodes parse back to the same structure."""
    assert parse_pairs(_encode(params)) == params


def test_drop_unset_removes_only_unsettable_empty_strings() -> None:
    """``""`` goes where the spec allows unsetting; other empty strings are kept for the rules."""
    from checkoutkit._rules import session_create_spec
    from checkoutkit.sandbox._params import drop_unset

    params = {
        "custom_text": {"submit": "", "after_submit": {"message": "Hi"}},
        "customer_email": "",
        "metadata": {"note": ""},
        "line_items": [{"price_data": {"product_data": {"name": ""}}}],
    }
    assert drop_unset(params, session_create_spec()) == {
        "custom_text": {"after_submit": {"message": "Hi"}},
        "customer_email": "",
        "metadata": {"note": ""},
        "line_items": [{"price_data": {"product_data": {"name": ""}}}],
    }


def test_metadata_with_digit_keys_stays_a_map() -> None:
    """Metadata keys that are decimal digits are keys, not list indexes."""
    pairs = [("metadata[0]", "a"), ("metadata[1]", ""), ("line_items[0][metadata][7]", "b")]
    assert parse_pairs(pairs) == {
        "metadata": {"0": "a", "1": ""},
        "line_items": [{"metadata": {"7": "b"}}],
    }
