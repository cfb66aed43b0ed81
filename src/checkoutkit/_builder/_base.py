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

__all__ = ["SESSION_ID_TEMPLATE", "BuilderState", "url_with_session_id"]

SESSION_ID_TEMPLATE: Final = "{CHECKOUT_SESSION_ID}"

# Values that are immutable, so built params may share them with the builder.
_LEAVES: Final = frozenset({str, int, bool, float, type(None), Decimal})
# Deeper than any Stripe parameter nests; below it, values are handed on as they are.
_MAX_COPY_DEPTH: Final = 32


def _copy(value: Any, depth: int = 0) -> Any:
    """Copy JSON-like ``value`` (dicts, lists, tuples) so that no container is shared."""
    kind = type(value)
    if kind in _LEAVES or depth > _MAX_COPY_DEPTH:
        return value
    if kind is dict:
        out = value.copy()
        for key, item in value.items():
            if type(item) not in _LEAVES:
                out[key] = _copy(item, depth + 1)
        return out
    if kind is list:
        return [item if type(item) in _LEAVES else _copy(item, depth + 1) for item in value]
    if kind is tuple:
        return tuple(_copy(item, depth + 1) for item in value)
    if isinstance(value, Mapping):
        try:
            return {key: _copy(item, depth + 1) for key, item in value.items()}
        except Exception:  # a broken mapping is handed on for validation to report
            return value
    return value


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


class _Keep:
    """Marks an argument of :meth:`SessionBuilder._replace` that keeps the current value."""


_KEEP: Final = _Keep()


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


@attrs.frozen(eq=False, kw_only=True)
class BuilderState:
    """The builder's state, set once, and the internal constructors of new builders.

    ``BuilderState()`` is an empty builder (no ``mode`` yet); its keyword arguments are the
    builder's own state, not part of the API.
    """

    __slots__ = ()  # attrs adds the fields' slots

    #: Top-level params other than line_items (a dict never changed after creation).
    _fields: dict[str, Any] = attrs.field(factory=dict, alias="_fields")
    #: None (no line_items key) or the line items (see ``_Items``), each a dict owned here.
    _items: _Items | None = attrs.field(default=None, alias="_items")
    #: The timedelta given to :meth:`expires_in`, resolved at build time, or None.
    _expires_in: object = attrs.field(default=None, alias="_expires_in")
    #: Problems found while assembling (amounts that cannot be converted).
    _pending: tuple[Problem, ...] = attrs.field(default=(), alias="_pending")

    def __repr__(self) -> str:
        params = dict(self._fields)
        if self._items is not None:
            params["line_items"] = _listed(self._items)
        extra = f", expires_in={self._expires_in!r}" if self._expires_in is not None else ""
        return f"SessionBuilder({params!r}{extra})"

    # -- internal constructors ---------------------------------------------------------------

    def _replace(
        self,
        *,
        fields: dict[str, Any] | _Keep = _KEEP,
        items: _Items | _Keep | None = _KEEP,
        expires_in: object = _KEEP,
        pending: tuple[Problem, ...] | _Keep = _KEEP,
    ) -> Self:
        """A builder like this one, with the given parts replaced."""
        return type(self)(
            _fields=self._fields if isinstance(fields, _Keep) else fields,
            _items=self._items if isinstance(items, _Keep) else items,
            _expires_in=self._expires_in if isinstance(expires_in, _Keep) else expires_in,
            _pending=self._pending if isinstance(pending, _Keep) else pending,
        )

    def _with(self, key: str, value: object) -> Self:
        """A builder with top-level ``key`` set to ``value`` (removed when ``value`` is None)."""
        if key == "line_items":
            return self._with_line_items(value)
        fields = self._without(key) if value is None else {**self._fields, key: value}
        if key == "expires_at":
            return self._replace(fields=fields, expires_in=None)
        return self._replace(fields=fields)

    def _without(self, key: str) -> dict[str, Any]:
        return {name: value for name, value in self._fields.items() if name != key}

    def _merge(self, key: str, values: Mapping[str, object]) -> Self:
        """A builder whose sub-object ``key`` has ``values`` (None values skipped) merged in."""
        given = _drop_none(values)
        current = self._fields.get(key)
        return self._with(key, {**current, **given} if type(current) is dict else given)

    def _append(self, key: str, value: object) -> Self:
        """A builder with ``value`` appended to the top-level list ``key``."""
        current = self._fields.get(key)
        return self._with(key, [*current, value] if type(current) is list else [value])

    def _pending_without(self, key: str) -> tuple[Problem, ...]:
        """The pending problems, less those about the list ``key`` (which is being replaced)."""
        prefix = key + "["
        return tuple(p for p in self._pending if not p.param.startswith(prefix))

    def _with_line_items(self, value: object) -> Self:
        fields = self._without("line_items")
        pending = self._pending_without("line_items")
        if value is None:
            return self._replace(fields=fields, items=None, pending=pending)
        copied = _copy(value)
        if type(copied) is list:
            return self._replace(fields=fields, items=_items_of(copied), pending=pending)
        # Not a list: kept as given for validation to report.
        fields["line_items"] = copied
        return self._replace(fields=fields, items=None, pending=pending)

    def _add_item(self, item: dict[str, Any], pending: tuple[Problem, ...] = ()) -> Self:
        """A builder with the line item ``item`` (a dict no one else holds) added."""
        items = self._items or ()
        fields = self._fields
        if "line_items" in fields:
            fields = self._without("line_items")  # the new list replaces a non-list value
        return self._replace(
            fields=fields,
            items=(items, item, _count(items) + 1),
            pending=(*self._pending, *pending) if pending else self._pending,
        )
