"""The in-process sandbox server: a werkzeug WSGI server in a background thread."""

from __future__ import annotations

import errno
import secrets
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from checkoutkit.exceptions import ConfigurationError
from checkoutkit.sandbox._api import App
from checkoutkit.sandbox._controls import outcome
from checkoutkit.sandbox._core import Core
from checkoutkit.sandbox._delivery import Delivery
from checkoutkit.sandbox._http import SandboxHTTPServer
from checkoutkit.sandbox._state import Clock, State

if TYPE_CHECKING:
    import stripe

#: The API key the sandbox's own :meth:`Sandbox.client` uses (any ``sk_test_`` key works).
DEFAULT_API_KEY = "sk_test_checkoutkit_sandbox"


class Sandbox:
    """A local Stripe-compatible Checkout server, running in a background thread.

    The stripe SDK talks to it unchanged::

        with Sandbox() as sandbox:
            client = stripe.StripeClient("sk_test_x", base_addresses={"api": sandbox.url})
            session = client.v1.checkout.sessions.create(params={...})

    ``port=0`` picks a free port. ``forward_to`` lists webhook endpoint URLs (more can be added
    with :meth:`add_webhook_endpoint`); events are signed with :attr:`webhook_secret`.
    ``db_path`` keeps every object in SQLite so a restart finds them again (the signing secret
    and clock too). ``retry_scale`` multiplies the webhook retry schedule (use ``0.001`` in
    tests); ``async_delay`` is how many sandbox seconds a SEPA debit takes to settle.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        forward_to: Iterable[str] = (),
        db_path: str | None = None,
        webhook_secret: str | None = None,
        retry_scale: float = 1.0,
        async_delay: float = 3.0,
        delivery_timeout: float = 10.0,
        log_requests: bool = False,
    ) -> None:
        self._state = State(db_path)
        secret = webhook_secret or self._state.meta.get("webhook_secret")
        if not secret:
            secret = "whsec_" + secrets.token_hex(24)
        self._state.set_meta("webhook_secret", secret)
        self.webhook_secret: str = secret
        """The ``whsec_…`` secret every webhook delivery is signed with."""
        clock = Clock(float(self._state.meta.get("clock_offset", 0.0)))
        self._delivery = Delivery(
            self._state, secret, retry_scale=retry_scale, timeout=delivery_timeout
        )
        for url in forward_to:
            self._delivery.add_endpoint(url)
        self._core = Core(
            self._state, clock, async_delay=async_delay, on_event=self._delivery.submit
        )
        try:
            self._server = SandboxHTTPServer(
                (host, port), App(self._core, self._delivery), verbose=log_requests
            )
        except OSError as exc:
            self._delivery.stop()
            self._state.close()
            reason = exc.strerror or str(exc)
            if exc.errno == errno.EADDRINUSE:
                reason = (
                    f"port {port} is in use by another program, perhaps another sandbox ({reason})"
                )
            raise ConfigurationError(
                f"the sandbox cannot listen on {host}:{port}: {reason}"
            ) from exc
        self.host = host
        self.port: int = self._server.server_address[1]
        """The port the sandbox listens on."""
        shown = "127.0.0.1" if host in {"0.0.0.0", "", "::"} else host  # noqa: S104
        self.url: str = f"http://{shown}:{self.port}"
        """The API base URL (pass it as ``base_addresses={"api": url}``)."""
        self._stopping = threading.Event()
        self._http_clients: list[Any] = []
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="sandbox-http", daemon=True
        )
        self._timer_thread = threading.Thread(target=self._tick, name="sandbox-clock", daemon=True)
        self._serve_thread.start()
        self._timer_thread.start()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r})"

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _tick(self) -> None:
        core = self._core
        while not self._stopping.is_set():
            with core.wakeup:
                due = core.next_due()
                wait = 1.0 if due is None else min(1.0, due - core.clock.now())
                if wait > 0 and not self._stopping.is_set():
                    core.wakeup.wait(wait)
            if not self._stopping.is_set():
                core.run_due()

    def stop(self) -> None:
        """Stop serving, stop the delivery worker and close the database. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._core.wakeup:
            self._core.wakeup.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        for http in self._http_clients:
            http.close()
        self._serve_thread.join()
        self._timer_thread.join()
        self._delivery.stop()
        self._state.close()

    # conveniences for tests ----------------------------------------------------------------

    def client(self, api_key: str = DEFAULT_API_KEY, **kwargs: Any) -> stripe.StripeClient:
        """A :class:`stripe.StripeClient` pointed at this sandbox.

        The sandbox keeps HTTP connections alive; the connections of clients made here are
        closed by :meth:`stop` (a client made by hand should have its ``http_client`` closed).
        """
        import stripe

        if "http_client" not in kwargs:
            http = stripe.new_default_http_client()
            self._http_clients.append(http)
            kwargs["http_client"] = http
        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **kwargs)

    def pay(self, session_id: str, **details: Any) -> dict[str, Any]:
        """Pay a session as the hosted page would (same as ``POST /_sandbox/sessions/{id}/pay``).

        ``card="4242424242424242"`` or ``iban="DE89…"``; optional ``exp_month``, ``exp_year``,
        ``cvc``, ``email``, ``save``, ``amount`` and ``three_d_secure="complete"|"fail"``.
        Returns ``{"status", "error", "session"}``.
        """
        from checkoutkit.sandbox._controls import pay

        return pay(self._core, session_id, details)

    def authenticate(self, session_id: str, *, complete: bool = True) -> dict[str, Any]:
        """Complete or fail the 3D Secure step of a pending payment."""
        return outcome(self._core, self._core.authenticate(session_id, complete=complete))

    def expire(self, session_id: str) -> dict[str, Any]:
        """Expire an open session now (sends ``checkout.session.expired``)."""
        return self._core.render(self._core.expire_session(session_id, None))

    def advance_clock(self, seconds: float) -> int:
        """Move the sandbox clock forward, firing expiries and settlements; the new time."""
        return self._core.advance(seconds)

    def now(self) -> int:
        """The sandbox clock as a Unix timestamp."""
        return self._core.clock.timestamp()

    def add_webhook_endpoint(self, url: str) -> None:
        """Post future events to ``url`` too."""
        self._delivery.add_endpoint(url)

    def redeliver(self, event_id: str) -> int:
        """Deliver an event again to every endpoint; how many deliveries were queued."""
        return self._delivery.redeliver(self._core.get("event", event_id))

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        """The delivery log: one entry per attempt, oldest first."""
        return self._delivery.log(event_id=event_id)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until no webhook attempt is queued; True if that happened in time."""
        return self._delivery.wait_idle(timeout)
