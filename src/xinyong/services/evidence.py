"""Evidence: files a person adds to their own objection or repair application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.errors import Invalid, NotFound
from xinyong.domain.objections import Objection
from xinyong.domain.repairs import Repair

if TYPE_CHECKING:
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


def _own_case(uow: UnitOfWork, case_type: CaseType, case_id: int, subject_id: int) -> None:
    case: Objection | Repair = (
        uow.objections.get(case_id) if case_type is CaseType.OBJECTION else uow.repairs.get(case_id)
    )
    if case.subject_id != subject_id:
        raise NotFound(f"{case_type.value} {case_id} does not exist")


def files_of(
    uow: UnitOfWork, case_type: CaseType, case_id: int, *, subject_id: int
) -> list[EvidenceFile]:
    """The files the person added to their own case."""
    with uow:
        _own_case(uow, case_type, case_id, subject_id)
        return [EvidenceFile(*row) for row in uow.evidence.of_case(case_type, case_id)]


def add_evidence(
    uow: UnitOfWork,
    case_type: CaseType,
    case_id: int,
    *,
    subject_id: int,
    filename: str,
    content: bytes,
) -> int:
    """Add a file to the person's own objection or repair application; it stays with the case,
    under the content type its content shows (`evidence_kind`), whatever the sender called it."""
    kind = evidence_kind(content)
    with uow:
        _own_case(uow, case_type, case_id, subject_id)
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
