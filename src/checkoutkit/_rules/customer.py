"""Rules of the customer: an existing Customer or an email, and who is liable for tax."""

from __future__ import annotations

from checkoutkit._rules._common import Report, dig, present
from checkoutkit._rules._registry import Session, rule


@rule(
    codes=["customer_xor_customer_email", "customer_update_requires_customer"],
    triggers=["customer", "customer_update"],
)
def customer(session: Session, out: Report) -> None:
    """customer excludes customer_email, and customer_update needs customer."""
    get = session.params.get
    if get("customer") is not None and get("customer_email") is not None:
        out.add(
            "customer_email",
            "customer_xor_customer_email",
            "You may only specify one of these parameters: customer, customer_email.",
        )
    if get("customer") is None and present(get("customer_update")):
        out.add(
            "customer_update",
            "customer_update_requires_customer",
            "customer_update can only be provided when customer is provided.",
        )


@rule(codes=["parameter_missing"], triggers=["automatic_tax", "invoice_creation"])
def liability_account(session: Session, out: Report) -> None:
    """A liability of type account names the account."""
    for path in (("automatic_tax", "liability"), ("invoice_creation", "invoice_data", "issuer")):
        value = dig(session.params, path)
        if (
            isinstance(value, dict)
            and value.get("type") == "account"
            and value.get("account") is None
        ):
            out.add(
                path[0] + "".join(f"[{key}]" for key in path[1:]) + "[account]",
                "parameter_missing",
                "account is required when type is account.",
            )
