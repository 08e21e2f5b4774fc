"""The credit centre's statistics, from the live database: records per department and category
by month, double-publicity timeliness, objections and repairs decided on time, the feedback
rate of measures a check returned, and each region's work on all of them (the periodic
evaluation of regions and departments). Each is a table (rows of labelled counts) that a console
draws as a chart and offers as CSV.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.calendar import business_date
from xinyong.domain.policy import Policy
from xinyong.domain.regions import historic_names

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class MonthCount:
    """Records of one item accepted from one department in one month."""

    year: int
    month: int
    department: str
    item: str
    count: int


@dataclass(frozen=True, slots=True)
class Due:
    """A step that had a deadline: whose, which kind, when it was due and when it was done
    (None while it waits), and whether its clock stands still now (an objection's, for testing
    or expert review: not overdue, whatever the day)."""

    kind: str  # objection or repair
    department: str
    due: date
    done_at: datetime | None
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """One department's checks that returned a measure, and how many of them got feedback."""

    department: str
    with_measures: int
    with_feedback: int


class StatisticsQueries(Protocol):
    """The read side the statistics need (db/statistics.py; the fakes answer in Python)."""

    def records_by_month(self, *, since: date) -> list[MonthCount]:
        """Records accepted since `since` (their decision date), counted per month, department
        and item."""
        ...

    def publicity(self, *, since: date) -> list[tuple[str, datetime, date]]:
        """(department, received, publish-by day) of the records accepted since `since` that
        double publicity binds."""
        ...

    def decided_cases(self, *, since: datetime) -> list[Due]:
        """Objections and repairs decided since `since`, and those still open."""
        ...

    def feedback(self, *, since: datetime) -> list[FeedbackCount]: ...


@dataclass(frozen=True, slots=True)
class Table:
    """One statistic: a title, its columns, and rows whose first cells label the counts."""

    key: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]


def _month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def records_per_department_and_category(uow: UnitOfWork, policy: Policy, *, since: date) -> Table:
    """Records accepted per month, department and catalog category."""
    with uow:
        counts = uow.statistics.records_by_month(since=since)
    summed: Counter[tuple[str, str, str]] = Counter()
    for c in counts:
        item = policy.catalog.items.get(c.item)
        category = item.category.value if item is not None else "unknown"
        summed[(_month(c.year, c.month), c.department, category)] += c.count
    rows = tuple((m, d, cat, n) for (m, d, cat), n in sorted(summed.items()))
    return Table("records", ("month", "department", "category", "records"), rows)


def publicity_timeliness(uow: UnitOfWork, *, since: date) -> Table:
    """Per department: public decisions online by their double-publicity day, and late."""
    with uow:
        return _publicity_table(uow.statistics.publicity(since=since))


def _publicity_state(received: datetime, publish_by: date) -> str:
    return "on_time" if business_date(received) <= publish_by else "late"


def _publicity_table(found: Sequence[tuple[str, datetime, date]]) -> Table:
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for department, received, publish_by in found:
        tally[department][_publicity_state(received, publish_by)] += 1
    rows = tuple((d, tally[d]["on_time"], tally[d]["late"]) for d in sorted(tally))
    return Table("publicity", ("department", "on_time", "late"), rows)


def cases_on_time(uow: UnitOfWork, *, since: datetime, today: date) -> Table:
    """Objections and repairs: decided by their deadline, decided late, open and overdue, open
    and not yet due."""
    with uow:
        return _cases_table(uow.statistics.decided_cases(since=since), today)


def _case_state(case: Due, today: date) -> str:
    """on_time, late (decided after its day), open_overdue, or open (not yet due, or its clock
    stopped)."""
    if case.done_at is None:
        return "open_overdue" if today > case.due and not case.stopped else "open"
    return "on_time" if business_date(case.done_at) <= case.due else "late"


