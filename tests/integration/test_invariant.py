"""The platform's invariant, tested as a property (docs/invariant.md).

A hypothesis state machine drives random sequences of events through the real services on the
real database (SQLite, and PostgreSQL when given): records submitted, corrected, revoked and
resubmitted under another person; the platform's listing procedure; court and authority
listings, extensions and deletions; objections; repairs; roles in an organisation; a clock that
moves by days or years; expiry sweeps. After every step it asserts that

- every measure a check returns rests on a listing in force, a displayable record the listing
  rests on that still makes its ground, and (for an organisation's listing) a current role the
  measure reaches; and every such basis yields its measure: the expectation is computed here,
  from the policy files and the dates, not by the code under test;
- the check, the person's own file (`services.reports.read_own_file`) and the public listing
  (`services.publication.search_listings`) agree;
- no record is about another subject than the one it was submitted for, unless an identity
  review moved it.

The number of examples comes from the hypothesis profile (tests/conftest.py): bounded by
default, longer with `XINYONG_HYPOTHESIS_PROFILE=long`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine

import xinyong.policy
from tests.conftest import Clock, empty_tables
from tests.factories import (
    AMR_USCC,
    HCOURT_USCC,
    TAX_USCC,
    citizen_id,
    credit_code,
)
from xinyong.db.checks import SqlIndexSource
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.calendar import business_date
from xinyong.domain.errors import Conflict
from xinyong.domain.policy import Policy
from xinyong.domain.repairs import RepairedByTheCourt
from xinyong.domain.subjects import RoleKind
from xinyong.services import (
    decided_lists,
    departments,
    expiry,
    list_proposals,
    lists,
    objections,
    publication,
    records,
    repairs,
    reports,
    subjects,
)
from xinyong.services.checks import Checker, check

POLICY_DIR = Path(xinyong.policy.__file__).parent

#: The measure registry as the policy file states it: code → (lists, matters, roles it reaches).
MEASURES = {
    m["code"]: (set(m["triggers"]), set(m["matters"]), set(m.get("reaches_roles", [])))
    for m in tomllib.loads((POLICY_DIR / "measures.toml").read_text("utf-8"))["measures"]
}

#: The display periods the policy sets by severity (periods.toml), in months.
DISPLAY_MONTHS = {
    name: rule["display_months"]
    for name, rule in tomllib.loads((POLICY_DIR / "periods.toml").read_text("utf-8"))[
        "severity"
    ].items()
}
REPAIR_MONTHS = {
    name: rule["repair_after_months"]
    for name, rule in tomllib.loads((POLICY_DIR / "periods.toml").read_text("utf-8"))[
        "severity"
    ].items()
}

#: The lists the machine uses, as lists.toml states them: months (None: until an exit ground).
COURT, TAX, FOOD, LICENCE, COURT_ORG = (
    "COURT-DEBTORS",
    "TAX-MAJOR-VIOLATION",
    "FOOD-DRUG-SERIOUS",
    "FOOD-LICENCE-REVOKED",
    "COURT-DEBTORS-ORG",
)
DECIDED_ELSEWHERE = {COURT, COURT_ORG, TAX, LICENCE}  # recorded, not run by the platform
DERIVED = "GOOD-NO-NEGATIVE-3Y"  # the platform derives it from the records; nobody records it
CLEAN_MONTHS = 36  # its clean_years, in months
PUBLISHED_LISTS = {COURT, TAX, FOOD, COURT_ORG}  # FOOD-LICENCE-REVOKED is published = false
FIXED_MONTHS = {TAX: 36, FOOD: 36, LICENCE: 60}
COURT_MONTHS = 24
OPEN_ENDED = "able_but_refuses"  # the court ground with no fixed period

NAMES = ("王一", "李二", "张三", "赵四")
ORG_NAME = "北京某某贸易有限公司"
AMR, HCOURT, TAX_DEPT = "BJ-AMR", "BJ-HCOURT", "BJ-TAX"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when it has no such day."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


@dataclass
class Rec:
    """A record as the model knows it."""

    id: int
    owner: int  # index into the population; ORG for the organisation
    item: str
    department: str
    document: str
    decided: date
    fields: dict[str, object]
    status: str = "active"  # active, revoked, repaired, stopped, held

    @property
    def severity(self) -> str:
        if self.item == "ADM-PEN-01":
            if self.fields["penalty_type"] in ("licence_revocation", "practice_ban", "closure"):
                return "serious"
            amount = self.fields.get("fine_amount")
            return "serious" if amount is not None and int(str(amount)) >= 50000 else "general"
        return "serious"  # court debtors and major tax violations

    @property
    def display_ends(self) -> date:
        return add_months(self.decided, DISPLAY_MONTHS[self.severity])

    def makes(self, list_code: str) -> bool:
        """Whether the record (as it now stands) grounds a listing on this list."""
        if list_code == LICENCE:
            return self.fields["penalty_type"] == "licence_revocation"
        if list_code == FOOD:  # a serious penalty: the list's floor (min_basis_severity)
            return self.item == "ADM-PEN-01" and self.severity == "serious"
        return True


@dataclass
class Entry:
    """A list entry as the model knows it."""

    id: int
    list_code: str
    owner: int
    record: int
    department: str
    state: str = "proposed"  # proposed, noticed, decided, published, ended
    deadline: date | None = None
    decided_on: date | None = None
    ends_on: date | None = None
    ended_on: date | None = (
        None  # the day it ended before its period (a deletion, an upheld objection)
    )

    def in_force(self, today: date) -> bool:
        if self.state not in ("decided", "published") or self.decided_on is None:
            return False
        return self.decided_on <= today and (self.ends_on is None or today < self.ends_on)


@dataclass(frozen=True)
class RoleHeld:
    person: int
    kind: RoleKind
    since: date
    until: date | None

    def current(self, today: date) -> bool:
        return self.since <= today and (self.until is None or today <= self.until)


ORG = -1
T = TypeVar("T")


@dataclass
class World:
    """What the machine runs on: the database, the clock, the checker."""

    engine: Engine
    database_url: str
    policy: Policy
    clock: Clock = field(default_factory=lambda: Clock(START))


class Platform(RuleBasedStateMachine):
    world: World  # set by the test before the run

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        empty_tables(w.engine)
        w.clock.at = START
        self.clock = w.clock
        self.policy = w.policy
        self.new_uow: Callable[[], SqlUnitOfWork] = partial(
            SqlUnitOfWork, make_session_factory(w.engine), w.clock
        )
        departments.sync_departments(self.new_uow(), w.policy.departments, actor="test")
        self.reads = make_engine(w.database_url, reads=True)
        self.source = SqlIndexSource(self.reads, w.policy.list_types)
        self.checker = Checker(w.policy, self.source, clock=w.clock)
        self.checker.load()
        self.numbers = [citizen_id(born=date(1980 + i, 3, 9)) for i in range(len(NAMES))]
        self.org_number = credit_code()
        self.subject_ids: dict[int, int] = {}
        self.records: dict[int, Rec] = {}
        self.entries: dict[int, Entry] = {}
        self.roles: list[RoleHeld] = []
        self.derived: dict[int, list[int]] = {}  # owner → derived clean statuses in force
        self.derived_published: set[int] = set()
        self.serial = 0
        self.departments = {
            matter: next(
                (d.code for d in w.policy.departments if matter in d.matters),
                None,
            )
            for matter in w.policy.registry.matters
        }

    def teardown(self) -> None:
        self.source.close()
        self.reads.dispose()

    # -- helpers ------------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return business_date(self.clock())

    def number_of(self, owner: int) -> str:
        return self.org_number if owner == ORG else self.numbers[owner]

    def name_of(self, owner: int) -> str:
        return ORG_NAME if owner == ORG else NAMES[owner]

    def _document(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}〔2026〕{self.serial:05d}号"

    def _submit(self, owner: int, item: str, department: str, row: dict[str, object]) -> Rec:
        decided = date.fromisoformat(str(row["decision_date"]))
        stored = records.submit_record(
            self.new_uow(), self.policy, row, department=department, actor="clerk"
        )
        rec = Rec(
            stored.record.id,
            owner,
            item,
            department,
            str(row["document_number"]),
            decided,
            dict(row),
        )
        self.records[rec.id] = rec
        self.subject_ids[owner] = stored.record.subject_id
        return rec

    @staticmethod
    def _pick(data: st.DataObject, items: list[T]) -> T | None:
        return data.draw(st.sampled_from(items)) if items else None

    def _recs(self, pred: Callable[[Rec], bool]) -> list[Rec]:
        return sorted((r for r in self.records.values() if pred(r)), key=lambda r: r.id)

    def _entries(self, pred: Callable[[Entry], bool]) -> list[Entry]:
        return sorted((e for e in self.entries.values() if pred(e)), key=lambda e: e.id)

    # -- records ------------------------------------------------------------------------------

    @rule(
        person=st.integers(0, len(NAMES) - 1),
        kind=st.sampled_from(["fine", "large_fine", "licence_revocation"]),
        days_ago=st.integers(0, 40),
    )
    def submit_penalty(self, person: int, kind: str, days_ago: int) -> None:
        decided = self.today - timedelta(days=days_ago)
        row: dict[str, object] = {
            "item": "ADM-PEN-01",
            "document_number": self._document("京市监罚"),
            "subject_id": self.numbers[person],
            "subject_name": NAMES[person],
            "decision_date": decided.isoformat(),
            "authority_name": "北京市市场监督管理局",
            "authority_uscc": AMR_USCC,
            "penalty_type": "licence_revocation" if kind == "licence_revocation" else "fine",
            "procedure": "ordinary",
            "violation": "销售有毒有害食品",
            "legal_provision": "《中华人民共和国食品安全法》第一百二十三条",
            "fine_amount": {"fine": "5000", "large_fine": "80000"}.get(kind),
        }
        self._submit(person, "ADM-PEN-01", AMR, row)

    @rule(
        person=st.integers(0, len(NAMES) - 1),
        conduct=st.sampled_from(["evades_enforcement", OPEN_ENDED]),
        days_ago=st.integers(0, 40),
    )
    def submit_debtor(self, person: int, conduct: str, days_ago: int) -> None:
        document = self._document("（2026）京执")
        row: dict[str, object] = {
            "item": "JUD-DEBTOR-01",
            "document_number": document,
            "subject_id": self.numbers[person],
            "subject_name": NAMES[person],
            "decision_date": (self.today - timedelta(days=days_ago)).isoformat(),
            "authority_name": "北京市高级人民法院",
            "authority_uscc": HCOURT_USCC,
            "case_number": document,
            "court_name": "北京市高级人民法院",
            "enforcement_basis": "（2025）京民终00001号",
            "obligation": "支付货款人民币三十万元及利息",
            "performance_status": "not_performed",
            "dishonest_conduct": conduct,
        }
        self._submit(person, "JUD-DEBTOR-01", HCOURT, row)

    @rule(days_ago=st.integers(0, 40), conduct=st.sampled_from(["evades_enforcement", OPEN_ENDED]))
    def submit_organisation_debtor(self, days_ago: int, conduct: str) -> None:
        document = self._document("（2026）京执")
        row: dict[str, object] = {
            "item": "JUD-DEBTOR-02",
            "document_number": document,
            "subject_id": self.org_number,
            "subject_name": ORG_NAME,
            "decision_date": (self.today - timedelta(days=days_ago)).isoformat(),
            "authority_name": "北京市高级人民法院",
            "authority_uscc": HCOURT_USCC,
            "case_number": document,
            "court_name": "北京市高级人民法院",
            "legal_representative": "赵某",
            "obligation": "支付工程款人民币二百万元",
            "performance_status": "not_performed",
            "dishonest_conduct": conduct,
        }
        self._submit(ORG, "JUD-DEBTOR-02", HCOURT, row)

    @rule(person=st.integers(0, len(NAMES) - 1), days_ago=st.integers(0, 40))
    def submit_tax_violation(self, person: int, days_ago: int) -> None:
        row: dict[str, object] = {
            "item": "SU-TAX-01",
            "document_number": self._document("京税稽罚"),
            "subject_id": self.numbers[person],
            "subject_name": NAMES[person],
            "decision_date": (self.today - timedelta(days=days_ago)).isoformat(),
            "authority_name": "国家税务总局北京市税务局",
            "authority_uscc": TAX_USCC,
            "violation_type": "tax_evasion",
            "role": "party",
            "main_facts": "隐匿收入，少缴个人所得税",
            "handling": "追缴税款、滞纳金并处罚款",
        }
        self._submit(person, "SU-TAX-01", TAX_DEPT, row)

    @precondition(lambda self: any(r.item == "ADM-PEN-01" for r in self.records.values()))
    @rule(data=st.data(), kind=st.sampled_from(["fine", "large_fine", "licence_revocation"]))
    def correct_penalty(self, data: st.DataObject, kind: str) -> None:
        """The department resubmits a penalty with changed content (the decision was varied)."""
        rec = self._pick(data, self._recs(lambda r: r.item == "ADM-PEN-01"))
        if rec is None:
            return
        if rec.status == "held":
            return  # its resubmission waits in a review
        row = dict(rec.fields)
        row["penalty_type"] = "licence_revocation" if kind == "licence_revocation" else "fine"
        row["fine_amount"] = {"fine": "5000", "large_fine": "80000"}.get(kind)
        row["subject_id"], row["subject_name"] = self.number_of(rec.owner), self.name_of(rec.owner)
        records.submit_record(self.new_uow(), self.policy, row, department=AMR, actor="clerk")
        rec.fields = row
        for entry in self._entries(lambda e: e.record == rec.id and e.state != "ended"):
            if not rec.makes(entry.list_code):  # varied away: it ends, as on a revocation
                entry.state = "ended"
                entry.ended_on = self.today if entry.decided_on is not None else None

    @precondition(lambda self: bool(self.records))
    @rule(data=st.data())
    def correct_debtor(self, data: st.DataObject) -> None:
        """The court resubmits a debtor record with a corrected obligation: the record is
        replaced in place, and a listing decided on it still holds it shown."""
        rec = self._pick(data, self._recs(lambda r: r.item == "JUD-DEBTOR-01"))
        if rec is not None and rec.status != "held":
            self._correct_obligation(rec)

    def _correct_obligation(self, rec: Rec) -> None:
        row = dict(rec.fields)
        row["obligation"] = f"{row['obligation']}（已更正）"
        row["subject_id"], row["subject_name"] = self.number_of(rec.owner), self.name_of(rec.owner)
        records.submit_record(self.new_uow(), self.policy, row, department=HCOURT, actor="clerk")
        rec.fields = row

    @precondition(lambda self: bool(self.records))
    @rule(data=st.data())
    def revoke_record(self, data: st.DataObject) -> None:
        rec = self._pick(data, self._recs(lambda r: r.status in ("active", "stopped")))
        if rec is None:
            return
        if not self._shown(rec, self.today):
            return
        records.revoke_record(
            self.new_uow(),
            self.policy,
            rec.id,
            department=rec.department,
            reason="原决定经复议撤销",
            actor="clerk",
        )
        rec.status = "revoked"

    @precondition(lambda self: any(r.owner != ORG for r in self.records.values()))
    @rule(data=st.data(), other=st.integers(0, len(NAMES) - 1))
    def resubmit_under_another_person(self, data: st.DataObject, other: int) -> None:
        """The same document arrives naming someone else: it must wait for an identity review."""
        rec = self._pick(data, self._recs(lambda r: r.owner != ORG))
        if rec is None:
            return
        if other == rec.owner or not self._shown(rec, self.today):
            return
        row = dict(rec.fields)
        row["subject_id"], row["subject_name"] = self.numbers[other], NAMES[other]
        stored = records.submit_record(
            self.new_uow(), self.policy, row, department=rec.department, actor="clerk"
        )
        assert stored.record.id == rec.id
        rec.status = "held"

    # -- listings -----------------------------------------------------------------------------

    @rule()
    def court_sync(self) -> None:
        """The court's feed: every active debtor record not yet on its list is recorded."""
        today = self.today
        before = set(self.entries)
        linked = {e.record for e in self.entries.values() if e.list_code in (COURT, COURT_ORG)}
        decided_lists.record_court_listings(self.new_uow(), self.policy, actor="court-feed")
        due = self._recs(
            lambda r: (
                r.item in ("JUD-DEBTOR-01", "JUD-DEBTOR-02")
                and r.id not in linked
                and self._shown(r, today)
            )
        )
        uow = self.new_uow()
        with uow:
            for subject_owner in {r.owner for r in due}:
                sid = self.subject_ids[subject_owner]
                for e in uow.entries.of_subject(sid, self.policy.list_types):
                    if e.id in before or e.id is None:
                        continue
                    source = uow.entries.source_record_of(e.id)
                    assert source is not None
                    rec = self.records[source]
                    self._add_court_entry(e.id, rec)
        assert {e.record for e in self.entries.values() if e.id not in before} == {
            r.id for r in due
        }, "the court's feed records exactly the debtor records not yet listed"

    def _add_court_entry(self, entry_id: int, rec: Rec) -> None:
        open_ended = rec.fields["dishonest_conduct"] == OPEN_ENDED
        self.entries[entry_id] = Entry(
            entry_id,
            COURT if rec.owner != ORG else COURT_ORG,
            rec.owner,
            rec.id,
            HCOURT,
            state="decided",
            decided_on=rec.decided,
            ends_on=None if open_ended else add_months(rec.decided, COURT_MONTHS),
        )

    @precondition(lambda self: bool(self.records))
    @rule(data=st.data(), which=st.sampled_from([TAX, LICENCE]))
    def record_authority_listing(self, data: st.DataObject, which: str) -> None:
        today = self.today
        item, department = ("SU-TAX-01", TAX_DEPT) if which == TAX else ("ADM-PEN-01", AMR)
        person = data.draw(st.integers(0, len(NAMES) - 1))
        linked = {e.record for e in self.entries.values() if e.list_code == which}
        free = self._recs(
            lambda r: (
                r.owner == person
                and r.item == item
                and self._shown(r, today)
                and r.id not in linked
                and (which != LICENCE or r.makes(LICENCE))
            )
        )
        if not free:
            return
        view = decided_lists.record_decided(
            self.new_uow(),
            self.policy,
            list_code=which,
            subject_number=self.numbers[person],
            grounds="依法认定",
            decided_on=today,
            months=None,
            department=department,
            actor="officer",
        )
        assert view.entry.id is not None
        newest = max(free, key=lambda r: (r.decided, r.id))
        uow = self.new_uow()
        with uow:
            source = uow.entries.source_record_of(view.entry.id)
        assert source == newest.id, "an authority's listing rests on its newest free record"
        self.entries[view.entry.id] = Entry(
            view.entry.id,
            which,
            person,
            newest.id,
            department,
            state="decided",
            decided_on=today,
            ends_on=add_months(today, FIXED_MONTHS[which]),
        )

    @precondition(lambda self: any(r.item == "ADM-PEN-01" for r in self.records.values()))
    @rule(data=st.data())
    def propose_food_listing(self, data: st.DataObject) -> None:
        today = self.today
        # A person has one open entry on a list at a time: only those whose every food-safety
        # entry the model knows to have ended.
        held = {
            e.owner for e in self.entries.values() if e.list_code == FOOD and e.state != "ended"
        }
        candidates = self._recs(
            lambda r: (
                r.item == "ADM-PEN-01"
                and self._shown(r, today)
                and r.severity == "serious"
                and r.owner not in held
            )
        )
        if not candidates:
            return
        rec = self._pick(data, candidates)
        if rec is None:
            return
        view = list_proposals.propose(
            self.new_uow(),
            self.policy,
            list_code=FOOD,
            subject_number=self.numbers[rec.owner],
            grounds="因销售有毒有害食品受到较重行政处罚",
            basis_records=[rec.id],
            department=AMR,
            actor="officer",
        )
        assert view.entry.id is not None
        self.entries[view.entry.id] = Entry(view.entry.id, FOOD, rec.owner, rec.id, AMR)

    @precondition(lambda self: any(e.state == "proposed" for e in self.entries.values()))
    @rule(data=st.data())
    def serve_notice(self, data: st.DataObject) -> None:
        entry = self._pick(data, self._entries(lambda e: e.state == "proposed"))
        if entry is None:
            return
        if not self._basis_stands(entry):
            return  # the proposal was withdrawn with its record
        view = lists.serve_notice(
            self.new_uow(), self.policy, entry.id, department=AMR, actor="clerk"
        )
        assert view.entry.defence_deadline is not None
        entry.state, entry.deadline = "noticed", view.entry.defence_deadline.day

    @precondition(lambda self: any(e.state == "noticed" for e in self.entries.values()))
    @rule(data=st.data())
    def decide(self, data: st.DataObject) -> None:
        entry = self._pick(data, self._entries(lambda e: e.state == "noticed"))
        if entry is None:
            return
        today = self.today
        if entry.deadline is None or today <= entry.deadline or not self._basis_stands(entry):
            return
        decide = partial(
            lists.decide,
            self.new_uow(),
            self.policy,
            entry.id,
            reasons="查证属实",
            months=None,
            department=AMR,
            actor="head",
        )
        if not self._shown(self.records[entry.record], today):
            with pytest.raises(Conflict):  # its record grounds nothing any more
                decide()
            return
        decide()
        entry.state, entry.decided_on = "decided", today
        entry.ends_on = add_months(today, FIXED_MONTHS[FOOD])

    def _basis_stands(self, entry: Entry) -> bool:
        """Whether the proposal's record still stands (else the platform withdrew it)."""
        uow = self.new_uow()
        with uow:
            state = uow.entries.get(entry.id, self.policy.list_types).state.value
        if state == "withdrawn":
            entry.state = "ended"
            return False
        return True

    @precondition(lambda self: any(e.state == "decided" for e in self.entries.values()))
    @rule(data=st.data())
    def publish(self, data: st.DataObject) -> None:
        today = self.today
        entry = self._pick(data, self._entries(lambda e: e.state == "decided"))
        if entry is None:
            return
        if entry.list_code not in PUBLISHED_LISTS or not self._stands(entry, today):
            return
        lists.publish(
            self.new_uow(), self.policy, entry.id, department=entry.department, actor="web"
        )
        entry.state = "published"

    def _stands(self, entry: Entry, today: date) -> bool:
        """In force, on a record that still grounds it and is displayable (the model's own
        judgement). A listing a court or another authority decided keeps its record shown while
        it is in force (`_shown`), so it keeps the period its decider set."""
        rec = self.records[entry.record]
        if not entry.in_force(today) or not rec.makes(entry.list_code):
            return False
        return self._shown(rec, today)

    def _shown_until(self, rec: Rec) -> date | None:
        """The record's display end: its own, held to the end of every listing decided by a court
        or another authority that rests on it (None while one is open-ended), or to the day
        such a listing ended early (docs/lists-and-measures.md)."""
        ends: date | None = rec.display_ends
        for e in self.entries.values():
            if e.record != rec.id or e.list_code not in DECIDED_ELSEWHERE:
                continue
            if not rec.makes(e.list_code):
                continue  # varied away: the corrected record's own periods apply
            if e.decided_on is None or (e.state == "ended" and e.ended_on is None):
                continue
            stops = [d for d in (e.ends_on, e.ended_on) if d is not None]
            until = min(stops) if stops else None
            if ends is None or until is None:
                return None
            ends = max(ends, until)
        return ends

    def _shown(self, rec: Rec, today: date) -> bool:
        """Displayable on `today`: active, and before its display end (`_shown_until`)."""
        until = self._shown_until(rec)
        return rec.status == "active" and (until is None or today < until)

    @precondition(
        lambda self: any(e.list_code in (COURT, COURT_ORG) for e in self.entries.values())
    )
    @rule(data=st.data(), months=st.sampled_from([36, 48, 60]))
    def extend_court_listing(self, data: st.DataObject, months: int) -> None:
        today = self.today
        court = self._entries(lambda e: e.list_code in (COURT, COURT_ORG))
        entry = self._pick(data, court)
        if entry is None:
            return
        assert entry.decided_on is not None
        if entry.ends_on is None or not self._stands(entry, today):
            return
        new_end = add_months(entry.decided_on, months)
        if new_end <= entry.ends_on:
            return
        decided_lists.extend_listing(
            self.new_uow(),
            self.policy,
            entry.id,
            months=months,
            decided_on=today,
            department=HCOURT,
            actor="court-feed",
        )
        entry.ends_on = new_end

    @precondition(
        lambda self: any(e.list_code in (COURT, COURT_ORG) for e in self.entries.values())
    )
    @rule(data=st.data())
    def court_deletes_listing(self, data: st.DataObject) -> None:
        """Performance: the court notes the ground and deletes the listing."""
        today = self.today
        entry = self._pick(data, self._entries(lambda e: e.list_code in (COURT, COURT_ORG)))
        if entry is None:
            return
        if not self._stands(entry, today):
            return
        decided_lists.note_deletion_ground(
            self.new_uow(),
            self.policy,
            entry.id,
            ground="performance",
            arose_on=today,
            department=HCOURT,
            actor="court-feed",
        )
        lists.end_listing(
            self.new_uow(),
            self.policy,
            entry.id,
            ground="performance",
            note="已履行完毕",
            department=HCOURT,
            actor="court-feed",
        )
        entry.state, entry.ended_on = "ended", today

    @rule(
        person=st.integers(0, len(NAMES) - 1),
        kind=st.sampled_from([RoleKind.LEGAL_REPRESENTATIVE, RoleKind.PRINCIPAL_RESPONSIBLE]),
        days=st.one_of(st.none(), st.integers(0, 400)),
    )
    def record_role(self, person: int, kind: RoleKind, days: int | None) -> None:
        if ORG not in self.subject_ids or person not in self.subject_ids:
            return
        today = self.today
        if any(r.person == person and r.kind is kind and r.since == today for r in self.roles):
            return
        until = None if days is None else today + timedelta(days=days)
        subjects.record_role(
            self.new_uow(),
            organisation=self.org_number,
            person=self.numbers[person],
            kind=kind,
            since=today,
            until=until,
            actor="amr-registry",
        )
        self.roles.append(RoleHeld(person, kind, today, until))

    # -- the person's rights ------------------------------------------------------------------

    @precondition(lambda self: any(r.owner != ORG for r in self.records.values()))
    @rule(
        data=st.data(),
        outcome=st.sampled_from(["reject", "stop_display", "correct"]),
        look_while_open=st.booleans(),
    )
    def object_to_record(self, data: st.DataObject, outcome: str, look_while_open: bool) -> None:
        rec = self._pick(data, self._recs(lambda r: r.owner != ORG))
        if rec is None:
            return
        if not self._shown(rec, self.today):
            return
        filed = objections.file_objection(
            self.new_uow(),
            self.policy,
            subject_id=self.subject_ids[rec.owner],
            record_id=rec.id,
            entry_id=None,
            ground="error_or_omission",
            reasons="记载的处罚决定与原决定书不符",
            actor="person",
        )
        assert filed.id is not None
        if look_while_open:
            self._check_invariant()  # marked at once, and nothing else moved
        objections.forward_objection(
            self.new_uow(), self.policy, filed.id, department=None, actor="centre"
        )
        objections.decide_objection(
            self.new_uow(),
            self.policy,
            filed.id,
            outcome=outcome,
            reasons="经核查",
            department=rec.department,
            actor="source",
        )
        if outcome == "stop_display":
            rec.status = "stopped"

    @precondition(
        lambda self: any(e.state in ("decided", "published") for e in self.entries.values())
    )
    @rule(data=st.data(), upheld=st.booleans())
    def object_to_listing(self, data: st.DataObject, upheld: bool) -> None:
        today = self.today
        entry = self._pick(
            data, self._entries(lambda e: e.state in ("decided", "published") and e.owner != ORG)
        )
        if entry is None or not self._stands(entry, today):
            return
        filed = objections.file_objection(
            self.new_uow(),
            self.policy,
            subject_id=self.subject_ids[entry.owner],
            record_id=None,
            entry_id=entry.id,
            ground="listed_without_criteria",
            reasons="不符合列入条件",
            actor="person",
        )
        assert filed.id is not None
        objections.forward_objection(
            self.new_uow(), self.policy, filed.id, department=None, actor="centre"
        )
        objections.decide_objection(
            self.new_uow(),
            self.policy,
            filed.id,
            outcome="remove_from_list" if upheld else "reject",
            reasons="经核查",
            department=entry.department,
            actor="source",
        )
        if upheld:
            entry.state, entry.ended_on = "ended", today

    @precondition(lambda self: any(r.owner != ORG for r in self.records.values()))
    @rule(data=st.data())
    def repair(self, data: st.DataObject) -> None:
        today = self.today
        rec = self._pick(data, self._recs(lambda r: r.owner != ORG))
        if rec is None:
            return
        if not self._shown(rec, today):
            return
        apply = partial(
            repairs.apply_for_repair,
            self.new_uow(),
            self.policy,
            subject_id=self.subject_ids[rec.owner],
            record_id=rec.id,
            obligations_performed=True,
            commitment="本人已纠正失信行为、履行全部法定义务，并承诺今后依法诚信经营，如有违反愿承担相应责任。",
            actor="person",
        )
        if rec.department == HCOURT:
            with pytest.raises(RepairedByTheCourt):
                apply()
            return
        if today < add_months(rec.decided, REPAIR_MONTHS[rec.severity]):
            return
        applied = apply()
        assert applied.id is not None
        repairs.accept_repair(self.new_uow(), applied.id, department=rec.department, actor="src")
        repairs.decide_repair(
            self.new_uow(),
            self.policy,
            applied.id,
            repaired=True,
            reasons="已纠正失信行为并作出承诺",
            department=rec.department,
            actor="src",
        )
        rec.status = "repaired"

    # -- time ---------------------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 3, 8, 30, 100, 250, 400, 800, 1200]))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    @rule()
    def sweep(self) -> None:
        expiry.sweep(self.new_uow(), self.policy, actor="sweep")

    # -- the invariant ------------------------------------------------------------------------

    def expected_measures(self, owner: int, matter: str) -> set[tuple[str, int, str | None]]:
        today = self.today
        found: set[tuple[str, int, str | None]] = set()
        reaching: dict[int, set[str]] = {}
        for role in self.roles:
            if role.person == owner and role.current(today):
                reaching.setdefault(ORG, set()).add(role.kind.value)
        for entry_id in self.derived.get(owner, ()):
            for code, (triggers, matters, _) in MEASURES.items():
                if DERIVED in triggers and matter in matters:
                    found.add((code, entry_id, None))
        for entry in self.entries.values():
            if not self._stands(entry, today):
                continue
            for code, (triggers, matters, roles) in MEASURES.items():
                if entry.list_code not in triggers or matter not in matters:
                    continue
                if entry.owner == owner:
                    found.add((code, entry.id, None))
                for kind in sorted(reaching.get(entry.owner, set()) & roles):
                    found.add((code, entry.id, kind))
        return found

    def _derived_statuses(self, today: date) -> None:
        """Read the derived clean statuses in force, and hold each to what it rests on: the
        person known for its years, with no negative record shown and no listing standing."""
        self.derived = {}
        self.derived_published = set()
        uow = self.new_uow()
        with uow:
            for owner, subject_id in self.subject_ids.items():
                for e in uow.entries.of_subject(subject_id, self.policy.list_types):
                    if e.list_type.code != DERIVED or not e.is_in_force_on(today):
                        continue
                    assert e.id is not None
                    mine = [r for r in self.records.values() if r.owner == owner]
                    assert mine, f"person {owner} holds a clean status with no record known"
                    assert min(r.decided for r in mine) <= add_months(today, -CLEAN_MONTHS), (
                        f"{today}: person {owner} holds a clean status, known for too short a time"
                    )
                    shown = [r.id for r in mine if self._shown(r, today)]
                    assert not shown, (
                        f"{today}: person {owner} holds a clean status beside negative records"
                        f" {shown} in display"
                    )
                    listed = [
                        x.id
                        for x in self.entries.values()
                        if x.owner == owner and self._stands(x, today)
                    ]
                    assert not listed, (
                        f"{today}: person {owner} holds a clean status while listed: {listed}"
                    )
                    self.derived.setdefault(owner, []).append(e.id)
                    if e.state.value == "published":
                        self.derived_published.add(e.id)

    def _check_invariant(self) -> None:
        today = self.today
        self.marks: dict[int, bool] = {}  # entry → under objection, as checks say
        self._derived_statuses(today)
        latest = self.source.latest_seq()
        for owner in range(len(NAMES)):
            number = self.numbers[owner]
            checked: set[tuple[str, int, str | None]] = set()
            for matter, department in self.departments.items():
                answer = check(
                    self.checker,
                    number,
                    matter,
                    department=department,
                    actor="desk",
                    seen_seq=latest,
                ).answer
                got = {
                    (
                        h.measure.code,
                        h.posting.entry_id,
                        h.posting.role.value if h.posting.role else None,
                    )
                    for h in answer.hits
                }
                expected = self.expected_measures(owner, matter)
                for code, entry_id, _ in got - expected:
                    entry = self.entries.get(entry_id)
                    rec = self.records.get(entry.record) if entry else None
                    raise AssertionError(
                        f"{today}: a check of person {owner} for {matter} returned {code} on"
                        f" entry {entry_id} without a live basis: entry {entry}, record {rec}"
                    )
                assert got == expected, (
                    f"{today}: a check of person {owner} for {matter} misses"
                    f" {sorted(expected - got, key=str)}"
                )
                checked |= got
                self.marks.update(
                    {h.posting.entry_id: h.posting.under_objection for h in answer.hits}
                )
            if owner not in self.subject_ids:
                continue
            own_file = reports.read_own_file(self.new_uow(), self.policy, self.subject_ids[owner])
            in_file = {(m.code, m.entry_id, m.via_role) for m in own_file.measures}
            assert in_file == checked, (
                f"{today}: person {owner}'s own file states measures {sorted(in_file, key=str)}"
                f" where checks return {sorted(checked, key=str)}"
            )
            for listed in own_file.entries:
                if listed.id in self.marks:
                    assert listed.under_objection == self.marks[listed.id], (
                        f"{today}: entry {listed.id} is under objection in checks:"
                        f" {self.marks[listed.id]}, in the person's file: {listed.under_objection}"
                    )
        self._public_listing_agrees(today)
        self._records_keep_their_subjects()

    def _public_listing_agrees(self, today: date) -> None:
        page = publication.search_listings(
            self.new_uow(),
            self.policy,
            today,
            publication.SearchFilter(),
            page=1,
            size=200,
        )
        shown = {item.id for item in page.items}
        for item in page.items:
            if item.id in self.marks:
                assert item.under_objection == self.marks[item.id], (
                    f"{today}: entry {item.id} is under objection in checks: {self.marks[item.id]},"
                    f" in the public listing: {item.under_objection}"
                )
        expected = {
            e.id for e in self.entries.values() if e.state == "published" and self._stands(e, today)
        } | self.derived_published
        assert shown == expected, (
            f"{today}: the public listing shows {sorted(shown)}; published and standing:"
            f" {sorted(expected)}"
        )

    def _records_keep_their_subjects(self) -> None:
        uow = self.new_uow()
        with uow:
            for rec in self.records.values():
                stored = uow.records.get(rec.id)
                assert stored.subject_id == self.subject_ids[rec.owner], (
                    f"record {rec.id} moved to subject {stored.subject_id} without a review"
                )
                if rec.status == "active":  # displayed exactly while the model shows it
                    shown = self._shown(rec, self.today)
                    displayed = stored.is_displayable_on(self.today)
                    assert displayed == shown, (
                        f"{self.today}: record {rec.id} displayed {displayed}, model says {shown}"
                        f" (its display ends {stored.display_ends})"
                    )

    @invariant()
    def basis_and_agreement(self) -> None:
        self._check_invariant()


