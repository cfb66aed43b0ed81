"""A local Stripe-compatible Checkout server for tests, demos and CI (``checkoutkit[sandbox]``).

The official stripe SDK talks to it unchanged; see :class:`Sandbox` and the "Testing and the
sandbox" page of the documentation.
"""

from __future__ import annotations

try:
    import werkzeug  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from checkoutkit.exceptions import MissingDependencyError

    raise MissingDependencyError(
        "checkoutkit.sandbox needs werkzeug: pip install 'checkoutkit[sandbox]'"
    ) from exc

from checkoutkit.sandbox._methods import FAILING_IBANS
from checkoutkit.sandbox._server import DEFAULT_API_KEY, Sandbox

__all__ = ["DEFAULT_API_KEY", "FAILING_IBANS", "Sandbox"]
