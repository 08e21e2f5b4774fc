"""Test helpers for the exchange: a change factory, an in-memory broker, two linked nodes (each on a
database of its own), an apply callback that counts, and nats-server processes of our own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.pool import NullPool

from tests.conftest import Clock
from tests.factories import citizen_id
from xinyong.db.audit import AuditEventRow
from xinyong.db.engine import copy_sqlite, make_engine
from xinyong.db.exchange import SqlExchangeUnitOfWork
from xinyong.db.migrate import upgrade
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.envelopes import NodeKeys
from xinyong.domain.errors import Invalid
from xinyong.domain.exchange import (
    Change,
    Entitlement,
    Entity,
    EntityType,
    Event,
    EventKind,
    NodeIdentity,
    NodeLevel,
    PeerKind,
    Sharing,
    SubjectIdentity,
    SubjectType,
)
from xinyong.services import exchange
from xinyong.services.exchange import Peer, Published, TransportError

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def make_change(
    kind: EventKind = EventKind.RECORD_ACCEPTED, *, n: int = 1, **overrides: object
) -> Change:
    """A change of record number `n` of department GD-AMR; override any field."""
    values: dict[str, object] = {
        "kind": kind,
        "occurred_at": AT,
        "department": "GD-AMR",
        "catalog_item": "ADM-PEN-01",
        "catalog_version": "2024.1",
        "sharing": Sharing.PUBLIC,
        "entity": Entity(EntityType.RECORD, f"GD-AMR:粤市监罚〔2026〕{n}号"),
        "subject_ref": f"s-{n}",
        "subject": SubjectIdentity(SubjectType.PERSON, citizen_id("440106"), "王秀英"),
        "state": {
            "document_number": f"粤市监罚〔2026〕{n}号",
            "status": "active",
            "decided_on": "2026-09-01",
            "under_objection": False,
            "fields": {"fine_amount": "5000"},
        },
    }
    values.update(overrides)
    return Change(**values)  # type: ignore[arg-type]


# --- two nodes, each on a database of its own ---------------------------------------------

Factory = Callable[[], SqlExchangeUnitOfWork]
GD_ID = NodeIdentity("GD", "440000", NodeLevel.PROVINCIAL)
CN_ID = NodeIdentity("CN", "100000", NodeLevel.NATIONAL)
ZJ_ID = NodeIdentity("ZJ", "330000", NodeLevel.PROVINCIAL)
GD_KEYS, CN_KEYS, ZJ_KEYS = NodeKeys.generate(), NodeKeys.generate(), NodeKeys.generate()


class NoAuthorisations:
    def is_suspended(self, uow: object, peer: str, *, on: object) -> bool:
        return False

    def is_authorised(self, uow: object, peer: str, change: object, *, on: object) -> bool:
        return False


@dataclass
class Applier:
    """The apply port: writes one audit row per event in the receiver's transaction."""

    fail_once: set[int] = field(default_factory=set)
    refuse: set[int] = field(default_factory=set)

    def __call__(self, uow: SqlExchangeUnitOfWork, event: Event) -> None:
        uow.audit.add(
            AuditEvent(
                tag=EventTag.RECORD_ACCEPTED,
                actor=f"node:{event.origin}",
                entity_type="exchange_event",
                entity_id=f"{event.origin}.{event.seq}",
                at=uow.now(),
            )
        )
        uow.session.flush()
        if event.seq in self.refuse:
            raise Invalid(f"item {event.change.catalog_item} is not in this node's catalog")
        if event.seq in self.fail_once:
            self.fail_once.discard(event.seq)
            raise RuntimeError("the receiver crashed before committing")


def applied(uow: Factory) -> list[str]:
    with uow() as u:
        rows = u.session.scalars(
            select(AuditEventRow.entity_id).where(AuditEventRow.entity_type == "exchange_event")
        )
        return sorted(rows)


@pytest.fixture
def gd(make_uow: Callable[[], SqlUnitOfWork], engine: Engine, clock: Clock) -> Factory:
    return partial(SqlExchangeUnitOfWork, make_session_factory(engine), clock)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated SQLite file, copied for each node that needs a database of its own."""
    path = tmp_path_factory.mktemp("template") / "node.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def cn(tmp_path: Path, clock: Clock, migrated_sqlite: Path) -> Factory:
    return sqlite_node(tmp_path / "cn.db", migrated_sqlite, clock)


def sqlite_node(path: Path, template: Path, clock: Clock) -> Factory:
    """Units of work on a fresh copy of the migrated template (no pool: nothing stays open)."""
    copy_sqlite(template, path)
    engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)
    return partial(SqlExchangeUnitOfWork, make_session_factory(engine), clock)


def peer(identity: NodeIdentity, keys: NodeKeys, **entitlement: object) -> Peer:
    return Peer(identity, keys.public, Entitlement(PeerKind.PLATFORM, **entitlement))  # type: ignore[arg-type]


def link(gd: Factory, cn: Factory) -> None:
    """Make the two databases nodes GD and CN, each the other's peer."""
    exchange.init_node(gd(), GD_ID, GD_KEYS, actor="test")
    exchange.init_node(cn(), CN_ID, CN_KEYS, actor="test")
    exchange.add_peer(gd(), peer(CN_ID, CN_KEYS), actor="test")
    exchange.add_peer(cn(), peer(GD_ID, GD_KEYS), actor="test")


