"""SQL for the person's rights: accounts and tokens, agents, authorisations, objections, repairs,
evidence files and the feed of notices to the parties that received an item."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from xinyong.db.rows import (
    AccountRow,
    AccountTokenRow,
    AgencyRow,
    AuthorisationRow,
    EvidenceRow,
    FeedItemRow,
    ObjectionRow,
    QueryRow,
    RepairRow,
)
from xinyong.domain.calendar import Deadline, is_working_day
from xinyong.domain.errors import NotFound
from xinyong.domain.rights import (
    Account,
    Authorisation,
    FeedItem,
    Objection,
    ObjectionStatus,
    Repair,
    RepairStatus,
)


def _deadline(day: date) -> Deadline:
    """A stored deadline day; whether the official calendar covered it is read again."""
    return Deadline(day, is_working_day(day)[1])


class SqlAccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: AccountRow) -> Account:
        return Account(
            row.id, row.subject_id, row.phone, row.password_hash, row.created_at, row.disabled_at
        )

    def add(self, account: Account) -> int:
        row = AccountRow(
            subject_id=account.subject_id,
            phone=account.phone,
            password_hash=account.password_hash,
            created_at=account.created_at,
        )
        self.session.add(row)
        self.session.flush()
        account.id = row.id
        return row.id

    def get(self, account_id: int) -> Account:
        row = self.session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"account {account_id} does not exist")
        return self._to_domain(row)

    def by_subject(self, subject_id: int) -> Account | None:
        row = self.session.scalar(select(AccountRow).where(AccountRow.subject_id == subject_id))
        return self._to_domain(row) if row else None

    def add_token(
        self, account_id: int, token_hash: str, *, at: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            AccountTokenRow(
                account_id=account_id, token_hash=token_hash, created_at=at, expires_at=expires_at
            )
        )
        self.session.flush()

    def by_token(self, token_hash: str, *, at: datetime) -> Account | None:
        row = self.session.scalar(
            select(AccountRow)
            .join(AccountTokenRow, AccountTokenRow.account_id == AccountRow.id)
            .where(
                AccountTokenRow.token_hash == token_hash,
                AccountTokenRow.revoked_at.is_(None),
                AccountTokenRow.expires_at > at,
                AccountRow.disabled_at.is_(None),
            )
        )
        return self._to_domain(row) if row else None

    def revoke_token(self, token_hash: str, *, at: datetime) -> bool:
        result = self.session.execute(
            update(AccountTokenRow)
            .where(AccountTokenRow.token_hash == token_hash, AccountTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_agency(
        self,
        *,
        agent_account_id: int,
        principal_subject_id: int,
        power_of_attorney: str,
        valid_until: date,
        by: str,
        at: datetime,
    ) -> int:
        row = AgencyRow(
            agent_account_id=agent_account_id,
            principal_subject_id=principal_subject_id,
            power_of_attorney=power_of_attorney,
            valid_until=valid_until,
            recorded_by=by,
            recorded_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def principals_of(self, agent_account_id: int, *, on: date) -> list[int]:
        return list(
            self.session.scalars(
                select(AgencyRow.principal_subject_id).where(
                    AgencyRow.agent_account_id == agent_account_id,
                    AgencyRow.revoked_at.is_(None),
                    AgencyRow.valid_until >= on,
                )
            )
        )


class SqlRightsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- authorisations

    @staticmethod
    def _authorisation(row: AuthorisationRow) -> Authorisation:
        return Authorisation(
            row.id,
            row.subject_id,
            row.grantee,
            row.purpose,
            row.scope,
            row.expires_on,
            row.granted_by,
            row.granted_at,
            row.revoked_at,
        )

    def add_authorisation(self, authorisation: Authorisation) -> int:
        a = authorisation
        row = AuthorisationRow(
            subject_id=a.subject_id,
            grantee=a.grantee,
            purpose=a.purpose,
            scope=a.scope,
            expires_on=a.expires_on,
            granted_by=a.granted_by,
            granted_at=a.granted_at,
        )
        self.session.add(row)
        self.session.flush()
        a.id = row.id
        return row.id

    def get_authorisation(self, authorisation_id: int) -> Authorisation:
        row = self.session.get(AuthorisationRow, authorisation_id)
        if row is None:
            raise NotFound(f"authorisation {authorisation_id} does not exist")
        return self._authorisation(row)

    def authorisations_of(self, subject_id: int) -> list[Authorisation]:
        rows = self.session.scalars(
            select(AuthorisationRow)
            .where(AuthorisationRow.subject_id == subject_id)
            .order_by(AuthorisationRow.id)
        )
        return [self._authorisation(r) for r in rows]

    def save_authorisation(self, authorisation: Authorisation) -> None:
        self.session.execute(
            update(AuthorisationRow)
            .where(AuthorisationRow.id == authorisation.id)
            .values(revoked_at=authorisation.revoked_at)
        )

    # -- objections

    @staticmethod
    def _objection(row: ObjectionRow) -> Objection:
        return Objection(
            id=row.id,
            subject_id=row.subject_id,
            record_id=row.record_id,
            entry_id=row.entry_id,
            department=row.department_code,
            ground=row.ground,
            reasons=row.reasons,
            status=ObjectionStatus(row.status),
            filed_by=row.filed_by,
            filed_at=row.filed_at,
            centre_due=_deadline(row.centre_due),
            source_due=_deadline(row.source_due) if row.source_due else None,
            extended=row.extended,
            outcome=row.outcome,
            outcome_reasons=row.outcome_reasons,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
        )

    @staticmethod
    def _objection_values(o: Objection) -> dict[str, object]:
        return {
            "status": o.status.value,
            "source_due": o.source_due.day if o.source_due else None,
            "extended": o.extended,
            "outcome": o.outcome,
            "outcome_reasons": o.outcome_reasons,
            "decided_at": o.decided_at,
            "decided_by": o.decided_by,
        }

    def add_objection(self, objection: Objection) -> int:
        o = objection
        row = ObjectionRow(
            subject_id=o.subject_id,
            record_id=o.record_id,
            entry_id=o.entry_id,
            department_code=o.department,
            ground=o.ground,
            reasons=o.reasons,
            filed_by=o.filed_by,
            filed_at=o.filed_at,
            centre_due=o.centre_due.day,
            **self._objection_values(o),
        )
        self.session.add(row)
        self.session.flush()
        o.id = row.id
        return row.id

    def get_objection(self, objection_id: int) -> Objection:
        row = self.session.get(ObjectionRow, objection_id)
        if row is None:
            raise NotFound(f"objection {objection_id} does not exist")
        return self._objection(row)

    def save_objection(self, objection: Objection) -> None:
        self.session.execute(
            update(ObjectionRow)
            .where(ObjectionRow.id == objection.id)
            .values(**self._objection_values(objection))
        )

    def objections_of(self, subject_id: int) -> list[Objection]:
        rows = self.session.scalars(
            select(ObjectionRow)
            .where(ObjectionRow.subject_id == subject_id)
            .order_by(ObjectionRow.id)
        )
        return [self._objection(r) for r in rows]

    def open_objections(self, department: str | None) -> list[Objection]:
        query = select(ObjectionRow).where(ObjectionRow.status != ObjectionStatus.DECIDED.value)
        if department is not None:
            query = query.where(ObjectionRow.department_code == department)
        return [self._objection(r) for r in self.session.scalars(query.order_by(ObjectionRow.id))]

    # -- repairs

    @staticmethod
    def _repair(row: RepairRow) -> Repair:
        return Repair(
            id=row.id,
            subject_id=row.subject_id,
            record_id=row.record_id,
            entry_id=row.entry_id,
            department=row.department_code,
            status=RepairStatus(row.status),
            obligations_performed=row.obligations_performed,
            commitment=row.commitment,
            missing=tuple(row.missing or ()),
            applied_by=row.applied_by,
            applied_at=row.applied_at,
            accept_due=_deadline(row.accept_due),
            feedback_due=_deadline(row.feedback_due),
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            reasons=row.reasons,
        )

    def add_repair(self, repair: Repair) -> int:
        r = repair
        row = RepairRow(
            subject_id=r.subject_id,
            record_id=r.record_id,
            entry_id=r.entry_id,
            department_code=r.department,
            status=r.status.value,
            obligations_performed=r.obligations_performed,
            commitment=r.commitment,
            missing=list(r.missing),
            applied_by=r.applied_by,
            applied_at=r.applied_at,
            accept_due=r.accept_due.day,
            feedback_due=r.feedback_due.day,
        )
        self.session.add(row)
        self.session.flush()
        r.id = row.id
        return row.id

    def get_repair(self, repair_id: int) -> Repair:
        row = self.session.get(RepairRow, repair_id)
        if row is None:
            raise NotFound(f"repair application {repair_id} does not exist")
        return self._repair(row)

    def save_repair(self, repair: Repair) -> None:
        self.session.execute(
            update(RepairRow)
            .where(RepairRow.id == repair.id)
            .values(
                status=repair.status.value,
                missing=list(repair.missing),
                decided_at=repair.decided_at,
                decided_by=repair.decided_by,
                reasons=repair.reasons,
            )
        )

    def repairs_of(self, subject_id: int) -> list[Repair]:
        rows = self.session.scalars(
            select(RepairRow).where(RepairRow.subject_id == subject_id).order_by(RepairRow.id)
        )
        return [self._repair(r) for r in rows]

    def open_repairs(self, department: str | None) -> list[Repair]:
        query = select(RepairRow).where(
            RepairRow.status.in_([RepairStatus.APPLIED.value, RepairStatus.ACCEPTED.value])
        )
        if department is not None:
            query = query.where(RepairRow.department_code == department)
        return [self._repair(r) for r in self.session.scalars(query.order_by(RepairRow.id))]

    # -- evidence

    def add_evidence(
        self,
        case_type: str,
        case_id: int,
        *,
        filename: str,
        content_type: str,
        content: bytes,
        at: datetime,
    ) -> int:
        row = EvidenceRow(
            case_type=case_type,
            case_id=case_id,
            filename=filename,
            content_type=content_type,
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            added_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def evidence_of(self, case_type: str, case_id: int) -> list[tuple[int, str, str, str]]:
        rows = self.session.execute(
            select(
                EvidenceRow.id, EvidenceRow.filename, EvidenceRow.content_type, EvidenceRow.sha256
            )
            .where(EvidenceRow.case_type == case_type, EvidenceRow.case_id == case_id)
            .order_by(EvidenceRow.id)
        )
        return [(int(i), str(f), str(c), str(h)) for i, f, c, h in rows]

    # -- the feed

    def add_feed(self, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        self.session.execute(
            insert(FeedItemRow),
            [
                {
                    "recipient": i.recipient,
                    "kind": i.kind,
                    "entity_type": i.entity_type,
                    "entity_id": i.entity_id,
                    "subject_key": i.subject_key,
                    "detail": i.detail,
                    "at": i.at,
                }
                for i in items
            ],
        )

    def feed_after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]:
        rows = self.session.scalars(
            select(FeedItemRow)
            .where(FeedItemRow.recipient == recipient, FeedItemRow.seq > seq)
            .order_by(FeedItemRow.seq)
            .limit(limit)
        )
        return [
            FeedItem(
                r.recipient,
                r.kind,
                r.entity_type,
                r.entity_id,
                r.subject_key,
                r.detail,
                r.at,
                r.seq,
            )
            for r in rows
        ]

    def deliveries(self, subject_key: int) -> list[tuple[str, str]]:
        """(party, what it was given) for every answered query about this subject."""
        rows = self.session.execute(
            select(QueryRow.department_code, QueryRow.returned).where(
                QueryRow.subject_key == subject_key,
                QueryRow.department_code.is_not(None),
                QueryRow.kind != "agency_refused",
                QueryRow.returned != "none",
            )
        )
        return [(str(party), str(returned)) for party, returned in rows]
