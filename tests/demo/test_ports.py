"""A busy port is reported with the flag that picks another, and what must follow it.

Each test really occupies the port (a listening socket of its own) and runs the command line.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterator

import pytest

from checkoutkit._cli import main

#: The sandbox port the quickstarts use (``checkoutkit sandbox``'s default).
QUICKSTART_SANDBOX_PORT = 12111


@contextlib.contextmanager
def occupied(port: int = 0) -> Iterator[int]:
    """Hold ``port`` (any free one for 0) with a listening socket; yields the port.

    A port some other program already holds is just as busy, so that is fine too.
    """
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
    try:
        yield port or sock.getsockname()[1]
    finally:
        sock.close()


def test_sandbox_on_the_quickstart_port_names_port_flag_and_api_base(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``checkoutkit sandbox`` with 12111 taken: exit 2, --port N and STRIPE_API_BASE named."""
    with occupied(QUICKSTART_SANDBOX_PORT):
        assert main(["sandbox"]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{QUICKSTART_SANDBOX_PORT}" in err
    assert "in use by another program" in err
    assert "--port N" in err
    assert "STRIPE_API_BASE=http://127.0.0.1:N" in err
    assert "Traceback" not in err


def test_demo_with_its_shop_port_taken_names_the_nox_form_of_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``checkoutkit demo`` on a busy port: its own message with ``-- --port N``, not Werkzeug's."""
    with occupied() as port:
        assert main(["demo", "--port", str(port)]) == 2
    out = capsys.readouterr()
    assert f"port {port} is in use by another program" in out.err
    assert "nox -s demo -- --port N" in out.err
    assert "Either identify and stop that program" not in out.err + out.out  # Werkzeug's hint
    assert "Ready" not in out.out


def test_demo_with_its_sandbox_port_taken_names_sandbox_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--sandbox-port`` on a busy port: the message names ``--sandbox-port`` (or none)."""
    with occupied() as shop_port, occupied() as sandbox_port:
        pass  # two distinct free ports; only the sandbox's is held below
    with occupied(sandbox_port):
        argv = ["demo", "--port", str(shop_port), "--sandbox-port", str(sandbox_port)]
        assert main(argv) == 2
    out = capsys.readouterr()
    assert f"port {sandbox_port} is in use by another program" in out.err
    assert "--sandbox-port N" in out.err
    assert "Ready" not in out.out
