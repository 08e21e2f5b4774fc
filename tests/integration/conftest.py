"""Integration fixtures beyond the shared ones: the exchange's nodes and NATS servers."""

from tests.exchange_support import (  # noqa: F401 - pytest finds fixtures by name here
    cn,
    gd,
    linked,
    migrated_sqlite,
    nats_cluster,
    nats_server,
)
