"""Build the application's gateway from the environment."""

from checkoutkit import CheckoutGateway

gateway = CheckoutGateway.from_env()  # reads STRIPE_SECRET_KEY (and STRIPE_API_BASE, if set)
