"""How many examples the property tests try.

Every supported Python runs every property test. The newest runs them with their full number
of examples; the older ones (where the ``tests`` session sets ``CHECKOUTKIT_EXAMPLES_SCALE``)
with a fraction, so that CI stays within its time budget: what differs between Python versions
shows on the first examples, and the long searches need only one interpreter.
"""

from __future__ import annotations

import os

SCALE = float(os.environ.get("CHECKOUTKIT_EXAMPLES_SCALE", "1"))
MINIMUM = 10


def examples(full: int) -> int:
    """The number of examples to try for a test that tries ``full`` at full scale."""
    return max(MINIMUM, round(full * SCALE)) if SCALE < 1 else full
