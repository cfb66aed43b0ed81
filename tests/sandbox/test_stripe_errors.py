"""The sandbox answers only Stripe's published error codes, and each the way Stripe does.

Stripe's list is read from the installed stripe SDK (the ``Literal`` it declares for an error's
``code``), not copied from the sandbox, so the sandbox's own list is checked against it. Which
codes the sandbox can emit is derived from its source: every error construction site (AST scan)
and every entry of the rule-to-code table, which the rules table of the docs keeps complete.
"""

from __future__ import annotations

import ast
import inspect
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
import stripe._payment_intent

from checkoutkit import validate_session_params
from checkoutkit.sandbox import Sandbox, _methods
from checkoutkit.sandbox._errors import (
    STRIPE_CODE_OF_RULE,
    STRIPE_ERROR_CODES,
    ApiError,
    stripe_code,
)
from test_rules_table import CASES

ROOT = Path(__file__).parent.parent.parent
SANDBOX_SOURCES = sorted((ROOT / "src" / "checkoutkit" / "sandbox").glob("*.py"))
RULES_DOC = ROOT / "docs" / "rules.md"


def _stripe_codes() -> frozenset[str]:
    """The error codes the installed stripe SDK declares (PaymentIntent.last_payment_error)."""
    tree = ast.parse(inspect.getsource(stripe._payment_intent))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "LastPaymentError":
            for statement in node.body:
                if (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and statement.target.id == "code"
                ):
                    return frozenset(
                        c.value
                        for c in ast.walk(statement.annotation)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    )
    raise AssertionError("the stripe SDK no longer declares LastPaymentError.code")


STRIPE_CODES = _stripe_codes()

# Functions and classes whose ``code`` (keyword, or MethodError's first argument) goes on the
# wire, and the expressions that only pass on a code already checked where it was made.
_ERROR_MAKERS = frozenset({"ApiError", "invalid", "MethodError", "PayResult"})
_PASSTHROUGH = frozenset({"exc.code", "first.code", "code", "result.code"})


def _emitted_codes() -> tuple[set[str], list[str]]:
    """String codes found at every error construction site, and any unexplained expression."""
    found: set[str] = set()
    unexplained: list[str] = []

    def take(expr: ast.expr, where: str) -> None:
        if isinstance(expr, ast.Constant):
            if expr.value is not None:
                found.add(str(expr.value))
        elif isinstance(expr, ast.IfExp):
            take(expr.body, where)
            take(expr.orelse, where)
        elif ast.unparse(expr) not in _PASSTHROUGH:
            unexplained.append(f"{where}: {ast.unparse(expr)}")

    for path in SANDBOX_SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func).rsplit(".", 1)[-1]
                if name not in _ERROR_MAKERS:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        take(keyword.value, where)
                if name == "MethodError" and node.args:
                    take(node.args[0], where)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        take(value, where)
    return found, unexplained


def test_the_sdk_declares_stripes_list() -> None:
    """The list read from the SDK is Stripe's: the codes every integration knows are in it."""
    assert len(STRIPE_CODES) > 150
    assert {"parameter_unknown", "parameter_missing", "resource_missing", "card_declined"} <= (
        STRIPE_CODES
    )
    assert not {"unknown_parameter", "mode_required", "api_key_invalid"} & STRIPE_CODES


def test_the_sandboxs_list_is_stripes() -> None:
    """Every code the sandbox holds as Stripe's is one the SDK declares."""
    assert STRIPE_ERROR_CODES <= STRIPE_CODES, sorted(STRIPE_ERROR_CODES - STRIPE_CODES)


def test_every_construction_site_uses_a_stripe_code() -> None:
    """Each code written at an error construction site of the sandbox is in Stripe's list."""
    found, unexplained = _emitted_codes()
    assert not unexplained
    assert {"resource_missing", "parameter_unknown", "incorrect_number"} <= found  # it scans
    assert found <= STRIPE_CODES, sorted(found - STRIPE_CODES)


