"""The parts the hosted payment page is built from: its stylesheet, form fields, summary rows.

The page (:mod:`checkoutkit.sandbox._pages`) has two columns, like Stripe Checkout: the order
summary (merchant, line items, then :class:`SummaryRow` s such as shipping or a discount, then
the total) and the payment form (sections built with :func:`section` and :func:`text_field`).
On a phone-width screen the columns stack. Every helper escapes what it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

import attrs

#: The hosted page's own styles, on top of :data:`checkoutkit._look.BASE_CSS`.
CHECKOUT_CSS = """
body{background:var(--summary-bg,#fff)}
.panel{position:fixed;top:0;bottom:0;left:50%;right:0;background:#fff;
box-shadow:0 0 30px 0 rgba(0,0,0,.12)}
.layout{position:relative;display:grid;grid-template-columns:minmax(0,380px) minmax(0,380px);
justify-content:space-between;max-width:920px;margin:0 auto;padding:56px 24px 48px}
.merchant{display:flex;align-items:center;gap:8px;min-height:28px;margin-bottom:28px}
.merchant .back{font-size:18px;line-height:1;color:rgba(26,26,26,.6);text-decoration:none;
padding:2px 6px 4px 0}
.merchant-name{font-size:14px;font-weight:500;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap}
.headline .lead{font-size:16px;font-weight:500;color:rgba(26,26,26,.6)}
.headline .amount{font-size:36px;font-weight:600;line-height:44px;letter-spacing:-.03em;
font-variant-numeric:tabular-nums;margin-top:2px}
.headline .then{font-size:14px;color:rgba(26,26,26,.6);margin-top:2px}
.items{list-style:none;margin:32px 0 0;padding:0}
.item{display:flex;justify-content:space-between;gap:16px;padding:12px 0}
.item-name{font-weight:500}.item-detail{font-size:12px;color:rgba(26,26,26,.6)}
.item-amount{font-weight:500;text-align:right;white-space:nowrap}
.totals{margin:8px 0 0;border-top:1px solid rgba(26,26,26,.1)}
.totals div{display:flex;justify-content:space-between;gap:16px;padding:12px 0 0}
.totals dt{font-weight:500}.totals dd{margin:0;font-weight:500;white-space:nowrap}
.totals .note{display:block;font-size:12px;font-weight:400;color:rgba(26,26,26,.6)}
.totals .grand{margin-top:12px;border-top:1px solid rgba(26,26,26,.1)}
.totals .grand dt,.totals .grand dd{font-weight:600;font-size:15px}
.pay h2{font-size:16px;font-weight:500;margin:0 0 12px}
.pay section{margin-bottom:24px}
.field{display:block;margin-bottom:12px}
.field-label{display:block;margin-bottom:4px;font-size:13px;font-weight:500;
color:rgba(26,26,26,.7)}
.input{display:block;width:100%;height:40px;padding:8px 12px;border:0;border-radius:6px;
background:#fff;color:rgba(26,26,26,.9);font:inherit;font-size:16px;line-height:24px;
box-shadow:0 0 0 1px #e0e0e0,0 2px 4px 0 rgba(0,0,0,.07),0 1px 1.5px 0 rgba(0,0,0,.05)}
.input::placeholder{color:rgba(26,26,26,.4)}
.input:focus{outline:none;position:relative;z-index:2;
box-shadow:0 0 0 1px rgba(50,151,211,.7),0 1px 1px 0 rgba(0,0,0,.07),
0 0 0 4px rgba(50,151,211,.3)}
.input[aria-invalid=true]{color:#dc2727;box-shadow:0 0 0 1px #ef9896,
0 2px 4px 0 rgba(0,0,0,.07);position:relative;z-index:1}
.group{display:grid;grid-template-columns:1fr 1fr}
.group .input{border-radius:0}.group .wide{grid-column:1/3;border-radius:6px 6px 0 0}
.group .left{border-radius:0 0 0 6px}.group .right{border-radius:0 0 6px 0}
.group .below{border-radius:0 0 6px 6px;grid-column:1/3}.group .span{grid-column:1/3}
select.input{appearance:auto}
.apply{display:flex;gap:8px}.apply .input{flex:1}
.apply .button{width:auto;min-height:40px;padding:8px 16px}
.button.secondary{background:#fff;color:rgba(26,26,26,.9);
box-shadow:0 0 0 1px #e0e0e0,0 2px 4px rgba(0,0,0,.07)}
.choices{border:0;margin:0;padding:0}
.choice{display:flex;align-items:center;gap:8px;margin-bottom:8px;padding:12px;
border-radius:6px;box-shadow:0 0 0 1px #e0e0e0;cursor:pointer}
.choice:has(input:checked){box-shadow:0 0 0 2px var(--accent,#0074d4)}
.choice-name{flex:1;font-weight:500}.choice-amount{font-weight:500;white-space:nowrap}
.choice-note{display:block;font-size:12px;font-weight:400;color:rgba(26,26,26,.6)}
.notice{margin:0 0 12px;font-size:13px;color:rgba(26,26,26,.7)}
.closing{margin-bottom:16px}.closing .field-error{margin:-12px 0 16px}
.field-error{margin:4px 0 0;font-size:13px;color:#dc2727}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
.methods{border:0;margin:0;padding:0}
.method{border-radius:6px;box-shadow:0 0 0 1px #e0e0e0;margin-bottom:12px;padding:12px}
.method-choice{display:flex;align-items:center;gap:8px;font-weight:500;cursor:pointer}
.method-fields{margin-top:12px}
.method:has(> .method-choice input:not(:checked)) .method-fields{display:none}
.check{display:flex;gap:8px;align-items:flex-start;margin:0 0 16px}
.alert{margin:0 0 16px;padding:12px;border-radius:6px;background:#fde8e8;color:#a41c1c;
box-shadow:0 0 0 1px #f8c9c9}
.fineprint{margin:12px 0 0;font-size:12px;color:rgba(26,26,26,.6);text-align:center}
.footer{margin-top:32px;font-size:12px;color:rgba(26,26,26,.5);text-align:center}
.footer details{margin-top:8px;text-align:left}.footer summary{cursor:pointer;text-align:center}
.footer code{font-size:12px}
@media (max-width:860px){
.panel{display:none}body{background:#fff}
.layout{grid-template-columns:minmax(0,1fr);max-width:480px;padding:24px 16px 32px;gap:32px}
.summary{padding-bottom:24px;border-bottom:1px solid rgba(26,26,26,.1)}
.headline{text-align:center}.items{margin-top:24px}
.merchant{margin-bottom:20px}}
"""

#: The 3D Secure test page's styles.
AUTH_CSS = """
body{background:#f6f9fc}.result{max-width:420px;margin:64px auto;padding:32px;background:#fff;
border-radius:8px;box-shadow:0 0 0 1px rgba(50,50,93,.06),0 6px 24px rgba(50,50,93,.08)}
.result h1{font-size:20px;margin-bottom:8px}
"""

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def colour(value: object) -> str | None:
    """``value`` when it is a ``#rrggbb`` colour (safe inside CSS), else None."""
    return value if isinstance(value, str) and _HEX_COLOUR.fullmatch(value) else None


@attrs.frozen
class SummaryRow:
    """A row of the order summary between the subtotal and the total (shipping, a discount).

    ``amount`` is already formatted (``"-$5.00"``, ``"Free"``); ``note`` is a smaller line
    under the label (the promotion code, the shipping rate's name); ``id`` names the row's
    amount element for tests and assistive technology.
    """

    label: str
    amount: str
    id: str | None = None
    note: str | None = None

    def html(self) -> str:
        """The row as a ``<div><dt>…</dt><dd>…</dd></div>`` of the totals list."""
        note = f"<span class=note>{escape(self.note)}</span>" if self.note else ""
        ident = f' id="{escape(self.id)}"' if self.id else ""
        return (
            f"<div><dt>{escape(self.label)}{note}</dt><dd{ident}>{escape(self.amount)}</dd></div>"
        )


def field_error(name: str, errors: Mapping[str, str]) -> str:
    """The error paragraph of field ``name`` (empty when it has none)."""
    message = errors.get(name)
    if not message:
        return ""
    return f'<p class=field-error id="{escape(name)}-error">{escape(message)}</p>'


def input_tag(
    name: str,
    value: str,
    errors: Mapping[str, str],
    *,
    kind: str = "text",
    **attributes: str | bool,
) -> str:
    """One ``<input class=input>`` named and identified ``name``.

    ``attributes`` are more attributes (``autocomplete="cc-number"``, ``required=True``,
    ``aria_label="CVC"`` where no visible label names it; ``_`` reads ``-``), and ``css`` more
    classes (``wide``, ``left``, ``right`` place it in a ``group``); a field named in ``errors``
    is marked ``aria-invalid`` and described by its error.
    """
    css = attributes.pop("css", "")
    classes = f"input {css}".strip() if isinstance(css, str) else "input"
    parts = [
        f'<input class="{escape(classes)}" type={escape(kind)} name="{escape(name)}"',
        f' id="{escape(name)}" value="{escape(value)}"',
    ]
    for given, extra in attributes.items():
        key = given.rstrip("_").replace("_", "-")
        if extra is True:
            parts.append(f" {key}")
        elif extra is not False:
            parts.append(f' {key}="{escape(str(extra))}"')
    if name in errors:
        parts.append(f' aria-invalid=true aria-describedby="{escape(name)}-error"')
    return "".join(parts) + ">"


def text_field(
    name: str,
    label: str,
    value: str,
    errors: Mapping[str, str],
    *,
    kind: str = "text",
    **attributes: str | bool,
) -> str:
    """A labelled input with its error below it."""
    return (
        f'<div class=field><label class=field-label for="{escape(name)}">{escape(label)}</label>'
        f"{input_tag(name, value, errors, kind=kind, **attributes)}"
        f"{field_error(name, errors)}</div>"
    )


def section(title: str, inner: str, *, ident: str) -> str:
    """A titled part of the payment form (``inner`` is HTML, escaped by its maker)."""
    return (
        f'<section id="{escape(ident)}" aria-labelledby="{escape(ident)}-title">'
        f'<h2 id="{escape(ident)}-title">{escape(title)}</h2>{inner}</section>'
    )


def card_group(
    form: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    label: str,
    also_errors: tuple[str, ...] = (),
) -> str:
    """Card number, expiry and CVC as one labelled group, with the errors of each (and of the
    form fields named in ``also_errors``) under it."""
    number = input_tag(
        "cardnumber",
        form.get("cardnumber", ""),
        errors,
        css="wide",
        placeholder="1234 1234 1234 1234",
        inputmode="numeric",
        autocomplete="cc-number",
        aria_label="Card number",
    )
    expiry = input_tag(
        "expiry",
        form.get("expiry", ""),
        errors,
        css="left",
        placeholder="MM / YY",
        autocomplete="cc-exp",
        aria_label="Expiration date (MM / YY)",
    )
    cvc = input_tag(
        "cvc",
        "",
        errors,
        css="right",
        placeholder="CVC",
        inputmode="numeric",
        autocomplete="cc-csc",
        aria_label="Security code (CVC)",
    )
    names = ("cardnumber", "expiry", "cvc", *also_errors)
    messages = "".join(field_error(name, errors) for name in names)
    return (
        "<div class=field role=group aria-labelledby=card-label>"
        f"<span class=field-label id=card-label>{escape(label)}</span>"
        f"<div class=group>{number}{expiry}{cvc}</div>{messages}</div>"
    )
