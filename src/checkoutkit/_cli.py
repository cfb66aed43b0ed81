"""The ``checkoutkit`` command line (subcommands: ``sandbox``, ``replay``, ``demo``)."""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType


def _sandbox(args: argparse.Namespace) -> int:
    from checkoutkit.exceptions import ConfigurationError
    from checkoutkit.sandbox import Sandbox

    try:
        sandbox = Sandbox(
            host=args.host,
            port=args.port,
            forward_to=args.forward_to or (),
            db_path=args.db,
            webhook_secret=args.secret,
            retry_scale=args.retry_scale,
            async_delay=args.async_delay,
            log_requests=args.verbose,
        )
    except ConfigurationError as exc:
        print(f"checkoutkit sandbox: {exc}", file=sys.stderr)
        cause = exc.__cause__
        if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
            print(
                "    Start the sandbox on another port with --port N (--port 0: any free one, "
                "printed when ready),\n"
                "    then point your app at it: export STRIPE_API_BASE=http://127.0.0.1:N",
                file=sys.stderr,
            )
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"Sandbox API ready at {sandbox.url} (use it as the stripe SDK's api base)")
    for url in args.forward_to or ():
        print(f"Forwarding events to {url}")
    print(
        f"Ready! Your webhook signing secret is {sandbox.webhook_secret} (^C to quit)", flush=True
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


def _replay(args: argparse.Namespace) -> int:
    from checkoutkit import _replay as r
    from checkoutkit.exceptions import CheckoutKitError, StoreError
    from checkoutkit.stores import open_store

    def fail(code: int, message: object) -> int:
        print(f"checkoutkit replay: {message}", file=sys.stderr)
        return code

    try:
        router = r.load_router(args.router)
        store = open_store(args.store)
    except CheckoutKitError as exc:
        return fail(r.EXIT_USAGE, exc)

    def report(result: r.ReplayResult) -> None:
        print(f"{result.key} {result.type}: {result.outcome}", flush=True)

    try:
        records = r.select(store, event_id=args.event, type_pattern=args.type, failed=args.failed)
        results = r.replay(store, router, records, failed=args.failed, report=report)
    except StoreError as exc:
        return fail(r.EXIT_STORE, exc)
    except CheckoutKitError as exc:
        return fail(r.EXIT_USAGE, exc)
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
    bad = sum(not result.ok for result in results)
    print(f"{len(results)} replayed, {bad} not completed")
    return r.EXIT_FAILED if bad else r.EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkoutkit",
        description="Stripe Checkout tools: a local sandbox, event replay and a demo shop.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser(
        "sandbox",
        help="run the local Stripe-compatible Checkout sandbox",
        description="Run the local Stripe-compatible Checkout sandbox until interrupted.",
    )
    sandbox.add_argument("--port", type=int, default=12111, help="port (default 12111; 0: any)")
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)"
    )
    sandbox.add_argument(
        "--forward-to",
        action="append",
        metavar="URL",
        help="webhook endpoint to post events to (repeatable)",
    )
    sandbox.add_argument("--db", metavar="PATH", help="SQLite file that keeps state across runs")
    sandbox.add_argument("--secret", metavar="WHSEC", help="webhook signing secret to use")
    sandbox.add_argument(
        "--retry-scale",
        type=float,
        default=1.0,
        help="multiply the webhook retry schedule (e.g. 0.01 for quick retries)",
    )
    sandbox.add_argument(
        "--async-delay",
        type=float,
        default=3.0,
        help="seconds a SEPA debit takes to succeed or fail (default 3)",
    )
    sandbox.add_argument("--verbose", action="store_true", help="log every request")
    sandbox.set_defaults(run=_sandbox)
    replay = commands.add_parser(
        "replay",
        help="run stored events again through the application's webhook router",
        description=(
            "Run stored events again through the application's router, exactly once: by default "
            "the pending ones (a handler failed and no redelivery came yet); with --failed the "
            "permanently failed ones, moved back to pending first. Succeeded events never run "
            "again. Exit status: 0 all done, 1 some event failed again or has no stored payload, "
            "2 bad arguments, 3 the store cannot be reached."
        ),
    )
    replay.add_argument(
        "--store",
        required=True,
        metavar="URL",
        help="the router's store: sqlite:///path, postgresql://..., redis://... or django://alias",
    )
    replay.add_argument(
        "--router",
        required=True,
        metavar="MODULE:ATTRIBUTE",
        help="the application's WebhookRouter, e.g. myapp.webhooks:router",
    )
    replay.add_argument(
        "--failed", action="store_true", help="replay permanently failed events instead"
    )
    replay.add_argument("--event", metavar="EVT_ID", help="replay only this event")
    replay.add_argument(
        "--type",
        metavar="PATTERN",
        help="only events whose type matches, e.g. 'checkout.session.*'",
    )
    replay.set_defaults(run=_replay)
    from checkoutkit._demo import add_command

    add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``checkoutkit`` console script."""
    args = _parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
