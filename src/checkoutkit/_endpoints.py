"""Deprecated: the adapter contract is public as :mod:`checkoutkit.adapters.endpoints`.

Kept for one release for code that imported the private module before the contract was
public; importing it warns with ``DeprecationWarning``. Two things changed on the way: the
endpoints return :class:`~checkoutkit.adapters.endpoints.Reply`, whose ``headers`` is a
mapping (``content-type`` among them, ``content_type`` a property), and they take all request
headers, so ``signature_headers`` and ``webhook_reply`` are only kept here.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from checkoutkit.adapters.endpoints import (
    CANCEL_PATH,
    CONFIRM_RETRY_AFTER,
    CREATE_PATH,
    READ_CHUNK,
    SUCCESS_PATH,
    WEBHOOK_PATH,
    BodyRefused,
    Reply,
    cancel,
    confirming_page,
    create,
    create_async,
    declared_length,
    default_cancel_page,
    default_success_page,
    mount_root,
    read_body,
    read_body_async,
    read_form,
    receive_webhook,
    receive_webhook_async,
    server_reads_refused_bodies,
    success,
    success_async,
    wants_json,
    webhook,
    webhook_async,
)

__all__ = [
    "CANCEL_PATH",
    "CONFIRM_RETRY_AFTER",
    "CREATE_PATH",
    "READ_CHUNK",
    "SUCCESS_PATH",
    "WEBHOOK_PATH",
    "BodyRefused",
    "Reply",
    "cancel",
    "confirming_page",
    "create",
    "create_async",
    "declared_length",
    "default_cancel_page",
    "default_success_page",
    "mount_root",
    "read_body",
    "read_body_async",
    "read_form",
    "receive_webhook",
    "receive_webhook_async",
    "server_reads_refused_bodies",
    "signature_headers",
    "success",
    "success_async",
    "wants_json",
    "webhook",
    "webhook_async",
    "webhook_reply",
]

warnings.warn(
    "checkoutkit._endpoints is deprecated and will be removed in 0.3: "
    "import checkoutkit.adapters.endpoints instead",
    DeprecationWarning,
    stacklevel=2,
)


def webhook_reply(response: Reply) -> Reply:
    """The router's reply as it is: since 0.2 the router and the endpoints share one type."""
    return response


def signature_headers(value: str | None) -> Mapping[str, str]:
    """A header mapping holding only ``Stripe-Signature`` (the endpoints now take them all)."""
    return {} if value is None else {"Stripe-Signature": value}
