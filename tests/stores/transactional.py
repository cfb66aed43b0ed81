"""The contract of transactional event stores: the work's writes commit with the record.

A test module subclasses :class:`TransactionalContract` and provides a ``tx_harness`` fixture
returning a :class:`TxHarness`: the store, how the work writes an effect through the
transaction's handle (an ORM row, a SQL insert), and how to count the effects committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from checkoutkit import ClaimLostError, ConfigurationError, EventStatus
from checkoutkit.stores import Claim, ClaimOutcome, TransactionalEventStore

from .contract import COMPLETED


class TxHarness:
    """A transactional store under test and the application table its work writes to."""

    def __init__(
        self,
        store: TransactionalEventStore,
        *,
        write_effect: Callable[[Any, str], None],
        effects: Callable[[], list[str]],
        advance: Callable[[float], None],
        short_lease: float = 0.3,
    ) -> None:
        self.store = store
        self.write_effect = write_effect
        self.effects = effects
        self.advance = advance
        self.short_lease = short_lease


def _claimed(claim: Claim) -> Claim:
    assert claim.outcome is ClaimOutcome.CLAIMED, claim
    return claim


class _Boom(Exception):
    pass


def _in_other_thread(call: Callable[[], Any]) -> Any:
    """Call from another thread: another connection, outside the open transaction."""
    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.append(call()))
    thread.start()
    thread.join(30)
    assert found, "the call from another thread did not return"
    return found[0]


class TransactionalContract:
    """The tests every :class:`~checkoutkit.stores.TransactionalEventStore` passes."""

    @pytest.fixture
    def tx_harness(self) -> TxHarness:
        raise NotImplementedError

    def test_is_transactional(self, tx_harness: TxHarness) -> None:
        """The store satisfies the runtime-checkable protocol."""
        assert isinstance(tx_harness.store, TransactionalEventStore)

    def test_commit_records_the_work_with_its_effect(self, tx_harness: TxHarness) -> None:
        """Leaving the block commits the effect and the succeeded record together."""
        store = tx_harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        with store.transaction(claim) as handle:
            tx_harness.write_effect(handle, "evt_1")
        assert tx_harness.effects() == ["evt_1"]
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
        assert store.claim("evt_1", type=COMPLETED, lease=30).outcome is ClaimOutcome.DONE

    def test_claim_is_committed_before_and_record_only_at_commit(
        self, tx_harness: TxHarness
    ) -> None:
        """Inside the block, others see the key in progress and no effect; after it, both."""
        store = tx_harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        with store.transaction(claim) as handle:
            tx_harness.write_effect(handle, "evt_1")
            seen = _in_other_thread(lambda: store.get("evt_1"))
            assert seen is not None
            assert seen.status is EventStatus.PROCESSING
            assert _in_other_thread(tx_harness.effects) == []
        assert _in_other_thread(tx_harness.effects) == ["evt_1"]

    def test_an_exception_rolls_back_the_effect_and_keeps_the_claim(
        self, tx_harness: TxHarness
    ) -> None:
        """A failing work leaves no effect and no record; the claim is then released."""
        store = tx_harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))

        def fail(handle: Any) -> None:
            tx_harness.write_effect(handle, "evt_1")
            raise _Boom

        with pytest.raises(_Boom), store.transaction(claim) as handle:
            fail(handle)
        assert tx_harness.effects() == []
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.PROCESSING
        assert store.release(claim, error="boom") is True
        again = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        with store.transaction(again) as handle:
            tx_harness.write_effect(handle, "evt_1")
        assert tx_harness.effects() == ["evt_1"]

    def test_a_claim_taken_over_rolls_back(self, tx_harness: TxHarness) -> None:
        """A worker whose lease was taken over meanwhile commits nothing: ClaimLostError."""
        store = tx_harness.store
        stale = _claimed(store.claim("evt_1", type=COMPLETED, lease=tx_harness.short_lease))
        tx_harness.advance(tx_harness.short_lease * 2)
        fresh = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        with pytest.raises(ClaimLostError), store.transaction(stale) as handle:
            tx_harness.write_effect(handle, "evt_1")
        assert tx_harness.effects() == []
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.PROCESSING
        with store.transaction(fresh) as handle:
            tx_harness.write_effect(handle, "evt_1")
        assert tx_harness.effects() == ["evt_1"]

    def test_a_finished_claim_cannot_open_a_transaction_that_commits(
        self, tx_harness: TxHarness
    ) -> None:
        """A claim already completed records nothing twice: ClaimLostError, no second effect."""
        store = tx_harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        with store.transaction(claim) as handle:
            tx_harness.write_effect(handle, "evt_1")
        with pytest.raises(ClaimLostError), store.transaction(claim) as handle:
            tx_harness.write_effect(handle, "evt_1")
        assert tx_harness.effects() == ["evt_1"]

    def test_a_claim_not_held_is_refused(self, tx_harness: TxHarness) -> None:
        """Only a CLAIMED claim (with a token) opens a transaction."""
        store = tx_harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        store.complete(claim)
        done = store.claim("evt_1", type=COMPLETED, lease=30)
        assert done.outcome is ClaimOutcome.DONE
        with pytest.raises(ConfigurationError), store.transaction(done):
            pass
