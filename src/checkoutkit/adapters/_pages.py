"""The pages the endpoints show when the application gives none: success, cancel, trouble.

Each one puts its heading first, says where the order stands in plain words and leads somewhere:
back to the payment page while it can still be paid, back to the shop otherwise. They share the
look of the hosted payment page (:mod:`checkoutkit._look`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checkoutkit._look import STATE_LABELS, OrderState, order_state, order_summary, result_page

if TYPE_CHECKING:
    from checkoutkit._checkout import FulfilOutcome
    from checkoutkit._events import CheckoutSession

#: Where "Back to the shop" leads from pages that do not know the shop's own address.
SHOP_HOME = "/"

#: What the default success page says, by state: (heading, message).
_SUCCESS_WORDS = {
    OrderState.PAID: ("Thanks for your order!", "Your payment went through."),
    OrderState.PROCESSING: (
        "Payment processing",
        "Your order is placed and your payment is on its way; bank debits can take a few "
        "days. We will fulfil your order when it arrives.",
    ),
    OrderState.UNPAID: (
        "Your order is not paid yet",
        "We have not received a payment for this order, and nothing was charged. "
        "You can go back and pay.",
    ),
    OrderState.EXPIRED: (
        "This checkout has expired",
        "The order was not paid in time, and nothing was charged. You can start again.",
    ),
    OrderState.SAVED: ("Your payment details are saved", "Thank you: nothing was charged."),
    OrderState.UNKNOWN: ("Thanks for your order!", "We appreciate your business."),
}


def default_success_page(session: CheckoutSession | None, outcome: FulfilOutcome | None) -> str:
    """The success page used when the application gives none.

    The heading first, the state in plain words (paid, processing for a delayed method, not
    paid yet with a link back to the payment page, expired), then the order's total and email.
    """
    state = order_state(session, outcome)
    title, message = _SUCCESS_WORDS[state]
    if state is OrderState.PAID and session is not None and session.email:
        message += f" A confirmation goes to {session.email}."
    actions: list[tuple[str, str]] = []
    if state is OrderState.UNPAID and session is not None and session.url:
        actions.append(("Return to payment", session.url))
    actions.append(("Back to the shop", SHOP_HOME))
    return result_page(
        title,
        state=state.value,
        state_label=STATE_LABELS[state],
        message=message,
        summary=order_summary(session),
        actions=actions,
    )


def default_cancel_page() -> str:
    """The cancel page used when the application gives none."""
    return result_page(
        "Checkout canceled",
        state="canceled",
        state_label="Not paid",
        message="Your order was not placed and nothing was charged. You can try again any time.",
        actions=[("Back to the shop", SHOP_HOME)],
    )


def confirming_page(refresh: int) -> str:
    """Paid, but the order could not be confirmed yet: reloads itself after ``refresh`` s."""
    return result_page(
        "Payment received",
        state="paid",
        state_label="Paid",
        message="Thank you: your payment went through. We are confirming your order; "
        "this page reloads in a moment, or refresh it yourself.",
        head=f'<meta http-equiv=refresh content="{int(refresh)}">',
    )


def checkout_unavailable_page(back_url: str, *, reachable: bool) -> str:
    """Creating the session failed: Stripe out of reach (``reachable=False``) or refusing."""
    message = (
        "We could not reach our payment provider, so nothing was charged. "
        "Please try again in a few minutes."
        if not reachable
        else "Our payment provider could not start your checkout, so nothing was charged. "
        "Please try again later."
    )
    return result_page(
        "Checkout is unavailable right now",
        state="unavailable",
        state_label="Not charged",
        message=message,
        actions=[("Back to the shop", back_url)],
    )


def order_unconfirmed_page(retry_href: str) -> str:
    """The success page could not ask Stripe about the order: try again, or go back."""
    return result_page(
        "We could not confirm your order yet",
        state="unavailable",
        state_label="Not confirmed yet",
        message="Our payment provider did not answer. If you paid, your payment is safe and "
        "your order will be confirmed: try again in a moment.",
        actions=[("Try again", retry_href), ("Back to the shop", SHOP_HOME)],
    )
