"""``checkoutkit listen``: forward a running sandbox's new events to a local endpoint.

The sandbox is read through its Stripe API only: ``GET /v1/events`` with ``ending_before`` set
to the newest event already seen returns what came after it (newest first, a page at a time),
so each new event is forwarded once, oldest first, and nothing on the sandbox changes (no
endpoint is registered that would outlive the command). Events are signed with a secret that is
stable per sandbox URL and machine, like the Stripe CLI's per device and account: it is derived
from a random key kept in the user's configuration directory, so
``export STRIPE_WEBHOOK_SECRET=$(checkoutkit listen --print-secret)`` gives the secret a later
``checkoutkit listen`` signs with.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from checkoutkit._event_types import checked_pattern
from checkoutkit._forward import Reply, endpoint_url, post_event
from checkoutkit.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_SANDBOX",
    "Listener",
    "SandboxUnreachable",
    "config_dir",
    "listen_secret",
    "sandbox_url",
]

#: Where ``listen`` looks for the sandbox without ``--sandbox`` or ``STRIPE_API_BASE``.
DEFAULT_SANDBOX: Final = "http://127.0.0.1:12111"
#: The API key sent to the sandbox (it accepts any test mode key).
_API_KEY: Final = "sk_test_checkoutkit_listen"
#: Events asked for per page (Stripe's largest page).
_PAGE: Final = 100


class SandboxUnreachable(ConnectionError):
    """The sandbox did not answer (or answered something that is not its event list)."""


def sandbox_url(given: str | None) -> str:
    """``given``, else ``$STRIPE_API_BASE``, else :data:`DEFAULT_SANDBOX`, without a final ``/``."""
    raw = given or os.environ.get("STRIPE_API_BASE") or DEFAULT_SANDBOX
    return endpoint_url(raw).rstrip("/")


def config_dir() -> Path:
    """checkoutkit's directory in the user's configuration (``$XDG_CONFIG_HOME``, ``%APPDATA%``
    on Windows, else ``~/.config``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or (
        os.environ.get("APPDATA") if sys.platform == "win32" else None
    )
    return Path(base or Path.home() / ".config") / "checkoutkit"


def listen_secret(sandbox: str, directory: Path | None = None) -> str:
    """The ``whsec_`` secret ``listen`` signs with for ``sandbox`` on this machine.

    An HMAC of the sandbox URL keyed with ``listen.key`` in ``directory`` (default
    :func:`config_dir`), a random key made on first use, readable by its owner only.
    """
    key = _device_key(directory or config_dir())
    digest = hmac.new(key, b"checkoutkit listen " + sandbox.encode("utf-8"), hashlib.sha256)
    return "whsec_" + digest.hexdigest()[:48]


def _device_key(directory: Path) -> bytes:
    path = directory / "listen.key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the key in {path}: {exc}") from None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fresh = directory / f".listen.key.{os.getpid()}"
        descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:  # the first of two concurrent first runs wins; both then read the same key
            os.link(fresh, path)
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot keep the key in {path}: {exc}") from None


def type_filter(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Whether an event type is one of ``patterns`` (``*`` wildcards allowed); all when empty.

    Raises :class:`~checkoutkit.UnknownEventTypeError` for a pattern Stripe never sends.
    """
    wanted = [checked_pattern(p.strip()) for p in patterns if p.strip()]
    if not wanted:
        return lambda _: True
    return lambda event_type: any(fnmatch.fnmatchcase(event_type, p) for p in wanted)


@attrs.define
class Listener:
    """Polls ``sandbox``'s events and forwards each new one to ``forward_to``, signed."""

    sandbox: str
    forward_to: str
    secret: str
    wanted: Callable[[str], bool] = lambda _: True
    interval: float = 0.2
    timeout: float = 10.0
    _cursor: str | None = attrs.field(init=False, default=None)

    def start(self) -> None:
        """Remember the newest event so far: only events after it are forwarded.

        Raises :class:`SandboxUnreachable` when the sandbox does not answer.
        """
        newest = self._get({"limit": "1"})["data"]
        self._cursor = str(newest[0]["id"]) if newest else None

    def new_events(self) -> Iterator[dict[str, Any]]:
        """The events after the last one returned, oldest first (a page at a time)."""
        while True:
            if self._cursor is None:
                batch, more = self._everything(), False
            else:
                try:
                    page = self._get({"limit": str(_PAGE), "ending_before": self._cursor})
                except _UnknownCursor:
                    # The sandbox restarted without its database: every event there is new.
                    self._cursor = None
                    continue
                batch, more = list(reversed(page["data"])), bool(page["has_more"])
            for event in batch:
                self._cursor = str(event["id"])
                yield event
            if not more:
                return

    def _everything(self) -> list[dict[str, Any]]:
        """Every event on the sandbox, oldest first."""
        events: list[dict[str, Any]] = []
        params = {"limit": str(_PAGE)}
        while True:
            page = self._get(params)
            events.extend(page["data"])
            if not page["has_more"] or not page["data"]:
                return list(reversed(events))
            params = {"limit": str(_PAGE), "starting_after": str(page["data"][-1]["id"])}

    def forward(self, event: dict[str, Any]) -> Reply:
        """POST ``event`` to :attr:`forward_to`, signed with :attr:`secret` (no retry)."""
        body = json.dumps(event, indent=2).encode("utf-8")
        return post_event(self.forward_to, body, self.secret, timeout=self.timeout)

    def run(self, stop: threading.Event, out: Callable[[str], None]) -> None:
        """Forward new events until ``stop`` is set, reporting each through ``out``."""
        lost = False
        while not stop.is_set():
            try:
                for event in self.new_events():
                    if stop.is_set():
                        return
                    if self.wanted(str(event["type"])):
                        out(_stamp(f"--> {event['type']} [{event['id']}]"))
                        out(_stamp(_outcome(self.forward(event), str(event["id"]))))
                if lost:
                    out(_stamp(f"Reconnected to {self.sandbox}"))
                    lost = False
            except SandboxUnreachable as exc:
                if not lost:
                    out(_stamp(f"[ERROR] {exc}; retrying until it is back"))
                    lost = True
            stop.wait(self.interval)

    def _get(self, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.sandbox}/v1/events?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(  # noqa: S310 - sandbox_url() admits http(s) only
            url, headers={"Authorization": f"Bearer {_API_KEY}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = _api_error(exc)
            exc.close()
            if exc.code in {400, 404} and params.keys() & {"ending_before", "starting_after"}:
                raise _UnknownCursor(detail) from None
            raise SandboxUnreachable(
                f"the sandbox at {self.sandbox} answered {exc.code}: {detail}"
            ) from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ConnectionRefusedError):
                reason = "connection refused"
            raise SandboxUnreachable(
                f"cannot reach the sandbox at {self.sandbox}: {reason}"
            ) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
            raise SandboxUnreachable(f"{self.sandbox} did not answer with a list of events")
        return answer


class _UnknownCursor(LookupError):
    """The sandbox no longer knows the newest event seen (it restarted)."""


def _api_error(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"]["message"])
    except (ValueError, KeyError, TypeError, OSError):
        return exc.reason if isinstance(exc.reason, str) else "error"


def _outcome(reply: Reply, event_id: str) -> str:
    if reply.status is None:
        return f"[ERROR] Failed to POST {reply.url} [{event_id}]: {reply.error}"
    return f"<-- [{reply.status}] POST {reply.url} [{event_id}]"


def _stamp(line: str) -> str:
    return f"{time.strftime('%Y-%m-%d %H:%M:%S')}   {line}"
