"""One problem with Checkout Session parameters."""

from __future__ import annotations

import attrs


@attrs.frozen
class Problem:
    """A reason Stripe would reject (or warn about) Checkout Session parameters.

    ``param`` is in Stripe's bracket form (``line_items[0][quantity]``), ``code`` is the rule id
    (``quantity_min_1``), and ``message`` says what is wrong in words a person understands.
    """

    param: str
    code: str
    message: str
