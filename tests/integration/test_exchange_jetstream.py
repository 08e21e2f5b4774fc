"""Outbox → JetStream → inbox on real nats-server processes of our own (never the one on 4222).

Nothing lost, nothing applied twice: across a relay cut short, a receiver that crashes before its
commit, one that crashes after its commit but before its acknowledgement, a consumer restart,
and (on a 3-server cluster with R3 streams) the loss of the server leading the stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import pytest
from tests.conftest import Clock
from tests.exchange_support import (
    Applier,
    Factory,
    NatsServer,
    NoAuthorisations,
    applied,
    link,
    make_change,
    queue,
    sqlite_node,
)

from xinyong.services import exchange
from xinyong.services.exchange import Outcome, Published, TransportError
from xinyong.transport.jetstream import JetStreamTransport, StreamSettings

#: Redeliver quickly: the tests wait for redeliveries, in bounded loops.
QUICK = StreamSettings(replicas=1, ack_wait=1.0, request_timeout=2.0)


async def _delete_streams(urls: list[str]) -> None:
    nc = await nats.connect(servers=urls)
    js = nc.jetstream()
    for name in await js.streams_info():
        await js.delete_stream(name.config.name or "")
    await nc.close()


@pytest.fixture
def server(nats_server: NatsServer) -> str:
    """The session's single server, with no streams left from an earlier test."""
    asyncio.run(_delete_streams([nats_server.url]))
    return nats_server.url


@pytest.fixture
def transports(server: str) -> Iterator[Callable[[str], JetStreamTransport]]:
    """Open transports for nodes; all are closed after the test."""
    opened: list[JetStreamTransport] = []

    def open_for(node: str) -> JetStreamTransport:
        transport = JetStreamTransport([server], node, QUICK).open()
        opened.append(transport)
        return transport

    yield open_for
    for transport in opened:
        transport.close()


class CutAfter:
    """A transport that publishes `n` messages and then fails, as a relay crashing would."""

    def __init__(self, inner: JetStreamTransport, n: int) -> None:
        self.inner, self.n = inner, n

    def publish(self, recipient: str, message_id: str, data: bytes) -> Published:
        published = self.inner.publish(recipient, message_id, data)
        self.n -= 1
        if self.n < 0:
            raise TransportError("the relay crashed after publishing, before marking")
        return published

    def fetch(self, origin: str, *, batch: int, timeout: float) -> list[object]:
        raise NotImplementedError


def drain(cn: Factory, transport: JetStreamTransport, apply: Applier, want: int) -> dict[str, int]:
    """Consume until `want` events are applied (at most about 30 s); count the outcomes."""
    counts = {o.value: 0 for o in Outcome}
    for _ in range(30):
        report = exchange.consume(cn(), transport, "GD", apply, batch=50, timeout=1.0)
        for outcome, n in report.outcomes.items():
            counts[outcome.value] += n
        if len(applied(cn)) >= want and report.handled == 0:
            return counts
    raise AssertionError(f"only {len(applied(cn))} of {want} events arrived")


def test_nothing_is_lost_or_applied_twice_across_crashes_and_a_restart(
    linked: tuple[Factory, Factory], transports: Callable[[str], JetStreamTransport]
) -> None:
    gd, cn = linked
    seqs = queue(gd, *(make_change(n=i) for i in range(1, 7)))
    sender = transports("GD")
    # The relay publishes four messages, then dies before marking the fourth as sent.
    cut = exchange.relay_outbox(gd(), CutAfter(sender, 3), NoAuthorisations())  # type: ignore[arg-type]
    assert (cut.events, cut.failed is not None) == (3, True)
    rest = exchange.relay_outbox(gd(), sender, NoAuthorisations())
    assert (rest.events, rest.duplicates) == (3, 1)  # the stream dropped the repeated message

    apply = Applier(fail_once={seqs[1]})
    first = transports("CN")
    deliveries = first.fetch("GD", batch=3, timeout=2.0)
    assert len(deliveries) == 3
    one, two, three = deliveries
    assert exchange.receive(cn(), "GD", one.data, one.stream_seq, apply) is Outcome.APPLIED
    one.ack()
    with pytest.raises(RuntimeError):  # crashes before its commit: nothing of it stays
        exchange.receive(cn(), "GD", two.data, two.stream_seq, apply)
    assert exchange.receive(cn(), "GD", three.data, three.stream_seq, apply) is Outcome.APPLIED
    # ... and crashes after committing the third, before acknowledging it. The consumer restarts.
    first.close()
    assert applied(cn) == [f"GD.{seqs[0]}", f"GD.{seqs[2]}"]

    counts = drain(cn, transports("CN"), apply, want=6)
    assert applied(cn) == sorted(f"GD.{s}" for s in seqs)  # each exactly once
    assert counts["duplicate"] >= 1  # the third came again and was recognised
    assert counts["applied"] == 4


def test_a_peer_that_may_not_receive_an_event_never_sees_it(
    linked: tuple[Factory, Factory], transports: Callable[[str], JetStreamTransport]
) -> None:
    from xinyong.domain.exchange import Sharing

    gd, cn = linked
    queue(gd, make_change(n=1, sharing=Sharing.NEVER), make_change(n=2))
    report = exchange.relay_outbox(gd(), transports("GD"), NoAuthorisations())
    assert (report.events, report.messages, report.withheld) == (2, 1, 1)
    drain(cn, transports("CN"), Applier(), want=1)
    assert len(applied(cn)) == 1


# --- the cluster ---------------------------------------------------------------------------


async def _stream_leader(urls: list[str], stream: str) -> str:
    nc = await nats.connect(servers=urls)
    try:
        info = await nc.jetstream().stream_info(stream)
        assert info.cluster is not None
        return info.cluster.leader or ""
    finally:
        await nc.close()


def relay_until_empty(gd: Factory, transport: JetStreamTransport) -> int:
    """Relay until the outbox is empty; a round may fail while the cluster elects a leader."""
    sent = 0
    for _ in range(60):
        report = exchange.relay_outbox(gd(), transport, NoAuthorisations())
        sent += report.events
        with gd() as u:
            if not u.outbox.pending(1):
                return sent
        time.sleep(0.5)
    raise AssertionError("the outbox did not empty")


def test_the_cluster_loses_its_stream_leader_mid_stream_and_still_converges(
    tmp_path: Path, clock: Clock, migrated_sqlite: Path, nats_cluster: list[NatsServer]
) -> None:
    # Both nodes on SQLite files of their own: the databases are not what this test is about.
    gd, cn = (sqlite_node(tmp_path / f"{name}.db", migrated_sqlite, clock) for name in "ab")
    link(gd, cn)
    urls = [s.url for s in nats_cluster]
    settings = StreamSettings(replicas=3, ack_wait=1.0, request_timeout=2.0)
    sender = JetStreamTransport(urls, "GD", settings).open()
    receiver = JetStreamTransport(urls, "CN", settings).open()
    try:
        seqs = queue(gd, *(make_change(n=i) for i in range(1, 11)))
        assert relay_until_empty(gd, sender) == 10
        exchange.consume(cn(), receiver, "GD", Applier(), batch=4, timeout=2.0)
        leader = asyncio.run(_stream_leader(urls, "XY_GD"))
        next(s for s in nats_cluster if s.name == leader).kill()
        seqs += queue(gd, *(make_change(n=i) for i in range(11, 21)))
        assert relay_until_empty(gd, sender) == 10
        drain(cn, receiver, Applier(), want=20)
        assert applied(cn) == sorted(f"GD.{s}" for s in seqs)
    finally:
        sender.close()
        receiver.close()
