"""The rules registry: every rule is documented, and runs only when its triggers are present."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from checkoutkit._problems import Problem
from checkoutkit._rules import TOPICS, registered, session_create_spec
from checkoutkit._rules._common import Report
from checkoutkit._rules._registry import Rule, RuleBook, Session, run_rules
from strategies import NOW

DOCS = Path(__file__).parent.parent / "docs" / "rules.md"


def _rules() -> tuple[Rule, ...]:
    return registered(topic.__name__ for topic in TOPICS)


def test_every_rule_id_has_its_row_in_the_docs() -> None:
    """Each rule id a registered rule reports is a row of the rules table."""
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", DOCS.read_text(), flags=re.M))
    declared = {code for each in _rules() for code in each.codes}
    assert declared
    assert declared <= documented, sorted(declared - documented)


def test_every_rule_declares_its_codes_and_known_triggers() -> None:
    """Rules report at least one id, and are triggered only by parameters Stripe knows."""
    known = set(session_create_spec().fields)
    for each in _rules():
        assert each.codes, each
        assert each.triggers <= known, (each, sorted(each.triggers - known))


def test_every_topic_registers_rules() -> None:
    """Each topic module has rules, and none is registered twice."""
    rules = _rules()
    assert len({each.check for each in rules}) == len(rules)
    assert {each.check.__module__ for each in rules} == {topic.__name__ for topic in TOPICS}


def _recorder(seen: list[str]) -> Rule:
    def check(session: Session, out: Report) -> None:
        seen.append(str(session.mode))
        out.add("customer", "example_rule", "Ran.")

    return Rule(check, ("example_rule",), frozenset({"customer", "customer_update"}))


def test_a_rule_runs_only_when_a_trigger_key_is_present() -> None:
    """A triggered rule runs when one of its keys is in the params, even with a None value."""
    seen: list[str] = []
    rules = [_recorder(seen)]
    out = Report()
    run_rules(rules, Session.of({"mode": "payment"}, NOW), out)
    assert seen == []
    run_rules(rules, Session.of({"mode": "setup", "customer_update": None}, NOW), out)
    run_rules(rules, Session.of({"mode": "bogus", "customer": "cus_1"}, NOW), out)
    assert seen == ["setup", "None"]
    assert out.problems == [Problem("customer", "example_rule", "Ran.")] * 2


def test_a_rule_without_triggers_runs_for_every_session() -> None:
    """An untriggered rule sees every session, with mode and ui_mode read for it."""
    seen: list[tuple[str | None, str | None]] = []

    def check(session: Session, out: Report) -> None:
        seen.append((session.mode, session.ui_mode))

    rules = [Rule(check, ("example_rule",), frozenset())]
    for params in ({}, {"mode": "payment", "ui_mode": "elements"}, {"ui_mode": 3}):
        run_rules(rules, Session.of(params, NOW), Report())
    assert seen == [(None, "hosted_page"), ("payment", "elements"), (None, None)]


_KEYS = ["mode", "customer", "customer_update", "currency", "expires_at", "metadata", "other"]


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(st.frozensets(st.sampled_from(_KEYS), max_size=3), min_size=1, max_size=8),
    st.dictionaries(st.sampled_from(_KEYS), st.none() | st.text(max_size=3), max_size=5),
)
def test_a_rule_book_runs_exactly_the_triggered_rules_in_order(
    triggers: list[frozenset[str]], params: dict[str, object]
) -> None:
    """Compiling rules into a book changes neither which rules run nor their order."""
    ran: list[int] = []

    def recorder(index: int, keys: frozenset[str]) -> Rule:
        def check(session: Session, out: Report) -> None:
            ran.append(index)

        return Rule(check, ("example_rule",), keys)

    rules = [recorder(index, keys) for index, keys in enumerate(triggers)]
    RuleBook.of(rules).run(Session.of(params, NOW), Report())
    expected = [i for i, each in enumerate(triggers) if not each or each & params.keys()]
    assert ran == expected
