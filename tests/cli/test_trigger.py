"""``checkoutkit trigger`` against each framework's shop on a real server, and its clean exits."""

from __future__ import annotations

import re

import pytest

from checkoutkit._cli import main
from checkoutkit._trigger import SUPPORTED
from conftest import Shop, cli
from servers import free_port

pytestmark = pytest.mark.processes


def test_completed_session_is_verified_and_fulfilled_once(
    shop: Shop, listen_secret: str, cli_env: dict[str, str]
) -> None:
    """The event arrives signed with the secret from the environment, verifies, and the paid
    session it carries is fulfilled: one new order, for a session id the shop never saw."""
    before = shop.orders()
    env = {**cli_env, "STRIPE_WEBHOOK_SECRET": listen_secret}
    done = cli("trigger", "checkout.session.completed", "--forward-to", shop.webhook, env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^--> checkout\.session\.completed \[evt_\w+\]$", done.stdout, re.M)
    assert re.search(
        rf"^<-- \[200\] POST {re.escape(shop.webhook)} \([\d.]+ ms\)$", done.stdout, re.M
    )
    new = shop.orders()[len(before) :]
    assert len(new) == 1
    assert new[0].startswith("cs_test_")
    assert new[0] not in before


@pytest.mark.parametrize("event_type", [t for t in SUPPORTED if t != "checkout.session.completed"])
def test_every_other_type_is_accepted_and_fulfils_nothing_unpaid(
    shop: Shop, listen_secret: str, event_type: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each type verifies (2xx); only a succeeded async payment is a new order."""
    before = len(shop.orders())
    code = main(["trigger", event_type, "--forward-to", shop.webhook, "--secret", listen_secret])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "<-- [200] POST" in out.out
    paid = event_type == "checkout.session.async_payment_succeeded"
    assert len(shop.orders()) == before + paid


def test_wrong_secret_is_refused_by_the_shop(shop: Shop, cli_env: dict[str, str]) -> None:
    """The shop answers 400 to another secret's signature; trigger exits 1 and says why."""
    wrong = "whsec_" + "0" * 32
    done = cli(
        "trigger", "invoice.paid", "--forward-to", shop.webhook, "--secret", wrong, env=cli_env
    )
    assert done.returncode == 1
    assert "<-- [400] POST" in done.stdout
    assert done.stderr.strip() == "checkoutkit trigger: the endpoint answered 400, not 2xx"


def test_unreachable_endpoint_is_one_line(cli_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"
    env = {**cli_env, "STRIPE_WEBHOOK_SECRET": "whsec_" + "1" * 32}
    done = cli("trigger", "payment_intent.succeeded", "--forward-to", url, env=env)
    assert done.returncode == 3
    assert done.stderr.strip() == (
        f"checkoutkit trigger: could not POST to {url}: connection refused (is the server running?)"
    )


def test_unknown_type_exits_2_with_the_supported_list(cli_env: dict[str, str]) -> None:
    done = cli(
        "trigger",
        "checkout.session.complete",
        "--forward-to",
        "localhost:4242/webhook",
        env=cli_env,
    )
    assert done.returncode == 2
    assert "Did you mean checkout.session.completed" in done.stderr
    assert all(f"  {t}\n" in done.stderr for t in SUPPORTED)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_no_secret_is_a_clear_error(cli_env: dict[str, str]) -> None:
    done = cli("trigger", "invoice.paid", "--forward-to", "localhost:4242/webhook", env=cli_env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "checkoutkit trigger: no webhook signing secret: pass --secret whsec_... or set "
        "STRIPE_WEBHOOK_SECRET"
    )
