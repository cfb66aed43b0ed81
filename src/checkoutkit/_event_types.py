"""The event types and API version of the installed stripe SDK: what handlers are checked on."""

from __future__ import annotations

import fnmatch

from checkoutkit.exceptions import UnknownEventTypeError

__all__ = ["checked_pattern", "known_event_types", "pinned_api_version"]


def checked_pattern(event_type: object) -> str:
    """``event_type`` if Stripe sends it (or a wildcard matching one), else raise.

    Raises :class:`~checkoutkit.UnknownEventTypeError`, suggesting close names for a typo.
    """
    if not isinstance(event_type, str) or not event_type:
        raise UnknownEventTypeError(f"an event type must be a non-empty str, not {event_type!r}")
    if event_type == "*":
        return event_type
    known = known_event_types()
    if event_type in known:
        return event_type
    if any(ch in event_type for ch in "*?["):
        if any(fnmatch.fnmatchcase(t, event_type) for t in known):
            return event_type
        raise UnknownEventTypeError(
            f"the pattern {event_type!r} matches none of the event types Stripe sends"
        )
    import difflib

    close = difflib.get_close_matches(event_type, sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownEventTypeError(
        f"{event_type!r} is not an event type Stripe sends (per stripe SDK "
        f"{_stripe_version()}){hint}"
    )


_known_types: frozenset[str] | None = None


def known_event_types() -> frozenset[str]:
    """The event types the installed stripe SDK knows (read from its ``Event.type``)."""
    global _known_types  # noqa: PLW0603 (computed once, never changes)
    if _known_types is None:
        import typing

        import stripe

        types = typing.get_args(stripe.Event.__annotations__["type"])
        _known_types = frozenset(t for t in types if isinstance(t, str))
    return _known_types


def _stripe_version() -> str:
    import stripe

    return str(getattr(stripe, "VERSION", "?"))


def pinned_api_version() -> str:
    """The API version the installed stripe SDK is pinned to."""
    # The SDK exposes its pinned version only privately: ``stripe.api_version`` starts equal to
    # it but is a setting that applications may change. This is checkoutkit's one use of it.
    from stripe._api_version import _ApiVersion

    return str(_ApiVersion.CURRENT)
