"""Errors the sandbox answers, in Stripe's wire format.

Every error carries the HTTP status and ``type`` Stripe answers with, a ``code`` from Stripe's
published list of error codes (:data:`STRIPE_ERROR_CODES`) or none where Stripe sends none,
the ``param`` it concerns and a message. Checkout Session parameters are judged by the shared
rules (:func:`checkoutkit.validate_session_params`), whose precise rule ids
(``quantity_min_1``) stay in :class:`checkoutkit.Problem`; :func:`from_problem` turns one into
the error Stripe sends, through the one table :data:`STRIPE_CODE_OF_RULE`.
"""

from __future__ import annotations

from typing import Any, Final

from checkoutkit._problems import Problem

#: Stripe's published error codes (https://docs.stripe.com/error-codes), as the stripe SDK this
#: sandbox is pinned to declares them. An :class:`ApiError` refuses any other code.
STRIPE_ERROR_CODES: Final = frozenset(
    """
    account_closed account_country_invalid_address
    account_error_country_change_requires_additional_steps account_information_mismatch
    account_invalid account_number_invalid account_token_required_for_v2_account
    acss_debit_session_incomplete action_blocked alipay_upgrade_required amount_too_large
    amount_too_small anomalous_money_movement_request api_key_expired
    application_fees_not_allowed approval_required authentication_failure
    authentication_required balance_insufficient balance_invalid_parameter
    bank_account_bad_routing_numbers bank_account_declined bank_account_exists
    bank_account_restricted bank_account_unusable bank_account_unverified
    bank_account_verification_failed billing_invalid_mandate bitcoin_upgrade_required
    capability_not_active capture_charge_authorization_expired capture_unauthorized_payment
    card_decline_rate_limit_exceeded card_declined cardholder_phone_number_required
    charge_already_captured charge_already_refunded charge_disputed charge_exceeds_source_limit
    charge_exceeds_transaction_limit charge_expired_for_capture charge_invalid_parameter
    charge_not_refundable clearing_code_unsupported country_code_invalid country_unsupported
    coupon_expired customer_max_payment_methods customer_max_subscriptions
    customer_session_expired customer_tax_location_invalid debit_not_authorized
    dispute_evidence_page_limit_exceeded email_invalid expired_card expired_payment_method
    failed_tax_calculation financial_account_balance_does_not_support_currency
    financial_account_capability_not_enabled financial_account_capability_restricted
    financial_connections_account_inactive financial_connections_account_pending_account_numbers
    financial_connections_account_unavailable_account_numbers
    financial_connections_consent_locale_invalid
    financial_connections_consent_locale_unsupported
    financial_connections_no_successful_transaction_refresh forwarding_api_inactive
    forwarding_api_invalid_parameter forwarding_api_retryable_upstream_error
    forwarding_api_upstream_connection_error forwarding_api_upstream_connection_timeout
    forwarding_api_upstream_error idempotency_key_in_use incorrect_address incorrect_cvc
    incorrect_number incorrect_postal_code incorrect_zip
    india_recurring_payment_mandate_canceled instant_payouts_config_disabled
    instant_payouts_currency_disabled instant_payouts_limit_exceeded instant_payouts_unsupported
    insufficient_funds intent_invalid_state intent_verification_method_missing
    invalid_canceled_subscription_fields invalid_card_type invalid_characters
    invalid_charge_amount invalid_cvc invalid_expiry_month invalid_expiry_year
    invalid_mandate_reference_prefix_format invalid_number invalid_source_usage
    invalid_tax_location invoice_no_customer_line_items invoice_no_payment_method_types
    invoice_no_subscription_line_items invoice_not_editable invoice_on_behalf_of_not_editable
    invoice_payment_intent_requires_action invoice_upcoming_none livemode_mismatch lock_timeout
    missing no_account not_allowed_on_standard_account out_of_inventory
    ownership_declaration_not_allowed parameter_invalid_empty parameter_invalid_integer
    parameter_invalid_string_blank parameter_invalid_string_empty parameter_missing
    parameter_unknown parameters_exclusive payment_evaluation_on_api_version_not_supported
    payment_intent_action_required payment_intent_authentication_failure
    payment_intent_incompatible_payment_method payment_intent_invalid_parameter
    payment_intent_konbini_rejected_confirmation_number payment_intent_mandate_invalid
    payment_intent_payment_attempt_expired payment_intent_payment_attempt_failed
    payment_intent_rate_limit_exceeded payment_intent_unexpected_state
    payment_method_bank_account_already_verified payment_method_bank_account_blocked
    payment_method_billing_details_address_missing payment_method_configuration_failures
    payment_method_currency_mismatch payment_method_customer_decline
    payment_method_invalid_parameter payment_method_invalid_parameter_testmode
    payment_method_microdeposit_failed payment_method_microdeposit_processing_error
    payment_method_microdeposit_verification_amounts_invalid
    payment_method_microdeposit_verification_amounts_mismatch
    payment_method_microdeposit_verification_attempts_exceeded
    payment_method_microdeposit_verification_descriptor_code_mismatch
    payment_method_microdeposit_verification_timeout payment_method_not_available
    payment_method_provider_decline payment_method_provider_timeout payment_method_restricted
    payment_method_unactivated payment_method_unexpected_state payment_method_unsupported_type
    payout_reconciliation_not_ready payouts_limit_exceeded payouts_not_allowed
    platform_account_required platform_api_key_expired postal_code_invalid processing_error
    product_inactive progressive_onboarding_limit_exceeded rate_limit refer_to_customer
    refund_disputed_payment request_blocked resource_already_exists resource_missing
    return_intent_already_processed routing_number_invalid secret_key_required
    sepa_unsupported_account service_period_coupon_with_metered_tiered_item_unsupported
    setup_attempt_failed setup_intent_authentication_failure setup_intent_invalid_parameter
    setup_intent_mandate_invalid setup_intent_mobile_wallet_unsupported
    setup_intent_setup_attempt_expired setup_intent_unexpected_state shipping_address_invalid
    shipping_calculation_failed siret_invalid sku_inactive smart_disputes_not_available
    state_unsupported status_transition_invalid storer_capability_missing
    storer_capability_not_active stripe_tax_inactive
    subscription_update_trial_after_billing_cycle_anchor tax_id_invalid tax_id_prohibited
    taxes_calculation_failed terminal_location_country_unsupported terminal_reader_busy
    terminal_reader_hardware_fault terminal_reader_invalid_location_for_activation
    terminal_reader_invalid_location_for_payment terminal_reader_offline terminal_reader_timeout
    testmode_charges_only three_d_secure_authentication_not_supported
    three_d_secure_authentication_upstream_error tls_version_unsupported token_already_used
    token_card_network_invalid token_in_use transfer_source_balance_parameters_mismatch
    transfers_not_allowed url_invalid
    """.split()  # noqa: SIM905 - a word list reads better than 209 quoted strings
)

