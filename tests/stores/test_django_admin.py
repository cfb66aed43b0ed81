"""The events in Django's admin: listed, filtered, shown read-only, and failed ones replayed.

The admin runs through Django's test client on the ``default`` database (in memory, one per
thread: these tests stay in the main thread), with ``ATOMIC_REQUESTS`` as a careful project has.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from checkoutkit import EventStatus
from django_project import configure_django, empty, migrated

configure_django()

from django.contrib import admin  # noqa: E402  (needs the settings above)
from django.contrib.admin.utils import quote  # noqa: E402
from django.contrib.auth.models import Permission, User  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import clear_url_caches, path, reverse  # noqa: E402

from checkoutkit.stores.django import DjangoStore  # noqa: E402
from checkoutkit.stores.django.admin import payload_text  # noqa: E402

COMPLETED = "checkout.session.completed"
PAYLOAD = {"id": "evt_failed_1", "object": "event", "data": {"note": "<b>café</b>"}}


@pytest.fixture(scope="module")
def urlconf() -> Iterator[str]:
    module = types.ModuleType("checkoutkit_tests_admin_urls")
    module.urlpatterns = [path("admin/", admin.site.urls)]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    with override_settings(ROOT_URLCONF=module.__name__):
        clear_url_caches()
        yield module.__name__
    clear_url_caches()
    del sys.modules[module.__name__]


@pytest.fixture
def store(urlconf: str) -> DjangoStore:
    """Events in every state: two succeeded, one pending, two failed (one with a payload)."""
    empty(migrated("default"))
    store = DjangoStore(using="default")
    plan = [
        ("evt_ok_1", None, None),
        ("fulfil:cs_test_ok", None, None),
        ("evt_pending_1", "RuntimeError: retry me", False),
        ("evt_failed_1", "PermanentFailure: no such product", True),
        ("evt_failed_2", "PermanentFailure: out of stock", True),
    ]
    for key, error, permanent in plan:
        payload = json.dumps(PAYLOAD).encode() if key == "evt_failed_1" else None
        claim = store.claim(
            key, type=COMPLETED if key.startswith("evt") else "fulfil", payload=payload
        )
        if error is None:
            assert store.complete(claim)
        else:
            assert store.release(claim, error=error, permanent=bool(permanent))
    return store


def _client(*, superuser: bool = True, perms: tuple[str, ...] = ()) -> Client:
    User.objects.filter(username="ada").delete()
    user = User.objects.create_user("ada", password="x", is_staff=True, is_superuser=superuser)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def _list_url() -> str:
    return reverse("admin:checkoutkit_event_changelist")


def test_the_list_shows_every_event_and_filters_by_status(store: DjangoStore) -> None:
    client = _client()
    page = client.get(_list_url())
    assert page.status_code == 200
    text = page.content.decode()
    for key in ["evt_ok_1", "fulfil:cs_test_ok", "evt_pending_1", "evt_failed_1", "evt_failed_2"]:
        assert key in text
    for heading in ["Key", "Type", "Status", "Attempts", "Updated"]:
        assert f">{heading}<" in text or f">{heading.lower()}<" in text
    failed = client.get(_list_url(), {"status__exact": "failed"}).content.decode()
    assert "evt_failed_1" in failed
    assert "evt_failed_2" in failed
    assert "evt_ok_1" not in failed
    assert "evt_pending_1" not in failed
    by_type = client.get(_list_url(), {"type__exact": "fulfil"}).content.decode()
    assert "fulfil:cs_test_ok" in by_type
    assert "evt_ok_1" not in by_type


def test_the_detail_page_shows_the_error_and_the_payload_as_json(store: DjangoStore) -> None:
    client = _client()
    page = client.get(reverse("admin:checkoutkit_event_change", args=[quote("evt_failed_1")]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "PermanentFailure: no such product" in text
    assert "&quot;note&quot;: &quot;&lt;b&gt;café&lt;/b&gt;&quot;" in text  # indented, escaped
    assert '<input type="submit" value="Save"' not in text
    other = client.get(reverse("admin:checkoutkit_event_change", args=[quote("fulfil:cs_test_ok")]))
    assert other.status_code == 200
    assert "not kept" in other.content.decode()


def test_events_cannot_be_added_changed_or_deleted(store: DjangoStore) -> None:
    client = _client()
    key = quote("evt_failed_1")
    assert client.get(reverse("admin:checkoutkit_event_add")).status_code == 403
    assert client.get(reverse("admin:checkoutkit_event_delete", args=[key])).status_code == 403
    changed = client.post(
        reverse("admin:checkoutkit_event_change", args=[key]),
        {"status": "succeeded", "attempts": "9"},
    )
    assert changed.status_code == 403
    assert "delete_selected" not in client.get(_list_url()).content.decode()
    record = store.get("evt_failed_1")
    assert record is not None
    assert (record.status, record.attempts) == (EventStatus.FAILED, 1)


def test_replay_requeues_the_selected_failed_events_and_says_how_many(store: DjangoStore) -> None:
    client = _client()
    answer = client.post(
        _list_url(),
        {
            "action": "replay",
            "_selected_action": ["evt_failed_1", "evt_failed_2", "evt_ok_1"],
        },
        follow=True,
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "2 failed events moved back to pending" in text
    assert "checkoutkit replay" in text
    assert "1 other selected event left alone" in text
    statuses = {r.key: r.status for r in store.records()}
    assert statuses == {
        "evt_ok_1": EventStatus.SUCCEEDED,
        "fulfil:cs_test_ok": EventStatus.SUCCEEDED,
        "evt_pending_1": EventStatus.PENDING,
        "evt_failed_1": EventStatus.PENDING,
        "evt_failed_2": EventStatus.PENDING,
    }
    none = client.post(
        _list_url(), {"action": "replay", "_selected_action": ["evt_ok_1"]}, follow=True
    )
    assert "None of the 1 selected event had failed" in none.content.decode()


def test_replay_needs_the_permission_to_change_events(store: DjangoStore) -> None:
    """A user who may only view events sees them but is offered no replay, and cannot post it."""
    client = _client(superuser=False, perms=("view_event",))
    page = client.get(_list_url())
    assert page.status_code == 200
    assert "evt_failed_1" in page.content.decode()
    assert 'value="replay"' not in page.content.decode()
    client.post(_list_url(), {"action": "replay", "_selected_action": ["evt_failed_1"]})
    record = store.get("evt_failed_1")
    assert record is not None
    assert record.status is EventStatus.FAILED


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, "not kept"),
        (b'{"a":[1,2]}', '{\n  "a": [\n    1,\n    2\n  ]\n}'),
        (b"plain text", "plain text"),
        (b"\xff\xfe\x00", "3 bytes, not text: fffe00"),
    ],
)
def test_payloads_are_shown_as_json_text_or_a_note(payload: Any, expected: str) -> None:
    assert payload_text(payload).startswith(expected)
