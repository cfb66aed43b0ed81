"""Session expiry by the sandbox clock and by call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import stripe

from checkoutkit.sandbox import Sandbox

if TYPE_CHECKING:
    from conftest import Receiver


def test_session_expires_when_the_clock_passes_expires_at(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any], receiver: Receiver
) -> None:
    """Advancing past expires_at expires the session and sends checkout.session.expired."""
    box.add_webhook_endpoint(receiver.url)
    session = client.v1.checkout.sessions.create(
        params={**session_params, "expires_at": box.now() + 3600}
    )
    box.advance_clock(3590)  # the sandbox clock also runs in real time: leave a margin for load
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    box.advance_clock(11)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    (event,) = receiver.wait_for(1)
    assert (event["type"], event["data"]["object"]["id"]) == (
        "checkout.session.expired",
        session.id,
    )


def test_default_expiry_is_24_hours(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """Without expires_at a session stays open for 24 hours of sandbox time."""
    session = client.v1.checkout.sessions.create(params=session_params)
    box.advance_clock(23 * 3600)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    box.advance_clock(3600)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_clock_control_endpoint(box: Sandbox) -> None:
    """POST /_sandbox/clock/advance moves the clock; it never moves back."""
    before = httpx.get(f"{box.url}/_sandbox/clock").json()["now"]
    moved = httpx.post(f"{box.url}/_sandbox/clock/advance", data={"seconds": "7200"}).json()
    assert moved["now"] >= before + 7200
    back = httpx.post(f"{box.url}/_sandbox/clock/advance", data={"seconds": "-1"})
    assert back.status_code == 400
    junk = httpx.post(f"{box.url}/_sandbox/clock/advance", data={"seconds": "soon"})
    assert junk.status_code == 400


def test_expire_control_endpoint(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """POST /_sandbox/sessions/{id}/expire expires an open session."""
    session = client.v1.checkout.sessions.create(params=session_params)
    response = httpx.post(f"{box.url}/_sandbox/sessions/{session.id}/expire")
    assert response.json()["status"] == "expired"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_expires_at_is_checked_against_the_sandbox_clock(
    box: Sandbox, client: stripe.StripeClient, session_params: dict[str, Any]
) -> None:
    """After a 10-day advance, expires_at two sandbox hours ahead is accepted (not wall time)."""
    box.advance_clock(10 * 24 * 3600)
    expires_at = box.now() + 2 * 3600
    session = client.v1.checkout.sessions.create(
        params={**session_params, "expires_at": expires_at}
    )
    assert (session.status, session.expires_at) == ("open", expires_at)


def test_clock_refuses_absurd_jumps(box: Sandbox) -> None:
    """Infinite, NaN or century-long advances are 400s, and the clock stays usable."""
    for seconds in ("inf", "nan", "99999999999999999999999"):
        response = httpx.post(f"{box.url}/_sandbox/clock/advance", data={"seconds": seconds})
        assert response.status_code == 400
    assert httpx.get(f"{box.url}/_sandbox/clock").json()["offset"] == 0
