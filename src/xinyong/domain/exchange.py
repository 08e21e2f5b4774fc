"""Exchange between platforms: nodes, the events they send each other, and who may receive what.

A node is one running platform (national, provincial or municipal). It tells its peers about every
change to a record, a list entry or an objection mark by an `Event`: numbered by the origin,
carrying the entity's whole state after the change, and later signed by the origin and sealed to
each recipient (`domain/envelopes.py`). Which peer may receive an event is `may_receive`, a pure
function of the event and the peer's entitlement. See docs/exchange.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias, TypeVar

from xinyong.domain.catalog import SharingScope
from xinyong.domain.errors import Invalid

#: A value canonical JSON can carry: no floats, so every node encodes it to the same bytes.
JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"

#: A node code becomes a token of NATS subjects and stream names: no dots, spaces or wildcards.
_NODE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_REGION = re.compile(r"^\d{6}$")


class NodeLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"


class PeerKind(StrEnum):
    """A peer is another platform (a public body) or a credit reporting agency."""

    PLATFORM = "platform"
    AGENCY = "agency"


def check_node_code(code: str) -> str:
    """Return `code` if it can name a node, or raise Invalid saying what it may contain."""
    if not _NODE_CODE.match(code):
        raise Invalid(
            "node code: 1 to 32 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return code


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """Who a node is: its code (unique in the exchange), the region it serves, and its level."""

    code: str
    region: str
    level: NodeLevel

    def __post_init__(self) -> None:
        check_node_code(self.code)
        if not _REGION.match(self.region):
            raise Invalid("region: a 6-digit administrative region code, e.g. 440000")

    def covers(self, region_code: str) -> bool:
        """Whether a department of this region is this node's own (its origin): a province's
        node covers the province, a city's the city, the national node the central bodies."""
        width = {NodeLevel.PROVINCIAL: 2, NodeLevel.MUNICIPAL: 4, NodeLevel.NATIONAL: 6}
        n = width[self.level]
        return region_code[:n] == self.region[:n]


class EntityType(StrEnum):
    RECORD = "record"
    LISTING = "listing"


class EventKind(StrEnum):
    """What happened at the origin. Past tense: the change is already committed there."""

    RECORD_ACCEPTED = "record.accepted"
    RECORD_UPDATED = "record.updated"
    RECORD_CORRECTED = "record.corrected"
    RECORD_REVOKED = "record.revoked"
    RECORD_REPAIRED = "record.repaired"
    RECORD_EXPIRED = "record.expired"
    LISTING_IN_FORCE = "listing.in_force"
    LISTING_EXTENDED = "listing.extended"
    LISTING_ENDED = "listing.ended"
    OBJECTION_MARK_SET = "objection.mark_set"
    OBJECTION_MARK_CLEARED = "objection.mark_cleared"

    @property
    def entity_types(self) -> frozenset[EntityType]:
        """The kinds of entity an event of this kind may be about."""
        if self.value.startswith("record."):
            return frozenset({EntityType.RECORD})
        if self.value.startswith("listing."):
            return frozenset({EntityType.LISTING})
        return frozenset({EntityType.RECORD, EntityType.LISTING})

    @property
    def withdraws(self) -> bool:
        """Whether the event takes something back or marks it: every holder of a copy must hear."""
        return self not in _ADDING


_ADDING = frozenset(
    {
        EventKind.RECORD_ACCEPTED,
        EventKind.RECORD_UPDATED,
        EventKind.LISTING_IN_FORCE,
        EventKind.LISTING_EXTENDED,
    }
)


class Sharing(StrEnum):
    """How far an item may travel, from the catalog's sharing scope.

    public: every platform, and agencies whose licence covers the item. shared: public bodies
    only (the catalog's `government`). authorised: public bodies, and agencies the subject
    authorised. never: items with a local legal basis only, which stay on their origin.
    """

    PUBLIC = "public"
    SHARED = "shared"
    AUTHORISED = "authorised"
    NEVER = "never"


