"""The fields the installed stripe SDK declares on its resource classes, and a check against them.

The lists come from the classes' annotations (``stripe.checkout.Session.__annotations__`` and
those of their nested classes such as ``Session.TotalDetails``), so a newer SDK that declares
new fields shows at once what the sandbox lacks. A field annotated ``Optional[...]`` may be
``null``; any other field must be present with a value. A nested object is checked field by
field whenever it is present.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

import stripe

#: Object type -> the SDK's resource class.
RESOURCES: dict[str, type[Any]] = {
    "checkout.session": stripe.checkout.Session,
    "payment_intent": stripe.PaymentIntent,
    "setup_intent": stripe.SetupIntent,
    "subscription": stripe.Subscription,
    "payment_method": stripe.PaymentMethod,
    "customer": stripe.Customer,
    "price": stripe.Price,
    "product": stripe.Product,
    "coupon": stripe.Coupon,
    "promotion_code": stripe.PromotionCode,
    "shipping_rate": stripe.ShippingRate,
    "invoice": stripe.Invoice,
    "test_helpers.test_clock": stripe.test_helpers.TestClock,
}

#: Fields Stripe leaves out of an object unless asked for (``expand[]`` of an includable
#: field), unless the object was deleted, or that exist only in another UI mode: absent is what
#: Stripe sends, so absent is right. Nested fields are named by their dotted path.
OMITTED: dict[str, frozenset[str]] = {
    "checkout.session": frozenset({"line_items", "total_details.breakdown"}),
    "customer": frozenset(
        {
            "cash_balance",
            "deleted",
            "invoice_credit_balance",
            "sources",
            "subscriptions",
            "tax",
            "tax_ids",
        }
    ),
    "price": frozenset({"currency_options", "deleted", "tiers"}),
    "product": frozenset({"deleted"}),
    "coupon": frozenset({"applies_to", "currency_options", "deleted"}),
    "shipping_rate": frozenset({"fixed_amount.currency_options"}),
    "invoice": frozenset({"deleted", "payments"}),
    "test_helpers.test_clock": frozenset({"deleted"}),
}

#: Nested objects that list only the entries that apply (``payment_method_options`` has one
#: entry per payment method type in use; a PaymentIntent's ``amount_details`` only what was
#: given): each entry present is checked, none is required.
SPARSE = frozenset({"payment_method_options", "amount_details"})

#: Fields a hosted session leaves out: they exist only on embedded and custom sessions.
HOSTED_ONLY_ABSENT = frozenset({"return_url", "redirect_on_completion"})

#: ``Optional`` fields Stripe always fills on these objects (``null`` would be wrong).
FILLED: dict[str, frozenset[str]] = {
    "checkout.session": frozenset(
        {
            "automatic_tax",
            "branding_settings",
            "collected_information",
            "custom_text",
            "discounts",
            "phone_number_collection",
            "presentment_details",
            "shipping_options",
            "tax_id_collection",
            "total_details",
        }
    ),
    "subscription": frozenset(
        {"billing_mode", "invoice_settings", "payment_settings", "trial_settings"}
    ),
}


def _nullable(tp: Any) -> tuple[bool, Any]:
    """Whether ``tp`` admits None, and ``tp`` without None."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or isinstance(tp, types.UnionType):
        args = typing.get_args(tp)
        rest = [a for a in args if a is not type(None)]
        inner = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        return len(rest) != len(args), inner
    return False, tp


def declared(cls: type[Any]) -> dict[str, Any]:
    """The fields ``cls`` declares, with their annotations."""
    return {
        key: tp
        for key, tp in cls.__annotations__.items()
        if key != "OBJECT_NAME" and typing.get_origin(tp) is not typing.ClassVar
    }


def _nested(owner: type[Any], tp: Any) -> tuple[type[Any] | None, bool]:
    """The nested SDK class ``tp`` refers to (and whether as a list of them), if any."""
    many = typing.get_origin(tp) in (list, typing.List)  # noqa: UP006
    if many:
        tp = typing.get_args(tp)[0]
    if (
        isinstance(tp, type)
        and issubclass(tp, stripe.StripeObject)
        and tp.__qualname__.startswith(owner.__qualname__.split(".")[0] + ".")
    ):
        return tp, many
    return None, many


def problems(kind: str, obj: dict[str, Any]) -> list[str]:
    """Every field of ``obj`` (an object of type ``kind`` as JSON) that is missing or null
    where the SDK (or :data:`FILLED`) says it has a value. Empty when the shape is right."""
    return list(_walk(RESOURCES[kind], obj, kind, "", top=True))


def _walk(
    cls: type[Any], obj: dict[str, Any], kind: str, where: str, *, top: bool, sparse: bool = False
) -> Iterator[str]:
    path = _plain(where)
    omitted = {
        name[len(path) :] for name in OMITTED.get(kind, frozenset()) if name.startswith(path)
    }
    filled = FILLED.get(kind, frozenset()) if top else frozenset()
    if top and kind == "payment_method":
        omitted |= _other_method_types(obj.get("type"))
    if top and kind == "checkout.session" and obj.get("ui_mode") == "hosted_page":
        omitted |= HOSTED_ONLY_ABSENT
    for key, tp in declared(cls).items():
        name = f"{where}{key}"
        if key in omitted:
            continue
        if key not in obj:
            if not sparse:
                yield f"{name}: missing"
            continue
        value = obj[key]
        nullable, inner = _nullable(tp)
        if value is None:
            if not nullable or key in filled:
                yield f"{name}: null"
            continue
        nested, many = _nested(cls, inner)
        if nested is None:
            continue
        if many and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _walk(nested, item, kind, f"{name}[{i}].", top=False)
        elif isinstance(value, dict):
            yield from _walk(
                nested, value, kind, f"{name}.", top=False, sparse=sparse or key in SPARSE
            )


def _plain(where: str) -> str:
    """A dotted path without list indices: ``custom_fields[0].text.`` -> ``custom_fields.text.``."""
    out, depth = [], 0
    for char in where:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _other_method_types(own: object) -> frozenset[str]:
    """PaymentMethod fields named after a type other than ``own``: Stripe sends only its own."""
    _, tp = _nullable(declared(stripe.PaymentMethod)["type"])
    names = {v for arg in typing.get_args(tp) for v in typing.get_args(arg) if isinstance(v, str)}
    return frozenset(names - {own})


def counts(kind: str, obj: dict[str, Any]) -> tuple[int, int]:
    """How many of the SDK's top-level fields ``obj`` carries, and how many it declares."""
    fields = declared(RESOURCES[kind])
    return sum(1 for key in fields if key in obj), len(fields)
