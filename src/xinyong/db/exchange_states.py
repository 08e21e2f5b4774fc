"""Each subject's state per origin, read from the records and list tables, for reconciliation:
the `SubjectStates` port of `services/reconciliation.py` (docs/exchange.md, mutual checking).

Every node computes a subject's leaf the same way from what it holds, so that two nodes holding
the same of an origin have the same leaves. A copy's objection mark is the one its origin's last
event gave it (`marked_at_origin`), not the one it shows, which an objection here may hold: a
copy held so is in step, and one whose origin's mark did not arrive is not. Subjects are read
through their repository (never their number columns), so they stay whatever the subjects area
stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from xinyong.db.exchange import EntityOwnerRow, ExchangeNodeRow
from xinyong.db.exchange_copies import LocalCopyRow
from xinyong.db.lists import ListEntryRow, SqlListEntryRepository
from xinyong.db.records import CreditRecordRow
from xinyong.db.subjects import SqlSubjectRepository
from xinyong.domain.envelopes import canonical_json
from xinyong.domain.exchange import (
    Entity,
    EntityType,
    JsonValue,
    SubjectType,
    leaf_part,
    subject_reference,
)
from xinyong.domain.lists import EntryState, ListType
from xinyong.services.outbound import RECEIVED_BY, listing_state

#: The procedure steps a listing is shared at (once decided); see `outbound.queue_listing`.
_SHARED = (EntryState.DECIDED.value, EntryState.PUBLISHED.value, EntryState.EXITED.value)


@dataclass(slots=True)
class _Held:
    """What this node holds of one origin: per subject id, the parts of its leaf."""

    parts: dict[int, list[dict[str, JsonValue]]] = field(default_factory=dict)

    def add(self, subject_id: int, part: dict[str, JsonValue]) -> None:
        self.parts.setdefault(subject_id, []).append(part)


class SqlSubjectStates:
    """`SubjectStates` over SQL: what this node holds of `origin`, subject by subject."""

    def __init__(
        self, session_factory: sessionmaker[Session], list_types: Mapping[str, ListType]
    ) -> None:
        self.session_factory = session_factory
        self.list_types = list_types

    def leaves(self, origin: str) -> dict[str, str]:
        """Return subject ref → leaf hash of everything this node holds from `origin`."""
        with self.session_factory() as session:
            held = self._held(session, origin)
            refs = self._refs(session, held.parts)
        return {
            refs[subject_id]: hashlib.sha256(
                canonical_json(sorted(parts, key=lambda p: (str(p["type"]), str(p["key"]))))
            ).hexdigest()
            for subject_id, parts in held.parts.items()
        }

    def subjects(self, origin: str, refs: Collection[str]) -> dict[str, int]:
        """Return subject ref → subject id for those of `refs` that this node holds of origin."""
        wanted = set(refs)
        with self.session_factory() as session:
            held = self._held(session, origin)
            found = self._refs(session, held.parts)
        return {ref: subject_id for subject_id, ref in found.items() if ref in wanted}

    @staticmethod
    def _refs(session: Session, subject_ids: Collection[int]) -> dict[int, str]:
        subjects = SqlSubjectRepository(session)
        refs: dict[int, str] = {}
        for subject_id in subject_ids:
            s = subjects.get(subject_id)
            refs[subject_id] = subject_reference(SubjectType(s.kind.value), s.number)
        return refs

    def _held(self, session: Session, origin: str) -> _Held:
        me = session.scalar(select(ExchangeNodeRow.code).limit(1))
        owners = {
            (t, k): o
            for t, k, o in session.execute(
                select(EntityOwnerRow.entity_type, EntityOwnerRow.entity_key, EntityOwnerRow.origin)
            )
        }
        held = _Held()
        record_keys: dict[int, str] = {}
        columns = (
            CreditRecordRow.id,
            CreditRecordRow.department_code,
            CreditRecordRow.document_key,
            CreditRecordRow.status,
            CreditRecordRow.under_objection,
            CreditRecordRow.marked_at_origin,
            CreditRecordRow.content_hash,
            CreditRecordRow.subject_id,
        )
        for rid, dept, doc, status, mark, at_origin, digest, subject_id in session.execute(
            select(*columns)
        ):
            key = f"{dept}:{doc}"
            record_keys[rid] = key
            owner = owners.get((EntityType.RECORD.value, key))
            if (owner or me) != origin:
                continue
            # A copy as its origin marks it: an objection here holds a mark of its own.
            marked = mark if owner is None else at_origin
            state = {"status": status, "under_objection": marked, "content_hash": digest}
            held.add(subject_id, leaf_part(Entity(EntityType.RECORD, key), state))
        copies = {
            local_id: key
            for key, local_id in session.execute(
                select(LocalCopyRow.entity_key, LocalCopyRow.local_id).where(
                    LocalCopyRow.entity_type == EntityType.LISTING.value
                )
            )
        }
        entries = SqlListEntryRepository(session)
        ids = session.scalars(select(ListEntryRow.id).where(ListEntryRow.state.in_(_SHARED)))
        for entry_id in ids:
            entry = entries.get(entry_id, self.list_types)
            if entry.list_type.derived or entry.decided_on is None:
                continue
            if entry.proposed_by.startswith(RECEIVED_BY):
                key = copies.get(entry_id, "")
                holder = owners.get((EntityType.LISTING.value, key))
            else:
                key, holder = f"{me}:{entry_id}", me
            if holder != origin or not key:
                continue
            ids_of = [*entry.basis_records, entries.source_record_of(entry_id)]
            basis = [Entity(EntityType.RECORD, record_keys[i]) for i in ids_of if i in record_keys]
            listing = listing_state(entry, list({e.key: e for e in basis}.values()))
            if holder != me:  # a copy, as its origin marks it
                listing["under_objection"] = entry.marked_at_origin
            held.add(entry.subject_id, leaf_part(Entity(EntityType.LISTING, key), listing))
        return held
