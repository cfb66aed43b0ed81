"""Typed, frozen views of Stripe events and Checkout Sessions.

Views are built from the parsed JSON (never stripe's StripeObject tree); the Checkout Session
view is structured with cattrs on first access. Unknown fields are ignored and missing ones are
``None``: Stripe adds fields between API versions. The raw dict always stays available as
``.raw``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, Optional, TypeVar, cast

import attrs

from checkoutkit.exceptions import WebhookPayloadError

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "CheckoutSession",
    "CustomerDetails",
    "Event",
    "EventRequest",
    "Invoice",
    "PortalSession",
    "Subscription",
]

_CHECKOUT_PREFIX = "checkout.session."
_SUBSCRIPTION_PREFIX = "customer.subscription."
_INVOICE_PREFIX = "invoice."
_V = TypeVar("_V")


@attrs.frozen
class CustomerDetails:
    """``customer_details`` of a Checkout Session: what the customer entered on the page."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None


@attrs.frozen
class CheckoutSession:
    """The fields of a Checkout Session that applications use; ``raw`` holds all of them.

    Expandable fields (``customer``, ``payment_intent``, ``subscription``, ``setup_intent``) are
    always ids, whether or not the object was expanded.
    """

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
    client_secret: str | None = attrs.field(default=None, repr=False)
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
        """Build the view from a Checkout Session as Stripe serialises it.

        Raises :class:`~checkoutkit.WebhookPayloadError` when ``data`` is not shaped like one.
        """
        try:
            return _session_structurer(detailed=False)(data)
        except (KeyError, AttributeError, TypeError, ValueError) as error:
            raise WebhookPayloadError(f"not a Checkout Session: {_what_is_wrong(data)}") from error


@attrs.frozen
class Subscription:
    """The fields of a Subscription that applications use to keep access in step; ``raw`` holds all.

    ``price_ids`` are the prices of its items, in order. ``current_period_end`` is the
    subscription's own, or (API versions that moved it onto the items) the earliest of its
    items'. Expandable fields (``customer``, ``default_payment_method``, ``latest_invoice``)
    are always ids.
    """

    id: str
    object: str = "subscription"
    customer: str | None = None
    status: str | None = None
    price_ids: tuple[str, ...] = ()
    current_period_start: int | None = None
    current_period_end: int | None = None
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    trial_start: int | None = None
    trial_end: int | None = None
    default_payment_method: str | None = None
    latest_invoice: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)
    livemode: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def grants_access(self) -> bool:
        """True while the customer should have what they pay for (``active`` or ``trialing``).

        ``past_due`` is False: a shop that keeps access during Stripe's retries checks
        ``status`` itself.
        """
        return self.status in ("active", "trialing")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subscription:
        """Build the view from a Subscription as Stripe serialises it.

        Raises :class:`~checkoutkit.WebhookPayloadError` naming the malformed field's path.
        """
        return _build(cls, _subscription_fields(data), "a Subscription", data)


@attrs.frozen
class Invoice:
    """The fields of an Invoice that applications use; ``raw`` holds all of them.

    ``subscription`` is the invoice's own field or, on API versions that moved it, the one in
    ``parent.subscription_details``. Amounts are in the currency's smallest unit.
    """

    id: str
    object: str = "invoice"
    customer: str | None = None
    subscription: str | None = None
    status: str | None = None
    amount_due: int | None = None
    amount_paid: int | None = None
    amount_remaining: int | None = None
    currency: str | None = None
    billing_reason: str | None = None
    attempt_count: int | None = None
    next_payment_attempt: int | None = None
    hosted_invoice_url: str | None = None
    period_start: int | None = None
    period_end: int | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)
    livemode: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def is_paid(self) -> bool:
        """True when the invoice is paid."""
        return self.status == "paid"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Invoice:
        """Build the view from an Invoice as Stripe serialises it.

        Raises :class:`~checkoutkit.WebhookPayloadError` naming the malformed field's path.
        """
        return _build(cls, _invoice_fields(data), "an Invoice", data)


@attrs.frozen
class PortalSession:
    """A customer portal session (``bps_…``): send the customer to ``url``.

    ``return_url`` is where the portal's "Return to …" link leads. ``url`` is short-lived on
    Stripe: create a session for each visit, never store it.
    """

    id: str
    url: str
    object: str = "billing_portal.session"
    customer: str | None = None
    return_url: str | None = None
    configuration: str | None = None
    locale: str | None = None
    created: int | None = None
    livemode: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PortalSession:
        """Build the view from a portal session as Stripe serialises it.

        Raises :class:`~checkoutkit.WebhookPayloadError` naming the malformed field's path.
        """
        return _build(cls, _object(data, "a portal session"), "a portal session")


