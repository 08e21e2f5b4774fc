"""Evidence: files a person adds to their own objection or repair application, and the
officials the case is routed to read (each read audited); what a case is about, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import Conflict, Invalid, NotFound, NotRouted, NotYours
from xinyong.domain.objections import Objection, ObjectionStatus
from xinyong.domain.repairs import CLOSED_REPAIR, Repair
from xinyong.services.audit import misroutes_audited

if TYPE_CHECKING:
    from xinyong.domain.policy import Policy
    from xinyong.services.ports import UnitOfWork


class CaseType(StrEnum):
    OBJECTION = "objection"
    REPAIR = "repair"


class EvidenceRepository(Protocol):
    def add(
        self,
        case_type: CaseType,
        case_id: int,
        *,
        filename: str,
        content_type: str,
        content: bytes,
        at: datetime,
    ) -> int: ...
    def of_case(self, case_type: CaseType, case_id: int) -> list[tuple[int, str, str, str]]:
        """(id, filename, content type, sha256) of each file."""
        ...

    def content(self, case_type: CaseType, case_id: int, evidence_id: int) -> bytes | None:
        """The file's bytes, None if the case has no file of that id."""
        ...


#: The files a case takes, known by their first bytes (what the sender calls them is not read):
#: documents and photographs that the officials who review the case can open.
KINDS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def evidence_kind(content: bytes) -> str:
    """The content type of an evidence file, from its content; `Invalid` for an empty file or
    one that is not a PDF, PNG or JPEG file."""
    if not content:
        raise Invalid("file: empty")
    for magic, kind in KINDS:
        if content.startswith(magic):
            return kind
    raise Invalid("file: not a PDF, JPEG or PNG file")


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file kept with a case: its name, type and SHA-256 (the content stays in storage)."""

    id: int
    filename: str
    content_type: str
    sha256: str


def _case(uow: UnitOfWork, case_type: CaseType, case_id: int) -> Objection | Repair:
    if case_type is CaseType.OBJECTION:
        return uow.objections.get(case_id)
    return uow.repairs.get(case_id)


#: A case in one of these states is decided: what it was decided on is what stays with it.
DECIDED = frozenset({ObjectionStatus.DECIDED, *CLOSED_REPAIR})


def _own_case(
    uow: UnitOfWork, case_type: CaseType, case_id: int, subject_id: int, *, step: str
) -> Objection | Repair:
    case = _case(uow, case_type, case_id)
    if case.subject_id != subject_id:
        what = f"{case_type.value} {case_id}"
        raise NotYours(what, action=f"evidence:{step}", subject_id=case.subject_id)
    return case


def files_of(
    uow: UnitOfWork,
    case_type: CaseType,
    case_id: int,
    *,
    subject_id: int,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> list[EvidenceFile]:
    """The files the person added to their own case (another person's case does not exist for
    them, and the reach is audited through `refusals`, `uow` itself unless it only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=None), uow:
        _own_case(uow, case_type, case_id, subject_id, step="list")
        return [EvidenceFile(*row) for row in uow.evidence.of_case(case_type, case_id)]


def add_evidence(
    uow: UnitOfWork,
    case_type: CaseType,
    case_id: int,
    *,
    subject_id: int,
    filename: str,
    content: bytes,
    actor: str,
) -> int:
    """Add a file to the person's own objection or repair application while it is undecided; it
    stays with the case, under the content type its content shows (`evidence_kind`), whatever
    the sender called it."""
    kind = evidence_kind(content)
    with misroutes_audited(uow, actor=actor, department=None), uow:
        case = _own_case(uow, case_type, case_id, subject_id, step="add")
        if case.status in DECIDED:
            raise Conflict(f"{case_type.value} {case_id} is decided: it takes no more evidence")
        evidence_id = uow.evidence.add(
            case_type,
            case_id,
            filename=filename,
            content_type=kind,
            content=content,
            at=uow.now(),
        )
        uow.commit()
    return evidence_id


def _routed(
    uow: UnitOfWork, case_type: CaseType, case_id: int, department: str | None, *, step: str
) -> Objection | Repair:
    """The case if it is routed to `department` (the credit centre, None: every case); another
    department's is `NotRouted` for the `evidence:{step}` it was reached for."""
    case = _case(uow, case_type, case_id)
    if department is not None and case.department != department:
        raise NotRouted(
            f"{case_type.value} {case_id}", action=f"evidence:{step}", subject_id=case.subject_id
        )
    return case


def case_files(
    uow: UnitOfWork,
    case_type: CaseType,
    case_id: int,
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> list[EvidenceFile]:
    """The files of a case, for the officials it is routed to: the department that holds it, or
    the credit centre. Another department's case does not exist for a department, and reaching
    for it is audited through `refusals` (`uow` itself unless it only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        _routed(uow, case_type, case_id, department, step="list")
        return [EvidenceFile(*row) for row in uow.evidence.of_case(case_type, case_id)]


def read_evidence(
    uow: UnitOfWork,
    case_type: CaseType,
    case_id: int,
    evidence_id: int,
    *,
    department: str | None,
    actor: str,
) -> tuple[EvidenceFile, bytes]:
    """One evidence file and its content, for the officials the case is routed to. Every read is
    audited (`evidence:read`); a department asking for another department's case is refused as
    if the case did not exist, and the refusal is audited (`mandate:refused`)."""
    with misroutes_audited(uow, actor=actor, department=department), uow:
        case = _routed(uow, case_type, case_id, department, step="read")
        files = {f[0]: f for f in uow.evidence.of_case(case_type, case_id)}
        content = uow.evidence.content(case_type, case_id, evidence_id)
        if evidence_id not in files or content is None:
            raise NotFound(f"evidence file {evidence_id} does not exist")
        uow.audit.add(
            AuditEvent(
                EventTag.EVIDENCE_READ,
                actor,
                "evidence",
                str(evidence_id),
                uow.now(),
                subject_id=case.subject_id,
                data={"case": f"{case_type.value}:{case_id}", "department": department},
            )
        )
        uow.commit()
        return EvidenceFile(*files[evidence_id]), content


@dataclass(frozen=True, slots=True)
class CaseSubject:
    """What a case is about, as the officials handling it name it: the record's catalog item
    and its document number, or the list the entry is on."""

    name_zh: str
    name_en: str
    document_number: str | None = None


def case_subject(
    uow: UnitOfWork, policy: Policy, *, record_id: int | None, entry_id: int | None
) -> CaseSubject:
    """The item a case contests or asks to repair, by name (a code the policy no longer knows
    is shown as it is)."""
    with uow:
        if record_id is not None:
            record = uow.records.get(record_id)
            item = policy.item_of(record)
            zh, en = (item.name_zh, item.name_en) if item else (record.item_code,) * 2
            return CaseSubject(zh, en, record.document_number)
        entry = uow.entries.get(entry_id or 0, policy.list_types)
        return CaseSubject(entry.list_type.name_zh, entry.list_type.name_en)
