"""Exchange use cases: node keys, peers, relaying the outbox, consuming events, reconciling.

The ports (storage, transport, the callback that applies an event, the authorisation check) are
Protocols here, implemented by `db/exchange.py` and `transport/jetstream.py`. Reconciliation is
in `services/reconciliation.py`. See docs/exchange.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, TypeVar

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.envelopes import (
    NodeKeys,
    PublicKeys,
    Received,
    RefusalReason,
    Refused,
    make_envelope,
    open_envelope,
    peek,
)
from xinyong.domain.errors import Conflict, DomainError, NotFound
from xinyong.domain.exchange import (
    Change,
    Entitlement,
    Entity,
    Event,
    NodeIdentity,
    PeerKind,
    Sharing,
    may_receive,
)
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.services.audit import AuditLog

# --- what the use cases work with ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalNode:
    """This platform: who it is and its private keys."""

    identity: NodeIdentity
    keys: NodeKeys


@dataclass(frozen=True, slots=True)
class Peer:
    """Another node this one exchanges with: its public keys, and what it may receive."""

    identity: NodeIdentity
    keys: PublicKeys
    entitlement: Entitlement

    @property
    def code(self) -> str:
        return self.identity.code


class Outcome(StrEnum):
    """What became of one received event."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # its (origin, sequence) was handled before: acknowledged, not applied
    STALE = "stale"  # a later change of the same entity was applied already
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A received event that was not applied, and why (no identifiers: the reason is redacted)."""

    peer: str
    stream_seq: int
    origin: str
    seq: int | None
    kind: str | None
    reason: RefusalReason
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Owner:
    """The node whose changes of an entity are authoritative, and the last one applied."""

    origin: str
    last_seq: int


# --- ports ---------------------------------------------------------------------------------


class NodeRepository(Protocol):
    def get(self) -> LocalNode | None: ...
    def add(self, node: LocalNode, *, at: datetime) -> None: ...


class PeerRepository(Protocol):
    def get(self, code: str) -> Peer | None: ...
    def add(self, peer: Peer, *, at: datetime) -> None: ...
    def list(self) -> list[Peer]: ...
    def remove(self, code: str) -> bool: ...


class Outbox(Protocol):
    def origin(self) -> str | None:
        """This node's code; None while the platform is no node (then nothing is queued)."""
        ...

    def add(self, change: Change, *, at: datetime) -> int:
        """Queue a change in the caller's transaction; return its origin sequence number."""
        ...

    def add_many(self, changes: Sequence[Change], *, at: datetime) -> None:
        """Queue changes in the caller's transaction, in order, in one statement."""
        ...

    def pause(self) -> None:
        """Queue nothing more in this transaction: it applies a peer's change, which is the
        peer's to send."""
        ...

    def foreign(self, entities: Sequence[Entity]) -> set[Entity]:
        """Those of `entities` that came from another origin (theirs to send, not ours)."""
        ...

    def pending(self, limit: int) -> list[tuple[int, Change]]:
        """Return unsent changes, oldest first."""
        ...

    def mark_sent(self, seqs: Sequence[int], *, at: datetime) -> None: ...
    def holds_copy(self, peer: str, entity: Entity) -> bool: ...
    def record_copies(self, peer: str, entities: Sequence[Entity]) -> None: ...
    def count_pending(self) -> int: ...
    def last_seq(self) -> int: ...  # the last sequence number given (0: none yet)


class Inbox(Protocol):
    def outcome(self, origin: str, seq: int) -> Outcome | None: ...
    def record(
        self, event: Event, outcome: Outcome, *, peer: str, stream_seq: int, at: datetime
    ) -> None: ...
    def owner(self, entity: Entity) -> Owner | None: ...
    def set_owner(self, entity: Entity, owner: Owner) -> None: ...
    def refuse(self, refusal: Refusal) -> bool:
        """Store a refusal; False if this (peer, stream sequence) was refused before."""
        ...

    def refusals(self, *, limit: int = 100) -> list[Refusal]: ...
    # The status page: last sequence handled per origin; outcomes per (origin, outcome);
    # refusals per reason (unauthenticated messages included).
    def last_seqs(self) -> dict[str, int]: ...
    def counts(self) -> dict[tuple[str, str], int]: ...
    def refusal_counts(self) -> dict[str, int]: ...
    def local_id(self, entity: Entity) -> int | None:
        """This node's id of its copy of a received entity (a listing's entry id)."""
        ...

    def set_local_id(self, entity: Entity, local_id: int) -> None: ...


