"""Where store names live: ``checkoutkit.stores`` for store authors, ``checkoutkit`` for apps."""

from __future__ import annotations

import importlib

import pytest

import checkoutkit
import checkoutkit.stores
from checkoutkit.stores.memory import MemoryStore
from checkoutkit.stores.sqlite import SqliteStore

MOVED = ["AsyncEventStore", "Claim", "ClaimOutcome", "EventRecord", "EventStore"]


def test_store_author_names_are_public_in_stores() -> None:
    """The protocol and its parts are exported by ``checkoutkit.stores``."""
    assert set(checkoutkit.stores.__all__) == {
        *MOVED,
        "AsyncTransactionalEventStore",
        "TransactionalEventStore",
        "EventStatus",
        "check_claim_args",
        "new_token",
        "open_store",
    }
    for name in checkoutkit.stores.__all__:
        assert getattr(checkoutkit.stores, name) is not None


def test_applications_keep_their_names() -> None:
    """``MemoryStore``, ``SqliteStore`` and ``EventStatus`` stay in ``checkoutkit``, unwarned."""
    assert checkoutkit.MemoryStore is MemoryStore
    assert checkoutkit.SqliteStore is SqliteStore
    assert checkoutkit.EventStatus is checkoutkit.stores.EventStatus
    assert {"MemoryStore", "SqliteStore", "EventStatus"} <= set(checkoutkit.__all__)


@pytest.mark.parametrize("name", MOVED)
def test_moved_names_are_deprecated_aliases(name: str) -> None:
    """The old ``checkoutkit.<name>`` still works for one release, warning with the new path."""
    assert name not in checkoutkit.__all__
    with pytest.warns(DeprecationWarning, match=rf"checkoutkit\.stores\.{name}\b"):
        old = getattr(checkoutkit, name)
    assert old is getattr(checkoutkit.stores, name)


def test_from_import_of_a_moved_name_warns() -> None:
    """``from checkoutkit import Claim`` goes through the same warning."""
    with pytest.warns(DeprecationWarning, match=r"checkoutkit\.stores\.Claim"):
        exec("from checkoutkit import Claim", {})  # noqa: S102 (a fixed import statement)


@pytest.mark.parametrize(
    "module", ["checkoutkit._store", "checkoutkit._memory_store", "checkoutkit._sqlite_store"]
)
def test_old_private_modules_are_gone(module: str) -> None:
    """The private module paths were never public and are not kept."""
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(module)
