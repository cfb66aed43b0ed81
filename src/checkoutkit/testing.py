"""Helpers for testing applications built on checkoutkit (also a pytest plugin)."""

from __future__ import annotations
