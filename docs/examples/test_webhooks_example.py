from checkoutkit import testing


def test_paid_order_is_fulfilled(webhook_router, sign_webhook):
    orders = []
    webhook_router.on("checkout.session.completed")(
        lambda event: orders.append(event.session.client_reference_id)
    )
    body = testing.completed(client_reference_id="order_7")
    response = webhook_router.handle(body, {"Stripe-Signature": sign_webhook(body)})
    assert response.status == 200
    assert orders == ["order_7"]
