"""Every Checkout Session parameter the sandbox accepts is honoured; every other one is refused.

Through the stripe SDK over HTTP: discounts (coupons, promotion codes), shipping options and the
details a session collects change what the session answers; a parameter the SDK declares but
the sandbox does not model is a 400 naming it.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from checkoutkit._rules import Kind, Spec, session_create_spec
from checkoutkit.sandbox import Sandbox
from checkoutkit.sandbox._modelled import SESSION_CREATE


def _sample(spec: Spec) -> Any:
    """A small value of the kind ``spec`` accepts (required keys filled)."""
    if spec.kind == Kind.ENUM:
        return sorted(spec.enum)[0]
    if spec.kind == Kind.BOOL:
        return True
    if spec.kind in {Kind.INT, Kind.NUMBER}:
        return 1
    if spec.kind == Kind.OBJECT:
        keys = spec.required or tuple(sorted(spec.fields))[:1]
        return {k: _sample(spec.fields[k]) for k in keys}
    if spec.kind == Kind.LIST and spec.item is not None:
        return [_sample(spec.item)]
    if spec.kind == Kind.MAP and spec.item is not None:
        return {"k": _sample(spec.item)}
    return "x"


_UNMODELLED = sorted(set(session_create_spec().fields) - set(SESSION_CREATE) - {"expand"})


def _payment(**extra: Any) -> dict[str, Any]:
    return {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1000,
                    "product_data": {"name": "Lamp"},
                },
                "quantity": 3,
            }
        ],
        **extra,
    }


def test_some_declared_parameters_are_not_modelled() -> None:
    """The refusal below is exercised on real parameters (the list is not empty)."""
    assert "payment_method_data" in _UNMODELLED
    assert "mode" not in _UNMODELLED


@pytest.mark.parametrize("key", _UNMODELLED)
def test_a_parameter_the_sandbox_does_not_model_is_refused(
    client: stripe.StripeClient, key: str
) -> None:
    """Each SDK-declared parameter outside the modelled tree is a 400 that names it."""
    value = _sample(session_create_spec().fields[key])
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=_payment(**{key: value}))
    assert raised.value.http_status == 400
    assert raised.value.param is not None
    assert raised.value.param.startswith(key)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        (
            {"line_items": [{"price": "price_x", "quantity": 1, "tax_rates": ["txr_1"]}]},
            "tax_rates",
        ),
        ({"payment_intent_data": {"application_fee_amount": 10}}, "application_fee_amount"),
        ({"subscription_data": {"proration_behavior": "none"}}, "proration_behavior"),
    ],
)
def test_a_nested_parameter_not_modelled_is_refused_by_name(
    client: stripe.StripeClient, extra: dict[str, Any], param: str
) -> None:
    """Below a modelled parameter, an unmodelled key is refused as parameter_unknown."""
    params = _payment()
    key = next(iter(extra))
    if key == "line_items":
        extra[key][0] = {**params["line_items"][0], "tax_rates": ["txr_1"]}
    if key == "subscription_data":
        params = {
            "mode": "subscription",
            "success_url": "https://shop.example/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1000,
                        "product_data": {"name": "Plan"},
                        "recurring": {"interval": "month"},
                    },
                    "quantity": 1,
                }
            ],
        }
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params={**params, **extra})
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param is not None
    assert raised.value.param.endswith(f"[{param}]")
    assert "does not model" in str(raised.value.user_message)


def test_branding_the_page_shows_is_answered_and_the_rest_refused(
    client: stripe.StripeClient,
) -> None:
    """The name and colours the payment page applies are answered over the account's defaults;
    a branding setting the page does not apply (a font) is refused by name."""
    branding = {"display_name": "Lamp shop", "button_color": "#112233"}
    session = client.v1.checkout.sessions.create(params=_payment(branding_settings=branding))
    assert session.branding_settings is not None
    assert session.branding_settings.display_name == "Lamp shop"
    assert session.branding_settings.button_color == "#112233"
    assert session.branding_settings.background_color == "#ffffff"  # the account's default
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params=_payment(branding_settings={**branding, "font_family": "roboto"})
        )
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "branding_settings[font_family]"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"automatic_tax": {"enabled": True}}, "automatic_tax[enabled]"),
        ({"invoice_creation": {"enabled": True}}, "invoice_creation[enabled]"),
    ],
)
def test_values_the_sandbox_cannot_act_on_are_refused(
    client: stripe.StripeClient, extra: dict[str, Any], param: str
) -> None:
    """Tax calculation and invoices are not modelled: enabling them is a 400 naming it."""
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=_payment(**extra))
    assert raised.value.param == param
    created = client.v1.checkout.sessions.create(
        params=_payment(**{k: {"enabled": False} for k in extra})
    )
    assert created.status == "open"


def test_coupons_and_promotion_codes_over_the_api(client: stripe.StripeClient) -> None:
    """Create, retrieve and list coupons and promotion codes; an unknown coupon is refused."""
    percent = client.v1.coupons.create(params={"percent_off": 12.5, "name": "Spring"})
    amount = client.v1.coupons.create(params={"amount_off": 300, "currency": "usd", "id": "THREE"})
    assert client.v1.coupons.retrieve("THREE").amount_off == 300
    assert {c.id for c in client.v1.coupons.list().data} == {percent.id, amount.id}
    code = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": percent.id}, "code": "SPRING"}
    )
    assert client.v1.promotion_codes.retrieve(code.id).promotion.coupon == percent.id
    assert [p.id for p in client.v1.promotion_codes.list(params={"code": "spring"}).data] == [
        code.id
    ]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": "NO"}})
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert raised.value.param == "promotion[coupon]"


@pytest.mark.parametrize(
    ("coupon", "discount"),
    [({"percent_off": 25}, 750), ({"amount_off": 400, "currency": "usd"}, 400)],
)
def test_a_discount_lowers_the_total(
    client: stripe.StripeClient, box: Sandbox, coupon: dict[str, Any], discount: int
) -> None:
    """percent_off and amount_off come off the subtotal, shown in total_details and on the
    line items, and the payment is for the discounted total."""
    made = client.v1.coupons.create(params=coupon)
    session = client.v1.checkout.sessions.create(params=_payment(discounts=[{"coupon": made.id}]))
    assert session.amount_subtotal == 3000
    assert session.total_details is not None
    assert session.total_details.amount_discount == discount
    assert session.amount_total == 3000 - discount
    items = client.v1.checkout.sessions.line_items.list(session.id).data
    assert sum(li.amount_discount for li in items) == discount
    paid = box.pay(session.id, card="4242424242424242")["session"]
    intent = client.v1.payment_intents.retrieve(paid["payment_intent"])
    assert intent.amount == 3000 - discount
    assert client.v1.coupons.retrieve(made.id).times_redeemed == 1


@pytest.mark.parametrize(
    ("discount", "param"),
    [
        ({"coupon": "NOPE"}, "discounts[0][coupon]"),
        ({"promotion_code": "promo_nope"}, "discounts[0][promotion_code]"),
    ],
)
def test_an_unknown_discount_is_refused(
    client: stripe.StripeClient, discount: dict[str, str], param: str
) -> None:
    """An unknown coupon or promotion code is Stripe's 400 resource_missing on its param."""
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=_payment(discounts=[discount]))
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert raised.value.param == param


