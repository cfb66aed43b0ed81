"""Faults injected at named points, from the test side, around checkoutkit's public seams.

The library knows nothing of this: :class:`FaultyStore` wraps a real event store (the
:class:`~checkoutkit.stores.EventStore` protocol) and :func:`hit` is called by the tests' own fulfil
callbacks. A *plan* — a list of rules in ``plan.json`` inside a directory shared by the test and
every application process — says what happens when a process reaches a point:

``raise``
    raise :class:`~checkoutkit.StoreUnavailableError` (as a store does when its server is gone);
``kill``
    SIGKILL the process that reached the point (no cleanup: its claim stays held);
``pause``
    tell the test and block until the test says go (the test stops or starts a database server
    meanwhile, or sends more requests).

A rule fires for the first key (across all processes) that reaches its point and matches its
``match`` pattern, then only for that key, at most ``times`` times. Each firing leaves a marker
file (``<rule>.<n>.fired``, holding the pid and key) that the test waits for with
:meth:`FaultControl.wait_fired`; the marker is created atomically, so two processes can never
both fire the same firing. The points are:

- ``before-<method>`` and ``after-<method>`` around each store call (``claim``, ``complete``,
  ``renew``, ``release``): ``after-complete`` raising is a completion that was recorded but
  whose answer was lost on the way back;
- ``callback:start``, ``callback:commit`` (inside the effect's transaction, before it commits)
  and ``callback:end`` (after it committed), called by the test applications' callbacks.
"""

from __future__ import annotations

import fnmatch
import json
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checkoutkit import EventStatus
from checkoutkit.exceptions import StoreUnavailableError
from checkoutkit.stores import Claim, EventRecord, EventStore

PLAN_ENV = "CK_FAULT_PLAN"
"""The environment variable naming the plan's directory in the application processes."""

PAUSE_LIMIT = 120.0
"""How long a paused process waits for the test's go before failing its request."""


class Plan:
    """The rules of one run, read from ``<directory>/plan.json`` at every point reached (the
    test may change them between phases of a run)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @classmethod
    def from_env(cls) -> Plan | None:
        directory = os.environ.get(PLAN_ENV)
        return cls(directory) if directory else None

    def rules(self) -> list[dict[str, Any]]:
        try:
            text = (self.directory / "plan.json").read_text()
        except FileNotFoundError:
            return []
        rules: list[dict[str, Any]] = json.loads(text)
        return rules

    def hit(self, point: str, key: str) -> None:
        """Apply whatever rule fires at ``point`` for ``key`` (usually nothing)."""
        for rule in self.rules():
            if rule["point"] != point or not fnmatch.fnmatchcase(key, rule.get("match", "*")):
                continue
            firing = self._fire(rule, key)
            if firing is not None:
                _act(self.directory, rule, firing, point, key)

    def _fire(self, rule: dict[str, Any], key: str) -> int | None:
        """The number of this firing of ``rule`` if this hit fires it, else None."""
        rule_id = rule["id"]
        owner = self.directory / f"{rule_id}.key"
        if not _create(owner, key) and owner.read_text() != key:
            return None  # the rule belongs to another key
        for n in range(1, int(rule.get("times", 1)) + 1):
            info = json.dumps({"pid": os.getpid(), "key": key, "at": time.time()})
            if _create(self.directory / f"{rule_id}.{n}.fired", info):
                return n
        return None


def _create(path: Path, content: str) -> bool:
    """Create ``path`` holding ``content`` unless it exists: atomic across processes."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    tmp.write_text(content)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def _act(directory: Path, rule: dict[str, Any], firing: int, point: str, key: str) -> None:
    action = rule["action"]
    if action == "raise":
        raise StoreUnavailableError(f"injected at {point} for {key}")
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "pause":
        go = directory / f"{rule['id']}.{firing}.go"
        deadline = time.monotonic() + PAUSE_LIMIT
        while not go.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"paused at {point} for {key}: the test never said go")
            time.sleep(0.005)
        return
    raise ValueError(f"unknown fault action {action!r}")


