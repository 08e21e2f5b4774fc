"""The demo platform: a synthetic population loaded, part of it listed, a person with an account,
and one API key for each kind of caller.

Court lists are recorded from the courts' records; authority lists are recorded as decided; the
platform-run lists go through the whole procedure, dated in the past (proposal, notice, a defence
window on the official calendar, decision, publication), so that the demo shows each state.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.batches import BatchSource
from xinyong.domain.calendar import add_months, add_working_days, business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, NotFound
from xinyong.domain.list_types import ListType
from xinyong.domain.lists import Decider, EntryState, ListKind
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, conduct_date
from xinyong.domain.subjects import RoleKind, Subject
from xinyong.services import agencies, authorisations, decided_lists, keys, list_proposals
from xinyong.services import lists as listing
from xinyong.services.batches import ingest_batch
from xinyong.services.batchfiles import BatchFormat, count_rows, fingerprint, read_rows
from xinyong.services.ports import UnitOfWork
from xinyong.services.registrations import CounterVerification, register, verify_registration
from xinyong.services.subjects import record_role

ACTOR = "demo"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in China


def seed_listings(
    uow_at: Callable[[datetime | None], UnitOfWork],
    policy: Policy,
    *,
    today: date,
    seed: int = 2016,
    share: float = 0.004,
) -> dict[str, int]:
    """List a share of the population across the list types; return entries made per list.

    `uow_at(moment)` gives a unit of work whose clock reads `moment` (None: the real clock).
    """
    rng = random.Random(seed)
    made: dict[str, int] = {}
    made["COURT-DEBTORS (from court records)"] = decided_lists.record_court_listings(
        uow_at(None), policy, actor=ACTOR
    )
    uow = uow_at(None)
    with uow:
        person_items = {
            c for c, i in policy.catalog.items.items() if i.subject_type is SubjectType.PERSON
        }
        org_items = {
            c for c, i in policy.catalog.items.items() if i.subject_type is SubjectType.ORGANISATION
        }
        person_records = uow.records.active_of_items(person_items)
        org_records = uow.records.active_of_items(org_items)
        numbers = {
            r.subject_id: uow.subjects.get(r.subject_id).number
            for r in [*person_records, *org_records]
        }
    adults = _adults(uow_at, person_records, today, policy.periods.age_of_majority)
    rng.shuffle(adults)
    # Good-credit entries go to people with no negative record at all.
    negative = {
        r.subject_id
        for r in person_records
        if (item := policy.catalog.get(r.item_code)) and item.nature.value == "negative"
    }
    per_list = max(3, int(len(numbers) * share))

    def take(
        n: int,
        rests_on: ListType | None = None,
        *,
        clean: bool = False,
        by: frozenset[str] | None = None,
    ) -> list[CreditRecord]:
        """A record each of the next `n` adults (any of theirs, not only the first): only one a
        listing on `rests_on` may rest on if given, only of people without a negative record if
        `clean`, only from the departments `by`."""
        nonlocal adults
        fits: dict[int, CreditRecord] = {}
        for r in person_records:
            if (rests_on is None or _may_rest_on(rests_on, r)) and (
                by is None or r.department in by
            ):
                fits.setdefault(r.subject_id, r)
        free = [a.subject_id for a in adults if not (clean and a.subject_id in negative)]
        chosen = [fits[s] for s in free if s in fits][:n]
        taken = {r.subject_id for r in chosen}
        adults = [r for r in adults if r.subject_id not in taken]
        return chosen

    for list_type in policy.list_types.values():
        if (
            list_type.subject_type is not SubjectType.PERSON
            or list_type.decided_by is Decider.COURT
        ):
            continue
        count = 0
        if list_type.derived:
            continue  # the platform derives it from the records: nobody lists anyone on it
        if list_type.decided_by is Decider.PLATFORM:  # proposed by a competent department
            by = frozenset(d.code for d in policy.departments if d.kind in list_type.proposer_kinds)
            chosen = take(per_list, list_type, by=by)
            count = _run_procedure(uow_at, policy, list_type.code, chosen, numbers, today)
        elif list_type.source_items:
            # Only the deciding authority records its decision, on a record of its own that the
            # list rests on: pick people who have one.
            deciders = frozenset(
                d.code for d in policy.departments if d.kind in list_type.decider_kinds
            )
            good = list_type.kind is ListKind.GOOD_CREDIT
            for record in take(per_list, list_type, clean=good, by=deciders):
                decided_on = today - timedelta(days=rng.randint(10, 300))
                decided_lists.record_decided(
                    uow_at(None),
                    policy,
                    list_code=list_type.code,
                    subject_number=numbers[record.subject_id],
                    grounds=_grounds(list_type.kind),
                    decided_on=decided_on,
                    months=None,
                    department=record.department,
                    actor=ACTOR,
                )
                count += 1
        made[list_type.code] = count
    made["COURT-DEBTORS-ORG (with legal representatives)"] = _organisations(
        uow_at, policy, org_records, take(per_list), numbers, today
    )
    return made


def _may_rest_on(list_type: ListType, record: CreditRecord) -> bool:
    """Whether a listing on `list_type` may rest on `record`: its item, its ground if any, and
    its severity class if the list sets a floor."""
    return list_type.grounded_by(record.item_code, record.fields, record.severity)


def _adults(
    uow_at: Callable[[datetime | None], UnitOfWork],
    records: list[CreditRecord],
    today: date,
    majority: int,
) -> list[CreditRecord]:
    uow = uow_at(None)
    with uow:
        subjects = {r.subject_id: uow.subjects.get(r.subject_id) for r in records}
    return adults_among(records, subjects, today, majority)


def adults_among(
    records: list[CreditRecord], subjects: Mapping[int, Subject], today: date, majority: int
) -> list[CreditRecord]:
    """One record (the first) of each person who is a listing's fair subject: an adult a year
    ago (demo decisions are dated up to 300 days back) and on the day of every conduct of theirs
    on record, since a listing rests on one of the person's records (not always the one
    picked: `record_decided` takes the department's newest) and a listing never rests on what a
    minor did (`domain/lists.py`)."""
    earliest: dict[int, date] = {}
    for record in records:
        day = min(conduct_date(record), today - timedelta(days=366))
        earliest[record.subject_id] = min(day, earliest.get(record.subject_id, day))
    out: list[CreditRecord] = []
    for record in records:
        if record.subject_id not in earliest:
            continue  # seen already
        age = subjects[record.subject_id].age_on(earliest.pop(record.subject_id))
        if age is not None and age >= majority:
            out.append(record)
    return out


def _grounds(kind: ListKind) -> str:
    if kind is ListKind.GOOD_CREDIT:
        return "demo: designated by the awarding authority"
    return "demo: decided by the competent authority under the list's criteria"


def publish_decided(
    uow_at: Callable[[datetime | None], UnitOfWork], policy: Policy, *, today: date
) -> int:
    """Publish every decided entry of a published list whose period is running, as the staff
    of a running platform would have (the public pages show published entries only; the court's
    and the honour lists' entries are recorded decided); return how many."""
    codes = [code for code, list_type in policy.list_types.items() if list_type.published]
    uow = uow_at(None)
    with uow:
        live = uow.entries.live_of_lists(codes, None, policy.list_types)
    due = [
        e.id
        for e in live
        if e.id is not None
        and e.state is EntryState.DECIDED
        and (e.ends_on is None or e.ends_on > today)
    ]
    for entry_id in due:
        listing.publish(uow_at(None), policy, entry_id, department=None, actor=ACTOR)
    return len(due)


def _run_procedure(
    uow_at: Callable[[datetime | None], UnitOfWork],
    policy: Policy,
    code: str,
    records: list[CreditRecord],
    numbers: dict[int, str],
    today: date,
) -> int:
    """Take each person through the procedure; the last two stay pending and withdrawn."""
    list_type = policy.list_types[code]
    proposed = today - timedelta(days=60)
    decided_on = add_working_days(proposed, list_type.defence_working_days + 1).day
    for i, record in enumerate(records):
        view = list_proposals.propose(
            uow_at(_at(proposed)),
            policy,
            list_code=code,
            subject_number=numbers[record.subject_id],
            grounds="demo: serious violation found in the record it rests on",
            basis_records=[record.id],
            department=record.department,
            actor=ACTOR,
        )
        entry_id = view.entry.id or 0
        if i == len(records) - 1:
            continue  # stays proposed: a pending case on the staff's desk
        listing.serve_notice(uow_at(_at(proposed)), policy, entry_id, department=None, actor=ACTOR)
        if i == len(records) - 2:
            listing.withdraw(uow_at(_at(proposed)), policy, entry_id, department=None, actor=ACTOR)
            continue
        listing.decide(
            uow_at(_at(decided_on)),
            policy,
            entry_id,
            reasons="demo: the grounds are established; no defence was received in time",
            months=None,
            department=None,
            actor=ACTOR,
        )
        if list_type.published:
            listing.publish(uow_at(_at(decided_on)), policy, entry_id, department=None, actor=ACTOR)
    return len(records)


def _organisations(
    uow_at: Callable[[datetime | None], UnitOfWork],
    policy: Policy,
    org_records: list[CreditRecord],
    people: list[CreditRecord],
    numbers: dict[int, str],
    today: date,
) -> int:
    """Give organisations on the court's list a legal representative, whom measures reach.

    The organisations were listed from their court records by `record_court_listings`.
    """
    list_type = policy.list_types.get("COURT-DEBTORS-ORG")
    if list_type is None:
        return 0
    listed = (r.subject_id for r in org_records if r.item_code in list_type.source_items)
    orgs = list(dict.fromkeys(listed))[: len(people)]
    for org, person in zip(orgs, people, strict=False):
        record_role(
            uow_at(None),
            organisation=numbers[org],
            person=numbers[person.subject_id],
            kind=RoleKind.LEGAL_REPRESENTATIVE,
            since=today - timedelta(days=400),
            until=None,
            actor=ACTOR,
        )
    return len(orgs)


DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo person's published demo password


def demo_person(uow_at: Callable[[datetime | None], UnitOfWork], policy: Policy) -> tuple[str, str]:
    """Open an account for a demo person on the court's list: (number, name) to log in with."""
    uow = uow_at(None)
    with uow:
        today = business_date(uow.now())
        chosen: tuple[str, str] | None = None
        for record in uow.records.active_of_items({"JUD-DEBTOR-01"}):
            entries = uow.entries.of_subject(record.subject_id, policy.list_types)
            if any(e.is_in_force_on(today) for e in entries):
                subject = uow.subjects.get(record.subject_id)
                if uow.accounts.by_subject(record.subject_id) is None:
                    chosen = (subject.number, subject.name)
                    break
    if chosen is None:
        raise NotFound("the demo data has no listed person without an account")
    number, name = chosen
    registration = register(
        uow_at(None),
        policy,
        CounterVerification(),
        number=number,
        name=name,
        phone="13800138000",
        password=DEMO_PASSWORD,
    )
    # The demo's counter: the person's identity is verified as staff would, with the ID card.
    verify_registration(
        uow_at(None),
        policy,
        registration.id or 0,
        number_seen=number,
        name_seen=name,
        actor="demo:counter",
    )
    return number, name


#: What the demo person authorises the demo agency for: their report, for a loan approval.
DEMO_PURPOSE = "loan_approval"
DEMO_SCOPE = "report"


def authorise_agency(
    uow_at: Callable[[datetime | None], UnitOfWork], policy: Policy, number: str, agency: str
) -> bool:
    """Have the demo person authorise `agency` to read their report for a loan approval, for the
    longest the policy allows; return False when a live one was there already."""
    uow = uow_at(None)
    with uow:
        subject = uow.subjects.get_by_number(number)
        if subject is None or subject.id is None:
            raise NotFound("the demo person is not in the database: delete ./var to start afresh")
        today = business_date(uow.now())
        held = uow.authorisations.of_subject(subject.id)
    if any(
        a.grantee == agency
        and a.purpose == DEMO_PURPOSE
        and a.scope == DEMO_SCOPE
        and a.is_live_on(today)
        for a in held
    ):
        return False
    authorisations.grant_authorisation(
        uow_at(None),
        policy,
        subject_id=subject.id,
        grantee=agency,
        purpose=DEMO_PURPOSE,
        scope=DEMO_SCOPE,
        expires_on=add_months(today, policy.authorisations.max_months),
        actor=ACTOR,
    )
    return True


def write_requests(folder: Path, *, number: str, password: str, matter: str) -> dict[str, Path]:
    """Write the bodies of the demo's example requests (they carry the demo person's number, so
    they are files readable by their owner, never command-line text): session, check, agency."""
    folder.mkdir(parents=True, exist_ok=True)
    bodies = {
        "session": {"number": number, "password": password},
        "check": {"subject": number, "matter": matter},
        "agency-query": {"subject": number, "purpose": DEMO_PURPOSE, "scope": DEMO_SCOPE},
    }
    written: dict[str, Path] = {}
    for name, body in bodies.items():
        path = folder / f"{name}.json"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        written[name] = path
    return written


def write_login(path: Path, number: str, name: str) -> None:
    """Write the demo person's login (number, name and the demo password), readable by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"number": number, "name": name, "password": DEMO_PASSWORD}, ensure_ascii=False),
        encoding="utf-8",
    )
    path.chmod(0o600)


#: Opens a progress display for one file (description, rows) and gives the callback that moves it.
RowsProgress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(slots=True)
class LoadTotals:
    """What ingesting a synthetic population did, over all its files."""

    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    held: int = 0


def ingest_population(
    uow: Callable[[], UnitOfWork],
    policy: Policy,
    files: Iterable[Path],
    *,
    chunk_rows: int,
    actor: str,
    progress: RowsProgress,
) -> LoadTotals:
    """Ingest a synthetic population's CSV files, each as the department its name gives.

    Files go in name order: the deliberate identity conflicts sort after the true rows, so exactly
    those are held for review.
    """
    totals = LoadTotals()
    for file in sorted(files):
        digest, _ = fingerprint(file)
        rows = count_rows(file, BatchFormat.CSV)
        with progress(f"{file.stem} {file.name}", rows) as moved, file.open("rb") as fh:
            result = ingest_batch(
                uow(),
                policy,
                read_rows(fh, BatchFormat.CSV, "utf-8-sig"),
                department=file.stem,
                actor=actor,
                source=BatchSource.FILE,
                filename=file.name,
                sha256=digest,
                chunk_rows=chunk_rows,
                on_progress=moved,
            )
        totals.accepted += result.accepted
        totals.unchanged += result.unchanged
        totals.rejected += result.rejected
        totals.held += result.held_for_review
    return totals


@dataclass(frozen=True, slots=True)
class DemoKeys:
    """One API key for each kind of caller the demo shows, with its role's default scopes."""

    credit_centre: str
    #: (department, key): the first department of the policy, submitting records.
    source: tuple[str, str]
    #: (department, key): an airline-side department that checks before it sells a ticket.
    implementing: tuple[str, str]
    #: (department, key): a credit agency reading with a person's authorisation, if one exists.
    agency: tuple[str, str] | None


STAFF = "DEMO-001"  # the demo agency's staff member its key is issued to


def create_demo_keys(
    uow: Callable[[], UnitOfWork], policy: Policy, *, actor: str, source: str | None = None
) -> DemoKeys:
    """Create the demo's keys (new ones on every run: a key is shown only once); the source
    department's is `source`'s, else the policy's first department's."""
    centre = keys.create_api_key(
        uow(),
        label="demo credit centre",
        scopes=ROLE_SCOPES[Role.CREDIT_CENTRE],
        department=None,
        actor=actor,
    )
    first = source or policy.departments[0].code
    source_key = keys.create_api_key(
        uow(),
        label=f"demo {first}",
        scopes=ROLE_SCOPES[Role.SOURCE_DEPARTMENT],
        department=first,
        actor=actor,
    )
    # Any department may check; a transport one shows the airline's case.
    checking = next(
        (d.code for d in policy.departments if d.kind == "transport"), policy.departments[1].code
    )
    implementing = keys.create_api_key(
        uow(),
        label=f"demo checks {checking}",
        scopes=ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT],
        department=checking,
        actor=actor,
    )
    agency = next((d.code for d in policy.departments if d.kind == "credit_agency"), None)
    agency_key = None
    if agency:  # an agency's key is issued to one of its staff members (kept from a last run)
        with suppress(Conflict):
            agencies.register_staff(uow(), agency, number=STAFF, name="演示查询员", actor=actor)
        agency_key = keys.create_api_key(
            uow(),
            label=f"demo {agency}",
            scopes=ROLE_SCOPES[Role.CREDIT_AGENCY],
            department=agency,
            actor=actor,
            staff=STAFF,
        )
    return DemoKeys(
        credit_centre=centre,
        source=(first, source_key),
        implementing=(checking, implementing),
        agency=(agency, agency_key) if agency and agency_key else None,
    )