def test_shipping_options_add_to_the_total(client: stripe.StripeClient, box: Sandbox) -> None:
    """A fixed shipping rate is added to amount_total, shipping_cost and total_details; the
    shopper's choice of option and address is what the paid session answers."""
    session = client.v1.checkout.sessions.create(
        params=_payment(
            shipping_address_collection={"allowed_countries": ["DE", "FR"]},
            shipping_options=[
                {
                    "shipping_rate_data": {
                        "display_name": "Standard",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 500, "currency": "usd"},
                    }
                },
                {
                    "shipping_rate_data": {
                        "display_name": "Express",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 1500, "currency": "usd"},
                    }
                },
            ],
        )
    )
    assert session.amount_total == 3500
    assert session.shipping_cost is not None
    assert session.shipping_cost.amount_total == 500
    express = session.shipping_options[1].shipping_rate
    assert client.v1.shipping_rates.retrieve(str(express)).display_name == "Express"
    refused = box.pay(session.id, card="4242424242424242")
    assert refused["status"] == "failed"
    address = {
        "shipping_name": "Ada Lovelace",
        "shipping_line1": "Hauptstr. 1",
        "shipping_city": "Berlin",
        "shipping_postal_code": "10115",
        "shipping_country": "de",
    }
    paid = box.pay(session.id, card="4242424242424242", shipping_rate=express, **address)
    assert paid["status"] == "succeeded", paid["error"]
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.amount_total == 4500
    assert done.total_details is not None
    assert done.total_details.amount_shipping == 1500
    assert done.collected_information is not None
    shipping = done.collected_information.shipping_details
    assert shipping is not None
    assert (shipping.name, shipping.address.country) == ("Ada Lovelace", "DE")
    intent = client.v1.payment_intents.retrieve(str(done.payment_intent))
    assert intent.amount == 4500
    assert intent.shipping is not None
    assert intent.shipping.address.city == "Berlin"