def test_test_card_outcomes_use_stripe_codes() -> None:
    """The fixed outcomes of Stripe's test cards carry Stripe's codes."""
    assert {code for code, _, _ in _methods.DECLINES.values()} <= STRIPE_CODES


def test_the_rule_table_covers_every_rule_with_a_stripe_code() -> None:
    """Each rule id of docs/rules.md maps to one of Stripe's codes or to none."""
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", RULES_DOC.read_text(), flags=re.M))
    assert documented
    assert set(STRIPE_CODE_OF_RULE) == documented, (
        sorted(documented - set(STRIPE_CODE_OF_RULE)),
        sorted(set(STRIPE_CODE_OF_RULE) - documented),
    )
    mapped = {code for code in STRIPE_CODE_OF_RULE.values() if code is not None}
    assert mapped <= STRIPE_CODES, sorted(mapped - STRIPE_CODES)


def test_an_error_with_another_code_cannot_be_made() -> None:
    """ApiError refuses a code outside Stripe's list, so none can reach the wire."""
    with pytest.raises(ValueError, match="not one of Stripe's error codes"):
        ApiError(400, "x", code="quantity_min_1")
    with pytest.raises(ValueError, match="not one of Stripe's error codes"):
        _methods.MethodError("amount_out_of_range", "x")


@pytest.fixture(scope="module")
def running() -> Any:
    """One sandbox for the module's requests."""
    with Sandbox() as box:
        yield box


@pytest.fixture(scope="module")
def sdk(running: Sandbox) -> stripe.StripeClient:
    """The stripe SDK, without retries, pointed at the sandbox."""
    return running.client("sk_test_errors")


def _as_sent(value: Any) -> Any:
    """``value`` as the stripe SDK sends it: empty dicts and lists are left out."""
    if isinstance(value, dict):
        return {k: _as_sent(v) for k, v in value.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_as_sent(v) for v in value]
    return value


def _wire_problems(params: dict[str, Any]) -> set[tuple[str | None, str | None]]:
    """(param, Stripe code) of every problem the rules report for ``params`` as sent now."""
    return {
        (problem.param or None, stripe_code(problem.code))
        for problem in validate_session_params(_as_sent(params), now=time.time())
    }


# The rejected case of each rule of the rules table that still has a problem when sent by the
# SDK at the current time (a few are rejected only as Python values, or at the table's clock).
_SENDABLE = [(rule, rejected) for rule, _, rejected, _ in CASES if _wire_problems(rejected)]


def test_nearly_every_rule_is_sent() -> None:
    """The cases sent over HTTP cover all but a handful of the rules."""
    assert len({rule for rule, _ in _SENDABLE}) >= len({case[0] for case in CASES}) - 4


@pytest.mark.parametrize(
    ("rule", "params"), _SENDABLE, ids=[f"{rule}-{i}" for i, (rule, _) in enumerate(_SENDABLE)]
)
def test_every_rule_is_answered_with_its_stripe_code(
    sdk: stripe.StripeClient, rule: str, params: dict[str, Any]
) -> None:
    """Each rejected case of the rules table, sent by the SDK, is a 400 with Stripe's code.

    The answer is one of the problems the rules report for the params, with the Stripe code
    the table maps its rule to (its param may be deeper where a key holds brackets).
    """
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.v1.checkout.sessions.create(params=params)
    error = info.value
    assert error.http_status == 400
    assert error.code is None or error.code in STRIPE_CODES
    assert any(
        code == error.code and (param == error.param or str(error.param).startswith(f"{param}["))
        for param, code in _wire_problems(params)
    ), (error.param, error.code, _wire_problems(params))
    assert "request_log_url" not in (error.json_body or {}).get("error", {})


