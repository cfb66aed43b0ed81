"""The ``checkoutkit sandbox`` command and SQLite persistence across restarts."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from checkoutkit import ConfigurationError
from checkoutkit._cli import main
from checkoutkit.sandbox import Sandbox

pytestmark = pytest.mark.processes


def _start(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "checkoutkit._cli", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ready!"):
            break
    text = "".join(lines)
    url = re.search(r"(http://127\.0\.0\.1:\d+)", text)
    secret = re.search(r"(whsec_[0-9a-f]+)", text)
    assert url, text
    assert secret, text
    return proc, url.group(1), secret.group(1)


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    return proc.returncode


@pytest.fixture
def http() -> Iterator[stripe.HTTPClient]:
    """An HTTP client for StripeClients made by hand, closed after the test."""
    client = stripe.new_default_http_client()
    yield client
    client.close()


@pytest.fixture
def cli_procs() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes started by a test; any still running are killed afterwards."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_cli_prints_url_and_secret_and_serves(
    cli_procs: list[subprocess.Popen[str]], http: stripe.HTTPClient
) -> None:
    """The command prints the API base URL and the whsec_ secret, serves the SDK, and stops."""
    proc, url, secret = _start("--forward-to", "http://127.0.0.1:9/hooks")
    cli_procs.append(proc)
    assert secret.startswith("whsec_")
    client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url}, http_client=http)
    assert client.v1.customers.create(params={"email": "x@example.com"}).id.startswith("cus_")
    assert _stop(proc) == 0


def test_cli_db_keeps_state_across_restarts(
    tmp_path: Path, cli_procs: list[subprocess.Popen[str]], http: stripe.HTTPClient
) -> None:
    """With --db, a restarted sandbox finds the same session and keeps the same secret."""
    db = str(tmp_path / "sandbox.db")
    proc, url, secret = _start("--db", db)
    cli_procs.append(proc)
    client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url}, http_client=http)
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 700, "product_data": {"name": "Kept"}}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    assert _stop(proc) == 0
    proc2, url2, secret2 = _start("--db", db)
    cli_procs.append(proc2)
    client2 = stripe.StripeClient("sk_test_cli", base_addresses={"api": url2}, http_client=http)
    again = client2.v1.checkout.sessions.retrieve(session.id)
    assert (again.id, again.amount_total, again.status) == (session.id, 700, "open")
    assert secret2 == secret
    assert _stop(proc2) == 0


def test_cli_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    """A port that cannot be bound is a short message and exit status 2, not a traceback."""
    with Sandbox() as box:
        assert main(["sandbox", "--port", str(box.port)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_cli_requires_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a subcommand argparse prints usage and exits 2."""
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "sandbox" in capsys.readouterr().err


def test_db_keeps_objects_idempotency_clock_and_endpoints(tmp_path: Path) -> None:
    """A Sandbox reopened on the same file keeps objects, keys, the clock and endpoints."""
    db = str(tmp_path / "state.db")
    params = {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 500,
                    "product_data": {"name": "Pen"},
                },
                "quantity": 2,
            }
        ],
    }
    with Sandbox(db_path=db, forward_to=["http://127.0.0.1:9/hooks"], retry_scale=1000) as box:
        client = box.client()
        first = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k1"})
        box.pay(first.id, card="4242424242424242")
        box.advance_clock(3600)
        now = box.now()
        events = [e.id for e in client.v1.events.list().data]
    with Sandbox(db_path=db) as box:
        client = box.client()
        replay = client.v1.checkout.sessions.create(
            params=params, options={"idempotency_key": "k1"}
        )
        assert replay.id == first.id
        kept = client.v1.checkout.sessions.retrieve(first.id)
        assert (kept.status, kept.payment_status) == ("complete", "paid")
        assert client.v1.payment_intents.retrieve(kept.payment_intent).status == "succeeded"
        assert [e.id for e in client.v1.events.list().data] == events
        assert box.now() >= now
        items = client.v1.checkout.sessions.line_items.list(first.id)
        assert items.data[0].amount_total == 1000
        assert box._delivery.endpoints() == ["http://127.0.0.1:9/hooks"]


def test_db_rearms_expiry_after_restart(tmp_path: Path) -> None:
    """An open session from a previous run still expires by the clock after a restart."""
    db = str(tmp_path / "expiry.db")
    with Sandbox(db_path=db) as box:
        client = box.client()
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 500,
                            "product_data": {"name": "Pen"},
                        },
                        "quantity": 1,
                    }
                ],
            }
        )
    with Sandbox(db_path=db) as box:
        box.advance_clock(25 * 3600)
        types = [e.type for e in box.client().v1.events.list().data]
        assert types == ["checkout.session.expired"]
        assert box.client().v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_missing_extra_names_it() -> None:
    """Without werkzeug, importing the sandbox raises MissingDependencyError naming the extra."""
    code = (
        "import sys; sys.modules['werkzeug'] = None\n"
        "from checkoutkit import MissingDependencyError\n"
        "try:\n"
        "    import checkoutkit.sandbox\n"
        "except MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "checkoutkit[sandbox]" in out


@pytest.mark.parametrize("name", ["missing-dir/state.db", "not-a-db.txt"])
def test_unusable_db_is_a_configuration_error(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database path that cannot be opened is a ConfigurationError (CLI: message, exit 2)."""
    (tmp_path / "not-a-db.txt").write_text("just some text, not SQLite\n" * 100)
    path = str(tmp_path / name)
    with pytest.raises(ConfigurationError):
        Sandbox(db_path=path)
    assert main(["sandbox", "--port", "0", "--db", path]) == 2
    assert "sandbox database" in capsys.readouterr().err
