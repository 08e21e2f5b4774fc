"""Evidence: files a person adds to their own objection or repair application."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.errors import NotFound
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


def add_evidence(
    uow: UnitOfWork,
    case_type: CaseType,
    case_id: int,
    *,
    subject_id: int,
    filename: str,
    content_type: str,
    content: bytes,
) -> int:
    """Add a file to the person's own objection or repair application; it stays with the case."""
    with uow:
        case: Objection | Repair = (
            uow.objections.get(case_id)
            if case_type is CaseType.OBJECTION
            else uow.repairs.get(case_id)
        )
        if case.subject_id != subject_id:
            raise NotFound(f"{case_type.value} {case_id} does not exist")
        evidence_id = uow.evidence.add(
            case_type,
            case_id,
            filename=filename,
            content_type=content_type,
            content=content,
            at=uow.now(),
        )
        uow.commit()
    return evidence_id
