"""A small Django shop whose fulfilment writes an ``Order`` row in the store's transaction.

Used in-process by the store tests (its app, ``stores.django_shop``, is installed by
``django_project.configure_django``) and served as a real application by tests that need
worker processes. With ``tests/`` on ``PYTHONPATH`` (pytest puts it on ``sys.path``)::

    DJANGO_SETTINGS_MODULE=stores.django_shop.settings \\
    SHOP_DATABASE_URL=postgresql://checkoutkit@127.0.0.1:5432/shop \\
    SHOP_URL=http://127.0.0.1:8000 STRIPE_API_BASE=... STRIPE_API_KEY=... \\
    STRIPE_WEBHOOK_SECRET=whsec_... \\
    python -m django migrate --skip-checks   # once: the events and orders tables
    gunicorn --workers 4 stores.django_shop.wsgi:application

The settings module reads ``SHOP_DATABASE_URL`` (``postgresql://user[:password]@host:port/name``
or ``sqlite:////absolute/path``, the database gets ``ATOMIC_REQUESTS`` so the adapter's
non-atomic views are exercised), ``SHOP_CONN_MAX_AGE`` (seconds, default 60) and ``SHOP_URL``;
the Checkout (:func:`~stores.django_shop.shop.make_checkout`) reads the usual ``STRIPE_*``
variables, ``SHOP_LEASE`` (seconds, default 60) and ``SHOP_TRANSACTIONAL`` (``0``: the same
shop over a store that hides ``transaction()``, for the "at least once" comparison).

Fault points: when ``CK_FAULT_PLAN`` is set (see ``faults.faultpoints``), the fulfil callback
passes ``callback:start`` (before its write), ``callback:commit`` (after the ``Order`` row is
written, before anything commits it) and ``callback:end`` (once the row is committed). Every
paid session must end as exactly one row of ``django_shop_order``: the table has no unique
constraint, so a second fulfilment shows as a second row.
"""
