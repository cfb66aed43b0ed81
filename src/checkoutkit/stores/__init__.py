"""Event stores for servers, each behind its own extra.

- :mod:`checkoutkit.stores.postgres`: ``PostgresStore`` and ``AsyncPostgresStore``
  (``pip install 'checkoutkit[postgres]'``).
- :mod:`checkoutkit.stores.redis`: ``RedisStore`` and ``AsyncRedisStore``
  (``pip install 'checkoutkit[redis]'``).

The embedded stores, :class:`~checkoutkit.MemoryStore` and :class:`~checkoutkit.SqliteStore`,
are in the top-level package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checkoutkit._store import EventStore

__all__ = ["open_store"]

_SCHEMES = "sqlite:///path, postgresql://…, postgres://…, redis://…, rediss://…, unix://…"


def open_store(url: str) -> EventStore:
    """Open the synchronous event store a URL names.

    ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
    (:class:`~checkoutkit.SqliteStore`), ``postgresql://…`` or ``postgres://…``
    (:class:`~checkoutkit.stores.postgres.PostgresStore`, default table), ``redis://…``,
    ``rediss://…`` or ``unix://…`` (:class:`~checkoutkit.stores.redis.RedisStore`, default prefix).
    Nothing is connected yet: the first call does. Raises
    :class:`~checkoutkit.ConfigurationError` for any other URL, and
    :class:`~checkoutkit.MissingDependencyError` when the driver is not installed.
    """
    from checkoutkit.exceptions import ConfigurationError

    if not isinstance(url, str):
        raise ConfigurationError("a store URL must be a string")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme == "sqlite":
        if not rest.startswith("/") or len(rest) < 2:
            raise ConfigurationError(
                f"a SQLite store URL is sqlite:///relative.db or sqlite:////absolute.db: {url!r}"
            )
        from checkoutkit._sqlite_store import SqliteStore

        return SqliteStore(rest[1:])
    if sep and scheme in {"postgresql", "postgres"}:
        from checkoutkit.stores.postgres import PostgresStore

        return PostgresStore(url)
    if sep and scheme in {"redis", "rediss", "unix"}:
        from checkoutkit.stores.redis import RedisStore

        return RedisStore(url)
    raise ConfigurationError(f"unknown store URL {url!r}; use one of {_SCHEMES}")
