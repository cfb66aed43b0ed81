"""The customer portal's parameters, checked before any request to Stripe.

:meth:`CheckoutGateway.create_portal_session <checkoutkit.CheckoutGateway.create_portal_session>`
sends what :func:`portal_params` returns; :func:`shop_root` is the return URL an adapter's
portal endpoint uses when the application names none.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from checkoutkit._rules import is_web_url
from checkoutkit.exceptions import StripeInvalidRequestError

__all__ = ["portal_params", "shop_root"]

_CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{1,240}")


def portal_params(customer: object, return_url: object) -> dict[str, Any]:
    """``{"customer": …, "return_url": …}`` for ``billing_portal.sessions.create``.

    Raises :class:`~checkoutkit.exceptions.StripeInvalidRequestError` (``param`` names the
    field) for a customer that is not a ``cus_…`` id, or a return URL that is not an absolute
    http(s) URL, before any request is made.
    """
    if not isinstance(customer, str) or not _CUSTOMER_ID.fullmatch(customer):
        raise StripeInvalidRequestError(
            f"a customer id (cus_…) is required, got {customer!r}", param="customer"
        )
    params: dict[str, Any] = {"customer": customer}
    if return_url is not None:
        if not isinstance(return_url, str) or not is_web_url(return_url):
            raise StripeInvalidRequestError(
                f"return_url must be an absolute http(s) URL, got {return_url!r}",
                param="return_url",
            )
        params["return_url"] = return_url
    return params


def shop_root(url: str) -> str:
    """The root of the site ``url`` belongs to: ``https://shop.example/checkout/x`` → ``…/``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
