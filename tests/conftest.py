"""Load checkoutkit's pytest plugin when the package runs from the source tree (not installed)."""

from __future__ import annotations

from importlib.metadata import entry_points

_INSTALLED = any(ep.value == "checkoutkit.testing" for ep in entry_points(group="pytest11"))
pytest_plugins = [] if _INSTALLED else ["checkoutkit.testing"]
