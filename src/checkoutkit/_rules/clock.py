"""Rules against the clock: when the session expires, and the subscription's dates."""

from __future__ import annotations

import math
from decimal import Decimal

from checkoutkit._rules._common import Report, as_decimal, get_int
from checkoutkit._rules._registry import Session, rule

#: Seconds of headroom for clock rules: the session is created a little after it is validated,
#: and clocks drift, so lower bounds in the future (``expires_at`` at least 30 minutes ahead,
#: ``trial_end`` at least 48 hours ahead) must hold this much later than ``now``.
EXPIRES_AT_MARGIN = 60


@rule(codes=["expires_at_30min_to_24h"], triggers=["expires_at"])
def expires_at(session: Session, out: Report) -> None:
    """The session expires 30 minutes to 24 hours after it is created."""
    value = get_int(session.params.get("expires_at"))
    if value is None:
        return
    earliest = session.now + 30 * 60 + EXPIRES_AT_MARGIN
    if value < earliest:
        out.add(
            "expires_at",
            "expires_at_30min_to_24h",
            "expires_at must be at least 30 minutes after the session is created "
            f"(with {EXPIRES_AT_MARGIN} s of margin: at least {math.ceil(earliest)}).",
        )
    elif value > session.now + 24 * 60 * 60:
        out.add(
            "expires_at",
            "expires_at_30min_to_24h",
            "expires_at must be less than 24 hours from Checkout Session creation.",
        )


@rule(
    codes=["trial_end_min_48h", "billing_cycle_anchor_future", "application_fee_percent_range"],
    triggers=["subscription_data"],
)
def subscription_data(session: Session, out: Report) -> None:
    """A trial ends 48 hours ahead or later, the anchor lies ahead, the fee has two decimals."""
    data = session.params.get("subscription_data")
    if not isinstance(data, dict) or not data:
        return
    trial_end = get_int(data.get("trial_end"))
    if trial_end is not None and trial_end < session.now + 48 * 3600 + EXPIRES_AT_MARGIN:
        out.add(
            "subscription_data[trial_end]",
            "trial_end_min_48h",
            "trial_end has to be at least 48 hours in the future.",
        )
    anchor = get_int(data.get("billing_cycle_anchor"))
    if anchor is not None and anchor <= session.now:
        out.add(
            "subscription_data[billing_cycle_anchor]",
            "billing_cycle_anchor_future",
            "billing_cycle_anchor must be in the future.",
        )
    fee_value = data.get("application_fee_percent")
    fee = None if isinstance(fee_value, bool) else as_decimal(fee_value, floats=True)
    if fee is not None and 0 <= fee <= 100 and fee != fee.quantize(Decimal("0.01")):
        out.add(
            "subscription_data[application_fee_percent]",
            "application_fee_percent_range",
            "application_fee_percent has at most two decimal places.",
        )
