"""The exchange's repositories and use cases on a real database, over an in-memory broker.

The sending node "GD" lives on the session's database (SQLite, and PostgreSQL when given); the
national node "CN" on a SQLite file of its own: two platforms, two databases.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import pytest
from sqlalchemy import func, select

from tests.conftest import Clock
from tests.exchange_support import (
    CN_ID,
    CN_KEYS,
    GD_ID,
    GD_KEYS,
    ZJ_ID,
    ZJ_KEYS,
    Applier,
    Factory,
    FakeBroker,
    FakeTransport,
    NatsServer,
    NoAuthorisations,
    applied,
    link,
    make_change,
    peer,
    queue,
    sqlite_node,
)
from xinyong.db.exchange import OutboxRow, SqlExchangeUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.envelopes import RefusalReason, canonical_json, make_envelope
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.exchange import (
    Entitlement,
    Event,
    EventKind,
    NodeIdentity,
    NodeLevel,
    PeerKind,
    Sharing,
)
from xinyong.services import exchange
from xinyong.services.exchange import Outcome, Peer, Published, TransportError
from xinyong.services.reconciliation import answer_digest, reconcile
from xinyong.transport.jetstream import JetStreamTransport, StreamSettings


def test_a_node_keeps_its_identity_and_keys(gd: Factory) -> None:
    exchange.init_node(gd(), GD_ID, GD_KEYS, actor="test")
    node = exchange.show_node(gd())
    assert node.identity == GD_ID
    assert node.keys.public == GD_KEYS.public
    with pytest.raises(Conflict, match="already node GD"):
        exchange.init_node(gd(), CN_ID, CN_KEYS, actor="test")
    with gd() as u:
        assert u.audit.count(EventTag.EXCHANGE_NODE_INITIALISED.value) == 1


def test_peers_are_added_listed_and_removed(gd: Factory) -> None:
    with pytest.raises(NotFound, match="node init"):
        exchange.add_peer(gd(), peer(CN_ID, CN_KEYS), actor="test")
    exchange.init_node(gd(), GD_ID, GD_KEYS, actor="test")
    exchange.add_peer(gd(), peer(CN_ID, CN_KEYS), actor="test")
    agency = Peer(
        NodeIdentity("AG1", "110000", NodeLevel.MUNICIPAL),
        ZJ_KEYS.public,
        Entitlement(PeerKind.AGENCY, items=frozenset({"ADM-PEN-01"})),
    )
    exchange.add_peer(gd(), agency, actor="test")
    assert exchange.list_peers(gd()) == [agency, peer(CN_ID, CN_KEYS)]
    with pytest.raises(Conflict, match="registered already"):
        exchange.add_peer(gd(), peer(CN_ID, CN_KEYS), actor="test")
    with pytest.raises(Conflict, match="its own peer"):
        exchange.add_peer(gd(), peer(GD_ID, GD_KEYS), actor="test")
    unlicensed = Peer(ZJ_ID, ZJ_KEYS.public, Entitlement(PeerKind.AGENCY))
    with pytest.raises(Conflict, match="licence"):
        exchange.add_peer(gd(), unlicensed, actor="test")
    exchange.remove_peer(gd(), "AG1", actor="test")
    assert [p.code for p in exchange.list_peers(gd())] == ["CN"]
    with pytest.raises(NotFound):
        exchange.remove_peer(gd(), "AG1", actor="test")
    with gd() as u:
        assert u.audit.count(EventTag.EXCHANGE_PEER_ADDED.value) == 2
        assert u.audit.count(EventTag.EXCHANGE_PEER_REMOVED.value) == 1


# --- outbound ------------------------------------------------------------------------------


def test_the_outbox_numbers_changes_in_order_and_keeps_them_until_sent(gd: Factory) -> None:
    first = make_change(n=1)
    seqs = queue(gd, first, make_change(n=2), make_change(n=3))
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    with gd() as u:
        assert [s for s, _ in u.outbox.pending(10)] == seqs
        assert u.outbox.pending(10)[0][1] == first
        u.outbox.mark_sent(seqs[:2], at=u.now())
        u.commit()
    with gd() as u:
        assert [s for s, _ in u.outbox.pending(10)] == seqs[2:]


def test_a_rolled_back_change_leaves_nothing_in_the_outbox(gd: Factory) -> None:
    with gd() as u:
        u.outbox.add(make_change(), at=u.now())  # no commit: the change did not happen
    with gd() as u:
        assert u.outbox.pending(10) == []


def test_relay_publishes_to_entitled_peers_and_marks_sent(linked: tuple[Factory, Factory]) -> None:
    gd, _ = linked
    agency = Peer(
        NodeIdentity("AG1", "110000", NodeLevel.MUNICIPAL),
        ZJ_KEYS.public,
        Entitlement(PeerKind.AGENCY, items=frozenset({"ADM-PEN-01"})),
    )
    exchange.add_peer(gd(), agency, actor="test")
    queue(gd, make_change(n=1), make_change(n=2, sharing=Sharing.SHARED))
    broker = FakeBroker()
    report = exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    assert (report.events, report.messages, report.withheld) == (2, 3, 1)
    assert [to for to, _, _ in broker.streams["GD"]] == ["AG1", "CN", "CN"]
    with gd() as u:
        assert u.outbox.pending(10) == []
    again = exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    assert again.messages == 0


def test_a_relay_cut_short_resends_without_doubling(linked: tuple[Factory, Factory]) -> None:
    gd, _ = linked
    queue(gd, *(make_change(n=i) for i in range(1, 5)))
    broker = FakeBroker()
    cut = exchange.relay_outbox(gd(), FakeTransport(broker, "GD", fail_after=2), NoAuthorisations())
    assert cut.events == 2
    assert cut.failed is not None
    # The crash between publishing and marking: the stream has event 3, the outbox does not know.
    with gd() as u:
        third = u.outbox.pending(1)[0][0]
    transport = FakeTransport(broker, "GD")
    transport.publish("CN", f"GD.{third}.CN", b"(the first copy)")
    rest = exchange.relay_outbox(gd(), transport, NoAuthorisations())
    assert (rest.events, rest.duplicates) == (2, 1)
    assert len(broker.streams["GD"]) == 4


# --- inbound -------------------------------------------------------------------------------


def test_events_are_applied_once_in_order(linked: tuple[Factory, Factory]) -> None:
    gd, cn = linked
    seqs = queue(gd, *(make_change(n=i) for i in range(1, 4)))
    broker = FakeBroker()
    exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    apply = Applier()
    report = exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", apply)
    assert report.outcomes[Outcome.APPLIED] == 3
    assert applied(cn) == sorted(f"GD.{s}" for s in seqs)
    broker.acked.clear()  # the engine delivers everything again
    again = exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", apply)
    assert again.outcomes[Outcome.DUPLICATE] == 3
    assert len(applied(cn)) == 3


def test_a_crash_before_commit_applies_nothing_and_the_redelivery_applies_once(
    linked: tuple[Factory, Factory],
) -> None:
    gd, cn = linked
    seqs = queue(gd, *(make_change(n=i) for i in range(1, 4)))
    broker = FakeBroker()
    exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    apply = Applier(fail_once={seqs[1]})
    with pytest.raises(RuntimeError):
        exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", apply)
    assert applied(cn) == [f"GD.{seqs[0]}"]
    exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", apply)
    assert applied(cn) == sorted(f"GD.{s}" for s in seqs)


def refusals(uow: Factory) -> list[tuple[RefusalReason, str]]:
    return [(r.reason, r.detail) for r in exchange.refusals(uow())]


def test_tampered_and_forged_events_are_refused_and_reported(
    linked: tuple[Factory, Factory],
) -> None:
    gd, cn = linked
    queue(gd, make_change(n=1))
    broker = FakeBroker()
    exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    genuine = json.loads(broker.streams["GD"][0][2])
    tampered = dict(genuine, catalog_item="JUD-DEBTOR-01")
    broker.inject("GD", "CN", canonical_json(tampered))
    # ZJ signs an event in GD's name and gets it onto GD's stream.
    forged = make_envelope(
        Event("GD", 99, make_change(n=9)),
        recipient="CN",
        recipient_keys=CN_KEYS.public,
        signer=ZJ_KEYS.signing,
    )
    broker.inject("GD", "CN", forged)
    report = exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", Applier())
    assert report.outcomes[Outcome.APPLIED] == 1
    assert report.outcomes[Outcome.REFUSED] == 2
    assert [r for r, _ in refusals(cn)] == [RefusalReason.BAD_SIGNATURE] * 2
    # The forged sequence number 99 is not taken: the genuine event 99 would still apply.
    with cn() as u:
        assert u.inbox.outcome("GD", 99) is None
        assert u.audit.count(EventTag.EXCHANGE_EVENT_REFUSED.value) == 2
    assert applied(cn) == [f"GD.{genuine['seq']}"]


def test_a_change_from_a_node_that_is_not_the_origin_is_refused(
    linked: tuple[Factory, Factory],
) -> None:
    gd, cn = linked
    exchange.add_peer(cn(), peer(ZJ_ID, ZJ_KEYS), actor="test")
    queue(gd, make_change(n=1))
    broker = FakeBroker()
    exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", Applier())
    # ZJ, properly signed, revokes a record that GD owns.
    revocation = make_change(EventKind.RECORD_REVOKED, n=1)
    envelope = make_envelope(
        Event("ZJ", 1, revocation),
        recipient="CN",
        recipient_keys=CN_KEYS.public,
        signer=ZJ_KEYS.signing,
    )
    broker.inject("ZJ", "CN", envelope)
    report = exchange.consume(cn(), FakeTransport(broker, "CN"), "ZJ", Applier())
    assert report.outcomes[Outcome.REFUSED] == 1
    ((reason, detail),) = refusals(cn)
    assert reason is RefusalReason.NOT_ORIGIN
    assert "belongs to GD" in detail
    assert len(applied(cn)) == 1


def test_an_event_the_gates_refuse_is_recorded_and_its_writes_rolled_back(
    linked: tuple[Factory, Factory],
) -> None:
    gd, cn = linked
    seqs = queue(gd, make_change(n=1), make_change(n=2))
    broker = FakeBroker()
    exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())
    report = exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", Applier(refuse={seqs[0]}))
    assert (report.outcomes[Outcome.REFUSED], report.outcomes[Outcome.APPLIED]) == (1, 1)
    assert applied(cn) == [f"GD.{seqs[1]}"]
    assert refusals(cn) == [(RefusalReason.GATE, "item ADM-PEN-01 is not in this node's catalog")]
    with cn() as u:
        assert u.inbox.outcome("GD", seqs[0]) is Outcome.REFUSED


def test_an_older_change_arriving_after_a_newer_one_is_stale(
    linked: tuple[Factory, Factory],
) -> None:
    _, cn = linked
    broker = FakeBroker()
    older, newer = (
        make_envelope(
            Event("GD", seq, make_change(kind, n=1)),
            recipient="CN",
            recipient_keys=CN_KEYS.public,
            signer=GD_KEYS.signing,
        )
        for seq, kind in ((1, EventKind.RECORD_ACCEPTED), (2, EventKind.RECORD_CORRECTED))
    )
    broker.inject("GD", "CN", newer)
    broker.inject("GD", "CN", older)
    report = exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", Applier())
    assert (report.outcomes[Outcome.APPLIED], report.outcomes[Outcome.STALE]) == (1, 1)
    assert applied(cn) == ["GD.2"]


def test_refusal_reasons_never_carry_an_id_number(linked: tuple[Factory, Factory]) -> None:
    gd, cn = linked
    change = make_change(n=1)
    seqs = queue(gd, change)
    broker = FakeBroker()
    exchange.relay_outbox(gd(), FakeTransport(broker, "GD"), NoAuthorisations())

    def leaky(uow: SqlExchangeUnitOfWork, event: Event) -> None:
        raise Invalid(f"subject {event.change.subject.number} is unknown")

    exchange.consume(cn(), FakeTransport(broker, "CN"), "GD", leaky)
    ((_, detail),) = refusals(cn)
    assert change.subject.number not in detail
    assert seqs


def test_the_outbox_count_is_stored_in_its_own_table(gd: Factory) -> None:
    queue(gd, make_change())
    with gd() as u:
        assert u.session.scalar(select(func.count()).select_from(OutboxRow)) == 1


# --- reconciliation ------------------------------------------------------------------------


class States:
    def __init__(self, leaves: dict[str, str]) -> None:
        self._leaves = leaves

    def leaves(self, origin: str) -> dict[str, str]:
        return self._leaves


class LocalPeer:
    """A peer answered in-process through the same function that serves digest requests."""

    def __init__(self, states: States) -> None:
        self.states = states

    def tree(self, origin: str, depth: int) -> object:
        from xinyong.domain.merkle import MerkleTree

        return MerkleTree.from_json(answer_digest(self.states, {"origin": origin, "depth": depth}))

    def leaves(self, origin: str, buckets: list[int], depth: int) -> dict[str, str]:
        answer = answer_digest(
            self.states, {"origin": origin, "depth": depth, "buckets": list(buckets)}
        )
        return answer["leaves"]  # type: ignore[return-value]


def test_reconciliation_finds_exactly_the_corrupted_subject() -> None:
    ours = {f"s-{i}": f"{i:064x}" for i in range(500)}
    theirs = dict(ours, **{"s-321": "f" * 64})
    result = reconcile(States(ours), LocalPeer(States(theirs)), "GD", depth=6)  # type: ignore[arg-type]
    assert result.subjects == ("s-321",)
    assert len(result.buckets) == 1
    same = reconcile(States(ours), LocalPeer(States(dict(ours))), "GD", depth=6)  # type: ignore[arg-type]
    assert same.in_step
    assert answer_digest(States(ours), {"origin": "GD"}) == {
        "error": "a digest request needs origin (text) and depth (integer)"
    }


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
    """Consume until `want` events are applied (at most about 30 rounds); count the outcomes.

    A round the message engine fails (a cluster electing a new stream leader answers no fetch
    for a few seconds) is tried again, as the exchange's runner does (services/exchange_rounds.py
    `run_rounds`): what it had not acknowledged is delivered again."""
    counts = {o.value: 0 for o in Outcome}
    for _ in range(30):
        try:
            report = exchange.consume(cn(), transport, "GD", apply, batch=50, timeout=1.0)
        except TransportError:
            time.sleep(1)
            continue
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
