"""The shape of Checkout Session create parameters, read from the installed stripe SDK.

The SDK's ``stripe.params.checkout.SessionCreateParams`` TypedDicts name every parameter at every
nesting level, which are required, their types, and (as ``Literal[...]``) their enum values. They
are compiled once, on first use, into :class:`Spec` trees that the validator walks without any
``typing`` introspection, so a newer SDK's new parameters and enum values are accepted without a
change here.

Limits the SDK's types do not carry (string lengths, list sizes, numeric bounds) and the rule id
reported for a given parameter are added from the tables below, keyed by the parameter's path
without list indices (``("line_items", "price_data", "unit_amount")``). A path the installed SDK
does not have is simply ignored.
"""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from functools import cache
from typing import Any

import typing_extensions
from typing_extensions import is_typeddict

__all__ = ["REQUEST_OPTION_KEYS", "Kind", "Spec", "session_create_spec"]

Path = tuple[str, ...]


class Kind:
    """What a :class:`Spec` accepts."""

    ANY = 0
    STR = 1
    ENUM = 2
    INT = 3
    BOOL = 4
    DECIMAL = 5
    NUMBER = 6
    OBJECT = 7
    LIST = 8
    MAP = 9


class Spec:
    """One compiled parameter: its kind plus the checks that apply to it."""

    __slots__ = (
        "empty_ok",
        "enum",
        "enum_code",
        "fields",
        "item",
        "key_rule",
        "kind",
        "limit_code",
        "max_items",
        "max_len",
        "maximum",
        "minimum",
        "path",
        "required",
        "required_codes",
        "required_set",
        "unknown_codes",
    )

    def __init__(self, kind: int, path: Path) -> None:
        self.kind = kind
        self.path = path
        #: ``""`` is also accepted (the SDK's ``Literal['']`` "unset" alternative).
        self.empty_ok = False
        #: ENUM: the allowed values; ``enum_code`` is the rule id when a value is not one of them.
        self.enum: frozenset[str] = frozenset()
        self.enum_code = "invalid_enum"
        #: OBJECT: known keys, required keys and the rule id for a missing or unknown key.
        self.fields: dict[str, Spec] = {}
        self.required: tuple[str, ...] = ()
        self.required_set: frozenset[str] = frozenset()
        self.required_codes: dict[str, str] = {}
        self.unknown_codes: dict[str, str] = {}
        #: LIST and MAP: the spec of each item or value.
        self.item: Spec | None = None
        #: MAP: ``"metadata"`` or ``"currency"``: what the keys must be.
        self.key_rule = ""
        #: Limits with the rule id reported when one is exceeded.
        self.max_len: int | None = None
        self.max_items: int | None = None
        self.minimum: int | None = None
        self.maximum: int | None = None
        self.limit_code = ""

    def __repr__(self) -> str:
        return f"Spec(kind={self.kind}, path={'.'.join(self.path)!r})"


#: Keys of the SDK's ``RequestOptions``, which ``SessionCreateParams`` inherits. They are options
#: of the HTTP request (headers, API key), never form parameters, so they are not accepted here.
REQUEST_OPTION_KEYS = frozenset(
    {
        "api_key",
        "content_type",
        "headers",
        "idempotency_key",
        "max_network_retries",
        "stripe_account",
        "stripe_context",
        "stripe_version",
    }
)

# Rule ids for enum values outside the SDK's Literal values.
_ENUM_CODES: dict[Path, str] = {
    ("mode",): "mode_enum",
    ("ui_mode",): "ui_mode_enum",
    ("customer_creation",): "customer_creation_enum",
    ("redirect_on_completion",): "redirect_on_completion_enum",
    ("submit_type",): "submit_type_enum",
    ("locale",): "locale_enum",
    ("billing_address_collection",): "billing_address_collection_enum",
    ("allowed_payment_method_types",): "allowed_payment_method_types_enum",
    ("payment_intent_data", "setup_future_usage"): "setup_future_usage_enum",
    ("payment_intent_data", "capture_method"): "capture_method_enum",
    ("saved_payment_method_options", "payment_method_save"): "saved_payment_method_options_enum",
    ("saved_payment_method_options", "payment_method_remove"): (
        "saved_payment_method_options_enum"
    ),
    ("saved_payment_method_options", "allow_redisplay_filters"): (
        "saved_payment_method_options_enum"
    ),
    ("line_items", "price_data", "recurring", "interval"): "recurring_interval_enum",
    ("consent_collection", "terms_of_service"): "consent_collection_enums",
    ("consent_collection", "promotions"): "consent_collection_enums",
    ("consent_collection", "payment_method_reuse_agreement", "position"): (
        "consent_collection_enums"
    ),
    ("shipping_address_collection", "allowed_countries"): "shipping_allowed_countries_supported",
}

