"""The registry of cross-parameter rules, and what each rule is given.

A rule is one function ``check(session, out)`` registered with :func:`rule`: the rule ids it
reports (each has its row in docs/rules.md) and the top-level keys whose presence triggers it.
A rule without triggers runs for every session. Rules run in the order they are registered,
after the shape walk, and read the params with the tolerant readers of
:mod:`checkoutkit._rules._common` (the walk has already reported wrong types).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from checkoutkit._rules._common import Report

__all__ = [
    "MODES",
    "UI_MODES",
    "Rule",
    "RuleBook",
    "RuleCheck",
    "Session",
    "registered",
    "rule",
    "run_rules",
]

#: The modes and ui_modes rules know; any other value is reported by the shape walk.
MODES = frozenset({"payment", "setup", "subscription"})
UI_MODES = frozenset({"hosted_page", "embedded_page", "elements", "form"})


@attrs.frozen
class Session:
    """The session the rules check, with what they all need to know about it."""

    #: The params as given (a dict; values may be of any type).
    params: dict[Any, Any]
    #: ``mode`` when it is one of :data:`MODES`, else None.
    mode: str | None
    #: ``ui_mode`` when it is one of :data:`UI_MODES` (``hosted_page`` when absent), else None.
    ui_mode: str | None
    #: The Unix time of creation, for the clock rules.
    now: float

    @classmethod
    def of(cls, params: dict[Any, Any], now: float) -> Session:
        """The session of ``params``, created at ``now``."""
        mode = params.get("mode")
        ui_mode = params.get("ui_mode")
        return cls(
            params,
            mode if isinstance(mode, str) and mode in MODES else None,
            "hosted_page"
            if ui_mode is None
            else ui_mode
            if isinstance(ui_mode, str) and ui_mode in UI_MODES
            else None,
            now,
        )


RuleCheck = Callable[[Session, Report], None]


@attrs.frozen
class Rule:
    """A registered rule: its check, the rule ids it reports and the keys that trigger it."""

    check: RuleCheck
    codes: tuple[str, ...]
    #: Top-level keys whose presence runs the rule; empty: it runs for every session.
    triggers: frozenset[str]


_RULES: list[Rule] = []


def rule(*, codes: Iterable[str], triggers: Iterable[str] = ()) -> Callable[[RuleCheck], RuleCheck]:
    """Register the decorated function as a rule reporting ``codes``, run on ``triggers``."""

    def register(check: RuleCheck) -> RuleCheck:
        _RULES.append(Rule(check, tuple(codes), frozenset(triggers)))
        return check

    return register


@attrs.frozen
class RuleBook:
    """Rules in the order they run, with what triggers each laid out for running them quickly.

    Build one with :meth:`of` (or :func:`registered`) once, and :meth:`run` it for each session.
    """

    #: The rules, in the order they run.
    rules: tuple[Rule, ...]
    #: ``(check, triggers)`` per rule; ``triggers`` is None for a rule that always runs.
    plan: tuple[tuple[RuleCheck, frozenset[str] | None], ...]
    #: Every key that triggers some rule.
    trigger_keys: frozenset[str]

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> RuleBook:
        """The book of ``rules``, run in the order given."""
        chosen = tuple(rules)
        return cls(
            chosen,
            tuple((each.check, each.triggers or None) for each in chosen),
            frozenset().union(*(each.triggers for each in chosen)),
        )

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def run(self, session: Session, out: Report) -> None:
        """Run each rule that applies to ``session``: untriggered ones, and those triggered."""
        present = self.trigger_keys.intersection(session.params.keys())
        for check, triggers in self.plan:
            if triggers is None or (present and not present.isdisjoint(triggers)):
                check(session, out)


def registered(topics: Iterable[str]) -> RuleBook:
    """The rules of the modules named ``topics``: by topic, then in the order registered."""
    order = {name: index for index, name in enumerate(topics)}
    chosen = [each for each in _RULES if each.check.__module__ in order]
    return RuleBook.of(sorted(chosen, key=lambda each: order[each.check.__module__]))


def run_rules(rules: Iterable[Rule], session: Session, out: Report) -> None:
    """Run each of ``rules`` that applies to ``session``."""
    book = rules if isinstance(rules, RuleBook) else RuleBook.of(rules)
    book.run(session, out)
