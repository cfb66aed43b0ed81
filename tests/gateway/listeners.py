"""Real loopback sockets that behave like a Stripe that is slow or down, for the network tests.

Each is a context manager with a ``url`` for ``STRIPE_API_BASE``:

- :class:`SilentListener` accepts every connection and never answers (a hung server or proxy);
- :class:`ClosingListener` accepts, reads the request and closes without answering;
- :class:`RefusingPort` is a bound port nobody listens on (connection refused);
- :class:`BlackholeListener` lets no connection complete (a firewall dropping packets).

None of them is a mock: the SDK's HTTP clients talk to real sockets of the kernel.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

_T = TypeVar("_T")

#: A host name that never resolves (RFC 6761 reserves ``.invalid``).
UNRESOLVABLE_URL = "http://stripe-down.invalid"


class _Listener:
    """A loopback listening socket whose accepted connections a thread hands to ``_serve``."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.connections = 0
        self._held: list[socket.socket] = []
        self._cond = threading.Condition()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                self.connections += 1
                self._cond.notify_all()
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._sock.close()
        for conn in self._held:
            conn.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class SilentListener(_Listener):
    """Accepts every connection, reads nothing and never answers; counts the connections."""

    def _serve(self, conn: socket.socket) -> None:
        self._held.append(conn)


class ClosingListener(_Listener):
    """Accepts, reads what the client sent (for up to a second), then closes without a word."""

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        with contextlib.suppress(OSError):
            conn.recv(65536)
        conn.close()


class RefusingPort:
    """A port bound on loopback with no listener: every connection attempt is refused."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))  # held, so no one else can listen there meanwhile
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def stop(self) -> None:
        self._sock.close()

    def __enter__(self) -> RefusingPort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class BlackholeListener:
    """A listener whose accept queue is full, so the kernel drops every new connection's SYN.

    It never accepts; one connection fills its queue (backlog 0), and later ones hang in
    ``connect`` as they would behind a firewall that drops packets (Linux behaviour, checked
    when the listener starts).
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        address = self._sock.getsockname()
        self.url = f"http://127.0.0.1:{address[1]}"
        self._fillers = [socket.create_connection(address, timeout=5)]
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.settimeout(0.3)
        try:
            probe.connect(address)
        except TimeoutError:
            pass
        else:
            self.stop()
            raise AssertionError("the kernel completed a connection to a full accept queue")
        finally:
            probe.close()

    def stop(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._sock.close()

    def __enter__(self) -> BlackholeListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def finishes_within(seconds: float, call: Callable[[], _T]) -> _T | BaseException:
    """Run ``call`` in a thread; its result or exception, or fail if it runs past ``seconds``.

    A bounded wait: the test fails (rather than hangs) when the gateway does not give up.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(timeout=seconds)
    if thread.is_alive():
        raise AssertionError(f"still waiting after {time.monotonic() - started:.1f} s")
    result: _T | BaseException = outcome[0]
    return result