@pytest.fixture
def world(engine: Engine, database_url: str, policy: Policy) -> World:
    return World(engine, database_url, policy)


def test_every_measure_rests_on_a_live_basis_and_every_view_agrees(world: World) -> None:
    Platform.world = world
    run_state_machine_as_test(Platform, settings=settings())
    empty_tables(world.engine)


def test_a_correction_in_place_keeps_a_listed_record_shown(world: World) -> None:
    """A court corrects its debtor record after the record's own display period has run out,
    while the open-ended listing resting on it is still in force: the corrected record stays
    shown, as the listing holds it (docs/lists-and-measures.md)."""
    Platform.world = world
    machine = Platform()
    try:
        machine.submit_debtor(person=0, conduct=OPEN_ENDED, days_ago=0)
        machine.court_sync()
        machine.time_passes(1200)
        machine.sweep()
        (debtor,) = machine.records.values()
        machine._correct_obligation(debtor)
        machine.basis_and_agreement()
        assert machine.expected_measures(0, "flight")
    finally:
        machine.teardown()
        empty_tables(world.engine)


def test_an_authority_listing_rests_on_the_newest_record_that_grounds_it(world: World) -> None:
    """A fine decided after a licence revocation cannot ground the food-licence list: the
    listing the market regulator records rests on the revocation, not on the newer fine."""
    Platform.world = world
    machine = Platform()
    try:
        machine.submit_penalty(person=0, kind="licence_revocation", days_ago=30)
        machine.submit_penalty(person=0, kind="fine", days_ago=0)
        machine.record_authority_listing(_Draws(0), LICENCE)
        assert [e.list_code for e in machine.entries.values()] == [LICENCE]
        machine.basis_and_agreement()
    finally:
        machine.teardown()
        empty_tables(world.engine)


class _Draws:
    """Hypothesis's `data` for a rule run by hand: hands out the given values in turn."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)

    def draw(self, strategy: object) -> object:
        return self.values.pop(0)


def test_the_case_that_raised_the_display_question_holds_by_hand(world: World) -> None:
    """docs/invariant.md: an open-ended court listing outlives its record's own three years;
    the record stays shown, so the check, the person's file and the public listing agree."""
    Platform.world = world
    machine = Platform()
    try:
        machine.submit_debtor(person=0, conduct=OPEN_ENDED, days_ago=0)
        machine.court_sync()
        machine.time_passes(1200)
        machine.sweep()
        machine.basis_and_agreement()
        assert machine.expected_measures(0, "flight")  # the listing still stands, and is checked
    finally:
        machine.teardown()
        empty_tables(world.engine)
