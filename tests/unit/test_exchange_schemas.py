"""The published exchange format: what the code produces validates against docs/exchange/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from tests.factories import citizen_id

from xinyong.domain.envelopes import NodeKeys, canonical_json, make_envelope, unseal
from xinyong.domain.exchange import (
    Change,
    Entity,
    EntityType,
    Event,
    EventKind,
    Sharing,
    SubjectIdentity,
    SubjectType,
    event_json,
)

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
