"""Errors the sandbox answers, in Stripe's wire format."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as ``{"error": {...}}`` with Stripe's HTTP status and error type.

    The stripe SDK picks its exception class from the status and ``type``, so these must match
    what Stripe answers: 400/404 ``invalid_request_error`` → ``InvalidRequestError``, 401 →
    ``AuthenticationError``, 402 ``card_error`` → ``CardError``, 400 ``idempotency_error`` →
    ``IdempotencyError``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.should_retry = should_retry

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            err["param"] = self.param
        if self.decline_code is not None:
            err["decline_code"] = self.decline_code
        if request_id is not None:
            err["request_log_url"] = None
        return {"error": err}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, message, code=code, param=param)


def missing(kind: str, object_id: str, *, param: str = "id") -> ApiError:
    """Stripe's 404 ``resource_missing`` for an unknown ID."""
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
