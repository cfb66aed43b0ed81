"""The adapters' conformance suite again, for the Django adapter over a DjangoStore.

Every test of ``test_conformance`` is collected here a second time, with the ``shop`` built on a
:class:`~checkoutkit.stores.django.DjangoStore` in a SQLite file whose database has
``ATOMIC_REQUESTS`` (the adapter's views opt out of it, so claims commit on their own).
"""

from __future__ import annotations

from typing import Any

import pytest
import test_conformance
from adapter_harness import Shop, make_shop

from django_project import EVENTS, configure_django, empty, migrated

globals().update(
    {name: test for name, test in vars(test_conformance).items() if name.startswith("test_")}
)


@pytest.fixture
def framework() -> str:
    return "django"


@pytest.fixture
def shop(sandbox: Any, request: pytest.FixtureRequest) -> Shop:
    """The Django shop with a DjangoStore, from an empty events table."""
    configure_django()
    from checkoutkit.stores.django import DjangoStore

    empty(migrated(EVENTS))
    return make_shop("django", sandbox, request, store=DjangoStore(using=EVENTS))