@attrs.frozen
class EventRequest:
    """``request`` of an event: the API request that caused it, if any."""

    id: str | None = None
    idempotency_key: str | None = None


@attrs.frozen
class Event:
    """A Stripe event: typed envelope fields, ``data.object`` as a dict and, for Checkout, typed.

    ``session`` is the typed :class:`CheckoutSession` of a ``checkout.session.*`` event (built on
    first access), else None. ``raw`` is the whole event as parsed from JSON; the envelope
    fields other than ``id`` and ``type`` are read from it when asked for.
    """

    id: str
    type: str
    data_object: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def created(self) -> int | None:
        """When Stripe created the event (Unix seconds)."""
        value = self.raw.get("created")
        return value if type(value) is int else None

    @property
    def livemode(self) -> bool:
        """True for live-mode events, False in test mode (and in the sandbox)."""
        return self.raw.get("livemode") is True

    @property
    def api_version(self) -> str | None:
        """The API version the event's ``data.object`` was rendered with."""
        value = self.raw.get("api_version")
        return value if type(value) is str else None

    @property
    def account(self) -> str | None:
        """The connected account the event belongs to (Connect endpoints), else None."""
        value = self.raw.get("account")
        return value if type(value) is str else None

    @cached_property
    def request(self) -> EventRequest | None:
        """The API request that caused the event (None for events Stripe raised itself)."""
        request = self.raw.get("request")
        if not isinstance(request, Mapping):
            return None
        return EventRequest(request.get("id"), request.get("idempotency_key"))

    @cached_property
    def session(self) -> CheckoutSession | None:
        """The typed Checkout Session of a ``checkout.session.*`` event (None for other types)."""
        if not self.type.startswith(_CHECKOUT_PREFIX):
            return None
        return CheckoutSession.from_dict(self.data_object)

    @cached_property
    def subscription(self) -> Subscription | None:
        """The typed :class:`Subscription` of a ``customer.subscription.*`` event, else None."""
        if not self.type.startswith(_SUBSCRIPTION_PREFIX):
            return None
        return Subscription.from_dict(self.data_object)

    @cached_property
    def invoice(self) -> Invoice | None:
        """The typed :class:`Invoice` of an ``invoice.*`` event, else None."""
        if not self.type.startswith(_INVOICE_PREFIX):
            return None
        return Invoice.from_dict(self.data_object)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build the view from a parsed event.

        Raises :class:`~checkoutkit.WebhookPayloadError` when ``data`` is not shaped like one.
        """
        try:
            event_id = data["id"]
            event_type = data["type"]
            obj = data["data"]["object"]
        except (KeyError, TypeError, IndexError):
            raise WebhookPayloadError(
                "not a Stripe event: id, type or data.object is missing"
            ) from None
        if type(event_id) is not str or type(event_type) is not str or type(obj) is not dict:
            raise WebhookPayloadError(
                "not a Stripe event: id and type must be strings, data.object a map"
            )
        if not event_id or not event_type:
            raise WebhookPayloadError("not a Stripe event: id and type must not be empty")
        return cls(event_id, event_type, obj, data)

    def __repr__(self) -> str:
        return f"Event(id={self.id!r}, type={self.type!r}, api_version={self.api_version!r})"


@cache
def _converter(*, detailed: bool) -> cattrs.Converter:
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=detailed)
    # Stripe's JSON already has the right types: take values as they are, convert otherwise.
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook_func(_is_optional(str), _structure_optional_str)
    converter.register_structure_hook_func(_is_optional(int), _structure_optional_int)
    converter.register_structure_hook_func(lambda t: t == dict[str, str], _structure_metadata)
    converter.register_structure_hook(bool, _structure_bool)
    details = cattrs.gen.make_dict_structure_fn(CustomerDetails, converter)

    def structure_details(value: Any, _: Any) -> CustomerDetails | None:
        # Without this, a string would pass: the generated function tests keys with ``in``.
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return details(value, CustomerDetails)

    converter.register_structure_hook_func(_is_optional(CustomerDetails), structure_details)
    return converter


def _is_optional(kind: type[Any]) -> Callable[[Any], bool]:
    optional = Optional[kind]  # type: ignore[valid-type]  # noqa: UP045 (resolved form)

    def matches(annotation: Any) -> bool:
        return bool(annotation == optional)

    return matches


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    if value is None or isinstance(value, (Mapping, list)):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return str(value)


def _structure_optional_str(value: Any, _: Any) -> str | None:
    """A string, or None; an expanded object (``customer``, ``payment_intent``…) becomes its id."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Mapping):
        return _structure_optional_str(value.get("id"), _)
    return _structure_str(value, _)


