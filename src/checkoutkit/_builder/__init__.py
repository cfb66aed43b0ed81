"""The fluent, immutable Checkout Session builder.

The builder only assembles parameters in the form the stripe SDK takes; every check is made by
:func:`checkoutkit.validate_session_params` when :meth:`SessionBuilder.build` or
:meth:`SessionBuilder.problems` runs. Methods never raise on bad values: whatever they are given
is kept and reported, with every other problem, at build time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

from checkoutkit._builder._base import (
    _copy,
    _currency,
    _drop_none,
    _items_of,
    _list,
    _listed,
    _metadata,
    _metadata_value,
    _now_timestamp,
    _timestamp,
    url_with_session_id,
)
from checkoutkit._builder._items import ItemMethods
from checkoutkit._problems import Problem
from checkoutkit._rules import validate_session_params
from checkoutkit.exceptions import InvalidSessionError

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

__all__ = ["SessionBuilder"]


class SessionBuilder(ItemMethods):
    """An immutable, fluent builder of Checkout Session parameters.

    Start from :meth:`payment`, :meth:`subscription`, :meth:`setup` or :meth:`from_params`. Every
    method returns a new builder and leaves the one it was called on unchanged, so one base
    builder can be shared by all the requests (and threads) of an application.

    Methods accept values of any type and never raise: :meth:`build` reports every problem at
    once by raising :class:`~checkoutkit.InvalidSessionError`, and :meth:`problems` lists them
    without raising.
    """

    __slots__ = ()

    # -- entry points ------------------------------------------------------------------------

    @classmethod
    def payment(cls) -> SessionBuilder:
        """A builder for a one-time payment (``mode=payment``)."""
        return _PAYMENT

    @classmethod
    def subscription(cls) -> SessionBuilder:
        """A builder for a subscription (``mode=subscription``)."""
        return _SUBSCRIPTION

    @classmethod
    def setup(cls, currency: str | None = None) -> SessionBuilder:
        """A builder that saves a payment method for later (``mode=setup``).

        Stripe needs ``currency`` in setup mode unless ``allowed_payment_method_types`` is set.
        """
        return _SETUP if currency is None else _SETUP._with("currency", _currency(currency))

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | object) -> SessionBuilder:
        """A builder holding a copy of ``params``, a dict in the form the stripe SDK takes.

        ``SessionBuilder.from_params(p).build() == p`` for every valid ``p``. Anything that is
        not a mapping is kept as it is, and :meth:`build` reports it.
        """
        copied = _copy(params)
        if type(copied) is not dict:
            # Whatever it is, validation says what is wrong with it; the builder starts empty.
            return SessionBuilder(({}, None, None, validate_session_params(copied)))
        items = None
        if type(copied.get("line_items")) is list:
            items = _items_of(copied.pop("line_items"))
        return SessionBuilder((copied, items, None, ()))

    # -- redirects and presentation ----------------------------------------------------------

    url_with_session_id = staticmethod(url_with_session_id)

    def success_url(self, url: str, *, with_session_id: bool = False) -> SessionBuilder:
        """Where Stripe sends the customer after paying (hosted pages).

        ``with_session_id=True`` appends ``session_id={CHECKOUT_SESSION_ID}`` to the query, which
        Stripe fills in, so the success page can look the session up.
        """
        return self._with("success_url", url_with_session_id(url) if with_session_id else url)

    def cancel_url(self, url: str) -> SessionBuilder:
        """Where Stripe sends the customer who goes back without paying (hosted pages)."""
        return self._with("cancel_url", url)

    def return_url(self, url: str, *, with_session_id: bool = False) -> SessionBuilder:
        """Where embedded and elements sessions send the customer after payment."""
        return self._with("return_url", url_with_session_id(url) if with_session_id else url)

    def redirect_on_completion(self, value: str) -> SessionBuilder:
        """``always``, ``if_required`` or ``never`` (embedded and elements sessions)."""
        return self._with("redirect_on_completion", value)

    def ui_mode(self, value: str) -> SessionBuilder:
        """``hosted_page`` (Stripe's default), ``embedded_page``, ``elements`` or ``form``."""
        return self._with("ui_mode", value)

    def locale(self, value: str) -> SessionBuilder:
        """The language of the payment page (``auto``, ``en``, ``fr-CA``...)."""
        return self._with("locale", value)

    def submit_type(self, value: str) -> SessionBuilder:
        """The pay button's wording: ``auto``, ``book``, ``donate``, ``pay`` or ``subscribe``."""
        return self._with("submit_type", value)

    def currency(self, code: str) -> SessionBuilder:
        """The session's currency (sent in lowercase); setup mode needs it."""
        return self._with("currency", _currency(code))

    # -- customer ----------------------------------------------------------------------------

    def customer(self, customer_id: str) -> SessionBuilder:
        """An existing Customer (``cus_...``) to attach the session to."""
        return self._with("customer", customer_id)

    def customer_email(self, email: str) -> SessionBuilder:
        """Prefill the email of a customer who has no Customer object yet."""
        return self._with("customer_email", email)

    def customer_creation(self, value: str) -> SessionBuilder:
        """``always`` or ``if_required``: when payment mode creates a Customer."""
        return self._with("customer_creation", value)

    def customer_update(
        self, *, address: str | None = None, name: str | None = None, shipping: str | None = None
    ) -> SessionBuilder:
        """Whether to save what the customer enters onto ``customer`` (``auto`` or ``never``)."""
        return self._merge(
            "customer_update", {"address": address, "name": name, "shipping": shipping}
        )

    def client_reference_id(self, value: str) -> SessionBuilder:
        """Your own reference for the session (an order or cart id), up to 200 characters."""
        return self._with("client_reference_id", value)

    def metadata(
        self, values: Mapping[str, object] | None = None, /, **more: object
    ) -> SessionBuilder:
        """Add metadata to the session; numbers and booleans are stored as strings."""
        given: dict[str, object] = {}
        if values is not None:
            converted = _metadata(values)
            if not isinstance(converted, dict):
                return self._with("metadata", converted)
            given.update(converted)
        given.update({key: _metadata_value(value) for key, value in more.items()})
        current = self._state[0].get("metadata")
        return self._with("metadata", {**current, **given} if type(current) is dict else given)

    # -- mode-specific sub-objects -----------------------------------------------------------

    def payment_intent_data(
        self,
        *,
        setup_future_usage: str | None = None,
        capture_method: str | None = None,
        description: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        metadata: Mapping[str, object] | None = None,
        receipt_email: str | None = None,
        on_behalf_of: str | None = None,
        application_fee_amount: int | None = None,
        transfer_group: str | None = None,
        transfer_data: Mapping[str, Any] | None = None,
        shipping: Mapping[str, Any] | None = None,
        **more: Any,
    ) -> SessionBuilder:
        """Settings for the PaymentIntent that payment mode creates; merged with earlier calls.

        ``setup_future_usage="off_session"`` saves the card for later charges;
        ``capture_method="manual"`` places a hold that you capture later. ``more`` passes any
        other key Stripe knows.
        """
        return self._merge(
            "payment_intent_data",
            {
                "setup_future_usage": setup_future_usage,
                "capture_method": capture_method,
                "description": description,
                "statement_descriptor": statement_descriptor,
                "statement_descriptor_suffix": statement_descriptor_suffix,
                "metadata": _metadata(metadata) if metadata is not None else None,
                "receipt_email": receipt_email,
                "on_behalf_of": on_behalf_of,
                "application_fee_amount": application_fee_amount,
                "transfer_group": transfer_group,
                "transfer_data": _copy(transfer_data),
                "shipping": _copy(shipping),
                **{key: _copy(value) for key, value in more.items()},
            },
        )

    def subscription_data(
        self,
        *,
        trial_period_days: int | None = None,
        trial_end: datetime | int | None = None,
        metadata: Mapping[str, object] | None = None,
        description: str | None = None,
        billing_cycle_anchor: datetime | int | None = None,
        proration_behavior: str | None = None,
        default_tax_rates: Iterable[str] | None = None,
        trial_settings: Mapping[str, Any] | None = None,
        application_fee_percent: float | None = None,
        on_behalf_of: str | None = None,
        **more: Any,
    ) -> SessionBuilder:
        """Settings for the Subscription that subscription mode creates; merged with earlier calls.

        ``trial_end`` and ``billing_cycle_anchor`` take a datetime (naive means UTC) or a Unix
        timestamp. ``more`` passes any other key Stripe knows.
        """
        return self._merge(
            "subscription_data",
            {
                "trial_period_days": trial_period_days,
                "trial_end": _timestamp(trial_end),
                "metadata": _metadata(metadata) if metadata is not None else None,
                "description": description,
                "billing_cycle_anchor": _timestamp(billing_cycle_anchor),
                "proration_behavior": proration_behavior,
                "default_tax_rates": (
                    _list(default_tax_rates) if default_tax_rates is not None else None
                ),
                "trial_settings": _copy(trial_settings),
                "application_fee_percent": application_fee_percent,
                "on_behalf_of": on_behalf_of,
                **{key: _copy(value) for key, value in more.items()},
            },
        )

    def setup_intent_data(
        self,
        *,
        description: str | None = None,
        metadata: Mapping[str, object] | None = None,
        on_behalf_of: str | None = None,
    ) -> SessionBuilder:
        """Settings for the SetupIntent that setup mode creates; merged with earlier calls."""
        return self._merge(
            "setup_intent_data",
            {
                "description": description,
                "metadata": _metadata(metadata) if metadata is not None else None,
                "on_behalf_of": on_behalf_of,
            },
        )

    def saved_payment_method_options(
        self,
        *,
        payment_method_save: bool | str | None = None,
        payment_method_remove: bool | str | None = None,
        allow_redisplay_filters: Iterable[str] | None = None,
    ) -> SessionBuilder:
        """Let the customer save (and remove) payment methods; ``True`` means ``"enabled"``."""

        def enabled(value: object) -> object:
            if isinstance(value, bool):
                return "enabled" if value else "disabled"
            return value

        return self._merge(
            "saved_payment_method_options",
            {
                "payment_method_save": enabled(payment_method_save),
                "payment_method_remove": enabled(payment_method_remove),
                "allow_redisplay_filters": (
                    _list(allow_redisplay_filters) if allow_redisplay_filters is not None else None
                ),
            },
        )

    # -- discounts ---------------------------------------------------------------------------

    def allow_promotion_codes(self, value: bool = True) -> SessionBuilder:
        """Show a promotion-code field (not together with :meth:`discount`)."""
        return self._with("allow_promotion_codes", value)

    def discount(
        self, *, coupon: str | None = None, promotion_code: str | None = None
    ) -> SessionBuilder:
        """Apply a coupon or a promotion code (Stripe takes one discount per session)."""
        return self._append(
            "discounts", _drop_none({"coupon": coupon, "promotion_code": promotion_code})
        )

    def discounts(self, discounts: Iterable[Mapping[str, Any]] | None) -> SessionBuilder:
        """Replace the discounts with ``discounts`` in the SDK's form; ``None`` removes them."""
        return self._with("discounts", _list(discounts) if discounts is not None else None)

    # -- expiry ------------------------------------------------------------------------------

    def expires_at(self, when: datetime | int) -> SessionBuilder:
        """Expire the session at ``when`` (a datetime, naive means UTC, or a Unix timestamp).

        Stripe accepts 30 minutes to 24 hours after the session is created.
        """
        return self._with("expires_at", _timestamp(when))

    def expires_in(self, delay: timedelta) -> SessionBuilder:
        """Expire the session ``delay`` after the ``now`` given to :meth:`build`.

        Stripe accepts 30 minutes to 24 hours; the check keeps a small safety margin for the time
        between building and Stripe creating the session, so ask for a little more than
        30 minutes and a little less than 24 hours.
        """
        return self._with_expires_in(delay)

    # -- collection and presentation options -------------------------------------------------

    def billing_address_collection(self, value: str = "required") -> SessionBuilder:
        """``required`` to always collect the billing address, ``auto`` to let Stripe decide."""
        return self._with("billing_address_collection", value)

    def shipping_address_collection(self, allowed_countries: Iterable[str]) -> SessionBuilder:
        """Collect a shipping address in one of ``allowed_countries`` (``["US", "CA"]``)."""
        return self._with(
            "shipping_address_collection", {"allowed_countries": _list(allowed_countries)}
        )

    def phone_number_collection(self, enabled: bool = True) -> SessionBuilder:
        """Ask for the customer's phone number."""
        return self._with("phone_number_collection", {"enabled": enabled})

    def tax_id_collection(
        self, enabled: bool = True, *, required: str | None = None
    ) -> SessionBuilder:
        """Let business customers enter a tax ID (``required="if_supported"`` to insist)."""
        return self._with(
            "tax_id_collection", _drop_none({"enabled": enabled, "required": required})
        )

    def automatic_tax(
        self, enabled: bool = True, *, liability: Mapping[str, Any] | None = None
    ) -> SessionBuilder:
        """Let Stripe Tax compute taxes (Stripe Tax must be set up on the account)."""
        return self._with(
            "automatic_tax", _drop_none({"enabled": enabled, "liability": _copy(liability)})
        )

    def add_custom_field(
        self,
        key: str,
        label: str,
        type: str = "text",
        *,
        optional: bool | None = None,
        options: Iterable[tuple[str, str]] | Iterable[Mapping[str, str]] | None = None,
        default_value: str | None = None,
        minimum_length: int | None = None,
        maximum_length: int | None = None,
    ) -> SessionBuilder:
        """Add a field (``text``, ``numeric`` or ``dropdown``) to the payment page.

        For a dropdown, ``options`` are ``(value, label)`` pairs or Stripe's
        ``{"label": ..., "value": ...}`` mappings.
        """
        field: dict[str, Any] = {
            "key": key,
            "label": {"type": "custom", "custom": label},
            "type": type,
        }
        if optional is not None:
            field["optional"] = optional
        settings = _drop_none(
            {
                "default_value": default_value,
                "minimum_length": minimum_length,
                "maximum_length": maximum_length,
            }
        )
        if options is not None:
            settings["options"] = self._dropdown_options(options)
        if settings and isinstance(type, str):
            field[type] = settings
        return self._append("custom_fields", field)

    @staticmethod
    def _dropdown_options(options: object) -> object:
        listed = _list(options)
        if not isinstance(listed, list):
            return listed
        out: list[object] = []
        for option in listed:
            if type(option) in (tuple, list) and len(option) == 2:
                out.append({"value": option[0], "label": option[1]})
            else:
                out.append(option)
        return out

    def custom_text(
        self,
        *,
        submit: str | None = None,
        after_submit: str | None = None,
        shipping_address: str | None = None,
        terms_of_service_acceptance: str | None = None,
    ) -> SessionBuilder:
        """Text shown on the payment page; merged with earlier calls."""
        messages = {
            "submit": submit,
            "after_submit": after_submit,
            "shipping_address": shipping_address,
            "terms_of_service_acceptance": terms_of_service_acceptance,
        }
        return self._merge(
            "custom_text",
            {key: {"message": text} for key, text in messages.items() if text is not None},
        )

    def consent_collection(
        self,
        *,
        terms_of_service: str | None = None,
        promotions: str | None = None,
        payment_method_reuse_agreement: str | None = None,
    ) -> SessionBuilder:
        """Ask for consent: ``terms_of_service="required"``, ``promotions="auto"``...

        ``payment_method_reuse_agreement`` is the agreement's position (``auto`` or ``hidden``).
        """
        reuse = (
            {"position": payment_method_reuse_agreement}
            if payment_method_reuse_agreement is not None
            else None
        )
        return self._merge(
            "consent_collection",
            {
                "terms_of_service": terms_of_service,
                "promotions": promotions,
                "payment_method_reuse_agreement": reuse,
            },
        )

    def invoice_creation(self, enabled: bool = True, **invoice_data: Any) -> SessionBuilder:
        """Create an invoice after a payment-mode session (``invoice_data`` keys as Stripe's)."""
        value: dict[str, Any] = {"enabled": enabled}
        if invoice_data:
            data = {key: _copy(item) for key, item in invoice_data.items()}
            if "metadata" in data:
                data["metadata"] = _metadata(data["metadata"])
            value["invoice_data"] = data
        return self._with("invoice_creation", value)

    def allowed_payment_method_types(self, *types: str) -> SessionBuilder:
        """Offer only these payment method types (``"card"``, ``"ideal"``...).

        Without it, Stripe offers the methods enabled in the Dashboard.
        """
        return self._with("allowed_payment_method_types", list(types))

    # -- escape hatch ------------------------------------------------------------------------

    def param(self, name: str, value: Any) -> SessionBuilder:
        """Set any other top-level parameter Stripe knows, in the SDK's form.

        ``value=None`` removes the parameter. Names Stripe does not know are reported by
        :meth:`build`.
        """
        given: object = name  # typed as str, but any value may arrive at run time
        if not isinstance(given, str):
            problem = Problem(
                "", "invalid_type", f"Parameter names are strings, not {type(given).__name__}."
            )
            return self._with_pending((*self._state[3], problem))
        builder = self._with(name, _copy(value))
        if self._state[3]:  # problems about a list that is now replaced no longer apply
            builder = builder._with_pending(self._pending_without(name))
        return builder

    def extra(self, **params: Any) -> SessionBuilder:
        """Set several top-level parameters at once, like :meth:`param`."""
        builder = self
        for name, value in params.items():
            builder = builder.param(name, value)
        return builder

    # -- output ------------------------------------------------------------------------------

    def get(self, name: str) -> Any:
        """The value set for the top-level parameter ``name`` (a copy), or None if it is unset.

        For code that completes a builder it was handed (``Checkout`` adds its URLs where the
        application set none); ``line_items`` and ``expires_at`` from :meth:`expires_in` are
        only in :meth:`build`'s result.
        """
        return _copy(self._state[0].get(name))

    def _params(self, now: float | None) -> tuple[dict[str, Any], tuple[Problem, ...]]:
        """The params as a fresh dict (sharing nothing with the builder), and builder problems."""
        fields, items, delay, pending = self._state
        out: dict[str, Any] = _copy(fields)
        if items is not None:
            out["line_items"] = [_copy(item) for item in _listed(items)]
        if delay is not None and now is not None:
            if isinstance(delay, timedelta):
                out["expires_at"] = int(now + delay.total_seconds())
            else:
                out["expires_at"] = delay  # not a timedelta: validation reports it
        return out, pending

    def problems(self, now: datetime | float | None = None) -> tuple[Problem, ...]:
        """Every problem :meth:`build` would report (empty when the params are valid).

        ``now`` is the moment of creation, used by the clock-dependent rules and by
        :meth:`expires_in`: a datetime (naive means UTC), a Unix timestamp, or None for the
        current time.
        """
        return self._check(now)[1]

    def _check(self, now: object) -> tuple[dict[str, Any], tuple[Problem, ...]]:
        timestamp = _now_timestamp(now)
        params, pending = self._params(timestamp)
        if timestamp is None:
            pending = (
                *pending,
                Problem(
                    "",
                    "invalid_type",
                    f"now must be a datetime, a Unix timestamp or None, not {now!r}.",
                ),
            )
            found = validate_session_params(params)
        else:
            found = validate_session_params(params, now=timestamp)
        if not pending:
            return params, found
        # An amount that could not be converted is missing from the params; the problem that
        # says why replaces validation's report of the missing amount.
        unconverted = {problem.param for problem in pending}
        found = tuple(
            problem
            for problem in found
            if not (
                (problem.code == "parameter_missing" and problem.param in unconverted)
                or (
                    problem.code == "unit_amount_xor_unit_amount_decimal"
                    and problem.param + "[unit_amount]" in unconverted
                )
            )
        )
        return params, (*pending, *found)

    def build(self, now: datetime | float | None = None) -> SessionCreateParams:
        """The session params, exactly as ``StripeClient.v1.checkout.sessions.create`` takes them.

        The result is a new dict each time, with only the keys that were asked for. Raises
        :class:`~checkoutkit.InvalidSessionError` listing every problem when Stripe would reject
        the params. ``now`` is as for :meth:`problems`.
        """
        params, found = self._check(now)
        if found:
            raise InvalidSessionError(found)
        return cast("SessionCreateParams", params)


_PAYMENT: Final = SessionBuilder(({"mode": "payment"}, None, None, ()))
_SUBSCRIPTION: Final = SessionBuilder(({"mode": "subscription"}, None, None, ()))
_SETUP: Final = SessionBuilder(({"mode": "setup"}, None, None, ()))
