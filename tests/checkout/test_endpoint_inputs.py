"""The framework-neutral request parsing never fails on bad input with anything but ValueError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checkoutkit._endpoints import mount_root, read_form, wants_json

CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "application/json; charset=utf-8",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ]
)


@settings(max_examples=300)
@given(st.binary(max_size=200), CONTENT_TYPES)
def test_read_form_returns_str_fields_or_raises_value_error(body: bytes, content_type: str) -> None:
    """Any body under any content type gives str → str fields or a ValueError (a 400)."""
    try:
        form = read_form(body, content_type)
    except ValueError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in form.items())


def test_read_form_parses_forms_and_json_objects() -> None:
    """Form fields and JSON object members come back as strings; other JSON is refused."""
    assert read_form(b"quantity=2&note=", "application/x-www-form-urlencoded") == {
        "quantity": "2",
        "note": "",
    }
    assert read_form(b'{"quantity": 2, "sku": "t"}', "application/json") == {
        "quantity": "2",
        "sku": "t",
    }
    assert read_form(b"", "application/json") == {}
    for bad in (b"[1]", b"{nope", b"\xff\xfe", b"[" * 100_000, b'{"a":' * 100_000):
        try:
            read_form(bad, "application/json")
        except ValueError:
            continue
        raise AssertionError(bad)


@given(st.text(max_size=200))
def test_wants_json_never_raises(accept: str) -> None:
    """Any Accept header, however malformed, is read without an error."""
    assert wants_json(accept) in (True, False)


def test_wants_json_follows_preference() -> None:
    """JSON only when the client prefers it to HTML; browsers and curl get the redirect."""
    assert wants_json("application/json")
    assert wants_json("application/json, text/html;q=0.5")
    assert not wants_json("*/*")
    assert not wants_json("")
    assert not wants_json("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert not wants_json("application/json;q=0.5, text/html")
    assert not wants_json("application/json;q=oops")


def test_mount_root_strips_only_the_create_segment() -> None:
    """The mount point is the create endpoint's URL without its last segment."""
    assert mount_root("https://shop.example/p/create-checkout-session") == "https://shop.example/p"
    assert mount_root("http://h/create-checkout-session/") == "http://h"
    assert mount_root("http://h/other") == "http://h/other"
