"""Type-checked only: the webhook surface keeps the types users rely on."""

from __future__ import annotations

from typing_extensions import assert_type

from checkoutkit import (
    CheckoutSession,
    Event,
    MemoryStore,
    VerifiedSignature,
    WebhookResponse,
    WebhookRouter,
    verify_signature,
)
from checkoutkit.testing import completed, sign_payload, signed_request

router = WebhookRouter(secrets={"main": "whsec_x"}, store=MemoryStore())


@router.on("checkout.session.completed", "checkout.session.*")
def fulfil(event: Event) -> None:
    session = event.session
    if session is not None:
        assert_type(session, CheckoutSession)
        assert_type(session.is_paid, bool)
        assert_type(session.email, "str | None")
        assert_type(session.amount_total, "int | None")


@router.on("*")
async def audit(event: Event) -> None:
    assert_type(event.id, str)
    assert_type(event.api_version, "str | None")


def decorators_keep_the_signature(event: Event) -> None:
    assert_type(fulfil(event), None)


body, headers = signed_request(completed())
assert_type(router.handle(body, headers), WebhookResponse)
assert_type(router.handle(body, headers).status, int)
assert_type(verify_signature(body, sign_payload(body, "whsec_x"), ["whsec_x"]), VerifiedSignature)