def test_generic_errors_speak_stripes_words(sdk: stripe.StripeClient) -> None:
    """Unknown and missing parameters answer Stripe's code, param and message."""
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        sdk.v1.checkout.sessions.create(
            params={  # type: ignore[typeddict-unknown-key]
                "mode": "setup",
                "currency": "usd",
                "success_url": "https://shop.example/ok",
                "colour": "red",
            }
        )
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "colour")
    assert str(unknown.value.user_message) == "Received unknown parameter: colour"
    with pytest.raises(stripe.InvalidRequestError) as no_mode:
        sdk.v1.checkout.sessions.create(
            params={"success_url": "https://shop.example/ok"}  # type: ignore[typeddict-item]
        )
    assert (no_mode.value.code, no_mode.value.param) == ("parameter_missing", "mode")
    assert no_mode.value.user_message == "Missing required param: mode."
    body = no_mode.value.json_body or {}
    assert body["error"]["doc_url"] == "https://stripe.com/docs/error-codes/parameter-missing"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "/relative/path"])
@pytest.mark.parametrize("key", ["success_url", "cancel_url"])
def test_urls_other_than_http_are_url_invalid(sdk: stripe.StripeClient, key: str, url: str) -> None:
    """success_url and cancel_url must be absolute http(s) URLs: Stripe's url_invalid."""
    params: dict[str, Any] = {
        "mode": "setup",
        "currency": "usd",
        "success_url": "https://shop.example/ok",
        key: url,
    }
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert (info.value.http_status, info.value.code, info.value.param) == (400, "url_invalid", key)
    assert info.value.user_message == "Not a valid URL"


def test_ids_in_parameters_are_400_and_ids_in_the_path_404(
    sdk: stripe.StripeClient, running: Sandbox
) -> None:
    """An unknown ID as a parameter is 400 resource_missing; in the URL path, 404."""
    cases = [
        (
            lambda: sdk.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "success_url": "https://shop.example/ok",
                    "line_items": [{"price": "price_nope", "quantity": 1}],
                }
            ),
            400,
            "line_items[0][price]",
        ),
        (
            lambda: sdk.v1.checkout.sessions.create(
                params={
                    "mode": "setup",
                    "currency": "usd",
                    "success_url": "https://shop.example/ok",
                    "customer": "cus_nope",
                }
            ),
            400,
            "customer",
        ),
        (
            lambda: sdk.v1.prices.create(
                params={"currency": "usd", "unit_amount": 100, "product": "prod_nope"}
            ),
            400,
            "product",
        ),
        (lambda: sdk.v1.checkout.sessions.list({"starting_after": "cs_nope"}), 400, None),
        (lambda: sdk.v1.checkout.sessions.retrieve("cs_test_nope"), 404, "session"),
        (lambda: sdk.v1.prices.retrieve("price_nope"), 404, "id"),
    ]
    for call, status, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert (info.value.http_status, info.value.code) == (status, "resource_missing")
        if param is not None:
            assert info.value.param == param


def test_keys_are_refused_without_a_code(running: Sandbox) -> None:
    """Missing, malformed and live keys are 401s without a code, as Stripe sends them."""
    for header in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer sk_live_x"}):
        response = httpx.post(f"{running.url}/v1/checkout/sessions", headers=header)
        assert response.status_code == 401
        error = response.json()["error"]
        assert (error["type"], "code" in error, "request_log_url" in error) == (
            "invalid_request_error",
            False,
            False,
        )


def test_a_quantity_beyond_the_maximum_amount_is_amount_too_large(
    sdk: stripe.StripeClient,
) -> None:
    """A Price ID times a huge quantity is Stripe's amount_too_large, not an overflow."""
    price = sdk.v1.prices.create(
        params={"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Mug"}}
    )
    for quantity in (10**6 * 100, 10**29):
        with pytest.raises(stripe.InvalidRequestError) as info:
            sdk.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "success_url": "https://shop.example/ok",
                    "line_items": [{"price": price.id, "quantity": quantity}],
                }
            )
        assert (info.value.code, info.value.param) == (
            "amount_too_large",
            "line_items[0][quantity]",
        )
