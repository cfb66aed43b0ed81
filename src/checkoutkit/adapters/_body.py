"""Reading a request body, bounded: re-exported by :mod:`checkoutkit.adapters.endpoints`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, Iterable, Iterator

__all__ = [
    "READ_CHUNK",
    "BodyRefused",
    "declared_length",
    "read_body",
    "read_body_async",
    "server_reads_refused_bodies",
]

READ_CHUNK = 64 * 1024
"""How much an adapter asks its framework's input stream for at a time."""


class BodyRefused(Exception):
    """A request body that was not read whole: ``status`` 413 (too large) or 400 (unreadable)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def declared_length(value: str | None) -> int | None:
    """The ``Content-Length`` header as a number; None when absent or not plain digits."""
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        return None
    return int(value)


def _too_long(declared: int, limit: int) -> BodyRefused:
    return BodyRefused(413, f"Content-Length {declared} exceeds the limit of {limit} bytes")


def _grew_too_long(limit: int) -> BodyRefused:
    return BodyRefused(413, f"the body grew past the limit of {limit} bytes")


def _unreadable(exc: Exception) -> BodyRefused:
    # A framework's own size limit (Flask's MAX_CONTENT_LENGTH) raises an HTTP 413 error.
    status = getattr(exc, "code", None) or getattr(exc, "status_code", None)
    if status == 413:
        return BodyRefused(413, f"the framework's own size limit refused the body: {exc}"[:300])
    return BodyRefused(400, f"the body could not be read: {type(exc).__name__}: {exc}"[:300])


def read_body(
    length: str | None, chunks: Iterable[bytes], limit: int, *, discard_refused: bool = False
) -> bytes:
    """The request body, never holding more than ``limit`` bytes (plus one chunk) of it.

    ``length`` is the ``Content-Length`` header (None when the body is chunked) and ``chunks``
    the framework's input stream, read lazily. A declared length over ``limit`` is refused
    before anything is read; otherwise chunks are read one by one and reading stops as soon as
    more than ``limit`` bytes have arrived. Raises :class:`BodyRefused`: 413 for a body too
    large, 400 for one the server could not read (a client gone, a broken chunked encoding).

    ``discard_refused`` reads the rest of a refused body and drops it, a chunk at a time, for
    servers that would otherwise read it themselves in large blocks (see
    :func:`server_reads_refused_bodies`).
    """
    stream = iter(chunks)
    try:
        return _read(length, stream, limit)
    except BodyRefused as refused:
        if discard_refused and refused.status == 413:
            _discard(stream)
        raise


def _read(length: str | None, stream: Iterator[bytes], limit: int) -> bytes:
    declared = declared_length(length)
    if declared is not None and declared > limit:
        raise _too_long(declared, limit)
    received = bytearray()
    try:
        for chunk in stream:
            received += chunk
            if len(received) > limit:
                raise _grew_too_long(limit)
    except BodyRefused:
        raise
    except Exception as exc:  # whatever the server's stream raises: the client's doing
        raise _unreadable(exc) from None
    return bytes(received)


def _discard(stream: Iterator[bytes]) -> None:
    with contextlib.suppress(Exception):  # a client gone mid-body: nothing left to drop
        for _ in stream:
            pass


def server_reads_refused_bodies(server_software: str | None) -> bool:
    """True for a WSGI server that reads a body the application left unread, in large blocks.

    werkzeug's development server (``flask run``, ``checkoutkit demo``) reads what is left of
    the body after the answer, 10 MB at a time, so that the client sees the answer rather than
    a reset connection: on a 100 MB body that costs its process 10-20 MB. Reading the rest
    first, a chunk at a time, costs one chunk. Production servers (gunicorn, uvicorn) close
    the connection instead, so their adapters leave a refused body unread.
    """
    return (server_software or "").startswith("Werkzeug/")


async def read_body_async(length: str | None, chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """Async twin of :func:`read_body`, for an ASGI server's stream of chunks."""
    declared = declared_length(length)
    if declared is not None and declared > limit:
        raise _too_long(declared, limit)
    received = bytearray()
    try:
        async for chunk in chunks:
            received += chunk
            if len(received) > limit:
                raise _grew_too_long(limit)
    except BodyRefused:
        raise
    except Exception as exc:  # whatever the server's stream raises: the client's doing
        raise _unreadable(exc) from None
    return bytes(received)
