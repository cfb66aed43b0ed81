"""The state of a :class:`~checkoutkit.SessionBuilder`, and the values it keeps.

The builder only assembles parameters in the form the stripe SDK takes; every check is made by
:func:`checkoutkit.validate_session_params` when :meth:`SessionBuilder.build` or
:meth:`SessionBuilder.problems` runs. Methods never raise on bad values: whatever they are given
is kept and reported, with every other problem, at build time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from itertools import islice
from typing import Any, Final

import attrs
from typing_extensions import Self

from checkoutkit._problems import Problem
from checkoutkit._rules import MAX_CONTAINER

__all__ = ["SESSION_ID_TEMPLATE", "BuilderState", "State", "url_with_session_id"]

SESSION_ID_TEMPLATE: Final = "{CHECKOUT_SESSION_ID}"

# Values that are immutable, so built params may share them with the builder.
_LEAVES: Final = frozenset({str, int, bool, float, type(None), Decimal})
# Deeper than any Stripe parameter nests; below it, values are handed on as they are.
_MAX_COPY_DEPTH: Final = 32


def _copy(value: Any, depth: int = 0) -> Any:
    """Copy JSON-like ``value`` (dicts, lists, tuples) so that no container is shared."""
    kind = type(value)
    if kind is dict:
        return _copy_dict(value, depth)
    if kind in _LEAVES or depth > _MAX_COPY_DEPTH:
        return value
    if kind is list:
        return _copy_list(value, depth)
    if kind is tuple:
        return tuple(_copy(item, depth + 1) for item in value)
    if isinstance(value, Mapping):
        try:
            return {key: _copy(item, depth + 1) for key, item in value.items()}
        except Exception:  # a broken mapping is handed on for validation to report
            return value
    return value


def _copy_dict(value: dict[Any, Any], depth: int) -> dict[Any, Any]:
    """:func:`_copy` of a dict: the params and most values in them are dicts."""
    if depth > _MAX_COPY_DEPTH:
        return value
    out = value.copy()
    for key, item in value.items():
        kind = type(item)
        if kind is dict:
            out[key] = _copy_dict(item, depth + 1)
        elif kind not in _LEAVES:
            out[key] = _copy(item, depth + 1)
    return out


def _copy_list(value: list[Any], depth: int) -> list[Any]:
    """:func:`_copy` of a list (below the depth limit): lists of dicts or of strings."""
    depth += 1
    return [
        _copy_dict(item, depth)
        if type(item) is dict
        else item
        if type(item) in _LEAVES
        else _copy(item, depth)
        for item in value
    ]


# The line items are a persistent list, so that adding one copies nothing: ``()`` is the empty
# list, ``(previous, item, count)`` the list ``previous`` followed by ``item``, ``count`` items
# long. Builders derived from one base share its items; no builder changes an item it holds.
_Items = tuple[Any, ...]


def _items_of(values: Iterable[Any]) -> _Items:
    items: _Items = ()
    for count, item in enumerate(values, 1):
        items = (items, item, count)
    return items


def _listed(items: _Items) -> list[Any]:
    """The items of ``items``, in the order they were added."""
    out = []
    while items:
        items, item, _ = items
        out.append(item)
    out.reverse()
    return out


def _count(items: _Items | None) -> int:
    return items[2] if items else 0


def _metadata_value(value: object) -> object:
    """Metadata values are strings: numbers and booleans become their string form."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return value


def _metadata(values: object) -> object:
    """``values`` as a metadata dict; anything that is not a mapping is kept for validation."""
    if isinstance(values, Mapping):
        try:
            return {key: _metadata_value(value) for key, value in values.items()}
        except Exception:  # a broken mapping is handed on for validation to report
            return values
    return _copy(values)


