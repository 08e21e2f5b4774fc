"""The exchange between platforms end to end, on a three-server JetStream cluster of its own.

Three platform nodes, each on its own database: BJ (provincial, SQLite, the origin, run as a
subprocess `xinyong exchange run` so that it can be killed with -9), SH (provincial, PostgreSQL
when TEST_POSTGRES_URL is given) and CN (national, SQLite), and a credit reporting agency AGY
(SQLite), in-process. Records, a court listing, an objection's correction, a repair and a
revocation flow to every node; a revocation stops the measures on every node within one round;
BJ and one JetStream server are killed mid-stream and restarted and every node converges,
nothing lost, nothing applied twice; a corrupted subject is found and repaired; a tampered
event, an event signed by the wrong node and a change from a non-origin node are refused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.pool import NullPool

from tests.conftest import PG_URL, _drop_postgres, _fresh_postgres
from tests.exchange_support import (
    NatsServer,
    free_port,
    start_servers,
    stop_servers,
    wait_until_healthy,
)
from tests.factories import debtor_row, penalty_row
from xinyong.db.checks import SqlIndexSource
from xinyong.db.engine import make_engine
from xinyong.db.exchange import OutboxRow
from xinyong.db.exchange_states import SqlSubjectStates
from xinyong.db.migrate import upgrade
from xinyong.db.records import CreditRecordRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.batches import BatchSource
from xinyong.domain.envelopes import NodeKeys, RefusalReason, canonical_json, make_envelope
from xinyong.domain.exchange import (
    Entitlement,
    Event,
    EventKind,
    NodeIdentity,
    NodeLevel,
    PeerKind,
    SubjectType,
    change_from_json,
    subject_reference,
)
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus, document_key
from xinyong.services import decided_lists, departments, exchange, objections, repairs
from xinyong.services import exchange_rounds as rounds
from xinyong.services.batches import ingest_batch
from xinyong.services.checks import Checker, run_check
from xinyong.services.exchange import Peer
from xinyong.services.inbound import make_apply
from xinyong.services.reconciliation import reconcile_and_repair
from xinyong.services.records import revoke_record, submit_record
from xinyong.transport.jetstream import DigestPeerOverNats, JetStreamTransport, StreamSettings

pytestmark = pytest.mark.slow

INTERVAL = 0.3  # BJ's relay interval (seconds)
Uow = Callable[[], SqlUnitOfWork]
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"


@dataclass
class Node:
    code: str
    identity: NodeIdentity
    keys: NodeKeys
    url: str
    uow: Uow
    transport: JetStreamTransport | None = None

    def states(self, policy: Policy) -> SqlSubjectStates:
        return SqlSubjectStates(self.uow().session_factory, policy.list_types)


def _database(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _node(code: str, identity: NodeIdentity, url: str, policy: Policy) -> Node:
    engine = make_engine(url, poolclass=NullPool)
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    departments.sync_departments(uow(), policy.departments, actor="test")
    keys = NodeKeys.generate()
    exchange.init_node(uow(), identity, keys, actor="test")
    return Node(code, identity, keys, url, uow)


def _peer(
    node: Node, kind: PeerKind = PeerKind.PLATFORM, items: frozenset[str] | None = None
) -> Peer:
    return Peer(node.identity, node.keys.public, Entitlement(kind, items=items))


def _open(node: Node, servers: list[NatsServer]) -> JetStreamTransport:
    transport = JetStreamTransport(
        [s.url for s in servers], node.code, StreamSettings(replicas=3, request_timeout=3)
    ).open()
    node.transport = transport
    return transport


def _round(node: Node, policy: Policy, figures: rounds.RoundFigures) -> None:
    assert node.transport is not None
    try:
        rounds.exchange_round(
            node.uow, node.transport, make_apply(policy), rounds.NoAuthorisations(), figures
        )
    except exchange.TransportError:
        figures.transport_errors += 1


def _status(node: Node) -> rounds.ExchangeStatus:
    return rounds.exchange_status(node.uow())


def _until(what: str, done: Callable[[], bool], step: Callable[[], None], tries: int = 200) -> None:
    """Run `step` until `done` (bounded, so that a failure ends the test instead of hanging)."""
    for _ in range(tries):
        if done():
            return
        step()
        time.sleep(INTERVAL / 3)
    raise AssertionError(f"never reached: {what}")


@dataclass
class Origin:
    """BJ's `xinyong exchange run`, a process of its own."""

    url: str
    servers: list[NatsServer]
    metrics: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(
            os.environ,
            XINYONG_DATABASE_URL=self.url,
            XINYONG_NATS_SERVERS=",".join(s.url for s in self.servers),
            XINYONG_EXCHANGE_INTERVAL=str(INTERVAL),
            XINYONG_EXCHANGE_REPLICAS="3",
        )
        args = [
            sys.executable,
            "-m",
            "xinyong",
            "exchange",
            "run",
            "--metrics-port",
            str(self.metrics),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, env=env, stdout=log, stderr=log)

    def wait_ready(self) -> None:
        """Wait (bounded) until the process answers on its metrics port: it serves requests."""
        for _ in range(600):
            assert self.process is not None
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("BJ's exchange never came up")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NatsServer]]:
    (tmp_path / "nats").mkdir()
    servers = start_servers(tmp_path / "nats", 3)
    yield servers
    stop_servers(servers)


