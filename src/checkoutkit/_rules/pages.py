"""Rules of ``ui_mode``: the redirect URLs each page needs, and what elements pages forbid."""

from __future__ import annotations

from urllib.parse import urlsplit

from checkoutkit._rules._common import Report, describe, dig, get_dict, get_seq, present
from checkoutkit._rules._registry import Session, rule

_EMBEDDED = frozenset({"embedded_page", "elements"})
_ELEMENTS_LIKE = frozenset({"elements", "form"})

#: Payment methods that send the customer to another site or app and back (to ``return_url``).
_REDIRECT_PMS = frozenset(
    """
    affirm afterpay_clearpay alipay alma amazon_pay bancontact billie eps fpx giropay grabpay
    ideal kakao_pay klarna kr_card mobilepay naver_pay p24 payco paypal revolut_pay samsung_pay
    satispay scalapay sofort twint zip
    """.split()  # noqa: SIM905 - a word list reads better than quoted strings
)

#: Parameters that can't be set with ui_mode elements (or form): path -> the ui_modes.
_ELEMENTS_FORBIDDEN: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("after_expiration",), frozenset({"elements"})),
    (("branding_settings",), frozenset({"elements"})),
    (("custom_fields",), frozenset({"elements"})),
    (("custom_text",), frozenset({"elements"})),
    (("optional_items",), frozenset({"elements", "form"})),
    (("origin_context",), frozenset({"elements"})),
    (("submit_type",), frozenset({"elements"})),
    (("payment_method_options", "acss_debit"), frozenset({"elements"})),
    (("payment_method_options", "card", "restrictions"), frozenset({"elements"})),
    (("subscription_data", "billing_cycle_anchor"), frozenset({"elements"})),
    (("tax_id_collection", "required"), frozenset({"elements"})),
)


def _bracket(path: tuple[str, ...]) -> str:
    return path[0] + "".join(f"[{key}]" for key in path[1:])


@rule(codes=["hosted_requires_success_url", "hosted_no_return_url"])
def hosted_urls(session: Session, out: Report) -> None:
    """A hosted page returns to success_url, never to return_url."""
    if session.ui_mode != "hosted_page":
        return
    get = session.params.get
    if get("success_url") is None:
        out.add(
            "success_url",
            "hosted_requires_success_url",
            "success_url is required for hosted sessions.",
        )
    if get("return_url") is not None:
        out.add(
            "return_url",
            "hosted_no_return_url",
            "Hosted sessions can't use return_url; use success_url.",
        )


#: The parameters that send the customer's browser somewhere after the page.
_REDIRECT_URLS = ("success_url", "cancel_url", "return_url")


def is_web_url(value: str) -> bool:
    """Whether ``value`` is an absolute ``http`` or ``https`` URL with a host.

    ``javascript:``, ``data:`` and other schemes are refused: the page links to these URLs
    and the browser is sent to them.
    """
    if not value.isprintable() or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


@rule(codes=["url_http_or_https"], triggers=_REDIRECT_URLS)
def redirect_urls(session: Session, out: Report) -> None:
    """success_url, cancel_url and return_url are absolute http(s) URLs."""
    for key in _REDIRECT_URLS:
        value = session.params.get(key)
        if isinstance(value, str) and value and not is_web_url(value):
            out.add(
                key,
                "url_http_or_https",
                f"{key} must be an absolute http or https URL; got {describe(value)}.",
            )


@rule(codes=["custom_ui_mode_restrictions"])
def elements_restrictions(session: Session, out: Report) -> None:
    """What ui_mode elements (or form) can't set."""
    ui_mode = session.ui_mode
    if ui_mode not in _ELEMENTS_LIKE:
        return
    for path, ui_modes in _ELEMENTS_FORBIDDEN:
        if ui_mode in ui_modes and present(dig(session.params, path)):
            out.add(
                _bracket(path),
                "custom_ui_mode_restrictions",
                f"{_bracket(path)} can't be set when ui_mode is {ui_mode}.",
            )


@rule(
    codes=[
        "embedded_no_success_url",
        "embedded_no_cancel_url",
        "redirect_on_completion_never_no_redirect_pms",
        "embedded_return_url_required_for_redirect_pms",
    ]
)
def embedded_urls(session: Session, out: Report) -> None:
    """Embedded and elements pages return to return_url, and need it for redirect methods."""
    ui_mode = session.ui_mode
    if ui_mode not in _EMBEDDED:
        return
    get = session.params.get
    if get("success_url") is not None:
        out.add(
            "success_url",
            "embedded_no_success_url",
            f"success_url is not allowed with ui_mode {ui_mode}; use return_url.",
        )
    if get("cancel_url") is not None:
        out.add(
            "cancel_url",
            "embedded_no_cancel_url",
            f"cancel_url is not allowed with ui_mode {ui_mode}.",
        )
    pms = {pm for pm in get_seq(get("allowed_payment_method_types")) if isinstance(pm, str)}
    redirect_pms = ", ".join(sorted(pms & _REDIRECT_PMS))
    if not redirect_pms:
        return
    if get("redirect_on_completion") == "never":
        out.add(
            "allowed_payment_method_types",
            "redirect_on_completion_never_no_redirect_pms",
            "With redirect_on_completion=never, redirect-based payment methods can't be "
            f"listed: {redirect_pms}.",
        )
    elif get("return_url") is None:
        out.add(
            "return_url",
            "embedded_return_url_required_for_redirect_pms",
            f"return_url is required with ui_mode {ui_mode} and redirect-based payment "
            f"methods ({redirect_pms}).",
        )


@rule(codes=["permissions_embedded_or_custom_only"], triggers=["permissions"])
def permissions(session: Session, out: Report) -> None:
    """permissions only for embedded and elements pages; shipping details only for elements."""
    value = session.params.get("permissions")
    if not present(value):
        return
    if session.ui_mode not in _EMBEDDED:
        out.add(
            "permissions",
            "permissions_embedded_or_custom_only",
            "permissions can only be set with ui_mode embedded_page or elements.",
        )
    elif (
        session.ui_mode != "elements" and get_dict(value).get("update_shipping_details") is not None
    ):
        out.add(
            "permissions[update_shipping_details]",
            "permissions_embedded_or_custom_only",
            "update_shipping_details is only supported with ui_mode elements.",
        )
