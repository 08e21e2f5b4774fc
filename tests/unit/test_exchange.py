"""The exchange's domain: events, envelopes (signatures, sealing), who receives what, digests."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from tests.factories import citizen_id
from xinyong.domain.catalog import SharingScope
from xinyong.domain.envelopes import (
    NodeKeys,
    PublicKeys,
    RefusalReason,
    Refused,
    canonical_json,
    make_envelope,
    open_envelope,
    peek,
    unseal,
)
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
    event_from_json,
    event_json,
    may_receive,
    sharing_for,
)
from xinyong.domain.merkle import (
    MerkleTree,
    bucket_of,
    build_tree,
    differing_buckets,
    differing_subjects,
    leaf_hash,
    leaves_in,
)

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
GD, ZJ, CN = NodeKeys.generate(), NodeKeys.generate(), NodeKeys.generate()


def make_change(kind: EventKind = EventKind.RECORD_ACCEPTED, **overrides: object) -> Change:
    values: dict[str, object] = {
        "kind": kind,
        "occurred_at": AT,
        "department": "GD-AMR",
        "catalog_item": "ADM-PEN-01",
        "catalog_version": "2024.1",
        "sharing": Sharing.PUBLIC,
        "entity": Entity(EntityType.RECORD, "GD-AMR:粤市监罚〔2026〕1号"),
        "subject_ref": "s-41",
        "subject": SubjectIdentity(SubjectType.PERSON, citizen_id("440106"), "王秀英"),
        "state": {
            "document_number": "粤市监罚〔2026〕1号",
            "status": "active",
            "decided_on": "2026-09-01",
            "under_objection": False,
            "fields": {"fine_amount": "5000"},
        },
    }
    values.update(overrides)
    return Change(**values)  # type: ignore[arg-type]


def envelope(event: Event, *, signer: NodeKeys = GD, to: str = "CN", keys: NodeKeys = CN) -> bytes:
    return make_envelope(event, recipient=to, recipient_keys=keys.public, signer=signer.signing)


def open_as_cn(raw: bytes, *, stream_of: str = "GD", origin_keys: PublicKeys = GD.public) -> Event:
    return open_envelope(raw, stream_of=stream_of, origin_keys=origin_keys, me="CN", my_keys=CN)


def test_an_envelope_opens_to_the_event_that_was_sent() -> None:
    event = Event("GD", 7, make_change())
    assert open_as_cn(envelope(event)) == event


def test_identifiers_and_state_never_travel_in_the_clear() -> None:
    event = Event("GD", 7, make_change())
    raw = envelope(event)
    assert event.change.subject.number.encode() not in raw
    assert "王秀英".encode() not in raw
    assert b"fine_amount" not in raw
    assert peek(raw).origin == "GD"
    assert peek(raw).seq == 7


def test_a_tampered_envelope_is_refused() -> None:
    data = json.loads(envelope(Event("GD", 7, make_change())))
    data["catalog_item"] = "JUD-DEBTOR-01"
    with pytest.raises(Refused) as refused:
        open_as_cn(canonical_json(data))
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


def test_a_tampered_sealed_body_is_refused() -> None:
    data = json.loads(envelope(Event("GD", 7, make_change())))
    ct = bytearray(data["sealed"]["ct"].encode())
    ct[5] = ord("A") if ct[5] != ord("A") else ord("B")
    data["sealed"]["ct"] = ct.decode()
    with pytest.raises(Refused) as refused:
        open_as_cn(canonical_json(data))
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


def test_an_event_signed_by_another_node_is_refused() -> None:
    forged = envelope(Event("GD", 7, make_change()), signer=ZJ)
    with pytest.raises(Refused) as refused:
        open_as_cn(forged)
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


def test_an_event_claiming_another_origin_than_its_stream_is_refused() -> None:
    raw = envelope(Event("ZJ", 7, make_change()), signer=ZJ)
    with pytest.raises(Refused) as refused:
        open_as_cn(raw, stream_of="GD")
    assert refused.value.reason is RefusalReason.WRONG_STREAM


def test_an_event_sealed_to_another_node_does_not_open() -> None:
    raw = envelope(Event("GD", 7, make_change()), to="CN", keys=ZJ)
    with pytest.raises(Refused) as refused:
        open_as_cn(raw)
    assert refused.value.reason is RefusalReason.UNSEALABLE


def test_an_event_addressed_to_another_node_is_refused() -> None:
    raw = envelope(Event("GD", 7, make_change()), to="ZJ", keys=CN)
    with pytest.raises(Refused) as refused:
        open_as_cn(raw)
    assert refused.value.reason is RefusalReason.WRONG_RECIPIENT


def test_garbage_is_refused_as_malformed() -> None:
    for raw in (b"not json", b"[]", b'{"format": "other"}'):
        with pytest.raises(Refused) as refused:
            open_as_cn(raw)
        assert refused.value.reason is RefusalReason.MALFORMED


def test_keys_survive_storage_as_text() -> None:
    again = NodeKeys.from_text(*GD.as_text())
    assert again.public == GD.public
    assert PublicKeys.from_text(*GD.public.as_text()) == GD.public
    assert GD.public.fingerprint not in repr(GD.as_text())
    assert repr(GD) == f"NodeKeys({GD.public.fingerprint})"


def test_canonical_json_is_independent_of_key_order_and_refuses_floats() -> None:
    assert canonical_json({"b": 1, "a": "信"}) == canonical_json({"a": "信", "b": 1})
    assert canonical_json({"a": "信"}) == '{"a":"信"}'.encode()
    with pytest.raises(Invalid):
        canonical_json({"amount": 1.5})


def test_event_json_round_trips() -> None:
    event = Event("GD", 3, make_change(EventKind.OBJECTION_MARK_SET))
    assert event_from_json(json.loads(canonical_json(event_json(event)))) == event


def test_a_change_names_each_missing_part_of_its_state() -> None:
    with pytest.raises(Invalid, match=r"state\.status: required, a JSON string"):
        make_change(state={"document_number": "x", "decided_on": "2026-01-01"})
    with pytest.raises(Invalid, match=r"listing\.ended event is not about a record"):
        make_change(EventKind.LISTING_ENDED)


def test_a_subject_identity_never_shows_its_number() -> None:
    identity = SubjectIdentity(SubjectType.PERSON, "11010519491231002X", "王秀英")
    assert "1949" not in repr(identity)
    assert "王" not in str(identity)


def test_node_identity_refuses_codes_that_cannot_name_a_subject() -> None:
    assert NodeIdentity("GD", "440000", NodeLevel.PROVINCIAL).code == "GD"
    for code in ("a.b", "a b", "*", "", "x" * 33):
        with pytest.raises(Invalid, match="node code"):
            NodeIdentity(code, "440000", NodeLevel.PROVINCIAL)
    with pytest.raises(Invalid, match="region"):
        NodeIdentity("GD", "44", NodeLevel.PROVINCIAL)


# --- who receives what ---------------------------------------------------------------------

PLATFORM = Entitlement(PeerKind.PLATFORM)
AGENCY = Entitlement(PeerKind.AGENCY, items=frozenset({"ADM-PEN-01"}))


def allowed(change: Change, peer: Entitlement, *, copy: bool = False, auth: bool = False) -> bool:
    return may_receive(change, peer, holds_copy=copy, authorised=auth).allowed


def test_platforms_receive_public_and_shared_items_but_never_local_ones() -> None:
    assert allowed(make_change(sharing=Sharing.PUBLIC), PLATFORM)
    assert allowed(make_change(sharing=Sharing.SHARED), PLATFORM)
    assert allowed(make_change(sharing=Sharing.AUTHORISED), PLATFORM)
    assert not allowed(make_change(sharing=Sharing.NEVER), PLATFORM)


def test_agencies_receive_only_what_licence_and_authorisation_allow() -> None:
    assert allowed(make_change(sharing=Sharing.PUBLIC), AGENCY)
    assert not allowed(make_change(sharing=Sharing.PUBLIC, catalog_item="JUD-DEBTOR-01"), AGENCY)
    assert not allowed(make_change(sharing=Sharing.SHARED), AGENCY, auth=True)
    assert not allowed(make_change(sharing=Sharing.AUTHORISED), AGENCY)
    assert allowed(make_change(sharing=Sharing.AUTHORISED), AGENCY, auth=True)


def test_a_withdrawal_reaches_every_holder_of_a_copy() -> None:
    suspended = replace(AGENCY, suspended=True, items=frozenset())
    revoked = make_change(EventKind.RECORD_REVOKED, sharing=Sharing.AUTHORISED)
    assert not allowed(revoked, suspended)
    assert allowed(revoked, suspended, copy=True)
    updated = make_change(EventKind.RECORD_UPDATED, sharing=Sharing.AUTHORISED)
    assert not allowed(updated, suspended, copy=True)


def test_a_local_items_withdrawal_reaches_only_a_peer_that_holds_a_copy() -> None:
    """A local item's records never leave their origin; a copy a peer was given before that
    rule was kept is still put right, and only by a withdrawal, never by new content."""
    for kind in (*TAKEN_BACK, EventKind.OBJECTION_MARK_SET):
        change = make_change(kind, sharing=Sharing.NEVER)
        assert not allowed(change, PLATFORM)
        assert allowed(change, PLATFORM, copy=True)
        assert allowed(change, AGENCY, copy=True)
    for kind in (EventKind.RECORD_ACCEPTED, EventKind.RECORD_UPDATED):
        change = make_change(kind, sharing=Sharing.NEVER)
        assert not allowed(change, PLATFORM, copy=True)
        assert not allowed(change, AGENCY, copy=True, auth=True)


#: The record events that take a record back, whatever the status they carry.
TAKEN_BACK = (EventKind.RECORD_REPAIRED, EventKind.RECORD_EXPIRED, EventKind.RECORD_REVOKED)
#: A record no longer shown, by the status the event carries (a withheld identity stays held).
NOT_SHOWN = ("corrected", "revoked", "repaired", "expired", "identity_hold")


def with_status(status: str, kind: EventKind = EventKind.RECORD_UPDATED, **kw: object) -> Change:
    state = {**make_change().state, "status": status}
    return make_change(kind, state=state, **kw)


@pytest.mark.parametrize("sharing", [Sharing.PUBLIC, Sharing.AUTHORISED])
@pytest.mark.parametrize("kind", TAKEN_BACK)
def test_a_record_taken_back_reaches_only_an_agency_that_holds_a_copy(
    kind: EventKind, sharing: Sharing
) -> None:
    """The event carries the whole record and its subject: an agency that never had the record
    must not get it now that it is no longer shown, whatever its licence or authorisation."""
    change = make_change(kind, sharing=sharing)
    assert not allowed(change, AGENCY, auth=True)
    assert allowed(change, AGENCY, copy=True, auth=True)
    assert allowed(change, replace(AGENCY, suspended=True), copy=True)


@pytest.mark.parametrize("status", NOT_SHOWN)
@pytest.mark.parametrize(
    "kind",
    [
        EventKind.RECORD_ACCEPTED,  # accepted already past its display
        EventKind.RECORD_UPDATED,  # held, or withheld, for an identity review
        EventKind.RECORD_CORRECTED,  # display stopped on an objection
        EventKind.OBJECTION_MARK_CLEARED,
    ],
)
def test_a_record_no_longer_shown_reaches_only_an_agency_that_holds_a_copy(
    kind: EventKind, status: str
) -> None:
    change = with_status(status, kind)
    assert not allowed(change, AGENCY, auth=True)
    assert allowed(change, AGENCY, copy=True)
    assert allowed(change, replace(AGENCY, suspended=True), copy=True)  # an identity hold too


def test_a_withheld_record_reaches_only_an_agency_that_holds_a_copy() -> None:
    state = {**make_change().state, "status": "identity_hold", "identity_review": "withheld"}
    withheld = make_change(EventKind.RECORD_UPDATED, state=state, sharing=Sharing.AUTHORISED)
    assert not allowed(withheld, AGENCY, auth=True)
    assert allowed(withheld, AGENCY, copy=True)


def test_a_listing_that_ended_reaches_only_an_agency_that_holds_a_copy() -> None:
    listing = {"list_type": "FOOD-DRUG-SERIOUS", "records": [], "under_objection": False}
    entity = Entity(EntityType.LISTING, "BJ:7")
    ended = make_change(EventKind.LISTING_ENDED, entity=entity, state={**listing, "state": "ended"})
    assert not allowed(ended, AGENCY)
    assert allowed(ended, AGENCY, copy=True)
    in_force = make_change(
        EventKind.LISTING_IN_FORCE, entity=entity, state={**listing, "state": "in_force"}
    )
    assert allowed(in_force, AGENCY)


def test_a_change_to_a_shown_record_goes_by_the_ordinary_rules() -> None:
    """A correction of a record still shown (new content, a mark, a release from a hold) is the
    record as it is shown: licence and authorisation decide, as for a new record."""
    for kind in (
        EventKind.RECORD_UPDATED,
        EventKind.RECORD_CORRECTED,
        EventKind.OBJECTION_MARK_SET,
        EventKind.OBJECTION_MARK_CLEARED,
    ):
        change = with_status("active", kind)
        assert allowed(change, AGENCY)
        assert not allowed(make_change(kind, sharing=Sharing.AUTHORISED), AGENCY)
        assert allowed(make_change(kind, sharing=Sharing.AUTHORISED), AGENCY, auth=True)
        assert not allowed(make_change(kind, sharing=Sharing.SHARED), AGENCY, auth=True)
    assert not allowed(with_status("active"), replace(AGENCY, suspended=True), copy=True)


def test_a_platform_receives_a_record_no_longer_shown_for_its_archive() -> None:
    """A node keeps a record past its display as the origin does, never shown and used for
    nothing (docs/exchange.md, inbound); reconciliation compares all it holds of an origin."""
    for kind in TAKEN_BACK:
        assert allowed(make_change(kind), PLATFORM)
    assert allowed(with_status("expired", EventKind.RECORD_ACCEPTED), PLATFORM)
    assert not allowed(make_change(EventKind.RECORD_REPAIRED, sharing=Sharing.NEVER), PLATFORM)


def test_sharing_follows_the_catalog_scope() -> None:
    assert sharing_for(SharingScope.PUBLIC, local_only=False) is Sharing.PUBLIC
    assert sharing_for(SharingScope.GOVERNMENT, local_only=False) is Sharing.SHARED
    assert sharing_for(SharingScope.AUTHORISED, local_only=False) is Sharing.AUTHORISED
    assert sharing_for(SharingScope.PUBLIC, local_only=True) is Sharing.NEVER


# --- digests -------------------------------------------------------------------------------


def population(n: int) -> dict[str, str]:
    return {f"s-{i}": leaf_hash(f"state {i}".encode()) for i in range(n)}


def test_the_difference_of_two_digests_is_exactly_the_changed_subject() -> None:
    mine = population(2000)
    theirs = dict(mine)
    theirs["s-1234"] = leaf_hash(b"corrupted")
    a, b = build_tree("GD", mine, 8), build_tree("GD", theirs, 8)
    buckets = differing_buckets(a, b)
    assert buckets == [bucket_of("s-1234", 8)]
    subjects = differing_subjects(leaves_in(buckets, mine, 8), leaves_in(buckets, theirs, 8))
    assert subjects == {"s-1234"}


def test_a_missing_and_an_extra_subject_are_both_found() -> None:
    mine = population(300)
    theirs = dict(mine)
    del theirs["s-7"]
    theirs["s-new"] = leaf_hash(b"x")
    a, b = build_tree("GD", mine, 6), build_tree("GD", theirs, 6)
    buckets = differing_buckets(a, b)
    found = differing_subjects(leaves_in(buckets, mine, 6), leaves_in(buckets, theirs, 6))
    assert found == {"s-7", "s-new"}


def test_equal_states_give_equal_roots_and_no_difference() -> None:
    a, b = build_tree("GD", population(100), 4), build_tree("GD", population(100), 4)
    assert a.root == b.root
    assert differing_buckets(a, b) == []
    assert MerkleTree.from_json(a.as_json()) == a


def test_digests_of_different_origins_are_not_compared() -> None:
    with pytest.raises(Invalid):
        differing_buckets(build_tree("GD", {}, 2), build_tree("ZJ", {}, 2))


SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "exchange"
ORIGIN, RECIPIENT = NodeKeys.generate(), NodeKeys.generate()
RECORD_STATE: dict[str, Any] = {
    "document_number": "粤市监罚〔2026〕1号",
    "status": "corrected",
    "decided_on": "2026-09-01",
    "under_objection": True,
    "fields": {"fine_amount": "5000"},
}
LISTING_STATE: dict[str, Any] = {
    "list_type": "COURT-DEBTOR",
    "state": "published",
    "records": ["GD-HCOURT:（2026）粤执1号"],
    "under_objection": False,
}


def validator(name: str) -> Draft202012Validator:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text())))
        for path in SCHEMAS.glob("*.schema.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def event_of(kind: EventKind, entity_type: EntityType) -> Event:
    state = RECORD_STATE if entity_type is EntityType.RECORD else LISTING_STATE
    change = Change(
        kind=kind,
        occurred_at=datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
        department="GD-AMR",
        catalog_item="ADM-PEN-01",
        catalog_version="2024.1",
        sharing=Sharing.AUTHORISED,
        entity=Entity(entity_type, "GD-AMR:粤市监罚〔2026〕1号"),
        subject_ref="s-41",
        subject=SubjectIdentity(SubjectType.PERSON, citizen_id("440106"), "王秀英"),
        state=state,
    )
    return Event("GD", 42, change)


EVERY_EVENT = [
    pytest.param(kind, entity_type, id=f"{kind.value}-{entity_type.value}")
    for kind in EventKind
    for entity_type in sorted(kind.entity_types)
]


@pytest.mark.parametrize(("kind", "entity_type"), EVERY_EVENT)
def test_every_event_kind_validates_opened_sealed_and_on_the_wire(
    kind: EventKind, entity_type: EntityType
) -> None:
    event = event_of(kind, entity_type)
    validator("event.schema.json").validate(json.loads(canonical_json(event_json(event))))
    wire = json.loads(
        make_envelope(event, recipient="CN", recipient_keys=RECIPIENT.public, signer=ORIGIN.signing)
    )
    validator("envelope.schema.json").validate(wire)
    aad = canonical_json({"origin": "GD", "recipient": "CN", "seq": 42})
    body = json.loads(unseal(wire["sealed"], RECIPIENT.sealing, aad=aad))
    validator("sealed-body.schema.json").validate(body)


def test_the_schema_refuses_a_listing_event_with_a_record_state() -> None:
    data = event_json(event_of(EventKind.LISTING_ENDED, EntityType.LISTING))
    data["state"] = RECORD_STATE
    with pytest.raises(ValidationError):
        validator("event.schema.json").validate(data)


def test_the_schema_refuses_an_identifier_in_the_clear() -> None:
    event = event_of(EventKind.RECORD_ACCEPTED, EntityType.RECORD)
    wire = json.loads(
        make_envelope(event, recipient="CN", recipient_keys=RECIPIENT.public, signer=ORIGIN.signing)
    )
    wire["subject"] = {"type": "person", "number": event.change.subject.number, "name": ""}
    with pytest.raises(ValidationError, match="Additional properties"):
        validator("envelope.schema.json").validate(wire)


def test_every_kind_is_in_the_schema() -> None:
    schema = json.loads((SCHEMAS / "event.schema.json").read_text())
    assert set(schema["$defs"]["kind"]["enum"]) == {k.value for k in EventKind}


def test_the_schema_knows_a_review_decision_in_a_record_state() -> None:
    data = event_json(event_of(EventKind.RECORD_UPDATED, EntityType.RECORD))
    data["state"] = {**RECORD_STATE, "status": "identity_hold", "identity_review": "withheld"}
    validator("event.schema.json").validate(data)
    data["state"]["identity_review"] = "released"  # a release is told by the status alone
    with pytest.raises(ValidationError):
        validator("event.schema.json").validate(data)


def test_the_schema_knows_a_listing_objections_mark_and_outcome() -> None:
    data = event_json(event_of(EventKind.OBJECTION_MARK_SET, EntityType.LISTING))
    data["state"] = {**LISTING_STATE, "under_objection": True, "listing_contested": True}
    validator("event.schema.json").validate(data)
    data = event_json(event_of(EventKind.OBJECTION_MARK_CLEARED, EntityType.LISTING))
    data["state"] = {**LISTING_STATE, "objection_outcome": "remove_from_list"}
    validator("event.schema.json").validate(data)
    data["state"]["objection_outcome"] = "withdrawn"  # only a decision's outcome is told
    with pytest.raises(ValidationError):
        validator("event.schema.json").validate(data)


def test_a_listings_lift_carries_a_record_objections_outcome_beside_the_records_key() -> None:
    data = event_json(event_of(EventKind.OBJECTION_MARK_CLEARED, EntityType.LISTING))
    decided = {"record": "GD-HCOURT:（2026）粤执1号", "outcome": "reject"}
    data["state"] = {**LISTING_STATE, "record_objection": decided}
    validator("event.schema.json").validate(data)
    for wrong in ({"outcome": "reject"}, {**decided, "outcome": "rejected"}, {**decided, "x": 1}):
        data["state"] = {**LISTING_STATE, "record_objection": wrong}
        with pytest.raises(ValidationError):
            validator("event.schema.json").validate(data)