class ExchangeUnitOfWork(Protocol):
    """One transaction over the exchange's tables. The platform's unit of work will carry these
    repositories too, so that a change and its outbox row commit together."""

    @property
    def node(self) -> NodeRepository: ...
    @property
    def peers(self) -> PeerRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def audit(self) -> AuditLog: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def now(self) -> datetime: ...


class TransportError(Exception):
    """The message engine could not do what was asked (unreachable, no quorum, timed out)."""


@dataclass(frozen=True, slots=True)
class Published:
    stream_seq: int
    duplicate: bool


class Delivery(Protocol):
    """One message fetched from a peer's stream; acknowledged once handled."""

    @property
    def data(self) -> bytes: ...
    @property
    def stream_seq(self) -> int: ...
    def ack(self) -> None: ...


class Transport(Protocol):
    """The message engine, bound to this node's own stream (JetStream in production)."""

    def publish(self, recipient: str, message_id: str, data: bytes) -> Published:
        """Append to this node's stream for `recipient`; a repeated `message_id` is dropped.
        Raises TransportError."""
        ...

    def fetch(self, origin: str, *, batch: int, timeout: float) -> Sequence[Delivery]:
        """Return the next unacknowledged messages `origin` sent to this node (maybe none)."""
        ...


W = TypeVar("W", bound=ExchangeUnitOfWork, contravariant=True)


class Authorisations(Protocol[W]):
    """What the platform says of an agency peer on a day, read in the relay's own transaction:
    whether it may receive nothing new (blacklisted, no valid licence), and whether the change's
    subject authorised it."""

    def is_suspended(self, uow: W, peer: str, *, on: datetime) -> bool: ...
    def is_authorised(self, uow: W, peer: str, change: Change, *, on: datetime) -> bool: ...


U = TypeVar("U", bound=ExchangeUnitOfWork)

#: Applies an opened event through the platform's own services and gates (catalog, mandates,
#: expiry), in the unit of work's transaction. Raises a DomainError to refuse it.
Apply = Callable[[U, Event], None]


# --- node and peers ------------------------------------------------------------------------


def _local(uow: ExchangeUnitOfWork) -> LocalNode:
    node = uow.node.get()
    if node is None:
        raise NotFound("this platform is not an exchange node yet: run `xinyong node init`")
    return node


def init_node(
    uow: ExchangeUnitOfWork, identity: NodeIdentity, keys: NodeKeys, *, actor: str
) -> LocalNode:
    """Make this platform a node with fresh keys; a platform is one node, once."""
    with uow:
        existing = uow.node.get()
        if existing is not None:
            raise Conflict(f"this platform is already node {existing.identity.code}")
        node = LocalNode(identity, keys)
        uow.node.add(node, at=uow.now())
        _audit(uow, EventTag.EXCHANGE_NODE_INITIALISED, identity.code, actor, keys.public)
        uow.commit()
    return node


def show_node(uow: ExchangeUnitOfWork) -> LocalNode:
    with uow:
        return _local(uow)


def add_peer(uow: ExchangeUnitOfWork, peer: Peer, *, actor: str) -> None:
    """Register a peer with its public keys and entitlement."""
    with uow:
        node = _local(uow)
        if peer.code == node.identity.code:
            raise Conflict("a node is not its own peer")
        if uow.peers.get(peer.code) is not None:
            raise Conflict(f"peer {peer.code} is registered already; remove it first")
        if peer.entitlement.kind is PeerKind.AGENCY and peer.entitlement.items is None:
            raise Conflict("an agency receives only the items its licence names: give them")
        uow.peers.add(peer, at=uow.now())
        _audit(uow, EventTag.EXCHANGE_PEER_ADDED, peer.code, actor, peer.keys)
        uow.commit()


def list_peers(uow: ExchangeUnitOfWork) -> list[Peer]:
    with uow:
        return uow.peers.list()