def _structure_optional_int(value: Any, _: Any) -> int | None:
    return value if value is None or type(value) is int else int(value)


def _structure_bool(value: Any, _: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _structure_metadata(value: Any, _: Any) -> dict[str, str]:
    if value is None:
        return {}
    return {str(k): v if type(v) is str else str(v) for k, v in value.items()}


def _what_is_wrong(data: object, kind: type[Any] = CheckoutSession) -> str:
    """Which fields of an object that did not structure are wrong, as ``$.field`` paths.

    Runs only for an object that failed: the detailed converter names each failing field.
    """
    import cattrs

    try:
        _structurer(kind, detailed=True)(data)  # type: ignore[arg-type]
    except cattrs.BaseValidationError as error:
        return "; ".join(cattrs.transform_error(error))
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return "it did not structure"  # pragma: no cover - the fast converter failed on it


def _session_structurer(*, detailed: bool) -> Callable[[Mapping[str, Any]], CheckoutSession]:
    structure: Callable[[Mapping[str, Any]], CheckoutSession] = _structurer(
        CheckoutSession, detailed=detailed
    )
    return structure


@cache
def _structurer(kind: type[Any], *, detailed: bool) -> Callable[[Mapping[str, Any]], Any]:
    import cattrs

    converter = _converter(detailed=detailed)
    default_object = attrs.fields_dict(kind)["object"].default
    structure = cattrs.gen.make_dict_structure_fn(
        kind,
        converter,
        _cattrs_forbid_extra_keys=False,
        raw=cattrs.override(omit=True),
        object=cattrs.override(
            struct_hook=lambda value, _: value if type(value) is str else default_object
        ),
        livemode=cattrs.override(struct_hook=lambda value, _: value is True),
    )

    def build(data: Mapping[str, Any]) -> Any:
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        view = structure(data, kind)
        # ``raw`` is not structured: the view keeps the mapping it was given, never a copy.
        return attrs.evolve(view, raw=data)

    return build


def _build(kind: type[_V], data: Mapping[str, Any], name: str, source: object = None) -> _V:
    """The view of ``data`` (fields derived from ``source``, which ``raw`` keeps), or the error."""
    try:
        structure = _structurer(kind, detailed=False)  # type: ignore[arg-type]
        view: Any = structure(data)
        return cast("_V", view if source is None else attrs.evolve(view, raw=source))
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        raise WebhookPayloadError(f"not {name}: {_what_is_wrong(data, kind)}") from error


def _object(data: object, name: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise WebhookPayloadError(f"not {name}: expected an object, got {type(data).__name__}")
    return data


def _id_of(value: object) -> object:
    return value.get("id") if isinstance(value, Mapping) else value


def _subscription_fields(data: object) -> Mapping[str, Any]:
    """``data`` with ``price_ids`` and ``current_period_end`` read from its items."""
    data = _object(data, "a Subscription")
    items = data.get("items")
    rows = items.get("data") if isinstance(items, Mapping) else items
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise WebhookPayloadError("not a Subscription: $.items.data must be a list")
    prices, ends, starts = [], [], []
    for i, item in enumerate(rows):
        if not isinstance(item, Mapping):
            raise WebhookPayloadError(f"not a Subscription: $.items.data[{i}] must be an object")
        price = _id_of(item.get("price"))
        if type(price) is not str:
            raise WebhookPayloadError(
                f"not a Subscription: $.items.data[{i}].price must be a price or its id"
            )
        prices.append(price)
        ends.append(item.get("current_period_end"))
        starts.append(item.get("current_period_start"))
    fields = {**data, "price_ids": prices}
    for key, found in (("current_period_end", ends), ("current_period_start", starts)):
        numbers = [v for v in found if type(v) is int]
        if data.get(key) is None and numbers:
            fields[key] = min(numbers) if key == "current_period_end" else max(numbers)
    return fields


def _invoice_fields(data: object) -> Mapping[str, Any]:
    """``data`` with ``subscription`` read from ``parent.subscription_details`` if need be."""
    data = _object(data, "an Invoice")
    if data.get("subscription") is not None:
        return data
    parent = data.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, Mapping) else None
    if isinstance(details, Mapping) and details.get("subscription") is not None:
        return {**data, "subscription": details["subscription"]}
    return data
