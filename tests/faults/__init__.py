"""The fault suite: exactly-once fulfilment through crashes, store outages and cancellation."""
