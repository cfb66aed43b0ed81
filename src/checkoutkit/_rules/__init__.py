"""Offline validation of Checkout Session create parameters.

:func:`validate_session_params` reports every reason Stripe would reject a
``POST /v1/checkout/sessions`` request that can be known without the network, each as a
:class:`~checkoutkit.Problem` whose ``code`` is the rule id of docs/rules.md. Two passes run:

1. the *shape* walk (:mod:`._shape`) checks each value against the spec compiled from the
   installed stripe SDK's typed params (:mod:`._spec`): unknown keys, types, enum values,
   required keys, lengths, list sizes and numeric bounds;
2. the *rules* (:mod:`._registry`) check what involves more than one parameter. Each rule is one
   function in a topic module (:mod:`.modes`, :mod:`.line_items`, :mod:`.pages`,
   :mod:`.customer`, :mod:`.clock`, :mod:`.fields`), registered with the rule ids it reports and
   the top-level keys that trigger it.

Both passes only read the input. Input of any shape yields problems, never an exception.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

from checkoutkit._problems import Problem
from checkoutkit._rules import clock, customer, fields, line_items, modes, pages
from checkoutkit._rules._common import MAX_CONTAINER, Report
from checkoutkit._rules._registry import Rule, RuleBook, Session, registered
from checkoutkit._rules._shape import check_session_shape
from checkoutkit._rules._spec import REQUEST_OPTION_KEYS, Kind, Spec, session_create_spec
from checkoutkit._rules.clock import EXPIRES_AT_MARGIN
from checkoutkit._rules.pages import is_web_url
from checkoutkit.exceptions import ConfigurationError

__all__ = [
    "EXPIRES_AT_MARGIN",
    "MAX_CONTAINER",
    "REQUEST_OPTION_KEYS",
    "TOPICS",
    "Kind",
    "Rule",
    "RuleBook",
    "Spec",
    "is_web_url",
    "registered",
    "session_create_spec",
    "validate_session_params",
]

#: The topic modules, in the order their rules run (importing one registers its rules).
TOPICS = (modes, line_items, pages, customer, clock, fields)
_RULES = registered(topic.__name__ for topic in TOPICS)


def validate_session_params(
    params: object, *, now: datetime | float | int | None = None
) -> tuple[Problem, ...]:
    """Every problem Stripe would reject ``params`` for, as far as can be known offline.

    ``params`` is a Checkout Session create request in the form the stripe SDK takes
    (``stripe.params.checkout.SessionCreateParams``). Each :class:`~checkoutkit.Problem` names
    the parameter in Stripe's bracket form (``line_items[0][quantity]``) and the rule id (see
    the rules page of the docs). An empty tuple means no problem was found.

    ``now`` (a datetime, naive meaning UTC, or a Unix timestamp; default: the current time) is
    the clock for ``expires_at`` and ``subscription_data.trial_end``, which must lie far enough
    ahead of it (see :data:`EXPIRES_AT_MARGIN`).

    Input of any shape yields problems, never an exception; a bad ``now`` raises
    :class:`~checkoutkit.ConfigurationError`.
    """
    timestamp = _to_timestamp(now)
    out = Report()
    if not isinstance(params, dict):
        out.add(
            "",
            "invalid_type",
            f"Checkout Session parameters must be a dict, not {type(params).__name__}.",
        )
        return tuple(out.problems)
    try:
        check_session_shape(params, out)
        if len(params) <= MAX_CONTAINER:
            _RULES.run(Session.of(params, timestamp), out)
    except Exception as exc:
        out.add("", "invalid_type", f"The parameters could not be read ({type(exc).__name__}).")
    return tuple(out.problems)


def _to_timestamp(now: datetime | float | int | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None:  # naive datetimes are taken as UTC, as Stripe's clock is
            now = now.replace(tzinfo=timezone.utc)
        return now.timestamp()
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        try:
            timestamp = float(now)
        except OverflowError:
            timestamp = math.inf
        if math.isfinite(timestamp):
            return timestamp
    raise ConfigurationError(f"now must be a datetime or a Unix timestamp, not {now!r}")