@pytest.fixture
def sh_url(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield _database(tmp_path / "sh.db")
        return
    url = _fresh_postgres(PG_URL, "exchange_sh")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_postgres(PG_URL, url)


def _checker(node: Node, policy: Policy, closing: list[Callable[[], None]]) -> Checker:
    engine = make_engine(node.url, reads=True)
    source = SqlIndexSource(engine, policy.list_types)
    closing += [source.close, engine.dispose]
    checker = Checker(policy, source)
    checker.load()
    return checker


def _flight_measures(node: Node, checker: Checker, number: str) -> list[str]:
    _, answer = run_check(node.uow(), checker, number, "flight", department="BJ-CAAC-NC", actor="t")
    return [hit.measure.code for hit in answer.hits]


def _status_of(node: Node, department: str, number: str) -> RecordStatus | None:
    with node.uow() as u:
        found = u.records.find_states(department, [document_key(number)])
        return next(iter(found.values())).status if found else None


def test_three_nodes_and_an_agency_exchange_through_crashes_and_check_each_other(
    tmp_path: Path, cluster: list[NatsServer], sh_url: str, policy: Policy
) -> None:
    # --- the nodes, each on its own database, and who exchanges with whom
    bj = _node(
        "BJ",
        NodeIdentity("BJ", "110000", NodeLevel.PROVINCIAL),
        _database(tmp_path / "bj.db"),
        policy,
    )
    sh = _node("SH", NodeIdentity("SH", "310000", NodeLevel.PROVINCIAL), sh_url, policy)
    cn = _node(
        "CN",
        NodeIdentity("CN", "100000", NodeLevel.NATIONAL),
        _database(tmp_path / "cn.db"),
        policy,
    )
    agy = _node(
        "AGY",
        NodeIdentity("AGY", "100000", NodeLevel.NATIONAL),
        _database(tmp_path / "agy.db"),
        policy,
    )
    platforms = [bj, sh, cn]
    for node in platforms:
        for other in platforms:
            if other is not node:
                exchange.add_peer(node.uow(), _peer(other), actor="test")
    licence = frozenset({"ADM-PEN-01", "JUD-DEBTOR-01"})
    exchange.add_peer(bj.uow(), _peer(agy, PeerKind.AGENCY, licence), actor="test")
    exchange.add_peer(agy.uow(), _peer(bj), actor="test")
    receivers = [sh, cn, agy]
    for node in receivers:
        _open(node, cluster)
    figures = {n.code: rounds.RoundFigures() for n in receivers}

    def step() -> None:
        for node in receivers:
            _round(node, policy, figures[node.code])

    # --- at BJ: records, a court listing, an objection's correction, a repair
    debtor = submit_record(bj.uow(), policy, debtor_row(), department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj.uow(), policy, actor="court-feed") == 1
    fines = [
        submit_record(
            bj.uow(),
            policy,
            penalty_row(decision_date="2026-08-03"),
            department="BJ-AMR",
            actor="amr",
        )
        for _ in range(4)
    ]
    objection = objections.file_objection(
        bj.uow(),
        policy,
        subject_id=fines[0].record.subject_id,
        record_id=fines[0].record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons="记载有误，应予更正",
        evidence=(),
        actor="account:1",
    )
    objections.forward_objection(
        bj.uow(), policy, objection.id or 0, department=None, actor="centre"
    )
    objections.decide_objection(
        bj.uow(),
        policy,
        objection.id or 0,
        outcome="stop_display",
        reasons="经核查更正",
        department="BJ-AMR",
        actor="amr",
    )
    repair = repairs.apply_for_repair(
        bj.uow(),
        policy,
        subject_id=fines[1].record.subject_id,
        record_id=fines[1].record.id,
        obligations_performed=True,
        commitment=COMMITMENT,
        evidence=[("缴款凭证.pdf", "application/pdf", b"%PDF")],
        actor="account:2",
    )
    repairs.accept_repair(bj.uow(), repair.id or 0, department="BJ-AMR", actor="amr")
    repairs.decide_repair(
        bj.uow(),
        policy,
        repair.id or 0,
        repaired=True,
        reasons="已缴清",
        department="BJ-AMR",
        actor="amr",
    )

    origin = Origin(bj.url, cluster, free_port(), tmp_path / "bj.log")
    origin.start()
    closing: list[Callable[[], None]] = []
    try:
        origin.wait_ready()
        _until("BJ relayed everything", lambda: _status(bj).pending == 0, step)
        _until(
            "every receiver handled BJ's events",
            lambda: all(_status(n).handled.get("BJ", 0) >= _status(bj).last_seq for n in (sh, cn)),
            step,
        )
        # The agency receives what its licence covers, and every withdrawal of it.
        corrected, repaired = fines[0].record.document_number, fines[1].record.document_number
        for node in (sh, cn, agy):
            assert _status_of(node, "BJ-AMR", corrected) is RecordStatus.CORRECTED  # stopped
            assert _status_of(node, "BJ-AMR", repaired) is RecordStatus.REPAIRED
        number = debtor.subject_number
        checkers = {n.code: _checker(n, policy, closing) for n in (bj, sh, cn)}
        for node in (bj, sh, cn):
            assert _flight_measures(node, checkers[node.code], number) == ["M-COURT-FLIGHT"]

        # --- a revocation stops the measures everywhere within one round of each node
        revoke_record(
            bj.uow(), policy, debtor.record.id, department=None, reason="判决撤销", actor="court"
        )
        _until("BJ relayed the revocation", lambda: _status(bj).pending == 0, lambda: None)
        step()  # one round
        for node in (bj, sh, cn):
            assert _flight_measures(node, checkers[node.code], number) == []
            assert (
                _status_of(node, "BJ-HCOURT", debtor.record.document_number) is RecordStatus.REVOKED
            )
        with urllib.request.urlopen(
            f"http://127.0.0.1:{origin.metrics}/metrics", timeout=5
        ) as page:
            metrics = page.read().decode()
        assert 'xinyong_exchange_last_seq{origin="BJ"}' in metrics

        # --- kill -9 BJ and one JetStream server mid-stream, then restart them
        rows = [penalty_row(decision_date="2026-08-03") for _ in range(40)]
        before = _status(bj).last_seq
        ingest_batch(
            bj.uow(),
            policy,
            enumerate(rows, start=1),
            department="BJ-AMR",
            actor="feed",
            source=BatchSource.API,
            chunk_rows=10,
        )
        assert _status(bj).last_seq == before + 40
        _until("BJ is relaying the batch", lambda: _status(bj).pending < 40, lambda: None)
        origin.kill()
        cluster[0].kill()
        step()
        cluster[0].start()
        wait_until_healthy(cluster)
        origin.start()
        origin.wait_ready()
        last = _status(bj).last_seq
        _until(
            "every node converged after the crash",
            lambda: (
                _status(bj).pending == 0
                and all(_status(n).handled.get("BJ", 0) >= last for n in (sh, cn))
            ),
            step,
        )
        leaves = bj.states(policy).leaves("BJ")
        assert sh.states(policy).leaves("BJ") == leaves
        assert cn.states(policy).leaves("BJ") == leaves
        duplicates: dict[str, int] = {}  # redelivered after the crash and dropped, counted
        for node in (sh, cn):
            outcomes = _status(node).outcomes
            # Every event of BJ's was handled exactly once: applied, or stale behind a newer one.
            handled = outcomes.get(("BJ", "applied"), 0) + outcomes.get(("BJ", "stale"), 0)
            assert handled == last  # nothing lost, nothing applied twice (the applied-log's key)
            duplicates[node.code] = outcomes.get(("BJ", "duplicate"), 0)

        # --- corrupt one subject at SH: reconciliation finds exactly it, and BJ repairs it
        victim = fines[2]
        with sh.uow() as u:
            u.session.execute(
                update(CreditRecordRow)
                .where(CreditRecordRow.document_key == document_key(victim.record.document_number))
                .values(status=RecordStatus.REVOKED.value)
            )
            u.commit()
        assert sh.transport is not None
        (repair_done,) = reconcile_and_repair(
            sh.states(policy),
            DigestPeerOverNats(sh.transport, "BJ"),
            ["BJ"],
            partial(_resend, sh.transport),
            depth=6,
        )
        ref = subject_reference(SubjectType.PERSON, victim.subject_number)
        assert repair_done.result.subjects == (ref,)
        assert repair_done.requeued == 1
        _until(
            "SH holds BJ's subject again",
            lambda: sh.states(policy).leaves("BJ") == bj.states(policy).leaves("BJ"),
            step,
        )
        assert _status_of(sh, "BJ-AMR", victim.record.document_number) is RecordStatus.ACTIVE

        # --- refused and reported: a tampered event, one signed by the wrong node, and a
        # change from a node that is not the origin
        _refusals(bj, sh, cn, agy, step)
    finally:
        if origin.process is not None and origin.process.poll() is None:
            assert origin.stop() == 0  # SIGTERM: the round in hand finishes, then it stops
        for node in receivers:
            if node.transport is not None:
                node.transport.close()
        for close in closing:
            close()


def _resend(transport: JetStreamTransport, origin: str, refs: Sequence[str]) -> int:
    queued = transport.request_resend(origin, {"subjects": list(refs)})["queued"]
    assert isinstance(queued, int)
    return queued


def _refusals(bj: Node, sh: Node, cn: Node, agy: Node, step: Callable[[], None]) -> None:
    with bj.uow() as u:
        row = u.session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.entity_type == "record", OutboxRow.kind == EventKind.RECORD_ACCEPTED.value
            )
            .order_by(OutboxRow.seq.desc())
            .limit(1)
        ).one()
        theirs = change_from_json(row.change)
    # SH, properly signed, revokes a record whose origin is BJ.
    forged = replace(
        theirs, kind=EventKind.RECORD_REVOKED, state={**theirs.state, "status": "revoked"}
    )
    with sh.uow() as u:
        u.outbox.add(forged, at=u.now())
        u.commit()
    assert sh.transport is not None
    # A genuine event of SH's, altered on the way; and one in SH's name signed by AGY.
    genuine = make_envelope(
        Event("SH", 900_001, theirs),
        recipient="CN",
        recipient_keys=cn.keys.public,
        signer=sh.keys.signing,
    )
    tampered = dict(json.loads(genuine), catalog_item="JUD-DEBTOR-01")
    sh.transport.publish("CN", "tampered-1", canonical_json(tampered))
    wrong = make_envelope(
        Event("SH", 900_002, theirs),
        recipient="CN",
        recipient_keys=cn.keys.public,
        signer=agy.keys.signing,
    )
    sh.transport.publish("CN", "wrong-signer-1", wrong)
    before = _status(cn).refusals
    _until(
        "CN refused all three",
        lambda: sum(_status(cn).refusals.values()) >= sum(before.values()) + 3,
        step,
    )
    refused = _status(cn).refusals
    assert (
        refused.get(RefusalReason.NOT_ORIGIN.value, 0)
        == before.get(RefusalReason.NOT_ORIGIN.value, 0) + 1
    )
    assert (
        refused.get(RefusalReason.BAD_SIGNATURE.value, 0)
        == before.get(RefusalReason.BAD_SIGNATURE.value, 0) + 2
    )
    assert (
        _status_of(cn, theirs.department, str(theirs.state["document_number"]))
        is RecordStatus.ACTIVE
    )
    with cn.uow() as u:
        details = [r.detail for r in u.inbox.refusals(limit=10)]
    assert any("belongs to BJ" in d for d in details)
