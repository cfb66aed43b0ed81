"""Create a Checkout Session with the async gateway (needs the ``async`` extra)."""

from checkoutkit import CheckoutGateway, CheckoutSession, SessionBuilder


async def create_session(order: SessionBuilder) -> CheckoutSession:
    async with CheckoutGateway.from_env() as gateway:
        return await gateway.create_async(order)
