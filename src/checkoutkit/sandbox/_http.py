"""A small threaded HTTP/1.1 server for the sandbox's WSGI application, with keep-alive.

werkzeug's own development server answers ``Connection: close`` to every request, so each API
call would pay for a new TCP connection and a new thread. The stripe SDK (``requests``) keeps
connections alive, and this server lets it: one thread per connection, requests read by
``Content-Length`` or in chunks (``Transfer-Encoding: chunked``), at most :data:`MAX_BODY`
bytes either way, responses always sized. The standard library's ``http.server`` parses
requests; werkzeug does the rest.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

#: Seconds an idle keep-alive connection stays open.
IDLE_TIMEOUT = 30.0

#: The largest request body read, in bytes; a larger one is answered 413. A Checkout Session
#: with every parameter at its limit is far smaller.
MAX_BODY = 2 * 1024 * 1024

#: The longest chunk-size line of a chunked body (a size and any chunk extensions).
_MAX_CHUNK_LINE = 1024


class _BadBody(Exception):
    """A request body that cannot be read: its status and what to tell the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "checkoutkit-sandbox"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._run()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _run(self) -> None:
        try:
            body = self._body()
        except _BadBody as exc:
            # What follows an unread or half-read body cannot be told from the next request.
            self.close_connection = True
            error = {"error": {"type": "invalid_request_error", "message": exc.message}}
            payload = json.dumps(error).encode()
            self._send(exc.status, [("Content-Type", "application/json")], payload)
            return
        length = len(body)
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length) if length else "",
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            # The body is already read (and de-chunked): its length is the one that counts.
            if name not in {"CONTENT_TYPE", "CONTENT_LENGTH", "TRANSFER_ENCODING"}:
                name = "HTTP_" + name
                environ[name] = f"{environ[name]},{value}" if name in environ else value
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            started[:] = [status, headers]
            return lambda data: None  # the app returns its body; write() is never used

        chunks: Iterable[bytes] = self.server.app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = started
        self._send(int(status.split(" ", 1)[0]), headers, payload)

    def _body(self) -> bytes:
        """The request body, by Content-Length or chunked, of at most :data:`MAX_BODY` bytes."""
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _BadBody(501, f"Transfer-Encoding {encoding[:40]!r} is not supported.")
            if self.headers.get("Content-Length") is not None:
                raise _BadBody(400, "Send either Content-Length or chunked encoding, not both.")
            return self._chunked_body()
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise _BadBody(400, "Bad Content-Length.")
        length = int(raw)
        if length > MAX_BODY:
            raise _BadBody(413, f"The request body is larger than {MAX_BODY} bytes.")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise _BadBody(400, "The request body ended before its Content-Length.")
        return body

    def _chunked_body(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE + 1)
            if not line.endswith(b"\n") or len(line) > _MAX_CHUNK_LINE:
                raise _BadBody(400, "Malformed chunked body: a bad chunk-size line.")
            size_text = line.split(b";", 1)[0].strip()
            if (
                not size_text
                or len(size_text) > 8
                or not all(c in b"0123456789abcdefABCDEF" for c in size_text)
            ):
                raise _BadBody(400, "Malformed chunked body: a bad chunk size.")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise _BadBody(413, f"The request body is larger than {MAX_BODY} bytes.")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.read(2) != b"\r\n":
                raise _BadBody(400, "Malformed chunked body: a chunk is cut short.")
            parts.append(chunk)
        for _ in range(100):  # trailer fields, then the empty line that ends the body
            line = self.rfile.readline(_MAX_CHUNK_LINE + 1)
            if line in {b"\r\n", b"\n"}:
                return b"".join(parts)
            if not line.endswith(b"\n"):
                break
        raise _BadBody(400, "Malformed chunked body: bad trailer.")

    def _send(self, code: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.log_request(code)
        phrase = self.responses.get(code, ("",))[0]
        lines = [
            f"{self.protocol_version} {code} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [
            f"{key}: {value}"
            for key, value in headers
            if key.lower() not in {"content-length", "connection"}
        ]
        lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write for head and body: two small writes would meet Nagle's algorithm and the
        # client's delayed ACK (a 40 ms stall per request).
        self.wfile.write(head if self.command == "HEAD" else head + payload)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Serves a WSGI app on one thread per (keep-alive) connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: WSGIApplication, *, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember open connections so :meth:`close_connections` can end them."""
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """End every open connection (idle keep-alive threads then exit)."""
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