def sharing_for(scope: SharingScope, *, local_only: bool) -> Sharing:
    """Return how a catalog item's records travel; a local-only item never leaves its origin."""
    if local_only:
        return Sharing.NEVER
    return {
        SharingScope.PUBLIC: Sharing.PUBLIC,
        SharingScope.GOVERNMENT: Sharing.SHARED,
        SharingScope.AUTHORISED: Sharing.AUTHORISED,
    }[scope]


class SubjectType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


@dataclass(frozen=True, slots=True)
class SubjectIdentity:
    """Who an event is about, as the origin knows them. Travels sealed, never in the clear."""

    type: SubjectType
    number: str
    name: str

    def __repr__(self) -> str:
        return f"SubjectIdentity({self.type.value}, {'*' * 14}{self.number[-4:]})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Entity:
    """What an event changes, named by a key the origin keeps stable: for a record, its
    department and document number; for a listing, the origin's own reference."""

    type: EntityType
    key: str


#: The keys every entity's state must carry, by entity type, with their JSON types.
STATE_KEYS: Mapping[EntityType, Mapping[str, tuple[type, ...]]] = {
    EntityType.RECORD: {
        "document_number": (str,),
        "status": (str,),
        "decided_on": (str,),
        "under_objection": (bool,),
        "fields": (dict,),
    },
    EntityType.LISTING: {
        "list_type": (str,),
        "state": (str,),
        "records": (list,),
        "under_objection": (bool,),
    },
}


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change, as the service that made it writes it to the outbox.

    `state` is the entity's whole state after the change: a receiver that missed an earlier
    event of the same entity still ends up right.
    """

    kind: EventKind
    occurred_at: datetime
    department: str
    catalog_item: str
    catalog_version: str
    sharing: Sharing
    entity: Entity
    subject_ref: str
    subject: SubjectIdentity
    state: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = change_problems(self)
        if problems:
            raise Invalid("; ".join(problems))


def change_problems(change: Change) -> list[str]:
    """Return what is wrong with a change (empty when it may be sent)."""
    problems: list[str] = []
    if change.entity.type not in change.kind.entity_types:
        problems.append(f"entity: a {change.kind.value} event is not about a {change.entity.type}")
    if change.occurred_at.tzinfo is None:
        problems.append("occurred_at: must be timezone-aware")
    for name in ("department", "catalog_item", "catalog_version", "subject_ref"):
        if not getattr(change, name):
            problems.append(f"{name}: must not be empty")
    if not change.entity.key:
        problems.append("entity.key: must not be empty")
    if not change.subject.number:
        problems.append("subject.number: must not be empty")
    for key, types in STATE_KEYS[change.entity.type].items():
        value = change.state.get(key)
        if not isinstance(value, types):
            problems.append(f"state.{key}: required, a JSON {_json_type(types)}")
    return problems


def _json_type(types: tuple[type, ...]) -> str:
    return {str: "string", bool: "boolean", dict: "object", list: "array"}[types[0]]


@dataclass(frozen=True, slots=True)
class Event:
    """A change as the exchange carries it: numbered by its origin, authoritative there."""

    origin: str
    seq: int
    change: Change

    def __post_init__(self) -> None:
        check_node_code(self.origin)
        if self.seq < 1:
            raise Invalid("seq: origin sequence numbers start at 1")

    @property
    def kind(self) -> EventKind:
        return self.change.kind

    @property
    def message_id(self) -> str:
        """The origin's name for this event, the same however often it is sent."""
        return f"{self.origin}.{self.seq}"


# --- encoding -------------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def header_json(event: Event) -> dict[str, JsonValue]:
    """Return the part of an event that travels in the clear (no identifiers, no state)."""
    return {"origin": event.origin, "seq": event.seq, **_change_header(event.change)}


