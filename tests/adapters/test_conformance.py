"""The conformance suite: every adapter answers the same requests with the same statuses."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from adapter_harness import BASE_URL, PREFIX, Answer, Shop, make_shop

from checkoutkit import SqliteStore

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_seed_form_post_answers_303_to_the_hosted_page(shop: Shop) -> None:
    """``curl -X POST -is …/create-checkout-session -d ""`` gets 303 with the session's page."""
    answer = shop.post("/create-checkout-session", b"", {**FORM, "Accept": "*/*"})
    assert answer.status == 303
    location = answer.headers["location"]
    assert location.startswith(shop.sandbox.url)
    assert answer.headers["cache-control"] == "no-store"


def test_create_sets_success_and_cancel_urls_from_the_base_url(shop: Shop) -> None:
    """The session's URLs come from the configured base URL, whatever the Host header says."""
    answer = shop.post(
        "/create-checkout-session", b"", {**FORM, "Accept": "application/json", "Host": "evil.test"}
    )
    # Django refuses a host outside ALLOWED_HOSTS itself; the others create the session.
    if answer.status == 400:
        assert shop.framework == "django"
        return
    session = shop.checkout.gateway.retrieve(json.loads(answer.body)["id"])
    assert session.success_url == BASE_URL + "/success?session_id={CHECKOUT_SESSION_ID}"
    assert session.cancel_url == BASE_URL + "/cancel"


def test_create_answers_json_when_the_client_asks_for_it(shop: Shop) -> None:
    """With ``Accept: application/json`` the answer is JSON with id, url and client_secret."""
    answer = shop.post("/create-checkout-session", b"", {**FORM, "Accept": "application/json"})
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    data = json.loads(answer.body)
    assert set(data) == {"id", "url", "client_secret"}
    assert data["id"].startswith("cs_test_")
    assert data["url"].startswith(shop.sandbox.url)


def test_a_browser_accept_header_gets_the_redirect(shop: Shop) -> None:
    """A browser's Accept (HTML first, */* last) gets the 303, not JSON."""
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = shop.post("/create-checkout-session", b"quantity=2", {**FORM, "Accept": accept})
    assert answer.status == 303


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"quantity=lots", "application/x-www-form-urlencoded"), (b"{nope", "application/json")],
)
def test_bad_create_input_is_a_400_with_a_short_reason(
    shop: Shop, body: bytes, content_type: str
) -> None:
    """Input the application's builder refuses, or a malformed body, answers 400 in words."""
    answer = shop.post("/create-checkout-session", body, {"Content-Type": content_type})
    assert answer.status == 400
    assert answer.text.strip() in {"invalid checkout request", "malformed request body"}


def test_build_session_sees_every_request_header_whatever_its_case(
    framework: str, sandbox: Any, request: pytest.FixtureRequest
) -> None:
    """Every adapter hands the application all request headers, readable in any case."""
    from adapter_harness import session_params

    seen: list[tuple[str | None, ...]] = []

    def build(req: Any) -> dict[str, Any]:
        headers = req.headers
        seen.append(
            (
                headers.get("X-Shop-Note"),
                headers.get("x-shop-note"),
                headers.get("X-SHOP-NOTE"),
                headers.get("content-type"),
                headers.get("Accept"),
            )
        )
        return session_params(req)

    shop = make_shop(framework, sandbox, request, build_session=build)
    headers = {**FORM, "Accept": "application/json", "X-Shop-Note": "gift wrap"}
    assert shop.post("/create-checkout-session", b"quantity=1", headers).status == 200
    assert seen == [("gift wrap",) * 3 + ("application/x-www-form-urlencoded", "application/json")]


def test_wrong_methods_are_405(shop: Shop) -> None:
    """GET on the POST endpoints and POST on the pages answer 405."""
    assert shop.get("/create-checkout-session").status == 405
    assert shop.get("/webhook").status == 405
    assert shop.post("/success").status == 405


@pytest.mark.parametrize(
    "suffix", ["", "?session_id=", "?session_id=pi_123", "?session_id=cs_test_../../v1/customers"]
)
def test_success_without_a_well_formed_session_id_is_400(shop: Shop, suffix: str) -> None:
    """A missing or malformed session_id is refused before any call to Stripe."""
    answer = shop.get("/success" + suffix)
    assert answer.status == 400
    assert answer.text.strip() == "missing or malformed session_id"


