"""Reading a request's parts for the endpoints: headers whatever their case, Accept, the form.

Public through :mod:`checkoutkit.adapters.endpoints`, which re-exports each name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import parse_qsl

__all__ = ["Headers", "header", "read_form", "wants_json"]


class Headers(Mapping[str, str]):
    """Request headers as a read-only mapping whose lookups ignore the case of the name.

    For an adapter whose framework's header object is not a ``Mapping`` (werkzeug's iterates
    over pairs): ``Headers(request.headers.items())``. Names are kept in lower case; of a name
    given twice, the last value is kept.
    """

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        self._values = {name.lower(): value for name, value in items}

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({self._values!r})"


def header(headers: Mapping[str, str], name: str) -> str:
    """The request header ``name`` (given in lower case), whatever the mapping's case."""
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == name:
                return candidate or ""
        return ""
    return value


def wants_json(accept: str) -> bool:
    """True when the Accept header prefers ``application/json`` to an HTML page."""
    json_q = html_q = 0.0
    for item in accept.split(","):
        media, *options = (part.strip() for part in item.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media == "application/json":
            json_q = max(json_q, quality)
        elif media in ("text/html", "text/*"):
            html_q = max(html_q, quality)
    return json_q > html_q


def read_form(body: bytes, content_type: str) -> dict[str, str]:
    """The fields of a form-encoded or JSON object body (empty for anything else).

    Raises ``ValueError`` for a body that claims to be JSON or a form but is not.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body.strip():
        return {}
    if kind == "application/x-www-form-urlencoded":
        text = body.decode("utf-8")
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    if kind == "application/json":
        try:
            data = json.loads(body)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return {}
