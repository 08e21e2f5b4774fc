"""The statistics' read side: counts grouped in SQL, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, distinct, extract, func, or_, select
from sqlalchemy.orm import Session

from xinyong.db.objections import ObjectionRow
from xinyong.db.querylog import CheckFeedbackRow, QueryRow
from xinyong.db.records import CreditRecordRow
from xinyong.db.repairs import RepairRow
from xinyong.domain.objections import NOT_ABOUT_SUBJECT
from xinyong.domain.querylog import NOTHING, REFUSED, QueryKind
from xinyong.domain.repairs import RepairStatus
from xinyong.services.statistics import Due, FeedbackCount, MonthCount


class SqlStatisticsQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def records_by_month(self, *, since: date) -> list[MonthCount]:
        r = CreditRecordRow
        year = extract("year", r.decision_date)
        month = extract("month", r.decision_date)
        rows = self.session.execute(
            select(year, month, r.department_code, r.item_code, func.count())
            .where(r.decision_date >= since)
            .group_by(year, month, r.department_code, r.item_code)
        )
        return [MonthCount(int(y), int(m), d, i, int(n)) for y, m, d, i, n in rows]

    def publicity(self, *, since: date) -> list[tuple[str, datetime, date]]:
        r = CreditRecordRow
        rows = self.session.execute(
            select(r.department_code, r.received_at, r.publish_by).where(
                r.publish_by.is_not(None), r.decision_date >= since
            )
        )
        return [(d, at, by) for d, at, by in rows if by is not None]

    def decided_cases(self, *, since: datetime) -> list[Due]:
        o, p = ObjectionRow, RepairRow
        # A case closed because its record was found to be another person's was decided by
        # nobody: it counts neither for nor against a department.
        objections = self.session.execute(
            select(
                o.department_code,
                func.coalesce(o.source_due, o.centre_due),
                o.decided_at,
                o.paused_since,
            ).where(
                or_(o.decided_at.is_(None), o.decided_at >= since),
                or_(o.outcome.is_(None), o.outcome != NOT_ABOUT_SUBJECT),
            )
        )
        # An application that lacks materials waits for its applicant, not for a department:
        # its deadlines run from the day it is complete (`Repair.supply`).
        repairs = self.session.execute(
            select(p.department_code, p.feedback_due, p.decided_at).where(
                or_(p.decided_at.is_(None), p.decided_at >= since),
                p.status.not_in([NOT_ABOUT_SUBJECT, RepairStatus.MISSING_MATERIALS.value]),
            )
        )
        return [
            Due("objection", d, due, at, stopped=paused is not None)
            for d, due, at, paused in objections
        ] + [Due("repair", d, due, at) for d, due, at in repairs]

    def feedback(self, *, since: datetime) -> list[FeedbackCount]:
        q, f = QueryRow, CheckFeedbackRow
        # A department's work only: the credit centre's own looks (no department) apply no
        # measure and owe no feedback (docs/domain.md §2).
        with_measures = and_(
            q.kind == QueryKind.CHECK.value,
            q.returned.not_in([NOTHING, REFUSED]),
            q.at >= since,
            q.department_code.is_not(None),
        )
        asked = dict(
            self.session.execute(
                select(q.department_code, func.count())
                .where(with_measures)
                .group_by(q.department_code)
            ).all()
        )
        answered = dict(
            self.session.execute(
                select(q.department_code, func.count(distinct(f.query_id)))
                .join(f, f.query_id == q.id)
                .where(with_measures)
                .group_by(q.department_code)
            ).all()
        )
        return [
            FeedbackCount(d, int(n), int(answered.get(d, 0)))
            for d, n in asked.items()
            if d is not None  # excluded above; said again for the type
        ]