_MISSING = "parameter_missing"
_UNKNOWN = "parameter_unknown"
_EXCLUSIVE = "parameters_exclusive"

#: The Stripe error code answered for each rule id of docs/rules.md; None: Stripe sends no code
#: (an enum value it does not know, a length, a combination it refuses). A rule id missing here
#: is answered without a code; a test keeps this table and the rules table in step.
STRIPE_CODE_OF_RULE: Final[dict[str, str | None]] = {
    # parameters that are required (always, or in the session's mode)
    **dict.fromkeys(
        [
            "mode_required",
            "payment_requires_line_items",
            "subscription_requires_line_items",
            "setup_currency_or_payment_method_types",
            "hosted_requires_success_url",
            "embedded_return_url_required_for_redirect_pms",
            "price_data_product_data_name",
            "quantity_required",
            "adjustable_quantity_enabled_required",
            "automatic_tax_requires_enabled",
            "tax_id_collection_enabled_required",
            "shipping_allowed_countries_required",
            "parameter_missing",
        ],
        _MISSING,
    ),
    # keys that are not parameters of the pinned API version
    **dict.fromkeys(
        ["unknown_parameter", "legacy_line_item_params_removed", "pwyw_requires_price_object"],
        _UNKNOWN,
    ),
    "customer_xor_customer_email": _EXCLUSIVE,
    "allow_promotion_codes_xor_discounts": _EXCLUSIVE,
    "parameter_invalid_empty": "parameter_invalid_empty",
    "url_http_or_https": "url_invalid",
    "minimum_charge_amount": "amount_too_small",
    "maximum_amount_8_digits": "amount_too_large",
    # refused without a code: values outside an enum, lengths, counts and combinations
    **dict.fromkeys(
        [
            "mode_enum",
            "setup_no_line_items",
            "subscription_requires_recurring_price",
            "payment_no_recurring_prices",
            "ui_mode_enum",
            "embedded_no_success_url",
            "embedded_no_cancel_url",
            "hosted_no_return_url",
            "redirect_on_completion_enum",
            "redirect_on_completion_never_no_redirect_pms",
            "url_max_5000",
            "customer_creation_enum",
            "customer_creation_payment_or_setup_only",
            "customer_update_requires_customer",
            "customer_email_max_800",
            "payment_intent_data_payment_only",
            "setup_future_usage_enum",
            "capture_method_enum",
            "subscription_data_subscription_only",
            "setup_intent_data_setup_only",
            "payment_method_collection_subscription_only",
            "invoice_creation_payment_mode_only",
            "phone_number_collection_payment_or_subscription",
            "shipping_options_payment_mode_only",
            "submit_type_payment_or_subscription",
            "submit_type_enum",
            "saved_payment_method_options_mode",
            "saved_payment_method_options_enum",
            "price_xor_price_data",
            "payment_max_100_line_items",
            "subscription_max_20_recurring_20_one_time",
            "optional_items_max_10",
            "line_items_single_currency",
            "price_data_product_xor_product_data",
            "product_images_max_8",
            "unit_amount_xor_unit_amount_decimal",
            "unit_amount_non_negative",
            "price_data_recurring_fields",
            "recurring_interval_enum",
            "recurring_interval_max_3_years",
            "quantity_min_1",
            "adjustable_quantity_bounds",
            "adjustable_quantity_max_ge_quantity",
            "currency_iso_format",
            "currency_supported",
            "zero_decimal_currency_amounts",
            "expires_at_30min_to_24h",
            "discounts_max_one",
            "metadata_max_50_keys",
            "metadata_key_40_value_500",
            "metadata_no_square_brackets",
            "client_reference_id_max_200",
            "statement_descriptor_suffix_max_22",
            "locale_enum",
            "shipping_allowed_countries_supported",
            "shipping_options_max_5",
            "consent_collection_enums",
            "custom_fields_max_3",
            "custom_field_key_max_200",
            "custom_field_label_max_50",
            "custom_field_dropdown_options_required",
            "custom_text_max_1200",
            "billing_address_collection_enum",
            "permissions_embedded_or_custom_only",
            "custom_ui_mode_restrictions",
            "allowed_payment_method_types_enum",
            "trial_period_days_min_1",
            "trial_end_min_48h",
            "billing_cycle_anchor_future",
            "application_fee_percent_range",
            "invalid_type",
            "invalid_enum",
            "string_too_long",
            "value_out_of_range",
            "too_many_items",
        ],
        None,
    ),
}

