"""The shop's effect table: one ``Order`` per fulfilment (no unique constraint, on purpose)."""

from __future__ import annotations

from django.db import models


class Order(models.Model):
    """A fulfilled session; a duplicate fulfilment would be a second row for the session."""

    session_id = models.CharField(max_length=255, db_index=True)
    pid = models.IntegerField(default=0)
    email = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.session_id