# Rule ids for a missing required key, keyed by the path of the key.
_REQUIRED_CODES: dict[Path, str] = {
    ("line_items", "price_data", "product_data", "name"): "price_data_product_data_name",
    ("line_items", "price_data", "recurring", "interval"): "price_data_recurring_fields",
    ("line_items", "adjustable_quantity", "enabled"): "adjustable_quantity_enabled_required",
    ("optional_items", "adjustable_quantity", "enabled"): "adjustable_quantity_enabled_required",
    ("automatic_tax", "enabled"): "automatic_tax_requires_enabled",
    ("tax_id_collection", "enabled"): "tax_id_collection_enabled_required",
    ("shipping_address_collection", "allowed_countries"): "shipping_allowed_countries_required",
    ("custom_fields", "key"): "custom_field_key_max_200",
    ("custom_fields", "label"): "custom_field_label_max_50",
    ("custom_fields", "label", "custom"): "custom_field_label_max_50",
    ("custom_fields", "label", "type"): "custom_field_label_max_50",
    ("custom_fields", "dropdown", "options"): "custom_field_dropdown_options_required",
}

# Rule ids for keys that are not parameters, keyed by the path of the key.
_UNKNOWN_CODES: dict[Path, str] = {
    **{
        ("line_items", key): "legacy_line_item_params_removed"
        for key in ("amount", "currency", "name", "description", "images")
    },
    ("line_items", "price_data", "custom_unit_amount"): "pwyw_requires_price_object",
    **{
        ("line_items", "price_data", "recurring", key): "price_data_recurring_fields"
        for key in ("usage_type", "aggregate_usage", "meter", "trial_period_days")
    },
}

# Maximum string lengths: path -> (length, rule id).
_MAX_LEN: dict[Path, tuple[int, str]] = {
    ("success_url",): (5000, "url_max_5000"),
    ("cancel_url",): (5000, "url_max_5000"),
    ("customer_email",): (800, "customer_email_max_800"),
    ("client_reference_id",): (200, "client_reference_id_max_200"),
    ("integration_identifier",): (200, "string_too_long"),
    ("payment_method_configuration",): (100, "string_too_long"),
    ("payment_intent_data", "statement_descriptor_suffix"): (
        22,
        "statement_descriptor_suffix_max_22",
    ),
    ("payment_intent_data", "statement_descriptor"): (22, "statement_descriptor_suffix_max_22"),
    ("payment_intent_data", "description"): (1000, "string_too_long"),
    ("setup_intent_data", "description"): (1000, "string_too_long"),
    ("subscription_data", "description"): (500, "string_too_long"),
    ("invoice_creation", "invoice_data", "description"): (1500, "string_too_long"),
    ("invoice_creation", "invoice_data", "custom_fields", "name"): (40, "string_too_long"),
    ("invoice_creation", "invoice_data", "custom_fields", "value"): (140, "string_too_long"),
    ("subscription_data", "invoice_settings", "custom_fields", "name"): (40, "string_too_long"),
    ("subscription_data", "invoice_settings", "custom_fields", "value"): (140, "string_too_long"),
    ("line_items", "price_data", "product_data", "description"): (40000, "string_too_long"),
    ("shipping_options", "shipping_rate_data", "display_name"): (100, "string_too_long"),
    ("custom_fields", "key"): (200, "custom_field_key_max_200"),
    # Stripe's API reference allows 50 characters (the SDK 16 docstring says 100); 50 holds
    # whichever the account's API version is.
    ("custom_fields", "label", "custom"): (50, "custom_field_label_max_50"),
    ("custom_fields", "dropdown", "options", "label"): (
        100,
        "custom_field_dropdown_options_required",
    ),
    ("custom_fields", "dropdown", "options", "value"): (
        100,
        "custom_field_dropdown_options_required",
    ),
    **{
        ("custom_text", key, "message"): (1200, "custom_text_max_1200")
        for key in ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
    },
}

