"""Statuses the platform derives from the records rather than any department deciding them:
"no negative record for three consecutive years" (docs/domain.md §7), never held by a minor. The
sweep brings them in line with the records; a new negative record or a serious listing ends one
at once (`services.lists.lose_clean_status`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.catalog import Nature
from xinyong.domain.checks import ChangeKind
from xinyong.domain.lists import (
    CLEAN_STATUS_ENDERS,
    DERIVATION_CORRECTED,
    NEW_NEGATIVE_RECORD,
    SERIOUS_LISTING,
    ListEntry,
    clean_since,
    derive_clean_status,
    is_clean,
)
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import full_years
from xinyong.services.lists import audit_entry, changed

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


def derive_clean_statuses(uow: UnitOfWork, policy: Policy, *, actor: str) -> tuple[int, int]:
    """Grant each derived status to every person now clean and end it for every holder no
    longer clean, in one transaction per status. Returns (granted, ended).

    Set by set: the persons with a negative record shown in the window are found by one query
    (nothing opened), and the statuses granted are written with one statement each for the
    entries, their audit events and the change log, whatever their number (docs/scale.md)."""
    negative = frozenset(i.code for i in policy.catalog if i.nature is Nature.NEGATIVE)
    enders = [t.code for t in policy.list_types.values() if t.kind in CLEAN_STATUS_ENDERS]
    granted = ended = 0
    for list_type in (t for t in policy.list_types.values() if t.derived):
        with uow:
            now = uow.now()
            today = business_date(now)
            years = list_type.clean_years or 0
            shown = uow.records.negative_shown_between(negative, clean_since(today, years), today)
            listed = {
                e.subject_id
                for e in uow.entries.live_of_lists(enders, None, policy.list_types)
                if e.is_in_force_on(today)
            }
            held = {
                e.subject_id: e
                for e in uow.entries.live_of_lists([list_type.code], None, policy.list_types)
            }
            majority = policy.periods.age_of_majority
            new: list[ListEntry] = []
            for subject_id, (known_since, born) in uow.records.first_decided().items():
                age = None if born is None else full_years(born, today)  # `Subject.age_on`
                clean = is_clean(
                    day=today,
                    years=years,
                    known_since=known_since,
                    negative_shown=subject_id in shown,
                    serious_or_key_in_force=subject_id in listed,
                    subject_age=age,
                    age_of_majority=majority,
                )
                entry = held.pop(subject_id, None)
                if clean and entry is None:
                    new.append(
                        derive_clean_status(
                            list_type,
                            subject_id=subject_id,
                            subject_age=age,
                            on=today,
                            at=now,
                            age_of_majority=majority,
                        )
                    )
                elif not clean and entry is not None:
                    _end(uow, policy, _ground(subject_id, listed, shown), entry, actor)
                    ended += 1
            _grant(uow, new, actor, at=now)
            granted += len(new)
            # A holder with no record left at all (deleted after retention) keeps the status:
            # nothing speaks against it. One whose records were all revoked is in `facts` with
            # no `known_since`, and loses it above.
            uow.commit()
    return granted, ended


def _grant(uow: UnitOfWork, entries: Sequence[ListEntry], actor: str, *, at: datetime) -> None:
    """Record derived statuses as a set: what `audit_entry` and `changed` do for one entry (a
    derived status goes to no peer and holds no record, so the change log is all that follows)."""
    uow.entries.add_many(entries, at=at)
    uow.audit.add_many(
        [
            AuditEvent(
                EventTag.LISTING_RECORDED,
                actor,
                "list_entry",
                str(entry.id),
                at,
                subject_id=entry.subject_id,
                data={"list": entry.list_type.code, "state": entry.state.value, "derived": True},
            )
            for entry in entries
        ]
    )
    uow.changes.append_many(
        ChangeKind.LISTING, [(entry.subject_id, entry.id) for entry in entries], at=at
    )


def _ground(subject_id: int, listed: set[int], shown: set[int]) -> str:
    """Why a holder is no longer clean: a listing, a negative record, or a corrected derivation
    (the records it rested on were revoked, or the holder is a minor)."""
    if subject_id in listed:
        return SERIOUS_LISTING
    if subject_id in shown:
        return NEW_NEGATIVE_RECORD
    return DERIVATION_CORRECTED


def _end(uow: UnitOfWork, policy: Policy, ground: str, entry: ListEntry, actor: str) -> None:
    entry.exit(ground=ground, on=business_date(uow.now()))
    uow.entries.save(entry, at=uow.now())
    audit_entry(uow, EventTag.LISTING_EXITED, actor, entry, ground=ground)
    changed(uow, entry, policy)
