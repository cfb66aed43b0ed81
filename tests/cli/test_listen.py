"""``checkoutkit listen`` forwards a sandbox's new events to each framework's shop on a real
server: each once, in order, verified with the secret ``--print-secret`` gave."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import SANDBOX_KEY, Listening, Shop, cli
from servers import free_port

pytestmark = pytest.mark.processes


def _events_after(sandbox: Any, event_id: str | None) -> list[dict[str, Any]]:
    """The sandbox's events after ``event_id`` (all when None), oldest first."""
    events = httpx.get(
        sandbox.url + "/v1/events",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
    ).json()["data"]
    ids = [e["id"] for e in events]
    newer = events[: ids.index(event_id)] if event_id in ids else events
    return list(reversed(newer))


def _newest(sandbox: Any) -> str | None:
    events = _events_after(sandbox, None)
    return str(events[-1]["id"]) if events else None


@pytest.fixture
def listening(
    shop: Shop, sandbox: Any, cli_env: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Listening]:
    extra: list[str] = getattr(request, "param", [])
    running = Listening(["--forward-to", shop.webhook, "--sandbox", sandbox.url, *extra], cli_env)
    try:
        yield running
    finally:
        running.close()


def test_paid_sessions_are_forwarded_once_each_in_order(
    shop: Shop, sandbox: Any, listen_secret: str, listening: Listening
) -> None:
    """Two sessions paid through the sandbox: every new event arrives once, oldest first,
    answered 200, and each session is fulfilled once; Ctrl+C exits 0."""
    ready = listening.wait_for("Ready!")
    assert ready.endswith(f"Your webhook signing secret is {listen_secret} (^C to quit)")
    start = _newest(sandbox)
    sessions = [shop.create_session() for _ in range(2)]
    for session_id in sessions:
        sandbox.pay(session_id, card="4242424242424242")
    expected = _events_after(sandbox, start)
    assert [e["type"] for e in expected].count("checkout.session.completed") == 2
    listening.wait_for(f"<-- [200] POST {shop.webhook} [{expected[-1]['id']}]")
    assert listening.interrupt() == 0
    sent = [
        m.groups()
        for m in map(re.compile(r"--> (\S+) \[(evt_\w+)\]$").search, listening.lines)
        if m
    ]
    assert sent == [(e["type"], e["id"]) for e in expected]
    answered = [line for line in listening.lines if "<-- [" in line]
    assert all("<-- [200] POST" in line for line in answered)
    assert len(answered) == len(expected)
    for session_id in sessions:
        assert shop.orders().count(session_id) == 1


@pytest.mark.parametrize("shop", ["flask"], indirect=True)
@pytest.mark.parametrize("listening", [["--events", "checkout.session.*"]], indirect=True)
def test_events_option_forwards_only_those_types(
    shop: Shop, sandbox: Any, listening: Listening
) -> None:
    """Paying emits payment_intent.succeeded between two checkout.session.* events; it is
    passed over."""
    listening.wait_for("Ready!")
    start = _newest(sandbox)
    paid, unpaid = shop.create_session(), shop.create_session()
    sandbox.pay(paid, card="4242424242424242")
    sandbox.client().v1.checkout.sessions.expire(unpaid)
    expected = _events_after(sandbox, start)
    assert "payment_intent.succeeded" in [e["type"] for e in expected]
    listening.wait_for(f"--> checkout.session.expired [{expected[-1]['id']}]")
    assert listening.interrupt() == 0
    forwarded = [line.split("--> ", 1)[1] for line in listening.lines if "--> " in line]
    assert forwarded == [
        f"{e['type']} [{e['id']}]" for e in expected if e["type"].startswith("checkout.session.")
    ]


def test_unreachable_endpoint_is_reported_and_listening_goes_on(
    sandbox: Any, cli_env: dict[str, str]
) -> None:
    """A refused POST is one [ERROR] line per event; the next event is still tried."""
    url = f"http://127.0.0.1:{free_port()}/webhook"
    running = Listening(["--forward-to", url, "--sandbox", sandbox.url], cli_env)
    try:
        running.wait_for("Ready!")
        client = sandbox.client()
        for _ in range(2):
            session = client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "success_url": "https://example.com/s",
                    "line_items": [
                        {
                            "price_data": {
                                "currency": "usd",
                                "unit_amount": 500,
                                "product_data": {"name": "Mug"},
                            },
                            "quantity": 1,
                        }
                    ],
                }
            )
            client.v1.checkout.sessions.expire(session.id)
        last = _events_after(sandbox, None)[-1]
        running.wait_for(f"[ERROR] Failed to POST {url} [{last['id']}]: connection refused")
        assert running.interrupt() == 0
        assert sum("[ERROR] Failed to POST" in line for line in running.lines) == 2
    finally:
        running.close()


def test_print_secret_is_stable_and_bad_starts_exit_cleanly(
    sandbox: Any, listen_secret: str, cli_env: dict[str, str]
) -> None:
    """The secret is the same on every call for a sandbox, another for another sandbox URL;
    an unreachable sandbox and a misspelt event type exit with one clear line."""
    again = cli("listen", "--print-secret", "--sandbox", sandbox.url + "/", env=cli_env)
    assert again.stdout.strip() == listen_secret
    other = cli("listen", "--print-secret", "--sandbox", "http://127.0.0.1:1", env=cli_env)
    assert other.stdout.strip().startswith("whsec_")
    assert other.stdout.strip() != listen_secret
    down = f"http://127.0.0.1:{free_port()}"
    gone = cli("listen", "--forward-to", "localhost:4242/webhook", "--sandbox", down, env=cli_env)
    assert gone.returncode == 3
    assert gone.stderr.startswith(
        f"checkoutkit listen: cannot reach the sandbox at {down}: connection refused\n"
    )
    typo = cli(
        "listen", "--forward-to", "localhost:4242/webhook", "--events", "invoice.payed", env=cli_env
    )
    assert typo.returncode == 2
    assert "did you mean 'invoice.paid'" in typo.stderr
    assert "Traceback" not in gone.stderr + typo.stderr
