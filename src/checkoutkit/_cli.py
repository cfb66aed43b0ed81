"""The ``checkoutkit`` command line (``sandbox``, ``replay``, ``trigger``, ``listen``, ``demo``)."""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TypeAlias

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


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


def _trigger(args: argparse.Namespace) -> int:
    from checkoutkit import _forward, _trigger
    from checkoutkit.exceptions import ConfigurationError

    def fail(code: int, message: object) -> int:
        print(f"checkoutkit trigger: {message}", file=sys.stderr)
        return code

    try:
        body = _trigger.event_payload(args.event_type)
        url = _forward.endpoint_url(args.forward_to)
        secret = _forward.webhook_secret(args.secret)
    except ConfigurationError as exc:
        return fail(2, exc)
    event_id = json.loads(body)["id"]
    print(f"--> {args.event_type} [{event_id}]", flush=True)
    reply = _forward.post_event(url, body, secret, timeout=args.timeout)
    if reply.status is None:
        return fail(3, f"could not POST to {url}: {reply.error}")
    print(f"<-- [{reply.status}] POST {url} ({reply.duration_ms:g} ms)")
    if reply.body:
        print(reply.body if len(reply.body) <= 2000 else reply.body[:2000] + " …")
    if not reply.ok:
        return fail(1, f"the endpoint answered {reply.status}, not 2xx")
    return 0


def _listen(args: argparse.Namespace) -> int:
    from checkoutkit import _forward, _listen
    from checkoutkit.exceptions import ConfigurationError

    def fail(code: int, message: object) -> int:
        print(f"checkoutkit listen: {message}", file=sys.stderr)
        return code

    try:
        sandbox = _listen.sandbox_url(args.sandbox)
        secret = _listen.listen_secret(sandbox)
        if args.print_secret:
            print(secret)
            return 0
        if not args.forward_to:
            return fail(2, "give --forward-to URL (or --print-secret)")
        url = _forward.endpoint_url(args.forward_to)
        wanted = _listen.type_filter(args.events.split(",") if args.events else ())
    except ConfigurationError as exc:
        return fail(2, exc)
    listener = _listen.Listener(sandbox, url, secret, wanted=wanted, timeout=args.timeout)
    try:
        listener.start()
    except _listen.SandboxUnreachable as exc:
        return fail(3, f"{exc}\n    Start one with: checkoutkit sandbox (or pass --sandbox URL)")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"> Forwarding new events of the sandbox at {sandbox} to {url}")
    print(f"> Ready! Your webhook signing secret is {secret} (^C to quit)", flush=True)
    listener.run(stop, lambda line: print(line, flush=True))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkoutkit",
        description=(
            "Stripe Checkout tools: a local sandbox, event replay, the Stripe CLI's trigger and "
            "listen offline, and a demo shop."
        ),
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
    _add_trigger(commands)
    _add_listen(commands)
    from checkoutkit._demo import add_command

    add_command(commands)
    return parser


def _add_trigger(commands: Commands) -> None:
    from checkoutkit._trigger import SUPPORTED

    trigger = commands.add_parser(
        "trigger",
        help="send a signed test event of a type to a webhook endpoint (as `stripe trigger`)",
        description=(
            "Send one realistic event of EVENT_TYPE, signed, to a webhook endpoint and print its "
            "answer. Exit status: 0 the endpoint answered 2xx, 1 it answered something else, "
            "2 bad arguments (unknown event type, no secret), 3 the endpoint cannot be reached. "
            "Event types: " + ", ".join(SUPPORTED) + "."
        ),
    )
    trigger.add_argument("event_type", metavar="EVENT_TYPE", help="e.g. checkout.session.completed")
    trigger.add_argument(
        "--forward-to",
        required=True,
        metavar="URL",
        help="webhook endpoint, e.g. localhost:4242/webhook",
    )
    trigger.add_argument(
        "--secret", metavar="WHSEC", help="signing secret (default: $STRIPE_WEBHOOK_SECRET)"
    )
    trigger.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the answer (default 10)"
    )
    trigger.set_defaults(run=_trigger)


def _add_listen(commands: Commands) -> None:
    listen = commands.add_parser(
        "listen",
        help="forward a running sandbox's events to a webhook endpoint (as `stripe listen`)",
        description=(
            "Forward each new event of a running sandbox, once and in order, to a webhook "
            "endpoint, signed with a secret that stays the same for that sandbox URL on this "
            "machine. Stops on Ctrl+C. Exit status: 0 stopped, 2 bad arguments, 3 the sandbox "
            "cannot be reached at start."
        ),
    )
    listen.add_argument(
        "--forward-to", metavar="URL", help="webhook endpoint, e.g. localhost:4242/webhook"
    )
    listen.add_argument(
        "--sandbox",
        metavar="URL",
        help="the sandbox (default: $STRIPE_API_BASE, else http://127.0.0.1:12111)",
    )
    listen.add_argument(
        "--events",
        metavar="TYPES",
        help="comma-separated event types to forward ('*' wildcards allowed; default: all)",
    )
    listen.add_argument(
        "--print-secret", action="store_true", help="print the signing secret and exit"
    )
    listen.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the endpoint's answer (default 10)",
    )
    listen.set_defaults(run=_listen)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``checkoutkit`` console script."""
    args = _parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
