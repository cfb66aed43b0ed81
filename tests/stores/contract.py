"""The event store contract: every store implementation must pass these tests.

A test module subclasses :class:`StoreContract` and provides a ``harness`` fixture that returns a
:class:`Harness` for a fresh, empty store. Stores with an injectable clock advance a fake clock;
server stores use real short leases and sleep.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from budget import examples
from checkoutkit import ConfigurationError, EventStatus
from checkoutkit.stores import Claim, ClaimOutcome, EventRecord, EventStore

COMPLETED = "checkout.session.completed"
EXPIRED = "checkout.session.expired"
INVOICE = "invoice.paid"


class FakeClock:
    """A clock for stores that accept one: time moves only when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Harness:
    """A store under test, how to let time pass, and how to reopen it (a restart)."""

    def __init__(
        self,
        store: EventStore,
        *,
        reopen: Callable[[], EventStore],
        clock: FakeClock | None = None,
        short_lease: float = 0.3,
    ) -> None:
        self.store = store
        self._reopen = reopen
        self.clock = clock
        self.short_lease = short_lease

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: move the fake clock, or sleep for real."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def reopen(self) -> EventStore:
        """A new store object over the same data, as after a restart of the application."""
        self.store = self._reopen()
        return self.store


def _claimed(claim: Claim) -> Claim:
    assert claim.outcome is ClaimOutcome.CLAIMED, claim
    assert claim.token
    return claim