def _cases_table(found: Sequence[Due], today: date) -> Table:
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for case in found:
        tally[case.kind][_case_state(case, today)] += 1
    states = ("on_time", "late", "open_overdue", "open")
    rows = tuple((kind, *(tally[kind][s] for s in states)) for kind in ("objection", "repair"))
    return Table("cases", ("kind", *states), rows)


def feedback_rate(uow: UnitOfWork, *, since: datetime) -> Table:
    """Per department: checks that returned a measure, those with feedback, the rate in %."""
    with uow:
        return _feedback_table(uow.statistics.feedback(since=since))


def _feedback_table(found: Sequence[FeedbackCount]) -> Table:
    rows = tuple(
        (
            f.department,
            f.with_measures,
            f.with_feedback,
            round(100 * f.with_feedback / f.with_measures) if f.with_measures else 0,
        )
        for f in sorted(found, key=lambda f: f.department)
    )
    return Table("feedback", ("department", "checks_with_measures", "with_feedback", "rate"), rows)


#: The per-region evaluation's columns: double publicity, objections and repairs decided on time,
#: late or still open past their day, and checks that returned a measure with their feedback.
REGION_COLUMNS = (
    "region",
    "publicity_on_time",
    "publicity_late",
    "objections_on_time",
    "objections_late",
    "objections_open_overdue",
    "repairs_on_time",
    "repairs_late",
    "repairs_open_overdue",
    "checks_with_measures",
    "with_feedback",
)


def work_by_region(uow: UnitOfWork, policy: Policy, *, since: datetime, today: date) -> Table:
    """Each region's work, its departments' summed (the periodic evaluation of regions): double
    publicity on time, objections and repairs on time, the feedback on measures. A region is
    the one a department's policy entry names (`region_code`), written as code and name."""
    with uow:
        read = _Read.of(uow, since)
    return _regions_table(policy, read, today)


@dataclass(frozen=True, slots=True)
class _Read:
    """What the timeliness tables are made of, read once for all of them."""

    publicity: Sequence[tuple[str, datetime, date]]
    cases: Sequence[Due]
    feedback: Sequence[FeedbackCount]

    @classmethod
    def of(cls, uow: UnitOfWork, since: datetime) -> _Read:
        found = uow.statistics
        return cls(
            found.publicity(since=business_date(since)),
            found.decided_cases(since=since),
            found.feedback(since=since),
        )


def _regions_table(policy: Policy, read: _Read, today: date) -> Table:
    regions = {d.code: d.region_code for d in policy.departments}
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for department, received, publish_by in read.publicity:
        tally[regions.get(department, "")][
            f"publicity_{_publicity_state(received, publish_by)}"
        ] += 1
    for case in read.cases:
        state = _case_state(case, today)
        if state != "open":  # not yet due, or its clock stopped: nothing to say of it yet
            tally[regions.get(case.department, "")][f"{case.kind}s_{state}"] += 1
    for f in read.feedback:
        region = tally[regions.get(f.department, "")]
        region["checks_with_measures"] += f.with_measures
        region["with_feedback"] += f.with_feedback
    rows: tuple[tuple[str | int, ...], ...] = tuple(
        (_region_label(code), *(tally[code][c] for c in REGION_COLUMNS[1:]))
        for code in sorted(tally)
    )
    return Table("regions", REGION_COLUMNS, rows)


def _region_label(code: str) -> str:
    """A region code with its name ("110105 北京市朝阳区"); "—" for a department without one."""
    if not code:
        return "—"
    province, names = historic_names(code)
    name = names[-1].name if names else ""
    return f"{code} {province if name == province else province + name}".strip()


def all_tables(uow: UnitOfWork, policy: Policy, *, since: datetime, today: date) -> Sequence[Table]:
    """Every statistic since `since`, in the order the console shows them; the timeliness
    tables and the regions' are made from one read."""
    with uow:
        read = _Read.of(uow, since)
    return (
        records_per_department_and_category(uow, policy, since=business_date(since)),
        _publicity_table(read.publicity),
        _cases_table(read.cases, today),
        _feedback_table(read.feedback),
        _regions_table(policy, read, today),
    )
