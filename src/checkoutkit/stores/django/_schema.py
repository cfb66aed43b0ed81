"""Limits of the event table that the store checks before writing."""

from __future__ import annotations

MAX_KEY_LENGTH = 255
"""The longest key (and event type) the table holds."""