class StoreContract:
    """The tests every :class:`~checkoutkit.stores.EventStore` passes."""

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError

    @pytest.fixture
    def store(self, harness: Harness) -> EventStore:
        return harness.store

    def test_satisfies_the_protocol(self, store: EventStore) -> None:
        """The store is an ``EventStore`` by the runtime-checkable protocol."""
        assert isinstance(store, EventStore)

    def test_first_claim_takes_the_key(self, store: EventStore) -> None:
        """The first claim of a key gets a token, one attempt, and a processing record."""
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert claim.key == "evt_1"
        assert claim.attempts == 1
        record = store.get("evt_1")
        assert record is not None
        assert record.key == "evt_1"
        assert record.type == COMPLETED
        assert record.status is EventStatus.PROCESSING
        assert record.attempts == 1
        assert record.last_error is None
        assert record.lease_expires_at is not None
        assert record.lease_expires_at > record.updated_at >= record.created_at

    def test_unknown_key_has_no_record(self, store: EventStore) -> None:
        """``get`` of a key never claimed is None and ``records`` of an empty store is empty."""
        assert store.get("evt_missing") is None
        assert list(store.records()) == []

    def test_held_claim_makes_others_busy(self, store: EventStore) -> None:
        """While a claim's lease runs, other claims of the key are BUSY and get no token."""
        _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        other = store.claim("evt_1", type=COMPLETED, lease=30)
        assert other.outcome is ClaimOutcome.BUSY
        assert other.token is None
        record = store.get("evt_1")
        assert record is not None
        assert record.attempts == 1

    def test_complete_marks_succeeded_and_later_claims_are_done(self, store: EventStore) -> None:
        """A completed key is ``succeeded`` with no lease, and every later claim says DONE."""
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.complete(claim) is True
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
        assert record.lease_expires_at is None
        assert record.last_error is None
        for _ in range(3):
            again = store.claim("evt_1", type=COMPLETED, lease=30)
            assert again.outcome is ClaimOutcome.DONE
            assert again.token is None
            assert again.attempts == 1

    def test_complete_twice_is_refused(self, store: EventStore) -> None:
        """A claim completes once; completing or releasing it again returns False."""
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.complete(claim) is True
        assert store.complete(claim) is False
        assert store.release(claim, error="late") is False
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED

    def test_release_makes_the_key_pending_and_claimable(self, store: EventStore) -> None:
        """A released key is ``pending`` with the error, and the next claim takes it again."""
        first = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.release(first, error="RuntimeError: boom") is True
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.PENDING
        assert record.last_error == "RuntimeError: boom"
        assert record.lease_expires_at is None
        second = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert second.attempts == 2
        assert second.token != first.token
        assert store.complete(first) is False
        assert store.complete(second) is True
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED
        assert record.attempts == 2

    def test_attempts_count_every_claim_that_ran(self, store: EventStore) -> None:
        """Each successful claim adds one attempt; BUSY and DONE answers add none."""
        for n in range(1, 5):
            claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
            assert claim.attempts == n
            assert store.claim("evt_1", type=COMPLETED, lease=30).outcome is ClaimOutcome.BUSY
            assert store.release(claim, error=f"failure {n}") is True
        last = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.complete(last) is True
        done = store.claim("evt_1", type=COMPLETED, lease=30)
        assert done.outcome is ClaimOutcome.DONE
        assert done.attempts == 5
        record = store.get("evt_1")
        assert record is not None
        assert record.attempts == 5

    def test_permanent_failure_is_done_and_listed_as_failed(self, store: EventStore) -> None:
        """A permanent release marks the key ``failed``: never claimed again, listed as failed."""
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.release(claim, error="PermanentFailure: no such order", permanent=True)
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.FAILED
        assert record.last_error == "PermanentFailure: no such order"
        assert store.claim("evt_1", type=COMPLETED, lease=30).outcome is ClaimOutcome.DONE
        assert [r.key for r in store.records(status=EventStatus.FAILED)] == ["evt_1"]

    def test_requeue_moves_a_failed_key_back_to_pending(self, store: EventStore) -> None:
        """``requeue`` makes a permanently failed key pending, so that the next claim runs it."""
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30, payload=b"{}"))
        assert store.release(claim, error="PermanentFailure: no such order", permanent=True)
        assert store.requeue("evt_1") is True
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.PENDING
        assert record.payload == b"{}"
        assert store.requeue("evt_1") is False
        again = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert again.attempts == 2
        assert store.complete(again)

    def test_requeue_leaves_other_states_alone(self, store: EventStore) -> None:
        """``requeue`` refuses unknown, processing, pending and succeeded keys, changing nothing."""
        assert store.requeue("evt_unknown") is False
        assert store.get("evt_unknown") is None
        held = _claimed(store.claim("evt_held", type=COMPLETED, lease=30))
        assert store.requeue("evt_held") is False
        assert store.claim("evt_held", type=COMPLETED, lease=30).outcome is ClaimOutcome.BUSY
        assert store.release(held, error="boom")
        assert store.requeue("evt_held") is False
        done = _claimed(store.claim("evt_done", type=COMPLETED, lease=30))
        assert store.complete(done)
        assert store.requeue("evt_done") is False
        record = store.get("evt_done")
        assert record is not None
        assert record.status is EventStatus.SUCCEEDED

    def test_expired_lease_is_taken_over(self, harness: Harness) -> None:
        """After the lease expires another worker takes the key over, with a new token."""
        store = harness.store
        first = _claimed(store.claim("evt_1", type=COMPLETED, lease=harness.short_lease))
        harness.advance(harness.short_lease * 2)
        second = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert second.token != first.token
        assert second.attempts == 2
        assert store.claim("evt_1", type=COMPLETED, lease=30).outcome is ClaimOutcome.BUSY

    def test_stale_claim_cannot_finish(self, harness: Harness) -> None:
        """A worker whose lease was taken over can neither complete nor release the key."""
        store = harness.store
        stale = _claimed(store.claim("evt_1", type=COMPLETED, lease=harness.short_lease))
        harness.advance(harness.short_lease * 2)
        fresh = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.complete(stale) is False
        assert store.release(stale, error="late", permanent=True) is False
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.PROCESSING
        assert store.complete(fresh) is True
        assert store.complete(stale) is False

    def test_expired_claim_not_taken_over_may_still_complete(self, harness: Harness) -> None:
        """A lease that ran out while nobody else claimed the key still lets its holder finish."""
        store = harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=harness.short_lease))
        harness.advance(harness.short_lease * 2)
        assert store.complete(claim) is True
        assert store.claim("evt_1", type=COMPLETED, lease=30).outcome is ClaimOutcome.DONE

    def test_renew_extends_the_lease(self, harness: Harness) -> None:
        """A renewed claim is not taken over past its first lease, and may still complete."""
        store = harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=harness.short_lease))
        assert store.renew(claim, lease=30) is True
        record = store.get("evt_1")
        assert record is not None
        assert record.status is EventStatus.PROCESSING
        assert record.lease_expires_at is not None
        assert record.lease_expires_at >= record.updated_at + 29
        harness.advance(harness.short_lease * 2)
        other = store.claim("evt_1", type=COMPLETED, lease=30)
        assert other.outcome is ClaimOutcome.BUSY
        assert other.attempts == 1
        assert store.renew(claim, lease=30) is True  # again, as a slow handler keeps doing
        assert store.complete(claim) is True
        assert store.claim("evt_1", type=COMPLETED, lease=30).outcome is ClaimOutcome.DONE

    def test_renew_may_shorten_the_lease(self, harness: Harness) -> None:
        """``lease`` counts from the renewal: a shorter one lets another worker in sooner."""
        store = harness.store
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.renew(claim, lease=harness.short_lease) is True
        harness.advance(harness.short_lease * 2)
        taken = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert taken.attempts == 2
        assert store.renew(claim, lease=30) is False

    def test_renew_after_takeover_is_refused(self, harness: Harness) -> None:
        """A claim whose lease ran out and was taken over cannot renew, nor disturb the new one."""
        store = harness.store
        stale = _claimed(store.claim("evt_1", type=COMPLETED, lease=harness.short_lease))
        harness.advance(harness.short_lease * 2)
        fresh = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        before = store.get("evt_1")
        assert store.renew(stale, lease=300) is False
        assert store.get("evt_1") == before
        assert store.renew(fresh, lease=30) is True
        assert store.complete(stale) is False
        assert store.complete(fresh) is True

    def test_renew_of_a_finished_or_unheld_claim_is_refused(self, store: EventStore) -> None:
        """Completed, released, BUSY, forged and unknown claims renew nothing."""
        done = _claimed(store.claim("evt_done", type=COMPLETED, lease=30))
        assert store.complete(done)
        assert store.renew(done, lease=30) is False
        released = _claimed(store.claim("evt_released", type=COMPLETED, lease=30))
        assert store.release(released, error="boom")
        assert store.renew(released, lease=30) is False
        failed = _claimed(store.claim("evt_failed", type=COMPLETED, lease=30))
        assert store.release(failed, error="never", permanent=True)
        assert store.renew(failed, lease=30) is False
        held = _claimed(store.claim("evt_held", type=COMPLETED, lease=30))
        busy = store.claim("evt_held", type=COMPLETED, lease=30)
        assert store.renew(busy, lease=30) is False
        assert store.renew(Claim(ClaimOutcome.CLAIMED, "evt_held", "0" * 32, 1), lease=30) is False
        unknown = Claim(ClaimOutcome.CLAIMED, "evt_nobody", held.token, 1)
        assert store.renew(unknown, lease=30) is False
        assert store.get("evt_nobody") is None
        statuses = {r.key: r.status for r in store.records()}
        assert statuses == {
            "evt_done": EventStatus.SUCCEEDED,
            "evt_released": EventStatus.PENDING,
            "evt_failed": EventStatus.FAILED,
            "evt_held": EventStatus.PROCESSING,
        }
        assert store.claim("evt_done", type=COMPLETED).outcome is ClaimOutcome.DONE

    @pytest.mark.parametrize("lease", [0, -1, math.nan, math.inf, "60", True, None])
    def test_renew_with_a_bad_lease_is_refused(self, store: EventStore, lease: Any) -> None:
        """A lease that is not a positive finite number: ConfigurationError, nothing changes."""
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        before = store.get("evt_1")
        with pytest.raises(ConfigurationError):
            store.renew(claim, lease=lease)
        assert store.get("evt_1") == before
        assert store.complete(claim) is True

    def test_foreign_or_unheld_claims_are_refused(self, store: EventStore) -> None:
        """Claims that hold nothing (BUSY, DONE, forged token, unknown key) cannot finish a key."""
        held = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        busy = store.claim("evt_1", type=COMPLETED, lease=30)
        assert store.complete(busy) is False
        assert store.release(busy, error="x") is False
        forged = Claim(ClaimOutcome.CLAIMED, "evt_1", "0" * 32, 1)
        assert store.complete(forged) is False
        assert store.release(forged, error="x") is False
        unknown = Claim(ClaimOutcome.CLAIMED, "evt_nobody", held.token, 1)
        assert store.complete(unknown) is False
        assert store.get("evt_nobody") is None
        assert store.complete(held) is True
        done = store.claim("evt_1", type=COMPLETED, lease=30)
        assert store.complete(done) is False

    def test_keys_are_independent(self, store: EventStore) -> None:
        """Claims of different keys (event ids and fulfilment keys) do not interfere."""
        keys = ["evt_1", "evt_2", "fulfil:cs_test_a1", "fulfil:cs_test_a2", "evt_ünïcode ✓"]
        claims = [_claimed(store.claim(k, type=COMPLETED, lease=30)) for k in keys]
        assert len({c.token for c in claims}) == len(keys)
        assert store.release(claims[1], error="boom") is True
        assert store.complete(claims[2]) is True
        statuses = {k: store.get(k).status for k in keys}  # type: ignore[union-attr]
        assert statuses == {
            "evt_1": EventStatus.PROCESSING,
            "evt_2": EventStatus.PENDING,
            "fulfil:cs_test_a1": EventStatus.SUCCEEDED,
            "fulfil:cs_test_a2": EventStatus.PROCESSING,
            "evt_ünïcode ✓": EventStatus.PROCESSING,
        }

    def test_records_filter_by_status_and_type_pattern(self, harness: Harness) -> None:
        """``records`` filters by status and by an fnmatch type pattern, oldest first."""
        store = harness.store
        plan = [
            ("evt_a", COMPLETED, "complete"),
            ("evt_b", INVOICE, "complete"),
            ("evt_c", EXPIRED, "release"),
            ("evt_d", COMPLETED, "fail"),
            ("evt_e", "checkout.session.async_payment_succeeded", "hold"),
        ]
        for key, type_, action in plan:
            claim = _claimed(store.claim(key, type=type_, lease=30))
            if action == "complete":
                assert store.complete(claim)
            elif action == "release":
                assert store.release(claim, error="retry me")
            elif action == "fail":
                assert store.release(claim, error="never", permanent=True)
            harness.advance(0.01)

        def keys(**kwargs: Any) -> list[str]:
            return [r.key for r in store.records(**kwargs)]

        assert keys() == ["evt_a", "evt_b", "evt_c", "evt_d", "evt_e"]
        assert keys(status=EventStatus.SUCCEEDED) == ["evt_a", "evt_b"]
        assert keys(status=EventStatus.PENDING) == ["evt_c"]
        assert keys(status=EventStatus.FAILED) == ["evt_d"]
        assert keys(status=EventStatus.PROCESSING) == ["evt_e"]
        assert keys(type_pattern="checkout.session.*") == ["evt_a", "evt_c", "evt_d", "evt_e"]
        assert keys(type_pattern=COMPLETED) == ["evt_a", "evt_d"]
        assert keys(type_pattern="*.paid") == ["evt_b"]
        assert keys(type_pattern="checkout.session.?xpired") == ["evt_c"]
        assert keys(type_pattern="checkout.session.[ae]*") == ["evt_c", "evt_e"]
        assert keys(type_pattern="Checkout.*") == []
        assert keys(status=EventStatus.SUCCEEDED, type_pattern="checkout.*") == ["evt_a"]
        record = store.records(status=EventStatus.PENDING)[0]
        assert isinstance(record, EventRecord)
        assert record.type == EXPIRED
        assert record.last_error == "retry me"

    def test_payload_is_kept(self, store: EventStore) -> None:
        """The raw payload given at the first claim is stored byte for byte and survives retries."""
        body = b'{"id": "evt_1", "object": "event", "data": {"x": "\xc3\xa9\\u0000"}}\x00\xff'
        claim = _claimed(store.claim("evt_1", type=COMPLETED, lease=30, payload=body))
        assert store.release(claim, error="boom")
        again = _claimed(store.claim("evt_1", type=COMPLETED, lease=30))
        assert store.complete(again)
        record = store.get("evt_1")
        assert record is not None
        assert record.payload == body
        assert store.records()[0].payload == body
        _claimed(store.claim("evt_2", type=COMPLETED, lease=30))
        record2 = store.get("evt_2")
        assert record2 is not None
        assert record2.payload is None

    def test_restart_keeps_the_data(self, harness: Harness) -> None:
        """A reopened store still knows done, pending and failed keys and their payloads."""
        store = harness.store
        done = _claimed(store.claim("evt_done", type=COMPLETED, lease=30, payload=b"{}"))
        assert store.complete(done)
        pending = _claimed(store.claim("evt_pending", type=EXPIRED, lease=30))
        assert store.release(pending, error="boom")
        failed = _claimed(store.claim("evt_failed", type=INVOICE, lease=30))
        assert store.release(failed, error="never", permanent=True)
        before = {r.key: r for r in store.records()}

        reopened = harness.reopen()
        after = {r.key: r for r in reopened.records()}
        assert after == before
        assert reopened.claim("evt_done", type=COMPLETED).outcome is ClaimOutcome.DONE
        assert reopened.claim("evt_failed", type=INVOICE).outcome is ClaimOutcome.DONE
        retry = _claimed(reopened.claim("evt_pending", type=EXPIRED, lease=30))
        assert retry.attempts == 2
        assert reopened.complete(retry)

    @pytest.mark.parametrize("lease", [0, -1, math.nan, math.inf, "60", True])
    def test_bad_lease_is_refused(self, store: EventStore, lease: Any) -> None:
        """A lease that is not a positive finite number raises ConfigurationError."""
        with pytest.raises(ConfigurationError):
            store.claim("evt_1", type=COMPLETED, lease=lease)
        assert store.get("evt_1") is None

    @pytest.mark.parametrize("key", ["", None, 42])
    def test_bad_key_is_refused(self, store: EventStore, key: Any) -> None:
        """An empty or non-string key raises ConfigurationError."""
        with pytest.raises(ConfigurationError):
            store.claim(key, type=COMPLETED)

    def test_concurrent_claims_have_one_winner(self, store: EventStore) -> None:
        """Eight threads claiming the same keys at once: exactly one wins each key."""
        keys = [f"evt_race_{i}" for i in range(10)]
        barrier = threading.Barrier(8)
        wins: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def worker() -> None:
            try:
                barrier.wait()
                for key in keys:
                    claim = store.claim(key, type=COMPLETED, lease=30)
                    if claim.outcome is ClaimOutcome.CLAIMED:
                        with lock:
                            wins.append(key)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(wins) == sorted(keys)