def remove_peer(uow: ExchangeUnitOfWork, code: str, *, actor: str) -> None:
    with uow:
        if not uow.peers.remove(code):
            raise NotFound(f"no peer {code}")
        _audit(uow, EventTag.EXCHANGE_PEER_REMOVED, code, actor, None)
        uow.commit()


def _audit(
    uow: ExchangeUnitOfWork, tag: EventTag, code: str, actor: str, keys: PublicKeys | None
) -> None:
    data: dict[str, object] = {"fingerprint": keys.fingerprint} if keys else {}
    uow.audit.add(
        AuditEvent(
            tag=tag, actor=actor, entity_type="node", entity_id=code, at=uow.now(), data=data
        )
    )


# --- outbound ------------------------------------------------------------------------------


@dataclass(slots=True)
class RelayReport:
    events: int = 0  # outbox rows marked sent
    messages: int = 0  # envelopes published (one per event and entitled peer)
    duplicates: int = 0  # envelopes the stream had already (a crash between publish and mark)
    withheld: int = 0  # (event, peer) pairs the sharing rule did not allow
    failed: str | None = None  # why the round stopped early; the rest goes next round


def relay_outbox(
    uow: U,
    transport: Transport,
    authorisations: Authorisations[U],
    *,
    batch: int = 100,
) -> RelayReport:
    """Publish pending outbox rows to every entitled peer, then mark them sent.

    Publishing happens after the read transaction and before the marking one: a crash between
    the two publishes the same envelopes again under the same message ids, which the stream
    drops (within its duplicate window) and receivers ignore (by origin and sequence).
    """
    report = RelayReport()
    plan: list[tuple[int, list[tuple[str, bytes, str, Entity]]]] = []
    given: set[tuple[str, Entity]] = set()  # copies this round gives: held for its later events
    with uow:
        node, now, peers = _local(uow), uow.now(), uow.peers.list()
        agencies = [p.code for p in peers if p.entitlement.kind is PeerKind.AGENCY]
        suspended = {code for code in agencies if authorisations.is_suspended(uow, code, on=now)}
        for seq, change in uow.outbox.pending(batch):
            event, messages = Event(node.identity.code, seq, change), []
            for peer in peers:
                copy = (peer.code, change.entity)
                verdict = may_receive(
                    change,
                    peer.entitlement.suspend() if peer.code in suspended else peer.entitlement,
                    holds_copy=copy in given or uow.outbox.holds_copy(*copy),
                    authorised=peer.code in agencies
                    and change.sharing is Sharing.AUTHORISED
                    and authorisations.is_authorised(uow, peer.code, change, on=now),
                )
                if not verdict.allowed:
                    report.withheld += 1
                    continue
                given.add(copy)
                envelope = make_envelope(
                    event, recipient=peer.code, recipient_keys=peer.keys, signer=node.keys.signing
                )
                messages.append((f"{event.message_id}.{peer.code}", envelope, *copy))
            plan.append((seq, messages))
    sent: list[int] = []
    copies: dict[str, list[Entity]] = {}
    for seq, messages in plan:
        try:
            for message_id, envelope, peer_code, entity in messages:
                published = transport.publish(peer_code, message_id, envelope)
                report.messages += 1
                report.duplicates += published.duplicate
                copies.setdefault(peer_code, []).append(entity)
        except TransportError as exc:  # the round ends here, in order; the rest goes next round
            report.failed = f"publishing event {seq}: {exc}"
            break
        sent.append(seq)
    if sent or copies:
        with uow:
            uow.outbox.mark_sent(sent, at=uow.now())
            for peer_code, entities in copies.items():
                uow.outbox.record_copies(peer_code, entities)
            uow.commit()
    report.events = len(sent)
    return report


# --- inbound -------------------------------------------------------------------------------


@dataclass(slots=True)
class ConsumeReport:
    outcomes: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())


class _NotApplied(Exception):
    def __init__(self, event: Event, reason: RefusalReason, detail: str) -> None:
        super().__init__(detail)
        self.event, self.reason, self.detail = event, reason, detail


