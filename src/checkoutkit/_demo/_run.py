"""Start the sandbox (unless STRIPE_SECRET_KEY is set) and serve the demo shop until ^C."""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from checkoutkit._gateway import CheckoutGateway
from checkoutkit.exceptions import CheckoutKitError, MissingDependencyError


def _say(line: str = "") -> None:
    print(line, flush=True)


@contextlib.contextmanager
def _stripe(args: argparse.Namespace, shop_url: str) -> Iterator[tuple[CheckoutGateway, str]]:
    """The gateway and webhook secret: real Stripe from the environment, or a fresh sandbox."""
    if os.environ.get("STRIPE_SECRET_KEY"):
        secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
        if not secret:
            raise CheckoutKitError(
                "STRIPE_SECRET_KEY is set, so the demo uses Stripe: forward its events with\n"
                f"    stripe listen --forward-to {shop_url}/webhook\n"
                "and set STRIPE_WEBHOOK_SECRET to the whsec_… secret it prints."
            )
        _say("Stripe: the API of your STRIPE_SECRET_KEY account (test mode keys, please)")
        _say(f"Webhooks: run  stripe listen --forward-to {shop_url}/webhook")
        yield CheckoutGateway.from_env(), secret
        return
    try:
        from checkoutkit.sandbox import Sandbox
    except ImportError as exc:  # pragma: no cover - werkzeug comes with every framework extra
        raise MissingDependencyError(
            "the demo's sandbox needs werkzeug: pip install 'checkoutkit[sandbox]'"
        ) from exc
    with Sandbox(port=args.sandbox_port, forward_to=[f"{shop_url}/webhook"]) as sandbox:
        _say(f"Stripe: the checkoutkit sandbox at {sandbox.url} (webhooks forwarded to the shop)")
        yield CheckoutGateway.for_sandbox(sandbox), sandbox.webhook_secret


def _app(framework: str, shop: Any, host: str) -> Any:
    from checkoutkit._demo import _apps

    if framework == "fastapi":
        return _apps.fastapi_app(shop)
    if framework == "litestar":
        return _apps.litestar_app(shop)
    if framework == "django":
        return _apps.django_app(shop, sorted({host, "127.0.0.1", "localhost"}))
    return _apps.flask_app(shop)


def _bind(host: str, port: int) -> socket.socket:
    """Bind the shop's port before anything starts, so a busy port is the first thing reported."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EADDRINUSE:
            reason = f"port {port} is in use by another program ({reason})"
        raise CheckoutKitError(
            f"the shop cannot listen on {host}:{port}: {reason}.\n"
            "    Choose another port with --port N "
            "(through nox: nox -s demo -- --port N)."
        ) from exc


def _serve(framework: str, app: Any, sock: socket.socket) -> Callable[[], None]:
    """The serve loop of the shop on the bound socket ``sock``."""
    if framework in ("fastapi", "litestar"):
        import uvicorn

        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        return lambda: server.run(sockets=[sock])
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    host, port = sock.getsockname()[:2]
    wsgi = make_server(host, port, app, threaded=True, fd=sock.fileno())
    sock.close()  # werkzeug serves on its own duplicate of the descriptor
    return wsgi.serve_forever


def _sandbox_port_hint(exc: CheckoutKitError) -> str:
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
        return (
            f"{exc}\n    Choose another port with --sandbox-port N, or leave --sandbox-port out "
            "for any free one (the shop follows the sandbox by itself)."
        )
    return str(exc)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: shutting down takes a moment
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Run the demo until ^C or SIGTERM; returns the exit status."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 0


def _run(args: argparse.Namespace) -> int:
    from checkoutkit._demo._shop import make_shop

    shown = "127.0.0.1" if args.host in {"0.0.0.0", "", "::"} else args.host  # noqa: S104
    shop_url = f"http://{shown}:{args.port}"
    with contextlib.ExitStack() as stack:
        try:
            sock = stack.enter_context(_bind(args.host, args.port))
        except CheckoutKitError as exc:
            print(f"checkoutkit demo: {exc}", file=sys.stderr)
            return 2
        if args.data:
            data = Path(args.data)
            data.mkdir(parents=True, exist_ok=True)
        else:
            data = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="checkoutkit-demo-"))
            )
        try:
            gateway, secret = stack.enter_context(_stripe(args, shop_url))
            sandbox = not os.environ.get("STRIPE_SECRET_KEY")
            shop = make_shop(gateway, secret, shop_url, data, sandbox=sandbox)
            stack.callback(shop.store.close)
            stack.callback(gateway.close)
            app = _app(args.framework, shop, shown)
            serve = _serve(args.framework, app, sock)
        except CheckoutKitError as exc:
            print(f"checkoutkit demo: {_sandbox_port_hint(exc)}", file=sys.stderr)
            return 2
        except ImportError as exc:
            print(f"checkoutkit demo: {exc}", file=sys.stderr)
            return 2
        _say(f"Shop ({args.framework}): {shop_url}/")
        _say(f"Orders:  {shop_url}/orders")
        _say(f'Try:     curl -X POST -is {shop_url}/create-checkout-session -d ""')
        _say("Pay with 4242 4242 4242 4242, any future expiry date and any CVC.")
        if sandbox:
            _say(f"Pro plan: subscribe, then {shop_url}/account advances its test clock.")
        _say("Ready (^C to quit)")
        serve()
    return 0