# Maximum list lengths: path -> (items, rule id).
_MAX_ITEMS: dict[Path, tuple[int, str]] = {
    ("optional_items",): (10, "optional_items_max_10"),
    ("discounts",): (1, "discounts_max_one"),
    ("shipping_options",): (5, "shipping_options_max_5"),
    ("custom_fields",): (3, "custom_fields_max_3"),
    ("line_items", "price_data", "product_data", "images"): (8, "product_images_max_8"),
    ("custom_fields", "dropdown", "options"): (200, "custom_field_dropdown_options_required"),
    ("invoice_creation", "invoice_data", "custom_fields"): (4, "too_many_items"),
}

# Integer bounds: path -> (minimum, maximum, rule id).
_INT_BOUNDS: dict[Path, tuple[int | None, int | None, str]] = {
    ("line_items", "quantity"): (1, None, "quantity_min_1"),
    ("line_items", "price_data", "unit_amount"): (0, None, "unit_amount_non_negative"),
    ("line_items", "price_data", "recurring", "interval_count"): (
        1,
        None,
        "recurring_interval_max_3_years",
    ),
    ("line_items", "adjustable_quantity", "minimum"): (0, 999999, "adjustable_quantity_bounds"),
    ("line_items", "adjustable_quantity", "maximum"): (0, 999999, "adjustable_quantity_bounds"),
    ("optional_items", "adjustable_quantity", "minimum"): (0, 999999, "adjustable_quantity_bounds"),
    ("optional_items", "adjustable_quantity", "maximum"): (0, 999999, "adjustable_quantity_bounds"),
    ("subscription_data", "trial_period_days"): (1, None, "trial_period_days_min_1"),
    ("shipping_options", "shipping_rate_data", "fixed_amount", "amount"): (
        0,
        None,
        "value_out_of_range",
    ),
    ("shipping_options", "shipping_rate_data", "delivery_estimate", "minimum", "value"): (
        1,
        None,
        "value_out_of_range",
    ),
    ("shipping_options", "shipping_rate_data", "delivery_estimate", "maximum", "value"): (
        1,
        None,
        "value_out_of_range",
    ),
}

# Numbers (floats in the SDK): path -> (minimum, maximum, rule id).
_NUMBER_BOUNDS: dict[Path, tuple[int, int, str]] = {
    ("subscription_data", "application_fee_percent"): (0, 100, "application_fee_percent_range"),
    ("subscription_data", "transfer_data", "amount_percent"): (0, 100, "value_out_of_range"),
}

# Maps whose keys must be currency codes.
_CURRENCY_KEYED: frozenset[Path] = frozenset(
    {("shipping_options", "shipping_rate_data", "fixed_amount", "currency_options")}
)

_LIMITS_FOR_METADATA = 50

_WRAPPERS = (typing_extensions.NotRequired, typing_extensions.Required, typing_extensions.Annotated)
_LITERALS = (typing.Literal, typing_extensions.Literal)


def _strip(tp: Any) -> Any:
    """Drop ``NotRequired``, ``Required`` and ``Annotated`` wrappers."""
    while typing_extensions.get_origin(tp) in _WRAPPERS:
        tp = typing_extensions.get_args(tp)[0]
    return tp


def _own_hints(cls: Any, skip: frozenset[str]) -> dict[str, Any]:
    """Evaluated annotations of a TypedDict's keys, each in the module that declared it.

    ``typing.get_type_hints`` on the root class fails because the inherited ``RequestOptions``
    annotations name types that only exist in another module, so the keys are evaluated on a
    plain holder class in the TypedDict's own module. A key whose annotation cannot be evaluated
    (a name a newer SDK imports only for type checkers) accepts any value.
    """
    annotations = {k: v for k, v in cls.__annotations__.items() if k not in skip}

    def evaluate(items: dict[str, Any]) -> dict[str, Any]:
        holder = type("_Holder", (), {"__annotations__": items, "__module__": cls.__module__})
        return typing.get_type_hints(holder, include_extras=True)

    try:
        return evaluate(annotations)
    except Exception:
        hints: dict[str, Any] = {}
        for key, value in annotations.items():
            try:
                hints.update(evaluate({key: value}))
            except Exception:
                hints[key] = Any
        return hints


