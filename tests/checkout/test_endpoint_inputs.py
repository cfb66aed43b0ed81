"""The framework-neutral request parsing never fails on bad input with anything but ValueError.

Bodies are read bounded: never more than the limit plus one chunk, whatever the stream does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit.adapters.endpoints import (
    BodyRefused,
    declared_length,
    mount_root,
    read_body,
    read_body_async,
    read_form,
    wants_json,
)

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


@settings(max_examples=examples(300))
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


# -- reading a body, bounded ----------------------------------------------------------------


class Chunks:
    """Chunks of a body that count what was taken from them (an input stream stand-in)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.taken += 1
            yield chunk

    async def aiter(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


def read_both(length: str | None, chunks: Chunks, limit: int) -> bytes | int:
    """read_body and read_body_async on the same chunks: the body or the refusal's status."""
    outcomes: list[bytes | int] = []
    for reader in ("sync", "async"):
        chunks.taken = 0
        try:
            if reader == "sync":
                outcomes.append(read_body(length, chunks, limit))
            else:
                outcomes.append(asyncio.run(read_body_async(length, chunks.aiter(), limit)))
        except BodyRefused as refused:
            outcomes.append(refused.status)
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


@settings(max_examples=examples(200))
@given(st.lists(st.binary(max_size=40), max_size=12), st.integers(1, 200), st.booleans())
def test_a_body_within_the_limit_is_read_whole_and_a_longer_one_is_refused(
    chunks: list[bytes], limit: int, declare: bool
) -> None:
    """However the body is cut into chunks, it is returned whole or refused with 413."""
    body = b"".join(chunks)
    source = Chunks(chunks)
    outcome = read_both(str(len(body)) if declare else None, source, limit)
    if len(body) <= limit:
        assert outcome == body
    else:
        assert outcome == 413


@settings(max_examples=examples(200))
@given(st.lists(st.binary(min_size=1, max_size=40), max_size=30), st.integers(1, 200))
def test_reading_stops_at_the_first_chunk_past_the_limit(chunks: list[bytes], limit: int) -> None:
    """A chunked body (no Content-Length) is read only until it has grown past the limit."""
    source = Chunks(chunks)
    outcome = read_both(None, source, limit)
    sizes = [len(c) for c in chunks]
    past = next((i for i in range(len(sizes)) if sum(sizes[: i + 1]) > limit), None)
    if past is None:
        assert outcome == b"".join(chunks)
        assert source.taken == len(chunks)
    else:
        assert outcome == 413
        assert source.taken == past + 1


@pytest.mark.parametrize("length", ["101", "1000000000000", " 150 "])
def test_a_declared_length_over_the_limit_is_refused_unread(length: str) -> None:
    """A Content-Length over the limit is a 413 before a single chunk is taken."""
    source = Chunks([b"x" * 10])
    assert read_both(length, source, 100) == 413
    assert source.taken == 0


@pytest.mark.parametrize("length", ["", "abc", "-5", "1e9", "٣", "10, 10"])
def test_a_malformed_declared_length_is_ignored_and_the_stream_bounded(length: str) -> None:
    """A Content-Length that is not plain digits decides nothing: the chunks are counted."""
    assert declared_length(length) is None
    assert read_both(length, Chunks([b"x" * 60, b"y" * 60]), 100) == 413
    assert read_both(length, Chunks([b"x" * 60]), 100) == b"x" * 60


class Broken:
    """An input stream that fails after its first chunk, as a client that went away does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield b"{"
        raise self.error

    async def aiter(self) -> AsyncIterator[bytes]:
        yield b"{"
        raise self.error


class TooLargeForTheFramework(Exception):
    """What a framework's own size limit raises (werkzeug's RequestEntityTooLarge has code 413)."""

    code = 413


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OSError("Invalid chunk header"), 400),
        (ConnectionResetError("peer reset"), 400),
        (RuntimeError("client disconnected"), 400),
        (TooLargeForTheFramework("413 Request Entity Too Large"), 413),
    ],
)
def test_a_stream_that_fails_is_a_refusal_not_an_exception(error: Exception, status: int) -> None:
    """Whatever the server's stream raises while reading becomes a 400 (or its own 413)."""
    broken = Broken(error)
    with pytest.raises(BodyRefused) as sync:
        read_body(None, broken, 100)
    with pytest.raises(BodyRefused) as async_:
        asyncio.run(read_body_async(None, broken.aiter(), 100))
    assert sync.value.status == async_.value.status == status