def consume(
    uow: U,
    transport: Transport,
    origin: str,
    apply: Apply[U],
    *,
    batch: int = 100,
    timeout: float = 1.0,
) -> ConsumeReport:
    """Fetch what `origin` sent this node, handle each message in its own transaction, and
    acknowledge it only after that transaction committed.

    A crash before the acknowledgement redelivers the message; its (origin, sequence) is then
    found in the applied-log and it is acknowledged without being applied again.
    """
    report = ConsumeReport()
    for delivery in transport.fetch(origin, batch=batch, timeout=timeout):
        outcome = receive(uow, origin, delivery.data, delivery.stream_seq, apply)
        delivery.ack()
        report.outcomes[outcome] += 1
    return report


def receive(uow: U, stream_of: str, raw: bytes, stream_seq: int, apply: Apply[U]) -> Outcome:
    """Verify, open and apply one message read from the stream of node `stream_of`."""
    try:
        with uow:
            outcome = _receive(uow, stream_of, raw, stream_seq, apply)
            uow.commit()
            return outcome
    except _NotApplied as refused:
        # The apply callback's partial writes are rolled back; the refusal commits on its own.
        with uow:
            _refuse(uow, stream_of, stream_seq, refused.event, refused.reason, refused.detail)
            uow.inbox.record(
                refused.event, Outcome.REFUSED, peer=stream_of, stream_seq=stream_seq, at=uow.now()
            )
            uow.commit()
        return Outcome.REFUSED


def _receive(uow: U, stream_of: str, raw: bytes, stream_seq: int, apply: Apply[U]) -> Outcome:
    node = _local(uow)
    peer = uow.peers.get(stream_of)
    try:
        event = open_envelope(
            raw,
            stream_of=stream_of,
            origin_keys=peer.keys if peer else None,
            me=node.identity.code,
            my_keys=node.keys,
        )
    except Refused as refused:
        # Not authenticated: its (origin, sequence) is not trusted, so it never enters the
        # applied-log, where it could shadow the genuine event of that number.
        _refuse(uow, stream_of, stream_seq, peek(raw), refused.reason, refused.detail)
        return Outcome.REFUSED
    if uow.inbox.outcome(event.origin, event.seq) is not None:
        return Outcome.DUPLICATE
    entity = event.change.entity
    owner = uow.inbox.owner(entity)
    if owner is not None and owner.origin != event.origin:
        raise _NotApplied(
            event,
            RefusalReason.NOT_ORIGIN,
            f"{entity.type} {entity.key} belongs to {owner.origin};"
            f" {event.origin} may not change it",
        )
    if owner is not None and owner.last_seq > event.seq:
        uow.inbox.record(event, Outcome.STALE, peer=stream_of, stream_seq=stream_seq, at=uow.now())
        return Outcome.STALE
    try:
        apply(uow, event)
    except Refused as refused:
        raise _NotApplied(event, refused.reason, refused.detail) from None
    except DomainError as exc:
        raise _NotApplied(event, RefusalReason.GATE, exc.detail) from None
    uow.inbox.set_owner(entity, Owner(event.origin, event.seq))
    uow.inbox.record(event, Outcome.APPLIED, peer=stream_of, stream_seq=stream_seq, at=uow.now())
    return Outcome.APPLIED


def _refuse(
    uow: ExchangeUnitOfWork,
    peer: str,
    stream_seq: int,
    claimed: Event | Received,
    reason: RefusalReason,
    detail: str,
) -> None:
    origin, seq = claimed.origin, claimed.seq
    kind = claimed.kind.value if isinstance(claimed, Event) else claimed.kind
    clean = redact_id_numbers(detail)[:500]
    refusal = Refusal(peer, stream_seq, origin, seq, kind, reason, clean, uow.now())
    if uow.inbox.refuse(refusal):
        uow.audit.add(
            AuditEvent(
                tag=EventTag.EXCHANGE_EVENT_REFUSED,
                actor=f"node:{peer}",
                entity_type="exchange_message",
                entity_id=f"{peer}:{stream_seq}",
                at=refusal.at,
                reason=f"{reason.value}: {refusal.detail}",
                data={"origin": origin, "seq": seq, "kind": kind},
            )
        )


def refusals(uow: ExchangeUnitOfWork, *, limit: int = 100) -> list[Refusal]:
    with uow:
        return uow.inbox.refusals(limit=limit)
