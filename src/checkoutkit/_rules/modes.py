"""Rules of ``mode``: it is required, and what each mode allows."""

from __future__ import annotations

from checkoutkit._rules._common import Report, present
from checkoutkit._rules._registry import Session, rule

#: Parameters allowed only in some modes: key -> (modes, rule id).
MODE_SCOPED: dict[str, tuple[frozenset[str], str]] = {
    "payment_intent_data": (frozenset({"payment"}), "payment_intent_data_payment_only"),
    "subscription_data": (frozenset({"subscription"}), "subscription_data_subscription_only"),
    "setup_intent_data": (frozenset({"setup"}), "setup_intent_data_setup_only"),
    "payment_method_collection": (
        frozenset({"subscription"}),
        "payment_method_collection_subscription_only",
    ),
    "phone_number_collection": (
        frozenset({"payment", "subscription"}),
        "phone_number_collection_payment_or_subscription",
    ),
    "shipping_options": (frozenset({"payment"}), "shipping_options_payment_mode_only"),
    "submit_type": (frozenset({"payment", "subscription"}), "submit_type_payment_or_subscription"),
    "saved_payment_method_options": (
        frozenset({"payment", "subscription"}),
        "saved_payment_method_options_mode",
    ),
    "customer_creation": (
        frozenset({"payment", "setup"}),
        "customer_creation_payment_or_setup_only",
    ),
}


@rule(codes=["mode_required"])
def mode_required(session: Session, out: Report) -> None:
    """Every session has a mode."""
    if session.params.get("mode") is None:
        out.add("mode", "mode_required", "mode is required: payment, setup or subscription.")


@rule(codes=["setup_no_line_items"])
def setup_no_line_items(session: Session, out: Report) -> None:
    """Setup mode takes no line items."""
    if session.mode == "setup" and present(session.params.get("line_items")):
        out.add("line_items", "setup_no_line_items", "You can not pass line_items in setup mode.")


@rule(codes=["setup_currency_or_payment_method_types"])
def setup_currency(session: Session, out: Report) -> None:
    """Setup mode needs a currency unless the payment method types are listed."""
    get = session.params.get
    if (
        session.mode == "setup"
        and get("currency") is None
        and not present(get("allowed_payment_method_types"))
    ):
        out.add(
            "currency",
            "setup_currency_or_payment_method_types",
            "currency is required in setup mode when allowed_payment_method_types is not set.",
        )


@rule(codes=sorted({code for _, code in MODE_SCOPED.values()}), triggers=MODE_SCOPED)
def mode_scoped(session: Session, out: Report) -> None:
    """Parameters that only some modes take."""
    mode = session.mode
    if mode is None:
        return
    params = session.params
    for key in sorted(params.keys() & MODE_SCOPED.keys()):  # sorted: a stable problem order
        modes, code = MODE_SCOPED[key]
        if mode not in modes and present(params[key]):
            allowed = " and ".join(sorted(modes))
            out.add(key, code, f"You can not pass {key} in {mode} mode (only in {allowed}).")


@rule(codes=["invoice_creation_payment_mode_only"], triggers=["invoice_creation"])
def invoice_creation_payment_only(session: Session, out: Report) -> None:
    """Invoices are created only after a payment-mode session."""
    if session.mode is None or session.mode == "payment":
        return
    invoice_creation = session.params.get("invoice_creation")
    if isinstance(invoice_creation, dict) and invoice_creation.get("enabled") is True:
        out.add(
            "invoice_creation",
            "invoice_creation_payment_mode_only",
            "You can only enable invoice creation when mode is payment.",
        )
