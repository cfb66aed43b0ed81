"""Fixtures of the demo tests."""

from __future__ import annotations

from demo_support import demo

__all__ = ["demo"]
