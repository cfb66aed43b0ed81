"""The event store's one table: a row per key (a Stripe event id or ``fulfil:<session id>``).

The columns are those of the other stores' ``checkoutkit_events`` tables; times are seconds since
the epoch (floats), as :class:`~checkoutkit.stores.EventRecord` has them. Rows are written by
:class:`~checkoutkit.stores.django.DjangoStore` only: the admin shows them read-only.
"""

from __future__ import annotations

from django.db import models

from checkoutkit.stores._protocol import EventStatus
from checkoutkit.stores.django._schema import MAX_KEY_LENGTH


class Event(models.Model):  # type: ignore[misc]
    """What the store knows of one key: its status, attempts, last error and claim."""

    STATUSES = [(status.value, status.value) for status in EventStatus]

    key = models.CharField(max_length=MAX_KEY_LENGTH, primary_key=True)
    type = models.CharField(max_length=MAX_KEY_LENGTH)
    status = models.CharField(max_length=16, choices=STATUSES)
    attempts = models.PositiveIntegerField()
    last_error = models.TextField(null=True, blank=True)
    token = models.CharField(max_length=64, null=True, blank=True)
    lease_expires_at = models.FloatField(null=True, blank=True)
    created_at = models.FloatField()
    updated_at = models.FloatField()
    payload = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = "event"
        verbose_name_plural = "events"
        indexes = [
            # Only the keys waiting for a retry or a replay are indexed by status: a fresh event
            # is inserted 'processing' and updated to 'succeeded', and neither write touches it.
            models.Index(
                fields=["status", "created_at"],
                name="checkoutkit_event_retry",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
