"""Typed, frozen views of Stripe events and Checkout Sessions.

Views are built with cattrs from the parsed JSON (never stripe's StripeObject tree). Unknown
fields are ignored and missing ones are ``None``: Stripe adds fields between API versions.
The raw dict always stays available as ``.raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import cattrs


@attrs.frozen
class CustomerDetails:
    """``customer_details`` of a Checkout Session: what the customer entered on the page."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None


@attrs.frozen
class CheckoutSession:
    """The fields of a Checkout Session that applications use; ``raw`` holds all of them."""

    id: str
    object: str = "checkout.session"
    status: str | None = None
    payment_status: str | None = None
    mode: str | None = None
    amount_subtotal: int | None = None
    amount_total: int | None = None
    currency: str | None = None
    customer: str | None = None
    customer_details: CustomerDetails | None = None
    customer_email: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)
    payment_intent: str | None = None
    subscription: str | None = None
    setup_intent: str | None = None
    url: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    client_secret: str | None = None
    expires_at: int | None = None
    created: int | None = None
    livemode: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def email(self) -> str | None:
        """The customer's email: what they entered on the page, else what the session was given."""
        if self.customer_details is not None and self.customer_details.email:
            return self.customer_details.email
        return self.customer_email

    @property
    def is_paid(self) -> bool:
        """True when the order may be fulfilled (``paid`` or ``no_payment_required``)."""
        return self.payment_status in ("paid", "no_payment_required")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckoutSession:
        """Build the view from a Checkout Session as Stripe serialises it."""
        return _session_structurer()(data)


@attrs.frozen
class EventRequest:
    """``request`` of an event: the API request that caused it, if any."""

    id: str | None = None
    idempotency_key: str | None = None


@attrs.frozen
class Event:
    """A Stripe event: typed envelope fields, ``data.object`` as a dict and, for Checkout, typed.

    ``session`` is the typed :class:`CheckoutSession` for ``checkout.session.*`` events, else None.
    """

    id: str
    type: str
    created: int | None = None
    livemode: bool = False
    api_version: str | None = None
    account: str | None = None
    request: EventRequest | None = None
    data_object: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def session(self) -> CheckoutSession | None:
        """The typed Checkout Session of a ``checkout.session.*`` event (None for other types)."""
        if not self.type.startswith("checkout.session."):
            return None
        return CheckoutSession.from_dict(self.data_object)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build the view from a parsed event; ``KeyError``/``TypeError`` on a wrong shape."""
        request = data.get("request")
        data_field = data.get("data")
        obj = data_field.get("object") if isinstance(data_field, Mapping) else None
        if not isinstance(data["id"], str) or not isinstance(data["type"], str):
            raise TypeError("event id and type must be strings")
        if not isinstance(obj, Mapping):
            raise TypeError("event data.object must be an object")
        return cls(
            id=data["id"],
            type=data["type"],
            created=data.get("created"),
            livemode=bool(data.get("livemode", False)),
            api_version=data.get("api_version"),
            account=data.get("account"),
            request=(
                EventRequest(request.get("id"), request.get("idempotency_key"))
                if isinstance(request, Mapping)
                else None
            ),
            data_object=obj,
            raw=data,
        )


@cache
def _converter() -> cattrs.Converter:
    import cattrs

    return cattrs.Converter(forbid_extra_keys=False)


@cache
def _session_structurer() -> Any:
    converter = _converter()
    structure = converter.get_structure_hook(CheckoutSession)

    def build(data: Mapping[str, Any]) -> CheckoutSession:
        fields = {k: v for k, v in data.items() if k in _SESSION_FIELDS and v is not None}
        fields.pop("raw", None)
        if isinstance(fields.get("customer"), Mapping):
            fields["customer"] = fields["customer"].get("id")
        for key in ("payment_intent", "subscription", "setup_intent"):
            if isinstance(fields.get(key), Mapping):
                fields[key] = fields[key].get("id")
        session: CheckoutSession = structure(fields, CheckoutSession)
        return attrs.evolve(session, raw=data)

    return build


_SESSION_FIELDS = frozenset(a.name for a in attrs.fields(CheckoutSession))
