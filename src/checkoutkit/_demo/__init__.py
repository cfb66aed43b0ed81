"""``checkoutkit demo``: the sandbox and a small shop, wired together, in one command."""

from __future__ import annotations

import argparse

__all__ = ["add_command"]

FRAMEWORKS = ("flask", "fastapi", "django", "litestar")


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` subcommand to the ``checkoutkit`` command line."""
    demo = commands.add_parser(
        "demo",
        help="run a demo shop with Stripe Checkout (the sandbox unless STRIPE_SECRET_KEY is set)",
        description=(
            "Run a small shop (product page, Checkout button, success, cancel and orders pages) "
            "with the sandbox as Stripe and its webhooks forwarded to the shop. With "
            "STRIPE_SECRET_KEY set, real Stripe (test mode) is used instead."
        ),
    )
    demo.add_argument(
        "--framework", choices=FRAMEWORKS, default="flask", help="web framework (default flask)"
    )
    demo.add_argument("--port", type=int, default=4242, help="shop port (default 4242)")
    demo.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)"
    )
    demo.add_argument(
        "--sandbox-port", type=int, default=0, help="sandbox port (default: any free port)"
    )
    demo.add_argument(
        "--data", metavar="DIR", help="folder for the orders and events (default: a temporary one)"
    )
    demo.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    # Not named _run: importing the _run submodule below would rebind that package attribute.
    from checkoutkit._demo._run import run

    return run(args)
