"""Event stores: the protocol they implement, and every store checkoutkit ships.

Applications pick a store:

- :mod:`checkoutkit.stores.memory`: :class:`~checkoutkit.MemoryStore` (one process, for tests).
- :mod:`checkoutkit.stores.sqlite`: :class:`~checkoutkit.SqliteStore` (one machine).
- :mod:`checkoutkit.stores.postgres`: ``PostgresStore`` and ``AsyncPostgresStore``
  (``pip install 'checkoutkit[postgres]'``).
- :mod:`checkoutkit.stores.redis`: ``RedisStore`` and ``AsyncRedisStore``
  (``pip install 'checkoutkit[redis]'``).
- :mod:`checkoutkit.stores.sqlalchemy`: ``SqlAlchemyStore`` and ``AsyncSqlAlchemyStore``, in the
  application's own database, where the work commits together with its record
  (``pip install 'checkoutkit[sqlalchemy]'``).
- :mod:`checkoutkit.stores.django`: ``DjangoStore``, in a Django project's own database, with
  its admin; fulfilment commits in the same transaction as its record
  (``pip install 'checkoutkit[django]'``, ``INSTALLED_APPS += ["checkoutkit.stores.django"]``).

``MemoryStore`` and ``SqliteStore`` are also importable from :mod:`checkoutkit`.

Store authors implement :class:`EventStore` (or :class:`AsyncEventStore`) with the names defined
here: :class:`Claim`, :class:`ClaimOutcome`, :class:`EventRecord`, :class:`EventStatus`,
:func:`new_token` and :func:`check_claim_args`. A store that lives in the application's own
database also implements :class:`TransactionalEventStore` (or
:class:`AsyncTransactionalEventStore`): the work then runs in a transaction that records it.
"""

from __future__ import annotations

from checkoutkit.stores._protocol import (
    AsyncEventStore,
    AsyncTransactionalEventStore,
    Claim,
    ClaimOutcome,
    EventRecord,
    EventStatus,
    EventStore,
    TransactionalEventStore,
    check_claim_args,
    new_token,
)

__all__ = [
    "AsyncEventStore",
    "AsyncTransactionalEventStore",
    "Claim",
    "ClaimOutcome",
    "EventRecord",
    "EventStatus",
    "EventStore",
    "TransactionalEventStore",
    "check_claim_args",
    "new_token",
    "open_store",
]

_SCHEMES = (
    "sqlite:///path, postgresql://…, postgres://…, redis://…, rediss://…, unix://…,"
    " sqlalchemy+<SQLAlchemy URL>, django://alias"
)


def open_store(url: str) -> EventStore:
    """Open the synchronous event store a URL names.

    ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
    (:class:`~checkoutkit.SqliteStore`), ``postgresql://…`` or ``postgres://…``
    (:class:`~checkoutkit.stores.postgres.PostgresStore`, default table), ``redis://…``,
    ``rediss://…`` or ``unix://…`` (:class:`~checkoutkit.stores.redis.RedisStore`, default prefix),
    ``sqlalchemy+`` followed by a SQLAlchemy URL, e.g. ``sqlalchemy+postgresql+psycopg://…``
    (:class:`~checkoutkit.stores.sqlalchemy.SqlAlchemyStore`, default table), or
    ``django://default`` (:class:`~checkoutkit.stores.django.DjangoStore` on that database alias;
    Django is set up from ``DJANGO_SETTINGS_MODULE`` if it is not yet).
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
        from checkoutkit.stores.sqlite import SqliteStore

        return SqliteStore(rest[1:])
    if sep and scheme in {"postgresql", "postgres"}:
        from checkoutkit.stores.postgres import PostgresStore

        return PostgresStore(url)
    if sep and scheme.startswith("sqlalchemy+"):
        from checkoutkit.stores.sqlalchemy import SqlAlchemyStore

        return SqlAlchemyStore.from_url(url[len("sqlalchemy+") :])
    if sep and scheme in {"redis", "rediss", "unix"}:
        from checkoutkit.stores.redis import RedisStore

        return RedisStore(url)
    if sep and scheme == "django":
        if not rest or "/" in rest:
            raise ConfigurationError(f"a Django store URL is django://<database alias>: {url!r}")
        from checkoutkit.stores.django import DjangoStore

        return DjangoStore(using=rest)
    raise ConfigurationError(f"unknown store URL {url!r}; use one of {_SCHEMES}")