def test_success_for_an_unknown_session_is_404(shop: Shop) -> None:
    """A well-formed id the provider does not know answers 404."""
    assert shop.get("/success?session_id=cs_test_doesnotexist0000").status == 404


def test_success_page_fulfils_a_paid_session_once(shop: Shop) -> None:
    """After payment the success page fulfils the order; reloading it does not again."""
    session_id = shop.create_session()
    shop.pay(session_id)
    first = shop.get(f"/success?session_id={session_id}")
    again = shop.get(f"/success?session_id={session_id}")
    assert first.status == again.status == 200
    assert "Thanks for your order!" in first.text
    assert first.headers["content-type"].startswith("text/html")
    assert shop.orders == [session_id]


def test_success_page_of_an_unpaid_session_does_not_fulfil(shop: Shop) -> None:
    """The success URL of an open, never-paid session fulfils nothing, says "not paid yet"
    (not "processing") and links back to the payment page."""
    session_id = shop.create_session()
    answer = shop.get(f"/success?session_id={session_id}")
    assert answer.status == 200
    assert "<h1>Your order is not paid yet</h1>" in answer.text
    assert "processing" not in answer.text.split("<body>", 1)[1].lower()
    url = shop.checkout.gateway.retrieve(session_id).url
    assert f'<a href="{url}">Return to payment</a>' in answer.text
    assert shop.orders == []


def test_cancel_page(shop: Shop) -> None:
    """The cancel page answers 200 with HTML."""
    answer = shop.get("/cancel")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")


def test_webhook_with_a_bad_or_missing_signature_is_400(shop: Shop) -> None:
    """A webhook signed with another secret, or not at all, answers 400 and fulfils nothing."""
    session_id = shop.create_session()
    shop.pay(session_id)
    body = shop.event_body(session_id, "checkout.session.completed")
    assert shop.deliver(body, secret="whsec_not_the_right_one_000000").status == 400
    unsigned = shop.post("/webhook", body, {"Content-Type": "application/json"})
    assert unsigned.status == 400
    assert shop.orders == []


def test_webhook_fulfils_and_a_duplicate_is_200_without_rerun(shop: Shop) -> None:
    """checkout.session.completed fulfils; the same event again answers 200 and does nothing."""
    session_id = shop.create_session()
    shop.pay(session_id)
    body = shop.event_body(session_id, "checkout.session.completed")
    first = shop.deliver(body)
    duplicate = shop.deliver(body)
    assert (first.status, duplicate.status) == (200, 200)
    assert json.loads(duplicate.body).get("duplicate") is True
    assert shop.orders == [session_id]


def test_webhook_body_reaches_the_router_byte_for_byte(shop: Shop) -> None:
    """A body with odd spacing and non-ASCII text still verifies: it is never re-encoded."""
    session_id = shop.create_session()
    shop.pay(session_id)
    event = json.loads(shop.event_body(session_id, "checkout.session.completed"))
    event["data"]["object"]["metadata"]["note"] = "Grüße 🎉 \u2028"
    body = json.dumps(event, ensure_ascii=False, indent=7).encode("utf-8") + b"\r\n  "
    assert shop.deliver(body).status == 200
    assert shop.orders == [session_id]


def test_a_failing_fulfilment_is_500_then_the_redelivery_fulfils_once(shop: Shop) -> None:
    """A fulfil callback that raises answers 500; Stripe's redelivery then fulfils, once."""
    session_id = shop.create_session()
    shop.pay(session_id)
    body = shop.event_body(session_id, "checkout.session.completed")
    shop.failures_left[0] = 1
    assert shop.deliver(body).status == 500
    assert shop.orders == []
    assert shop.deliver(body).status == 200
    assert shop.deliver(body).status == 200
    assert shop.orders == [session_id]