def test_shipping_in_another_currency_is_refused(client: stripe.StripeClient) -> None:
    """A shipping rate must be in the session's currency."""
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params=_payment(
                shipping_options=[
                    {
                        "shipping_rate_data": {
                            "display_name": "Post",
                            "type": "fixed_amount",
                            "fixed_amount": {"amount": 5, "currency": "eur"},
                        }
                    }
                ]
            )
        )
    assert raised.value.param == "shipping_options[0][shipping_rate_data][fixed_amount][currency]"


def test_collected_details_are_required_and_returned(
    client: stripe.StripeClient, box: Sandbox
) -> None:
    """Consent, custom fields, phone and tax ID: required ones refuse the payment until given,
    and what was given is on the completed session."""
    session = client.v1.checkout.sessions.create(
        params=_payment(
            consent_collection={"terms_of_service": "required", "promotions": "auto"},
            custom_text={"submit": {"message": "Ships in 2 days"}},
            custom_fields=[
                {
                    "key": "engraving",
                    "label": {"type": "custom", "custom": "Engraving"},
                    "type": "text",
                    "text": {"maximum_length": 10},
                },
                {
                    "key": "size",
                    "label": {"type": "custom", "custom": "Size"},
                    "type": "dropdown",
                    "dropdown": {"options": [{"label": "Large", "value": "L"}]},
                    "optional": True,
                },
            ],
            phone_number_collection={"enabled": True},
            tax_id_collection={"enabled": True},
        )
    )
    assert session.custom_text.submit is not None
    assert session.custom_text.submit.message == "Ships in 2 days"
    card = {"card": "4242424242424242"}
    given = {"terms": "accepted", "custom.engraving": "ADA", "phone": "+49 30 1234"}
    for missing in given:
        partial = {k: v for k, v in given.items() if k != missing}
        assert box.pay(session.id, **card, **partial)["status"] == "failed", missing
    too_long = box.pay(session.id, **card, **{**given, "custom.engraving": "x" * 11})
    assert too_long["status"] == "failed"
    paid = box.pay(session.id, **card, **given, tax_id_type="eu_vat", tax_id_value="DE123")
    assert paid["status"] == "succeeded", paid["error"]
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.consent is not None
    assert (done.consent.terms_of_service, done.consent.promotions) == ("accepted", "opt_out")
    text = done.custom_fields[0].text
    assert text is not None
    assert text.value == "ADA"
    assert done.custom_fields[1].dropdown is not None
    assert done.custom_fields[1].dropdown.value is None
    assert done.customer_details is not None
    assert done.customer_details.phone == "+49 30 1234"
    assert [(t.type, t.value) for t in done.customer_details.tax_ids or []] == [("eu_vat", "DE123")]