# Stripe's own words for the generic errors; other rules keep the rule's message.
_STRIPE_MESSAGES: Final = {
    _UNKNOWN: "Received unknown parameter: {param}",
    _MISSING: "Missing required param: {param}.",
    "parameter_invalid_empty": (
        "You passed an empty string for '{param}'. We assume empty values are an attempt to "
        "unset a parameter; however '{param}' cannot be unset. You should remove '{param}' "
        "from your request or supply a non-empty value."
    ),
    "url_invalid": "Not a valid URL",
}


class ApiError(Exception):
    """An error answered as ``{"error": {...}}`` with Stripe's HTTP status and error type.

    The stripe SDK picks its exception class from the status and ``type``, so these must match
    what Stripe answers: 400/404 ``invalid_request_error`` → ``InvalidRequestError``, 401 →
    ``AuthenticationError``, 402 ``card_error`` → ``CardError``, 400 or 409
    ``idempotency_error`` → ``IdempotencyError``. ``code`` must be one of
    :data:`STRIPE_ERROR_CODES` (or None); any other is a ``ValueError``.
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
        if code is not None and code not in STRIPE_ERROR_CODES:
            raise ValueError(f"{code!r} is not one of Stripe's error codes")
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.should_retry = should_retry

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe sends for this error.

        Stripe adds ``request_log_url`` (a link into its Dashboard) to some errors; the sandbox
        has no such page, so the key is left out rather than sent as ``null``.
        """
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            err["param"] = self.param
        if self.decline_code is not None:
            err["decline_code"] = self.decline_code
        return {"error": err}


def stripe_code(rule_id: str) -> str | None:
    """The Stripe error code answered for a problem with rule id ``rule_id`` (None: no code)."""
    return STRIPE_CODE_OF_RULE.get(rule_id)


def from_problem(problem: Problem) -> ApiError:
    """The 400 Stripe answers for ``problem`` from the shared session rules."""
    code = stripe_code(problem.code)
    template = _STRIPE_MESSAGES.get(code or "")
    message = template.format(param=problem.param) if template and problem.param else None
    return invalid(message or problem.message, param=problem.param or None, code=code)


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, message, code=code, param=param)


def missing(kind: str, object_id: str, *, param: str = "id") -> ApiError:
    """Stripe's 404 ``resource_missing`` for an unknown ID in the URL's path."""
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unknown_reference(kind: str, object_id: str, *, param: str) -> ApiError:
    """Stripe's 400 ``resource_missing`` for an unknown ID given as a parameter."""
    return ApiError(400, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