def _change_header(c: Change) -> dict[str, JsonValue]:
    return {
        "kind": c.kind.value,
        "occurred_at": _timestamp(c.occurred_at),
        "department": c.department,
        "catalog_item": c.catalog_item,
        "catalog_version": c.catalog_version,
        "sharing": c.sharing.value,
        "entity": {"type": c.entity.type.value, "key": c.entity.key},
        "subject_ref": c.subject_ref,
    }


def body_json(change: Change) -> dict[str, JsonValue]:
    """Return the part of an event that travels sealed: who it is about, and the state."""
    s = change.subject
    return {
        "subject": {"type": s.type.value, "number": s.number, "name": s.name},
        "state": dict(change.state),
    }


def event_json(event: Event) -> dict[str, JsonValue]:
    """Return the whole event as JSON (docs/exchange/event.schema.json)."""
    return {**header_json(event), **body_json(event.change)}


_E = TypeVar("_E", bound=StrEnum)


class _Reader:
    """Reads one JSON object, naming the field of any problem."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data

    def text(self, name: str, source: Mapping[str, object] | None = None) -> str:
        value = (self.data if source is None else source).get(name)
        if not isinstance(value, str) or not value:
            raise Invalid(f"{name}: required, a non-empty string")
        return value

    def obj(self, name: str) -> Mapping[str, object]:
        value = self.data.get(name)
        if not isinstance(value, dict):
            raise Invalid(f"{name}: required, an object")
        return value

    def choice(self, name: str, enum: type[_E], raw: object) -> _E:
        try:
            return enum(str(raw))
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise Invalid(f"{name}: must be one of {allowed}") from None


def change_json(change: Change) -> dict[str, JsonValue]:
    """Return a change as JSON: an event without origin and sequence (what the outbox stores)."""
    return {**_change_header(change), **body_json(change)}


def event_from_json(data: Mapping[str, object]) -> Event:
    """Read an event written by `event_json`, or raise Invalid naming the field."""
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise Invalid("seq: required, an integer")
    return Event(origin=_Reader(data).text("origin"), seq=seq, change=change_from_json(data))


def change_from_json(data: Mapping[str, object]) -> Change:
    """Read a change written by `change_json`, or raise Invalid naming the field."""
    r = _Reader(data)
    try:
        occurred = datetime.fromisoformat(r.text("occurred_at"))
    except ValueError:
        raise Invalid("occurred_at: not an ISO 8601 timestamp") from None
    entity, subject = r.obj("entity"), r.obj("subject")
    state = data.get("state")
    if not isinstance(state, dict):
        raise Invalid("state: required, an object")
    return Change(
        kind=r.choice("kind", EventKind, data.get("kind")),
        occurred_at=occurred,
        department=r.text("department"),
        catalog_item=r.text("catalog_item"),
        catalog_version=r.text("catalog_version"),
        sharing=r.choice("sharing", Sharing, data.get("sharing")),
        entity=Entity(
            r.choice("entity.type", EntityType, entity.get("type")), r.text("key", entity)
        ),
        subject_ref=r.text("subject_ref"),
        subject=SubjectIdentity(
            r.choice("subject.type", SubjectType, subject.get("type")),
            r.text("number", subject),
            str(subject.get("name") or ""),
        ),
        state=state,
    )


# --- who may receive what ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entitlement:
    """What a peer may receive.

    `items`: the catalog items it may receive (an agency's licence); None means every item.
    `suspended`: receives nothing new (an agency on the agencies' blacklist, say), but still
    hears every withdrawal of what it already holds.
    """

    kind: PeerKind
    items: frozenset[str] | None = None
    suspended: bool = False

    def suspend(self) -> Entitlement:
        """This entitlement while its holder may receive nothing new (an agency on the agencies'
        blacklist, or without a valid licence, today): withdrawals of held copies only."""
        return replace(self, suspended=True)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str


#: The events that take their entity back, whatever state they carry.
_TAKING_BACK = frozenset(
    {
        EventKind.RECORD_REVOKED,
        EventKind.RECORD_REPAIRED,
        EventKind.RECORD_EXPIRED,
        EventKind.LISTING_ENDED,
    }
)
#: The state in which an entity is shown, by entity type: its state key and value. A record in
#: any other status is past its display, taken back or held; a listing in any other, ended.
_SHOWN: Mapping[EntityType, tuple[str, str]] = {
    EntityType.RECORD: ("status", "active"),
    EntityType.LISTING: ("state", "in_force"),
}


def shown_after(change: Change) -> bool:
    """Whether the entity is still shown after the change: a correction or a mark of a shown
    record is the record as it is shown; a revocation, repair, expiry, stopped display, identity
    hold or end of a listing, or a record accepted already past its display, is not."""
    key, value = _SHOWN[change.entity.type]
    return change.kind not in _TAKING_BACK and change.state.get(key) == value


def may_receive(
    change: Change, peer: Entitlement, *, holds_copy: bool, authorised: bool
) -> Verdict:
    """Decide whether a peer receives a change.

    Args:
        holds_copy: the peer already received this entity; a withdrawal (correction,
            revocation, repair, expiry, end of a listing, objection mark, identity hold) then
            always reaches it, whatever its entitlement is today: every copy must be put right,
            a local item's too (one sent before its records were kept at their origin).
            An agency that holds no copy hears nothing of an entity no longer shown
            (`shown_after`): the event carries the whole entity and its subject, which it may
            no longer be given. A platform gets it for its archive, as it gets a record accepted
            past its display: it keeps it unshown and used for nothing, as the origin does.
        authorised: the subject's authorisation of this peer is live today (only agencies
            need one, and only for `authorised` items).
    """
    shown = shown_after(change)
    if holds_copy and (change.kind.withdraws or not shown):
        return Verdict(True, "the peer holds a copy, which must be put right")
    if change.sharing is Sharing.NEVER:
        return Verdict(False, "the item has a local legal basis only and never leaves its origin")
    if peer.kind is PeerKind.AGENCY and not shown:
        return Verdict(False, "no longer shown: only a peer that holds a copy hears of it")
    if peer.suspended:
        return Verdict(False, "the peer is suspended")
    if peer.items is not None and change.catalog_item not in peer.items:
        return Verdict(False, f"the peer's entitlement does not cover item {change.catalog_item}")
    if peer.kind is PeerKind.PLATFORM:
        return Verdict(True, "platforms share public and shared-only items")
    if change.sharing is Sharing.PUBLIC:
        return Verdict(True, "a public item the agency's licence covers")
    if change.sharing is Sharing.SHARED:
        return Verdict(False, "a shared-only item goes to public bodies only, never to agencies")
    if not authorised:
        return Verdict(False, "the subject has not authorised this agency")
    return Verdict(True, "the subject authorised this agency")


# --- what every node computes the same way ------------------------------------------------


def subject_reference(subject_type: SubjectType, number: str) -> str:
    """Return the exchange's reference for a subject: a digest of its number, never the number.

    Every node computes it the same way, so that digests compare across nodes. A digest of a
    number from a small space can be searched: the reference only ever travels to peers, whose
    streams are closed to others (docs/exchange.md, deployment).
    """
    blob = f"xinyong.exchange/1 subject {subject_type.value} {number}".encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def json_safe(value: object) -> JsonValue:
    """Return `value` as canonical JSON can carry it: dates ISO, decimals and floats as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        return str(Decimal(str(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


#: What of an entity's state a leaf covers: what every copy must agree on.
LEAF_KEYS: Mapping[EntityType, tuple[str, ...]] = {
    EntityType.RECORD: ("status", "under_objection", "content_hash"),
    EntityType.LISTING: ("list_type", "state", "ends_on", "under_objection", "records"),
}


def leaf_part(entity: Entity, state: Mapping[str, object]) -> dict[str, JsonValue]:
    """Return the part of one entity's state that a subject's leaf covers."""
    return {
        "type": entity.type.value,
        "key": entity.key,
        **{k: json_safe(state.get(k)) for k in LEAF_KEYS[entity.type]},
    }
