"""Event stores for servers, each behind its own extra.

- :mod:`checkoutkit.stores.postgres`: ``PostgresStore`` and ``AsyncPostgresStore``
  (``pip install 'checkoutkit[postgres]'``).
- :mod:`checkoutkit.stores.redis`: ``RedisStore`` and ``AsyncRedisStore``
  (``pip install 'checkoutkit[redis]'``).

The embedded stores, :class:`~checkoutkit.MemoryStore` and :class:`~checkoutkit.SqliteStore`,
are in the top-level package.
"""
