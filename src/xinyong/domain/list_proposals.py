"""Who may propose a listing, and on what: the proposer's mandate, the basis records' weight, and
one open entry of a person on a list at a time (docs/domain.md §7)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from xinyong.domain.departments import Department
from xinyong.domain.errors import Conflict, Invalid, OutsideMandate
from xinyong.domain.list_types import Decider, ListType
from xinyong.domain.lists import EntryState, ListEntry

#: The states of an entry still in its procedure; a decided or published one is open while in
#: force (`open_entry_of`).
_IN_PROCEDURE = (EntryState.PROPOSED, EntryState.NOTICED)


class AlreadyOnList(Conflict):
    """The person already has an open entry on the list (in its procedure, or in force):
    `open_entry` is its id, which the answer names."""

    def __init__(self, list_code: str, open_entry: int) -> None:
        super().__init__(
            f"list_type: this subject already has open entry {open_entry} on {list_code};"
            " a second proposal waits until it is withdrawn or ends"
        )
        self.open_entry = open_entry


def require_proposer(list_type: ListType, department: Department | None) -> None:
    """Refuse a proposal by a department whose kind the list does not name among those competent
    to propose it (`proposed_by_kinds`). The credit centre (`department` None) runs the
    platform's procedure and proposes any of its lists; a list a court or another authority
    decides is proposed by nobody (`lists.propose_listing` says so). A department the policy
    no longer registers proposes nothing."""
    if department is not None:
        department.require_active(f"listing:propose:{list_type.code}")
    if list_type.decided_by is not Decider.PLATFORM or department is None:
        return
    if department.kind not in list_type.proposer_kinds:
        competent = ", ".join(sorted(list_type.proposer_kinds)) or "no department"
        raise OutsideMandate(
            f"{department.code} ({department.kind}) is not competent to propose"
            f" {list_type.code}; only {competent} propose it",
            action=f"listing:propose:{list_type.code}",
        )


def distinct_basis(records: Sequence[int]) -> tuple[int, ...]:
    """The basis records as given, refusing a record named twice."""
    seen: set[int] = set()
    for record_id in records:
        if record_id in seen:
            raise Invalid(f"basis_records: record {record_id} is named twice")
        seen.add(record_id)
    return tuple(records)


def require_heavy_basis(list_type: ListType, record_id: int, severity: str | None) -> None:
    """Refuse a basis record lighter than the list's floor (`min_basis_severity`)."""
    if list_type.basis_too_light(severity):
        floor = list_type.min_basis_severity.value if list_type.min_basis_severity else ""
        raise Invalid(
            f"basis_records: record {record_id} is of {severity or 'no'} severity;"
            f" {list_type.code} rests only on records of {floor} severity or heavier"
        )


def open_entry_of(entries: Iterable[ListEntry], list_code: str, today: date) -> ListEntry | None:
    """The person's open entry on the list among `entries` (theirs): one still in its procedure,
    decided and in force today, or decided and awaiting its public notice's end; None when every
    one was withdrawn or has ended."""
    for entry in entries:
        if entry.list_type.code != list_code:
            continue
        if (
            entry.state in _IN_PROCEDURE
            or entry.is_in_force_on(today)
            or entry.awaits_force_on(today)
        ):
            return entry
    return None
