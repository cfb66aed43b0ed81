"""MemoryStore passes the store contract."""

from __future__ import annotations

import pytest

from checkoutkit import MemoryStore
from checkoutkit.stores import ClaimOutcome

from .contract import FakeClock, Harness, StoreContract, check_against_model


class TestMemoryStore(StoreContract):
    """The contract, with a fake clock; a restart is simulated by keeping the same object."""

    @pytest.fixture
    def harness(self) -> Harness:
        clock = FakeClock()
        store = MemoryStore(clock=clock)
        # Memory does not outlive the process: "reopening" keeps the same object.
        return Harness(store, reopen=lambda: store, clock=clock)


def test_clear_forgets_everything() -> None:
    """``clear`` empties the store so a key can be claimed afresh."""
    store = MemoryStore()
    claim = store.claim("evt_1", type="checkout.session.completed")
    assert store.complete(claim)
    store.clear()
    assert store.records() == []
    assert store.claim("evt_1", type="checkout.session.completed").outcome is ClaimOutcome.CLAIMED


def test_random_operations_match_the_model() -> None:
    """Random claim/complete/release/clock sequences agree with the reference model."""
    check_against_model(lambda clock: MemoryStore(clock=clock))