def check_against_model(make_store: Callable[[FakeClock], EventStore]) -> None:
    """Random sequences of claims, renewals, completions, releases and clock moves give the same
    answers as a few-line reference model (for stores with an injectable clock)."""
    from hypothesis import settings
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

    keys = st.sampled_from(["evt_a", "evt_b", "fulfil:cs_c"])

    class Model(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = FakeClock()
            self.store = make_store(self.clock)
            # key -> [status, attempts, token, lease_expires_at, last_error]
            self.model: dict[str, list[Any]] = {}
            self.claims: list[Claim] = []

        @rule(key=keys, lease=st.sampled_from([0.5, 2.0, 30.0]))
        def claim(self, key: str, lease: float) -> None:
            got = self.store.claim(key, type=COMPLETED, lease=lease)
            now = self.clock()
            state = self.model.get(key)
            if state is None:
                expected, attempts = ClaimOutcome.CLAIMED, 1
            elif state[0] in (EventStatus.SUCCEEDED, EventStatus.FAILED):
                expected, attempts = ClaimOutcome.DONE, state[1]
            elif state[0] is EventStatus.PROCESSING and state[3] > now:
                expected, attempts = ClaimOutcome.BUSY, state[1]
            else:
                expected, attempts = ClaimOutcome.CLAIMED, state[1] + 1
            assert (got.outcome, got.attempts) == (expected, attempts)
            if expected is ClaimOutcome.CLAIMED:
                assert got.token
                error = None if state is None else state[4]
                self.model[key] = [EventStatus.PROCESSING, attempts, got.token, now + lease, error]
                self.claims.append(got)
            else:
                assert got.token is None

        def _finish(self, index: int, status: EventStatus, error: str | None) -> None:
            claim = self.claims[index % len(self.claims)]
            state = self.model[claim.key]
            holds = state[0] is EventStatus.PROCESSING and state[2] == claim.token
            if status is EventStatus.SUCCEEDED:
                got = self.store.complete(claim)
            else:
                permanent = status is EventStatus.FAILED
                got = self.store.release(claim, error=error or "", permanent=permanent)
            assert got is holds
            if holds:
                self.model[claim.key] = [status, state[1], None, None, error]

        @precondition(lambda self: self.claims)
        @rule(index=st.integers(0, 50))
        def complete(self, index: int) -> None:
            self._finish(index, EventStatus.SUCCEEDED, None)

        @precondition(lambda self: self.claims)
        @rule(index=st.integers(0, 50), permanent=st.booleans(), error=st.text(max_size=20))
        def release(self, index: int, permanent: bool, error: str) -> None:
            status = EventStatus.FAILED if permanent else EventStatus.PENDING
            self._finish(index, status, error)

        @precondition(lambda self: self.claims)
        @rule(index=st.integers(0, 50), lease=st.sampled_from([0.5, 2.0, 30.0]))
        def renew(self, index: int, lease: float) -> None:
            claim = self.claims[index % len(self.claims)]
            state = self.model[claim.key]
            holds = state[0] is EventStatus.PROCESSING and state[2] == claim.token
            assert self.store.renew(claim, lease=lease) is holds
            if holds:
                state[3] = self.clock() + lease

        @rule(seconds=st.sampled_from([0.5, 2.0, 40.0]))
        def advance(self, seconds: float) -> None:
            self.clock.advance(seconds)

        @invariant()
        def records_match(self) -> None:
            records = {r.key: r for r in self.store.records()}
            assert set(records) == set(self.model)
            for key, (status, attempts, _, expires, error) in self.model.items():
                record = records[key]
                assert (record.status, record.attempts) == (status, attempts)
                assert record.lease_expires_at == expires
                assert record.last_error == error

        def teardown(self) -> None:
            close = getattr(self.store, "close", None)
            if close is not None:
                close()

    Model.TestCase.settings = settings(
        max_examples=examples(40), stateful_step_count=25, deadline=None
    )
    Model.TestCase().runTest()
