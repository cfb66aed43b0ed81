"""The events in Django's admin: read-only, with a "Replay" action for failed ones.

Nothing here changes an event but the action, which moves permanently failed events back to
``pending`` through :meth:`DjangoStore.requeue <checkoutkit.stores.django.DjangoStore.requeue>`
(it needs the permission to change events); ``checkoutkit replay``, or the event's next delivery,
then runs them once more.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html

from checkoutkit.stores._protocol import EventStatus
from checkoutkit.stores.django._store import DjangoStore
from checkoutkit.stores.django.models import Event

_F = TypeVar("_F", bound=Callable[..., Any])

_PAYLOAD_PREVIEW = 200_000
"""The most characters of a payload the detail page shows."""


def _display(**options: Any) -> Callable[[_F], _F]:
    """``admin.display``, typed."""
    decorate: Callable[[_F], _F] = admin.display(**options)
    return decorate


def _action(**options: Any) -> Callable[[_F], _F]:
    """``admin.action``, typed."""
    decorate: Callable[[_F], _F] = admin.action(**options)
    return decorate


def _when(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


def payload_text(payload: bytes | memoryview | None) -> str:
    """A stored payload as text: indented JSON when it is JSON, else the text, else a note."""
    if payload is None:
        return "not kept (create the router with store_payload=True to keep payloads)"
    data = bytes(payload)
    try:
        text = json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except ValueError:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return f"{len(data)} bytes, not text: {data[:64].hex()}..."
    if len(text) > _PAYLOAD_PREVIEW:
        return text[:_PAYLOAD_PREVIEW] + f"\n... ({len(text) - _PAYLOAD_PREVIEW} more characters)"
    return text


class _EventList(ChangeList):  # type: ignore[misc]
    """The list of events, which never loads their payloads (they may be large)."""

    def get_queryset(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return super().get_queryset(request, *args, **kwargs).defer("payload")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[misc]
    """Events by last update, filtered by status and type; a detail page that shows all."""

    list_display = ("key", "type", "status", "attempts", "updated")
    list_filter = ("status", "type")
    search_fields = ("key",)
    ordering = ("-updated_at",)
    list_per_page = 50
    fields = (
        "key",
        "type",
        "status",
        "attempts",
        "created",
        "updated",
        "lease_expires",
        "last_error",
        "payload_json",
    )
    readonly_fields = fields
    actions = ["replay"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _EventList

    @_display(description="created", ordering="created_at")
    def created(self, event: Event) -> datetime | None:
        return _when(event.created_at)

    @_display(description="updated", ordering="updated_at")
    def updated(self, event: Event) -> datetime | None:
        return _when(event.updated_at)

    @_display(description="lease expires")
    def lease_expires(self, event: Event) -> datetime | None:
        return _when(event.lease_expires_at)

    @_display(description="payload")
    def payload_json(self, event: Event) -> str:
        html: str = format_html("<pre>{}</pre>", payload_text(event.payload))
        return html

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        """Replaying changes events: it takes the permission to change them."""
        opts = self.opts
        user: Any = request.user
        return bool(user.has_perm(f"{opts.app_label}.change_{opts.model_name}"))

    @_action(description="Replay the selected failed events", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: Any) -> None:
        """Move the selected failed events back to pending; say how many."""
        store = DjangoStore(using=queryset.db)
        keys = list(queryset.values_list("key", flat=True))
        requeued = [key for key in keys if store.requeue(key)]
        left = len(keys) - len(requeued)
        if requeued:
            message = (
                f"{_count(len(requeued), 'failed event')} moved back to pending: "
                "`checkoutkit replay` runs them now (or the next delivery of each does)."
            )
            if left:
                message += f" {_count(left, 'other selected event')} left alone (not failed)."
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(
                request,
                f"None of the {_count(len(keys), 'selected event')} had failed: nothing to replay "
                f"(only {EventStatus.FAILED.value} events are replayed).",
                messages.WARNING,
            )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