class _Compiler:
    def __init__(self) -> None:
        self._stack: set[Any] = set()

    def compile_typeddict(self, cls: Any, path: Path, skip: frozenset[str] = frozenset()) -> Spec:
        spec = Spec(Kind.OBJECT, path)
        if cls in self._stack:  # a recursive type: accept anything below this point
            return Spec(Kind.ANY, path)
        self._stack.add(cls)
        try:
            hints = _own_hints(cls, skip)
            required: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
            for key, tp in hints.items():
                spec.fields[key] = self.compile(tp, (*path, key))
            spec.required = tuple(sorted(k for k in required if k in spec.fields))
            spec.required_set = frozenset(spec.required)
        finally:
            self._stack.discard(cls)
        for key in spec.required:
            code = _REQUIRED_CODES.get((*path, key))
            if code:
                spec.required_codes[key] = code
        for (*parent, key), code in _UNKNOWN_CODES.items():
            if tuple(parent) == path:
                spec.unknown_codes[key] = code
        return spec

    def compile(self, tp: Any, path: Path) -> Spec:
        spec = self._compile(_strip(tp), path)
        if spec.kind == Kind.STR and path in _MAX_LEN:
            spec.max_len, spec.limit_code = _MAX_LEN[path]
        elif spec.kind == Kind.LIST and path in _MAX_ITEMS:
            spec.max_items, spec.limit_code = _MAX_ITEMS[path]
        elif spec.kind == Kind.INT and path in _INT_BOUNDS:
            spec.minimum, spec.maximum, spec.limit_code = _INT_BOUNDS[path]
        elif spec.kind == Kind.NUMBER and path in _NUMBER_BOUNDS:
            spec.minimum, spec.maximum, spec.limit_code = _NUMBER_BOUNDS[path]
        elif spec.kind == Kind.MAP and path[-1:] == ("metadata",):
            spec.key_rule = "metadata"
            spec.max_items, spec.limit_code = _LIMITS_FOR_METADATA, "metadata_max_50_keys"
        elif spec.kind == Kind.MAP and path in _CURRENCY_KEYED:
            spec.key_rule = "currency"
        if spec.kind == Kind.ENUM:
            spec.enum_code = _ENUM_CODES.get(path, "invalid_enum")
        return spec

    def _compile(self, tp: Any, path: Path) -> Spec:
        if tp is str:
            return Spec(Kind.STR, path)
        if tp is bool:
            return Spec(Kind.BOOL, path)
        if tp is int:
            return Spec(Kind.INT, path)
        if tp is float:
            return Spec(Kind.NUMBER, path)
        if tp is Decimal:
            return Spec(Kind.DECIMAL, path)
        if is_typeddict(tp):
            return self.compile_typeddict(tp, path)
        origin = typing_extensions.get_origin(tp)
        args = typing_extensions.get_args(tp)
        if origin in _LITERALS:
            return self._enum(args, path)
        if origin is list and args:
            spec = Spec(Kind.LIST, path)
            spec.item = self.compile(args[0], path)
            return spec
        if origin is dict and len(args) == 2:
            spec = Spec(Kind.MAP, path)
            spec.item = self.compile(args[1], path)
            return spec
        if origin is typing.Union or isinstance(tp, types.UnionType):
            return self._union(args, path)
        return Spec(Kind.ANY, path)

    def _enum(self, values: tuple[Any, ...], path: Path) -> Spec:
        if not all(isinstance(v, str) for v in values):
            return Spec(Kind.ANY, path)
        spec = Spec(Kind.ENUM, path)
        spec.enum = frozenset(v for v in values if v)
        spec.empty_ok = "" in values
        return spec

    def _union(self, args: tuple[Any, ...], path: Path) -> Spec:
        literals: list[Any] = []
        others: list[Any] = []
        for arg in args:
            if typing_extensions.get_origin(arg) in _LITERALS:
                literals.extend(typing_extensions.get_args(arg))
            else:
                others.append(arg)
        if any(typing_extensions.get_origin(o) is dict for o in others):
            # ``Dict[str, X] | UntypedStripeObject[X]``: the SDK's own object type is a dict too.
            others = [o for o in others if typing_extensions.get_origin(o) is dict]
        empty_ok = "" in literals
        values = [v for v in literals if v != ""]
        if others == [str]:
            if not values:
                return Spec(Kind.STR, path)
            spec = self._enum(tuple(values), path)
            spec.empty_ok = empty_ok
            return spec
        if not others:
            return self._enum(tuple(literals), path)
        if len(others) == 1 and not values:
            spec = self.compile(others[0], path)
            spec.empty_ok = empty_ok
            return spec
        return Spec(Kind.ANY, path)


@cache
def session_create_spec() -> Spec:
    """The compiled spec of ``stripe.params.checkout.SessionCreateParams`` (built once)."""
    from stripe.params.checkout import SessionCreateParams

    return _Compiler().compile_typeddict(SessionCreateParams, (), REQUEST_OPTION_KEYS)