@pytest.fixture
def linked(gd: Factory, cn: Factory) -> tuple[Factory, Factory]:
    link(gd, cn)
    return gd, cn


def queue(uow: Factory, *changes: object) -> list[int]:
    with uow() as u:
        seqs = [u.outbox.add(c, at=u.now()) for c in changes]  # type: ignore[arg-type]
        u.commit()
    return seqs


# --- an in-memory message engine -----------------------------------------------------------


@dataclass
class FakeDelivery:
    broker: FakeBroker
    key: tuple[str, str]
    stream_seq: int
    data: bytes

    def ack(self) -> None:
        self.broker.acked.setdefault(self.key, set()).add(self.stream_seq)


@dataclass
class FakeBroker:
    """Streams of messages by origin; what a reader did not acknowledge it is given again."""

    streams: dict[str, list[tuple[str, str, bytes]]] = field(default_factory=dict)
    acked: dict[tuple[str, str], set[int]] = field(default_factory=dict)

    def inject(self, origin: str, recipient: str, data: bytes) -> None:
        self.streams.setdefault(origin, []).append((recipient, f"raw-{id(data)}", data))


class FakeTransport:
    def __init__(self, broker: FakeBroker, node: str, *, fail_after: int | None = None) -> None:
        self.broker = broker
        self.node = node
        self.fail_after = fail_after  # publish this many messages, then fail

    def publish(self, recipient: str, message_id: str, data: bytes) -> Published:
        if self.fail_after is not None:
            if self.fail_after == 0:
                raise TransportError("the engine is unreachable")
            self.fail_after -= 1
        stream = self.broker.streams.setdefault(self.node, [])
        for i, (_, known, _) in enumerate(stream):
            if known == message_id:
                return Published(i + 1, duplicate=True)
        stream.append((recipient, message_id, data))
        return Published(len(stream), duplicate=False)

    def fetch(self, origin: str, *, batch: int, timeout: float) -> list[FakeDelivery]:
        key = (origin, self.node)
        done = self.broker.acked.get(key, set())
        out = [
            FakeDelivery(self.broker, key, i + 1, data)
            for i, (to, _, data) in enumerate(self.broker.streams.get(origin, []))
            if to == self.node and i + 1 not in done
        ]
        return out[:batch]


# --- nats-server processes of our own ------------------------------------------------------

NATS_SERVER = shutil.which("nats-server") or (
    "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NatsServer:
    name: str
    port: int
    monitor: int
    config: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert NATS_SERVER
        self.process = subprocess.Popen(
            [NATS_SERVER, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.monitor}/healthz", timeout=1
            ) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False


def wait_until_healthy(servers: Sequence[NatsServer], *, tries: int = 200) -> None:
    """Wait (up to about 20 s) until every server's JetStream answers healthy."""
    for _ in range(tries):
        if all(s.healthy() for s in servers):
            return
        time.sleep(0.1)
    raise RuntimeError("nats-server did not become healthy")


def start_servers(root: Path, count: int) -> list[NatsServer]:
    """Start `count` JetStream servers on loopback ports of their own (clustered if > 1)."""
    if NATS_SERVER is None:
        pytest.skip("nats-server is not installed (Debian: apt-get install nats-server)")
    servers = [
        NatsServer(f"s{i}", free_port(), free_port(), root / f"s{i}.conf") for i in range(count)
    ]
    routes = [free_port() for _ in servers]
    for i, server in enumerate(servers):
        store = root / server.name
        lines = [
            f"server_name: {server.name}",
            f"listen: 127.0.0.1:{server.port}",
            f"http: 127.0.0.1:{server.monitor}",
            f'jetstream {{ store_dir: "{store}", max_memory_store: 64MB, max_file_store: 256MB }}',
        ]
        if count > 1:
            others = ", ".join(f"nats://127.0.0.1:{p}" for j, p in enumerate(routes) if j != i)
            lines.append(
                f"cluster {{ name: xy, listen: 127.0.0.1:{routes[i]}, routes: [{others}] }}"
            )
        server.config.write_text("\n".join(lines) + "\n")
        server.start()
    try:
        wait_until_healthy(servers)
    except RuntimeError:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: Sequence[NatsServer]) -> None:
    for server in servers:
        server.kill()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """One JetStream server on a loopback port of its own, for the whole session."""
    servers = start_servers(tmp_path_factory.mktemp("nats"), 1)
    yield servers[0]
    stop_servers(servers)


@pytest.fixture
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[NatsServer]]:
    """Three clustered JetStream servers on loopback ports of their own, for one test (which
    may kill some of them)."""
    servers = start_servers(tmp_path_factory.mktemp("nats-cluster"), 3)
    yield servers
    stop_servers(servers)
