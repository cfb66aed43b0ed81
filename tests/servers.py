"""Start and stop real PostgreSQL and Redis servers on loopback for tests and benchmarks.

PostgreSQL refuses to run as root, so when we are root its commands run as an unprivileged
user (``postgres`` if it exists, else one created for the purpose) through ``runuser``.
Binaries are looked up on PATH and, for PostgreSQL, in Debian's ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PG_USER_FALLBACK = "checkoutkit-pg"


class ServerUnavailable(RuntimeError):
    """A server binary is missing or the server did not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], *, path: str = "/cancel") -> None:
    """Wait up to 30 s until ``url + path`` answers 200 (the shops' cancel page, by default).

    Fails at once, with the exit code, if ``process`` exits first.
    """
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not come up within 30 s")


def find_binary(name: str) -> str | None:
    """``name`` on PATH, or in the newest Debian PostgreSQL bin directory."""
    found = shutil.which(name)
    if found:
        return found
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _wait_for_port(port: int, deadline: float, proc: subprocess.Popen[bytes] | None) -> None:
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerUnavailable(f"server exited with status {proc.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServerUnavailable(f"nothing listens on port {port}")


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_user() -> str | None:
    """The user to run PostgreSQL as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", PG_USER_FALLBACK):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/bin/false", PG_USER_FALLBACK],
        check=True,
        capture_output=True,
    )
    return PG_USER_FALLBACK


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    if user is None:
        return argv
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", user, "--", *argv]


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary directory, listening on 127.0.0.1."""

    def __init__(self, *, fsync: bool = False) -> None:
        self.initdb = find_binary("initdb")
        self.pg_ctl = find_binary("pg_ctl")
        if not self.initdb or not self.pg_ctl:
            raise ServerUnavailable("PostgreSQL's initdb/pg_ctl are not installed")
        self.fsync = fsync
        self.port = 0
        self.user = _pg_user()
        self.root = Path(tempfile.mkdtemp(prefix="checkoutkit-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._initialised = False

    @property
    def dsn(self) -> str:
        """A libpq connection string for the ``postgres`` database as superuser ``checkoutkit``."""
        return f"host=127.0.0.1 port={self.port} user=checkoutkit dbname=postgres connect_timeout=5"

    def _run(self, argv: list[str], timeout: float = 60) -> None:
        result = subprocess.run(
            _as_user(self.user, argv),
            cwd=self.root,  # the server's user may not enter the caller's directory
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise ServerUnavailable(
                f"{argv[0]} failed ({result.returncode}): {result.stdout}{result.stderr}{log}"
            )

    def start(self) -> None:
        """initdb (first time) and start the server; returns when it accepts connections."""
        assert self.initdb
        assert self.pg_ctl
        if not self._initialised:
            self._run(
                [
                    self.initdb,
                    "-D",
                    str(self.data),
                    "-U",
                    "checkoutkit",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--no-instructions",
                ]
            )
            self._initialised = True
        self.port = self.port or free_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
            f" -c fsync={'on' if self.fsync else 'off'} -c max_connections=100"
        )
        self._run(
            [self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"]
        )

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server, keeping the data directory: ``fast`` (a clean shutdown that ends
        every session) or ``immediate`` (a crash: every process quits at once, recovery runs at
        the next start)."""
        assert self.pg_ctl
        assert mode in ("fast", "immediate"), mode
        if (self.data / "postmaster.pid").exists():
            self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"])

    def destroy(self) -> None:
        """Stop the server and delete its files."""
        with contextlib.suppress(ServerUnavailable, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def postgres_server(*, fsync: bool = False) -> Iterator[PostgresServer]:
    """A running throw-away PostgreSQL server."""
    server = PostgresServer(fsync=fsync)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


# -- Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """A throw-away ``redis-server`` on 127.0.0.1 (append-only file in a temporary directory)."""

    def __init__(self, *, appendonly: bool = True) -> None:
        binary = find_binary("redis-server")
        if not binary:
            raise ServerUnavailable("redis-server is not installed")
        self.binary = binary
        self.appendonly = appendonly
        self.root = Path(tempfile.mkdtemp(prefix="checkoutkit-redis-"))
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server; returns when it accepts connections."""
        self.port = self.port or free_port()
        argv = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "no",
            "--dir",
            str(self.root),
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "everysec",
        ]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(self.port, time.monotonic() + 20, self.proc)
        except ServerUnavailable:
            self.stop()
            raise

    def stop(self) -> None:
        """Shut the server down (it writes its append-only file first)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """Kill the server with SIGKILL (no shutdown: what the append-only file has is kept)."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def destroy(self) -> None:
        """Stop the server and delete its files."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def redis_server(*, appendonly: bool = True) -> Iterator[RedisServer]:
    """A running throw-away Redis server."""
    server = RedisServer(appendonly=appendonly)
    try:
        server.start()
        yield server
    finally:
        server.destroy()
