"""Exchange tables (node, peers, outbox, copies, applied-log, entity owners, refusals) and their
SQL repositories; `SqlExchangeUnitOfWork` runs the exchange's use cases on its own until the
platform's unit of work carries these repositories."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from xinyong.db.audit import SqlAuditLog
from xinyong.db.base import Base
from xinyong.db.checks import CHANGE_LOG_LOCK
from xinyong.db.exchange_copies import LocalCopyRow
from xinyong.db.types import BigId, Json, Sealed, SealedJson, UTCDateTime
from xinyong.domain.envelopes import NodeKeys, PublicKeys, RefusalReason
from xinyong.domain.exchange import (
    Change,
    Entitlement,
    Entity,
    Event,
    NodeIdentity,
    NodeLevel,
    PeerKind,
    change_from_json,
    change_json,
)
from xinyong.services.exchange import LocalNode, Outcome, Owner, Peer, Refusal


class ExchangeNodeRow(Base):
    """This platform as an exchange node (one row); its private keys sealed (docs/at-rest.md)."""

    __tablename__ = "exchange_node"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(16))
    signing_key: Mapped[str] = mapped_column(Sealed)
    sealing_key: Mapped[str] = mapped_column(Sealed)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExchangePeerRow(Base):
    """A registered peer: its public keys and what it may receive."""

    __tablename__ = "exchange_peers"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    signing_public: Mapped[str] = mapped_column(String(64))
    sealing_public: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[str] | None] = mapped_column(Json)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """A committed change waiting to be relayed; `seq` is its origin sequence number."""

    __tablename__ = "exchange_outbox"
    __pii_columns__: ClassVar[set[str]] = {"change"}

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(255))
    change: Mapped[dict[str, Any]] = mapped_column(SealedJson)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_exchange_outbox_pending", "sent_at", "seq"),)


class CopyRow(Base):
    """A peer holds a copy of an entity: every later withdrawal must reach it."""

    __tablename__ = "exchange_copies"

    peer: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(255))

    __table_args__ = (PrimaryKeyConstraint("peer", "entity_type", "entity_key"),)


class AppliedRow(Base):
    """The applied-log: each authenticated event, by (origin, sequence), handled once."""

    __tablename__ = "exchange_applied"

    origin: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    peer: Mapped[str] = mapped_column(String(32))
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (PrimaryKeyConstraint("origin", "seq"),)


class EntityOwnerRow(Base):
    """Which origin an entity received from the exchange belongs to, and its last sequence."""

    __tablename__ = "exchange_entities"

    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(32))
    last_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("entity_type", "entity_key"),)


class RefusalRow(Base):
    """A received message that was not applied, and why. One row per stream message."""

    __tablename__ = "exchange_refusals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    peer: Mapped[str] = mapped_column(String(32))
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (UniqueConstraint("peer", "stream_seq"),)


# --- repositories --------------------------------------------------------------------------


class SqlNodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self) -> LocalNode | None:
        row = self.session.scalars(select(ExchangeNodeRow)).first()
        if row is None:
            return None
        identity = NodeIdentity(row.code, row.region, NodeLevel(row.level))
        return LocalNode(identity, NodeKeys.from_text(row.signing_key, row.sealing_key))

    def add(self, node: LocalNode, *, at: datetime) -> None:
        signing, sealing = node.keys.as_text()
        i = node.identity
        self.session.add(
            ExchangeNodeRow(
                code=i.code,
                region=i.region,
                level=i.level.value,
                signing_key=signing,
                sealing_key=sealing,
                created_at=at,
            )
        )
        self.session.flush()


class SqlPeerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: ExchangePeerRow) -> Peer:
        items = frozenset(row.items) if row.items is not None else None
        return Peer(
            identity=NodeIdentity(row.code, row.region, NodeLevel(row.level)),
            keys=PublicKeys.from_text(row.signing_public, row.sealing_public),
            entitlement=Entitlement(PeerKind(row.kind), items=items, suspended=row.suspended),
        )

    def get(self, code: str) -> Peer | None:
        row = self.session.get(ExchangePeerRow, code)
        return self._to_domain(row) if row else None

    def add(self, peer: Peer, *, at: datetime) -> None:
        signing, sealing = peer.keys.as_text()
        items = peer.entitlement.items
        self.session.add(
            ExchangePeerRow(
                code=peer.code,
                region=peer.identity.region,
                level=peer.identity.level.value,
                kind=peer.entitlement.kind.value,
                signing_public=signing,
                sealing_public=sealing,
                items=sorted(items) if items is not None else None,
                suspended=peer.entitlement.suspended,
                added_at=at,
            )
        )
        self.session.flush()

    def list(self) -> list[Peer]:
        rows = self.session.scalars(select(ExchangePeerRow).order_by(ExchangePeerRow.code))
        return [self._to_domain(r) for r in rows]

    def remove(self, code: str) -> bool:
        result = self.session.execute(delete(ExchangePeerRow).where(ExchangePeerRow.code == code))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._locked = False
        self._paused = False
        self._origin: str | bool | None = False  # False: not looked up yet in this transaction

    def origin(self) -> str | None:
        if self._paused:
            return None
        if self._origin is False:
            self._origin = self.session.scalar(select(ExchangeNodeRow.code).limit(1))
        return self._origin if isinstance(self._origin, str) else None

    def pause(self) -> None:
        self._paused = True

    def foreign(self, entities: Sequence[Entity]) -> set[Entity]:
        found: set[Entity] = set()
        by_type: dict[str, dict[str, Entity]] = {}
        for e in entities:
            by_type.setdefault(e.type.value, {})[e.key] = e
        for entity_type, keys in by_type.items():
            wanted = list(keys)
            for start in range(0, len(wanted), 500):
                rows = self.session.scalars(
                    select(EntityOwnerRow.entity_key).where(
                        EntityOwnerRow.entity_type == entity_type,
                        EntityOwnerRow.entity_key.in_(wanted[start : start + 500]),
                    )
                )
                found.update(keys[k] for k in rows)
        return found

    def _lock(self) -> None:
        # On PostgreSQL, sequence numbers are drawn in commit order: the transaction holds the
        # change log's advisory lock (the same key, so a transaction writing both takes one).
        if not self._locked and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(CHANGE_LOG_LOCK)))
            self._locked = True

    @staticmethod
    def _values(change: Change, at: datetime) -> dict[str, Any]:
        return {
            "kind": change.kind.value,
            "entity_type": change.entity.type.value,
            "entity_key": change.entity.key,
            "change": change_json(change),
            "created_at": at,
        }

    def add(self, change: Change, *, at: datetime) -> int:
        self._lock()
        result = self.session.execute(
            insert(OutboxRow).values(**self._values(change, at)).returning(OutboxRow.seq)
        )
        return int(result.scalar_one())

    def add_many(self, changes: Sequence[Change], *, at: datetime) -> None:
        if changes:
            self._lock()
            self.session.execute(insert(OutboxRow), [self._values(c, at) for c in changes])

    def pending(self, limit: int) -> list[tuple[int, Change]]:
        rows = self.session.scalars(
            select(OutboxRow)
            .where(OutboxRow.sent_at.is_(None))
            .order_by(OutboxRow.seq)
            .limit(limit)
        )
        return [(row.seq, change_from_json(row.change)) for row in rows]

    def mark_sent(self, seqs: Sequence[int], *, at: datetime) -> None:
        if seqs:
            self.session.execute(
                update(OutboxRow).where(OutboxRow.seq.in_(seqs)).values(sent_at=at)
            )

    def holds_copy(self, peer: str, entity: Entity) -> bool:
        key = (peer, entity.type.value, entity.key)
        return self.session.get(CopyRow, key) is not None

    def record_copies(self, peer: str, entities: Sequence[Entity]) -> None:
        rows = list(
            {
                (e.type.value, e.key): {
                    "peer": peer,
                    "entity_type": e.type.value,
                    "entity_key": e.key,
                }
                for e in entities
            }.values()
        )
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(CopyRow)
        self.session.execute(stmt.on_conflict_do_nothing(), rows)

    def count_pending(self) -> int:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def last_seq(self) -> int:
        return int(self.session.scalar(select(func.max(OutboxRow.seq))) or 0)


class SqlInbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def outcome(self, origin: str, seq: int) -> Outcome | None:
        row = self.session.get(AppliedRow, (origin, seq))
        return Outcome(row.outcome) if row else None

    def record(
        self, event: Event, outcome: Outcome, *, peer: str, stream_seq: int, at: datetime
    ) -> None:
        entity = event.change.entity
        self.session.add(
            AppliedRow(
                origin=event.origin,
                seq=event.seq,
                kind=event.kind.value,
                entity_type=entity.type.value,
                entity_key=entity.key,
                outcome=outcome.value,
                peer=peer,
                stream_seq=stream_seq,
                at=at,
            )
        )
        self.session.flush()

    def owner(self, entity: Entity) -> Owner | None:
        row = self.session.get(EntityOwnerRow, (entity.type.value, entity.key))
        return Owner(row.origin, row.last_seq) if row else None

    def set_owner(self, entity: Entity, owner: Owner) -> None:
        row = self.session.get(EntityOwnerRow, (entity.type.value, entity.key))
        if row is None:
            self.session.add(
                EntityOwnerRow(
                    entity_type=entity.type.value,
                    entity_key=entity.key,
                    origin=owner.origin,
                    last_seq=owner.last_seq,
                )
            )
        else:
            row.origin, row.last_seq = owner.origin, owner.last_seq
        self.session.flush()

    def refuse(self, refusal: Refusal) -> bool:
        exists = self.session.scalar(
            select(RefusalRow.id).where(
                RefusalRow.peer == refusal.peer, RefusalRow.stream_seq == refusal.stream_seq
            )
        )
        if exists is not None:
            return False
        self.session.add(
            RefusalRow(
                peer=refusal.peer,
                stream_seq=refusal.stream_seq,
                origin=refusal.origin,
                seq=refusal.seq,
                kind=refusal.kind,
                reason=refusal.reason.value,
                detail=refusal.detail,
                at=refusal.at,
            )
        )
        self.session.flush()
        return True

    def refusals(self, *, limit: int = 100) -> list[Refusal]:
        rows = self.session.scalars(select(RefusalRow).order_by(RefusalRow.id.desc()).limit(limit))
        return [
            Refusal(
                peer=r.peer,
                stream_seq=r.stream_seq,
                origin=r.origin,
                seq=r.seq,
                kind=r.kind,
                reason=RefusalReason(r.reason),
                detail=r.detail,
                at=r.at,
            )
            for r in rows
        ]

    def local_id(self, entity: Entity) -> int | None:
        row = self.session.get(LocalCopyRow, (entity.type.value, entity.key))
        return row.local_id if row else None

    def set_local_id(self, entity: Entity, local_id: int) -> None:
        row = self.session.get(LocalCopyRow, (entity.type.value, entity.key))
        if row is None:
            self.session.add(
                LocalCopyRow(
                    entity_type=entity.type.value, entity_key=entity.key, local_id=local_id
                )
            )
        else:
            row.local_id = local_id
        self.session.flush()

    def last_seqs(self) -> dict[str, int]:
        rows = self.session.execute(
            select(AppliedRow.origin, func.max(AppliedRow.seq)).group_by(AppliedRow.origin)
        )
        return {origin: int(seq) for origin, seq in rows}

    def counts(self) -> dict[tuple[str, str], int]:
        rows = self.session.execute(
            select(AppliedRow.origin, AppliedRow.outcome, func.count()).group_by(
                AppliedRow.origin, AppliedRow.outcome
            )
        )
        return {(origin, outcome): int(n) for origin, outcome, n in rows}

    def refusal_counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(RefusalRow.reason, func.count()).group_by(RefusalRow.reason)
        )
        return {reason: int(n) for reason, n in rows}

    def count(self, outcome: Outcome) -> int:
        query = select(func.count()).select_from(AppliedRow).where(AppliedRow.outcome == outcome)
        return int(self.session.scalar(query) or 0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlExchangeUnitOfWork:
    """The exchange's repositories on one session; leaving `with` without `commit()` rolls back.

    `session` is open inside `with`, so an apply callback can write the platform's own tables in
    the same transaction.
    """

    node: SqlNodeRepository
    peers: SqlPeerRepository
    outbox: SqlOutbox
    inbox: SqlInbox
    audit: SqlAuditLog

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        session = self.session_factory()
        self._session = session
        self.node = SqlNodeRepository(session)
        self.peers = SqlPeerRepository(session)
        self.outbox = SqlOutbox(session)
        self.inbox = SqlInbox(session)
        self.audit = SqlAuditLog(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        self.session.commit()

    def now(self) -> datetime:
        return self.clock()