class FaultyStore:
    """An :class:`~checkoutkit.stores.EventStore` that delegates to a real one, passing the plan's
    ``before-*`` and ``after-*`` points around each call that takes or ends a claim."""

    def __init__(self, inner: EventStore, plan: Plan) -> None:
        self.inner = inner
        self.plan = plan

    def claim(
        self, key: str, *, type: str, lease: float = 60.0, payload: bytes | None = None
    ) -> Claim:
        self.plan.hit("before-claim", key)
        claim = self.inner.claim(key, type=type, lease=lease, payload=payload)
        self.plan.hit("after-claim", key)
        return claim

    def complete(self, claim: Claim) -> bool:
        self.plan.hit("before-complete", claim.key)
        done = self.inner.complete(claim)
        self.plan.hit("after-complete", claim.key)
        return done

    def renew(self, claim: Claim, *, lease: float) -> bool:
        self.plan.hit("before-renew", claim.key)
        renewed = self.inner.renew(claim, lease=lease)
        self.plan.hit("after-renew", claim.key)
        return renewed

    def release(self, claim: Claim, *, error: str, permanent: bool = False) -> bool:
        self.plan.hit("before-release", claim.key)
        released = self.inner.release(claim, error=error, permanent=permanent)
        self.plan.hit("after-release", claim.key)
        return released

    def requeue(self, key: str) -> bool:
        return self.inner.requeue(key)

    def get(self, key: str) -> EventRecord | None:
        return self.inner.get(key)

    def records(
        self, *, status: EventStatus | None = None, type_pattern: str | None = None
    ) -> Sequence[EventRecord]:
        return self.inner.records(status=status, type_pattern=type_pattern)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class FaultControl:
    """The test's side of a plan: set the rules, wait for firings, say go."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._seen: list[dict[str, Any]] = []
        directory.mkdir(parents=True, exist_ok=True)
        self.plan(())

    def plan(self, rules: Sequence[dict[str, Any]]) -> None:
        """Replace the rules (atomically: a process never reads half a plan)."""
        for rule in rules:
            if (self.directory / f"{rule['id']}.key").exists():
                raise ValueError(f"rule id {rule['id']!r} was used already in this run")
        self._seen.extend(rules)
        tmp = self.directory / ".plan.json"
        tmp.write_text(json.dumps(list(rules)))
        tmp.replace(self.directory / "plan.json")

    def fired(self, rule_id: str, firing: int = 1) -> dict[str, Any] | None:
        """The pid and key of a firing, or None if it has not happened."""
        try:
            info: dict[str, Any] = json.loads(
                (self.directory / f"{rule_id}.{firing}.fired").read_text()
            )
        except FileNotFoundError:
            return None
        return info

    def wait_fired(self, rule_id: str, firing: int = 1, *, timeout: float = 30.0) -> dict[str, Any]:
        """Wait (bounded) for a firing; its pid and key."""
        deadline = time.monotonic() + timeout
        while (info := self.fired(rule_id, firing)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"fault {rule_id!r} did not fire a {_nth(firing)} time within {timeout} s"
                )
            time.sleep(0.01)
        return info

    def go(self, rule_id: str, firing: int = 1) -> None:
        """Let a process paused at a firing go on."""
        (self.directory / f"{rule_id}.{firing}.go").touch()

    def release_all(self) -> None:
        """Say go to every firing there could be (a test that fails must not leave a process
        paused until PAUSE_LIMIT)."""
        for rule in self._seen:
            for n in range(1, int(rule.get("times", 1)) + 1):
                self.go(rule["id"], n)


def _nth(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def hit(point: str, key: str) -> None:
    """Pass ``point`` for ``key`` under the plan named by the environment (if any)."""
    plan = Plan.from_env()
    if plan is not None:
        plan.hit(point, key)
