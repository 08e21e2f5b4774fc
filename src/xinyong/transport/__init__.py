"""Adapters to message engines (NATS JetStream); only the exchange's entry points import them."""