def test_success_page_then_webhook_fulfil_once(shop: Shop) -> None:
    """The success page fulfils first; the webhook that follows answers 200 and does not."""
    session_id = shop.create_session()
    shop.pay(session_id)
    assert shop.get(f"/success?session_id={session_id}").status == 200
    assert shop.deliver(shop.event_body(session_id, "checkout.session.completed")).status == 200
    assert shop.orders == [session_id]


def test_declined_card_creates_no_order(shop: Shop) -> None:
    """A declined card leaves the session open: the success page fulfils nothing."""
    session_id = shop.create_session()
    result = shop.pay(session_id, card="4000000000000002")
    assert result["error"]["code"] == "card_declined"
    assert shop.get(f"/success?session_id={session_id}").status == 200
    assert shop.orders == []


def test_expired_session_calls_the_expiry_callback_not_the_failure_one(shop: Shop) -> None:
    """checkout.session.expired runs the expiry callback; nothing is fulfilled or failed."""
    session_id = shop.create_session()
    shop.checkout.gateway.expire(session_id)  # type: ignore[attr-defined]
    assert shop.deliver(shop.event_body(session_id, "checkout.session.expired")).status == 200
    assert (shop.expired, shop.failed, shop.orders) == ([session_id], [], [])


def _together(shop: Shop, session_id: str, body: bytes) -> tuple[Answer, Answer]:
    start = threading.Barrier(2)
    answers: dict[str, Answer] = {}

    def page() -> None:
        start.wait()
        answers["page"] = shop.get(f"/success?session_id={session_id}")

    def hook() -> None:
        start.wait()
        answers["hook"] = shop.deliver(body)

    threads = [threading.Thread(target=page), threading.Thread(target=hook)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers["page"], answers["hook"]


def test_success_page_and_webhook_together_fulfil_exactly_once(
    framework: str, sandbox: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The success page and the webhook arriving at once (threads, SqliteStore) fulfil once.

    The loser of the race either sees the order done (200) or, for the webhook, answers 500 so
    that Stripe redelivers; the redelivery then answers 200 without fulfilling again.
    """
    with SqliteStore(tmp_path / "events.db") as store:
        shop = make_shop(framework, sandbox, request, store=store)
        for _ in range(3):
            session_id = shop.create_session()
            shop.pay(session_id)
            body = shop.event_body(session_id, "checkout.session.completed")
            page, hook = _together(shop, session_id, body)
            assert page.status == 200
            assert hook.status in (200, 409)
            assert shop.deliver(body).status == 200
        assert len(shop.orders) == len(set(shop.orders)) == 3


def test_hosts_outside_allowed_hosts_are_refused(
    framework: str, sandbox: Any, request: pytest.FixtureRequest
) -> None:
    """Without base_url, the request's host is used only when allowed; others get a 400."""
    shop = make_shop(
        framework,
        sandbox,
        request,
        base_url=None,
        allowed_hosts=["shop.example"],
    )
    answer = shop.post("/create-checkout-session", b"", {**FORM, "Accept": "application/json"})
    assert answer.status == 400
    ok = make_shop(
        framework,
        sandbox,
        request,
        base_url=None,
        allowed_hosts=["testserver", "testserver.local", "localhost"],
    )
    answer = ok.post("/create-checkout-session", b"", {**FORM, "Accept": "application/json"})
    assert answer.status == 200
    session = ok.checkout.gateway.retrieve(json.loads(answer.body)["id"])
    assert session.cancel_url is not None
    assert session.cancel_url.endswith(PREFIX + "/cancel")


@pytest.mark.parametrize("path", ["/webhook", "/webhook/"])
def test_paths_match_with_and_without_a_trailing_slash(shop: Shop, path: str) -> None:
    """Both spellings of a path reach the endpoint itself: a POST is never redirected."""
    answer = shop.post(path, b"{}", {"Content-Type": "application/json"})
    assert answer.status == 400  # unsigned, so refused, but by the router, not a redirect
    assert "location" not in answer.headers
    assert shop.get("/cancel/").status == 200


@pytest.mark.parametrize("append_slash", [True, False])
def test_django_with_and_without_append_slash(
    sandbox: Any, request: pytest.FixtureRequest, append_slash: bool
) -> None:
    """Django's CommonMiddleware never redirects the webhook POST, whatever APPEND_SLASH says."""
    from django.test import override_settings

    shop = make_shop("django", sandbox, request)
    with override_settings(APPEND_SLASH=append_slash):
        for path in ("/webhook", "/webhook/"):
            answer = shop.post(path, b"{}", {"Content-Type": "application/json"})
            assert answer.status == 400
        answer = shop.post("/create-checkout-session", b"", {**FORM, "Accept": "*/*"})
        assert answer.status == 303


def test_embedded_sessions_answer_json_with_the_client_secret(shop: Shop) -> None:
    """An embedded_page session has no page to redirect to: JSON with its client_secret."""
    answer = shop.post(
        "/create-checkout-session", b"ui_mode=embedded_page", {**FORM, "Accept": "*/*"}
    )
    assert answer.status == 200
    data = json.loads(answer.body)
    assert data["url"] is None
    assert data["client_secret"]
    raw = shop.checkout.gateway.retrieve(data["id"]).raw
    assert raw["return_url"] == BASE_URL + "/success?session_id={CHECKOUT_SESSION_ID}"


def _advance_sandbox_clock(shop: Shop, seconds: int) -> None:
    import httpx

    answer = httpx.post(f"{shop.sandbox.url}/_sandbox/clock/advance", data={"seconds": seconds})
    assert answer.status_code == 200


def test_delayed_payment_fulfils_only_when_it_succeeds(shop: Shop) -> None:
    """SEPA: completed-but-unpaid waits; async_payment_succeeded fulfils, once."""
    session_id = shop.create_session(b"currency=eur")
    shop.pay(session_id, iban="DE89370400440532013000")
    completed = shop.event_body(session_id, "checkout.session.completed")
    assert shop.deliver(completed).status == 200
    page = shop.get(f"/success?session_id={session_id}")
    assert "Payment processing" in page.text
    assert shop.orders == []
    _advance_sandbox_clock(shop, 10)
    succeeded = shop.event_body(session_id, "checkout.session.async_payment_succeeded")
    assert shop.deliver(succeeded).status == 200
    assert shop.deliver(succeeded).status == 200
    assert shop.get(f"/success?session_id={session_id}").status == 200
    assert shop.orders == [session_id]
    assert shop.failed == []


def test_delayed_payment_failure_calls_the_failure_callback_only(shop: Shop) -> None:
    """SEPA that fails: async_payment_failed calls on_payment_failed and never fulfils."""
    session_id = shop.create_session(b"currency=eur")
    shop.pay(session_id, iban="DE62370400440532013001")
    assert shop.deliver(shop.event_body(session_id, "checkout.session.completed")).status == 200
    _advance_sandbox_clock(shop, 10)
    failed = shop.event_body(session_id, "checkout.session.async_payment_failed")
    assert shop.deliver(failed).status == 200
    assert (shop.orders, shop.failed, shop.expired) == ([], [session_id], [])


def test_django_views_opt_out_of_csrf_login_and_atomic_requests(
    sandbox: Any, request: pytest.FixtureRequest
) -> None:
    """Each Django view is csrf_exempt, login_not_required and non_atomic_requests."""
    from django.urls import resolve

    make_shop("django", sandbox, request)
    for segment in ("create-checkout-session", "success", "cancel", "webhook"):
        view = resolve(f"{PREFIX}/{segment}").func
        assert getattr(view, "csrf_exempt", False) is True, segment
        assert getattr(view, "login_required", True) is False, segment
        assert "default" in getattr(view, "_non_atomic_requests", set()), segment


def test_django_url_names_reverse_to_the_endpoints(
    sandbox: Any, request: pytest.FixtureRequest
) -> None:
    """Each Django URL name reverses to its endpoint, spelled without the trailing slash."""
    from django.urls import resolve, reverse

    make_shop("django", sandbox, request)
    for name, segment in (
        ("create", "create-checkout-session"),
        ("success", "success"),
        ("cancel", "cancel"),
        ("webhook", "webhook"),
    ):
        assert reverse(f"checkoutkit-{name}") == f"{PREFIX}/{segment}"
        assert resolve(f"{PREFIX}/{segment}/").func is resolve(f"{PREFIX}/{segment}").func
