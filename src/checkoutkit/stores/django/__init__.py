"""The event store in a Django project's own database, and its admin.

``pip install 'checkoutkit[django]'``, add the app and create its table::

    INSTALLED_APPS = [..., "checkoutkit.stores.django"]
    # then: python manage.py migrate

and give the router and :class:`~checkoutkit.Checkout` a :class:`DjangoStore`
(``DjangoStore(using="default")``). Fulfilment then runs inside ``transaction.atomic()`` on that
database and the event is recorded in the same transaction: the callback's ORM writes and the
"done" record commit together, or not at all. The admin lists the events (read-only) and
requeues failed ones with its "Replay" action.
"""

from __future__ import annotations

from checkoutkit.exceptions import MissingDependencyError

try:
    import django  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise MissingDependencyError(
        "checkoutkit.stores.django needs Django: pip install 'checkoutkit[django]'"
    ) from exc

from checkoutkit.stores.django._store import DjangoStore

__all__ = ["DjangoStore"]