def _list(values: object) -> object:
    """An iterable (not a string or mapping) as a list; anything else is kept for validation."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        return values
    try:
        # One more than the validator looks into, so an endless iterator still ends.
        return [_copy(value) for value in islice(values, MAX_CONTAINER + 1)]
    except Exception:  # a broken iterable is handed on for validation to report
        return values


def _currency(code: object) -> object:
    """Currency codes are sent in lowercase."""
    return code.lower() if isinstance(code, str) else code


def _datetime_timestamp(when: datetime) -> float | None:
    """Unix time of ``when`` (naive means UTC), or None if its time zone cannot say."""
    try:
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp()
    except Exception:  # a broken tzinfo is reported, not raised
        return None


def _timestamp(when: object) -> object:
    """A datetime as a Unix timestamp (naive datetimes are UTC); other values are kept."""
    if isinstance(when, datetime):
        timestamp = _datetime_timestamp(when)
        return when if timestamp is None else int(timestamp)
    return when


def _now_timestamp(now: object) -> float | None:
    """``now`` (datetime, Unix time or None for the current time) as Unix time, or None if bad."""
    if now is None:
        return datetime.now(timezone.utc).timestamp()
    if isinstance(now, datetime):
        return _datetime_timestamp(now)
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        try:
            timestamp = float(now)
        except OverflowError:
            return None
        return timestamp if math.isfinite(timestamp) else None
    return None


def url_with_session_id(url: str) -> str:
    """Return ``url`` with ``session_id={CHECKOUT_SESSION_ID}`` added to its query string.

    Stripe replaces the template with the session's id when it redirects. The braces are kept
    as they are (Stripe looks for them literally); a URL that already has the template is
    returned unchanged, and so is anything that is not a string (validation reports it).
    """
    if not isinstance(url, str) or SESSION_ID_TEMPLATE in url:
        return url
    base, hash_sign, fragment = url.partition("#")
    if "?" not in base:
        joiner = "?"
    elif base.endswith(("?", "&")):
        joiner = ""
    else:
        joiner = "&"
    return f"{base}{joiner}session_id={SESSION_ID_TEMPLATE}{hash_sign}{fragment}"


def _drop_none(values: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


def _adjustable_quantity(value: object) -> object:
    """``True``/``False`` as ``{"enabled": ...}``; a mapping is copied; anything else is kept."""
    if isinstance(value, bool):
        return {"enabled": value}
    return _copy(value)


#: The builder's state as one tuple, so that a new builder is one small object:
#: ``(fields, items, expires_in, pending)``, where
#:
#: - ``fields``: the top-level params other than line_items (a dict never changed after creation);
#: - ``items``: None (no line_items key) or the line items (see ``_Items``), each a dict owned
#:   by the builder;
#: - ``expires_in``: the timedelta given to ``expires_in``, resolved at build time, or None;
#: - ``pending``: problems found while assembling (amounts that cannot be converted).
State = tuple[dict[str, Any], _Items | None, object, tuple[Problem, ...]]

_EMPTY: Final[State] = ({}, None, None, ())


@attrs.frozen(eq=False)
class BuilderState:
    """The builder's state, set once, and the internal constructors of new builders.

    ``BuilderState()`` is an empty builder (no ``mode`` yet); its argument is the builder's own
    state (see ``State``), not part of the API.
    """

    __slots__ = ()  # attrs adds the field's slot

    _state: State = attrs.field(default=_EMPTY, alias="_state")

    def __repr__(self) -> str:
        fields, items, expires_in, _ = self._state
        params = dict(fields)
        if items is not None:
            params["line_items"] = _listed(items)
        extra = f", expires_in={expires_in!r}" if expires_in is not None else ""
        return f"SessionBuilder({params!r}{extra})"

    # -- internal constructors ---------------------------------------------------------------

    def _with(self, key: str, value: object) -> Self:
        """A builder with top-level ``key`` set to ``value`` (removed when ``value`` is None)."""
        if key == "line_items":
            return self._with_line_items(value)
        fields, items, expires_in, pending = self._state
        fields = _without(fields, key) if value is None else {**fields, key: value}
        if key == "expires_at":
            expires_in = None
        return type(self)((fields, items, expires_in, pending))

    def _with_pending(self, pending: tuple[Problem, ...]) -> Self:
        """A builder like this one whose pending problems are ``pending``."""
        fields, items, expires_in, _ = self._state
        return type(self)((fields, items, expires_in, pending))

    def _with_expires_in(self, delay: object) -> Self:
        """A builder without expires_at, whose expiry is ``delay`` after the time of building."""
        fields, items, _, pending = self._state
        return type(self)((_without(fields, "expires_at"), items, delay, pending))

    def _merge(self, key: str, values: Mapping[str, object]) -> Self:
        """A builder whose sub-object ``key`` has ``values`` (None values skipped) merged in."""
        given = _drop_none(values)
        current = self._state[0].get(key)
        return self._with(key, {**current, **given} if type(current) is dict else given)

    def _append(self, key: str, value: object) -> Self:
        """A builder with ``value`` appended to the top-level list ``key``."""
        current = self._state[0].get(key)
        return self._with(key, [*current, value] if type(current) is list else [value])

    def _pending_without(self, key: str) -> tuple[Problem, ...]:
        """The pending problems, less those about the list ``key`` (which is being replaced)."""
        prefix = key + "["
        return tuple(p for p in self._state[3] if not p.param.startswith(prefix))

    def _with_line_items(self, value: object) -> Self:
        fields, _, expires_in, _ = self._state
        fields = _without(fields, "line_items")
        pending = self._pending_without("line_items")
        if value is None:
            return type(self)((fields, None, expires_in, pending))
        copied = _copy(value)
        if type(copied) is list:
            return type(self)((fields, _items_of(copied), expires_in, pending))
        # Not a list: kept as given for validation to report.
        fields["line_items"] = copied
        return type(self)((fields, None, expires_in, pending))

    def _add_item(self, item: dict[str, Any], new: tuple[Problem, ...] = ()) -> Self:
        """A builder with the line item ``item`` (a dict no one else holds) added."""
        fields, items, expires_in, pending = self._state
        if "line_items" in fields:
            fields = _without(fields, "line_items")  # the new list replaces a non-list value
        count = items[2] + 1 if items else 1
        return type(self)(
            (fields, (items or (), item, count), expires_in, (*pending, *new) if new else pending)
        )


def _without(fields: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if name != key}
