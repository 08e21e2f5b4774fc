"""Issued reports on real storage: each report is registered (number, digest, no content), its
printed code verifies, and its query log is said in words."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url

from tests.conftest import Clock
from tests.factories import PUBLIC_URL, citizen_id, open_account, penalty_row
from xinyong.db.checks import SqlIndexSource
from xinyong.db.engine import make_engine
from xinyong.db.objections import ObjectionRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.calendar import CHINA_TIME
from xinyong.domain.index import subject_key
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import QueryEntry
from xinyong.domain.reports import (
    IssuedReport,
    code_matches,
    content_digest,
    report_number,
    verification_code,
)
from xinyong.services import objections, reports
from xinyong.services.checks import Checker, run_check
from xinyong.services.documents import PdfUnavailable
from xinyong.services.records import submit_record
from xinyong.services.report_data import ReportData, ReportExtension
from xinyong.services.report_render import render_report_pdf
from xinyong.services.reports import (
    build_report,
    read_own_file,
    report_content,
    verify_report_code,
)

UowFactory = Callable[[], SqlUnitOfWork]
SECRET = "the-deployment-secret-key-of-32-chars"


@pytest.fixture
def checker(database_url: str, policy: Policy, clock: Clock) -> Iterator[Checker]:
    reads = make_engine(database_url, reads=True)
    source = SqlIndexSource(reads, policy.list_types)
    checker = Checker(policy, source, clock=clock)
    checker.load()
    yield checker
    source.close()
    reads.dispose()


def _person(seeded: UowFactory, policy: Policy) -> tuple[str, int, int]:
    """A person with a penalty record and an account: (number, subject id, account id)."""
    number = citizen_id(born=date(1979, 6, 30))
    row = penalty_row(subject_id=number, subject_name="赵敏")
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="clerk-1")
    account = open_account(
        seeded, policy, number=number, name="赵敏", password="lantern orchard quietly"
    )
    return number, stored.record.subject_id, account.id or 0


def _report(seeded: UowFactory, policy: Policy, subject_id: int, actor: str) -> ReportData:
    return build_report(
        seeded(), policy, subject_id, actor=actor, secret_key=SECRET, public_url=PUBLIC_URL
    )


def test_a_report_is_registered_with_its_content_digest_and_its_code_verifies(
    seeded: UowFactory, policy: Policy
) -> None:
    _, subject_id, account = _person(seeded, policy)

    data = _report(seeded, policy, subject_id, f"account:{account}")

    uow = seeded()
    with uow:
        issued = uow.reports.get(data.number)
        confirmed = verify_report_code(
            uow.reports, uow.subjects, SECRET, data.number, data.verification_code
        )
        typed = verify_report_code(
            uow.reports, uow.subjects, SECRET, data.number.lower(), data.verification_code.lower()
        )
    assert issued == IssuedReport(
        data.number, subject_id, data.generated_at, content_digest(report_content(data))
    )
    assert confirmed is not None
    assert confirmed == typed
    assert (confirmed.number, confirmed.generated_at) == (data.number, data.generated_at)
    assert (confirmed.masked_name, confirmed.masked_number) == ("赵*", data.masked_number)


def test_a_wrong_code_an_unknown_number_or_another_key_verifies_nothing(
    seeded: UowFactory, policy: Policy
) -> None:
    _, subject_id, account = _person(seeded, policy)
    data = _report(seeded, policy, subject_id, f"account:{account}")
    other = _report(seeded, policy, subject_id, f"account:{account}")

    uow = seeded()
    with uow:

        def verify(number: str, code: str, secret: str = SECRET) -> object:
            return verify_report_code(uow.reports, uow.subjects, secret, number, code)

        assert verify(data.number, other.verification_code) is None
        assert verify(other.number, data.verification_code) is None
        assert verify("GR20261120100000ABCDEF", data.verification_code) is None
        assert verify("not a number", data.verification_code) is None
        assert verify(data.number, data.verification_code, secret="another key") is None
        assert verify(data.number, "A" * 65) is None


def test_the_code_covers_the_content_so_an_altered_report_does_not_match(
    seeded: UowFactory, policy: Policy
) -> None:
    _, subject_id, account = _person(seeded, policy)
    data = _report(seeded, policy, subject_id, f"account:{account}")
    altered = dataclasses.replace(data, records=data.records[:0])

    forged = IssuedReport(
        data.number, subject_id, data.generated_at, content_digest(report_content(altered))
    )
    honest = IssuedReport(
        data.number, subject_id, data.generated_at, content_digest(report_content(data))
    )
    assert code_matches(SECRET, honest, data.verification_code)
    assert not code_matches(SECRET, forged, data.verification_code)


#: What a report said of each objection and repair before it printed an objection's extension:
#: the digest of a report issued then covers these fields of each case, and no others.
CASE_FIELDS_BEFORE_EXTENSIONS = (
    "kind", "id", "about", "status", "filed_on", "due", "outcome", "reasons", "record_id",
    "entry_id", "due_official",
)  # fmt: skip
APPROVAL = {
    "reasons": "需调取原始执法案卷核对",
    "approved_by": "北京市市场监督管理局法制处",
    "approval_reference": "京市监法〔2026〕15号",
}


def _extended_objection(seeded: UowFactory, policy: Policy, subject_id: int) -> int:
    """The person objects to their record; forwarded, its source's deadline extended."""
    with seeded() as uow:
        [record] = uow.records.of_subject(subject_id)
    filed = objections.file_objection(
        seeded(), policy, subject_id=subject_id, record_id=record.id, entry_id=None,
        ground="error_or_omission", reasons="记载有误", actor="account:1",
    )  # fmt: skip
    objection = filed.id or 0
    objections.forward_objection(seeded(), policy, objection, department=None, actor="centre")
    objections.extend_objection(
        seeded(), policy, objection, **APPROVAL, department="BJ-AMR", actor="amr"
    )
    return objection


def test_a_report_issued_before_extensions_were_printed_still_verifies(
    seeded: UowFactory, policy: Policy
) -> None:
    """A printed code is checked against the digest registered when the report was issued,
    never against the content as the code of today would state it: a report issued before its
    cases carried `extension` still verifies, though today's content of the same file differs."""
    _, subject_id, account = _person(seeded, policy)
    _extended_objection(seeded, policy, subject_id)
    # The report as the platform issued it before: the file's content, each case without
    # `extension`, numbered, registered and signed as build_report did then.
    today = read_own_file(seeded(), policy, subject_id)
    number = report_number(today.generated_at, subject_id)
    content = report_content(dataclasses.replace(today, number=number))
    assert {"extension", *CASE_FIELDS_BEFORE_EXTENSIONS} == set(content["cases"][0])
    before = {
        **content,
        "cases": [{k: case[k] for k in CASE_FIELDS_BEFORE_EXTENSIONS} for case in content["cases"]],
    }
    digest = content_digest(before)
    assert digest != content_digest(content)  # the content's shape changed
    with seeded() as uow:
        uow.reports.add(IssuedReport(number, subject_id, today.generated_at, digest))
        uow.commit()
    printed = verification_code(SECRET, number, digest)

    issued_now = _report(seeded, policy, subject_id, f"account:{account}")

    for report, code in ((number, printed), (issued_now.number, issued_now.verification_code)):
        confirmed = reports.verify_report(seeded(), SECRET, report, code)
        assert confirmed is not None, report
        assert confirmed.masked_name == "赵*"
    assert issued_now.number != number
    assert reports.verify_report(seeded(), SECRET, number, issued_now.verification_code) is None


def test_the_code_covers_an_objections_extension_and_its_approval(
    seeded: UowFactory, policy: Policy
) -> None:
    _, subject_id, account = _person(seeded, policy)
    objection = _extended_objection(seeded, policy, subject_id)

    data = _report(seeded, policy, subject_id, f"account:{account}")

    [case] = data.cases
    with seeded() as uow:
        due = uow.objections.get(objection).due()
    assert case.extension == ReportExtension(due.day, due.official, **APPROVAL)
    assert case.due == due.day
    other = dataclasses.replace(case.extension, approved_by="某区人民政府")
    altered = dataclasses.replace(data, cases=(dataclasses.replace(case, extension=other),))
    forged = IssuedReport(
        data.number, subject_id, data.generated_at, content_digest(report_content(altered))
    )
    assert not code_matches(SECRET, forged, data.verification_code)
    assert reports.verify_report(seeded(), SECRET, data.number, data.verification_code)


def test_an_objection_extended_before_approvals_were_kept_is_reported_extended_without_them(
    seeded: UowFactory, policy: Policy
) -> None:
    """Migration e8b2d5a7c314 left the approval of an earlier extension empty: the report still
    says the deadline was extended, and to when, with nothing for who approved it."""
    _, subject_id, _ = _person(seeded, policy)
    objection = _extended_objection(seeded, policy, subject_id)
    with seeded() as uow:
        uow.session.execute(
            update(ObjectionRow)
            .where(ObjectionRow.id == objection)
            .values(
                extension_reasons=None,
                extension_approved_by=None,
                extension_approval_reference=None,
            )
        )
        uow.commit()
        due = uow.objections.get(objection).due()

    [case] = read_own_file(seeded(), policy, subject_id).cases

    assert case.extension == ReportExtension(due.day, due.official, None, None, None)


def test_two_reports_at_the_same_instant_get_two_numbers(
    seeded: UowFactory, policy: Policy
) -> None:
    _, subject_id, account = _person(seeded, policy)

    first = _report(seeded, policy, subject_id, f"account:{account}")
    second = _report(seeded, policy, subject_id, f"account:{account}")

    assert first.generated_at == second.generated_at  # the test clock stands still
    assert first.number != second.number


def test_the_query_log_is_said_in_words_never_as_actor_ids(
    seeded: UowFactory, policy: Policy, checker: Checker, clock: Clock
) -> None:
    number, subject_id, account = _person(seeded, policy)
    run_check(seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="counter-7")
    _report(seeded, policy, subject_id, f"account:{account}")
    _report(seeded, policy, subject_id, "account:999")  # an agent under a power of attorney
    clock.at = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)

    data = _report(seeded, policy, subject_id, f"account:{account}")

    said = [
        (q.words.who_zh, q.words.purpose_zh, q.words.authority_zh, q.words.returned_zh)
        for q in data.queries
    ]
    caac = next(d.name for d in policy.departments if d.code == "BJ-CAAC-NC")
    flight = policy.registry.matters["flight"].name_zh
    assert said == [
        ("您的代理人（依授权委托书）", "查看本人信用报告", "本人", "本报告"),
        ("本人查询", "查看本人信用报告", "本人", "本报告"),
        (caac, f"办理“{flight}”前核查", "依联合奖惩措施清单核查", "无适用的措施"),
    ]
    english = [q.words.who_en for q in data.queries]
    assert english == ["your agent (under a power of attorney)", "you", caac]
    for q in data.queries:
        for text in dataclasses.astuple(q.words):
            assert "account:" not in text
            assert "counter-7" not in text


def test_the_persons_own_pages_read_the_file_without_issuing_a_report_or_logging_a_query(
    seeded: UowFactory, policy: Policy
) -> None:
    number, subject_id, _ = _person(seeded, policy)
    with seeded() as uow:
        queries = uow.queries.count()
    data = read_own_file(seeded(), policy, subject_id)
    assert (data.number, data.verification_code) == ("", "")
    assert data.masked_number == f"{number[:10]}****{number[14:]}"
    with seeded() as uow:
        assert uow.queries.count() == queries
        assert uow.audit.count("report:read") == 0
    issued = _report(seeded, policy, subject_id, "account:1")
    with seeded() as uow:
        assert uow.queries.count() == queries + 1  # the report itself is a look at the file
    assert dataclasses.replace(issued, number="", verification_code="").records == data.records


def test_a_document_resubmitted_under_another_person_marks_both_files_and_names_neither(
    seeded: UowFactory, policy: Policy
) -> None:
    first, second = citizen_id(), citizen_id()
    row = penalty_row(subject_id=first, subject_name="王秀英")
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="clerk")
    moved = {**row, "subject_id": second, "subject_name": "张伟"}
    held = submit_record(seeded(), policy, moved, department="BJ-AMR", actor="clerk")
    assert held.held_for_review
    with seeded() as uow:
        other_id = uow.subjects.get_by_number(second).id
    assert other_id is not None

    mine = _report(seeded, policy, stored.record.subject_id, "account:1")
    theirs = _report(seeded, policy, other_id, "account:2")
    [review] = mine.reviews
    [same] = theirs.reviews
    assert review.id == same.id
    assert (review.about_you, same.about_you) == (True, False)
    assert (review.kind, review.status, review.document_number) == (
        "subject",
        "open",
        row["document_number"],
    )
    for data in (mine, theirs):
        content = str(report_content(data))
        assert first not in content
        assert second not in content
    assert "王秀英" not in str(report_content(theirs))  # the first person is not named


def test_a_report_is_gathered_without_holding_the_write_lock_the_checks_log_needs(
    seeded: UowFactory,
    policy: Policy,
    database_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite one writer at a time commits, and every answered check waits for its query-log
    entry's commit: a report read inside a write transaction held the checks up for as long as
    the file took to read. Only the short registration takes the lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    _, subject_id, account = _person(seeded, policy)
    gather = reports._gather
    writable: list[bool] = []

    def gather_and_try_to_write(
        uow: SqlUnitOfWork, policy: Policy, subject_id: int, public_url: str
    ) -> ReportData:
        data = gather(uow, policy, subject_id, public_url)
        other = sqlite3.connect(make_url(database_url).database or "", timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writable.append(True)
        except sqlite3.OperationalError:  # database is locked
            writable.append(False)
        finally:
            other.close()
        return data

    monkeypatch.setattr(reports, "_gather", gather_and_try_to_write)
    reads = make_engine(database_url, reads=True)
    try:
        data = build_report(
            seeded(),
            policy,
            subject_id,
            actor=f"account:{account}",
            secret_key=SECRET,
            public_url=PUBLIC_URL,
            reads=SqlUnitOfWork(make_session_factory(reads), clock),
        )
    finally:
        reads.dispose()

    assert writable == [True]
    uow = seeded()
    with uow:
        issued = uow.reports.get(data.number)
    assert issued is not None
    assert code_matches(SECRET, issued, data.verification_code)


def test_a_reports_read_is_logged_by_the_writer_it_is_given_after_its_transaction_not_in_it(
    seeded: UowFactory, policy: Policy
) -> None:
    """The registering transaction also wrote the read's query-log line, so on SQLite it held
    the query log's lock that every answered check waits for, and a report printed beside the
    checks lengthened their tail (bench/report.py). Given the checks' writer, the report hands
    the line to it once the report is registered, and that transaction logs nothing."""
    number, subject_id, account = _person(seeded, policy)
    key = subject_key(number, organisation=False)
    seen: list[tuple[QueryEntry, bool, int]] = []

    def log(entry: QueryEntry) -> None:
        uow = seeded()
        with uow:
            registered = uow.reports.get(report_number(entry.at, subject_id)) is not None
            seen.append((entry, registered, uow.queries.count_for_key(key)))
            uow.queries.add_many([entry])
            uow.commit()

    data = build_report(
        seeded(),
        policy,
        subject_id,
        actor=f"account:{account}",
        secret_key=SECRET,
        public_url=PUBLIC_URL,
        log=log,
    )

    assert [
        (e.kind.value, e.subject_key, registered, before) for e, registered, before in seen
    ] == [("report", key, True, 0)]
    assert data.number == report_number(data.generated_at, subject_id)
    uow = seeded()
    with uow:
        assert uow.queries.count_for_key(key) == 1


@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset will be required:DeprecationWarning")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_person_checked_thousands_of_times_gets_a_printed_report_of_a_few_pages(
    seeded: UowFactory, policy: Policy, clock: Clock, tmp_path: Path, lang: str
) -> None:
    """The printed report lists the newest lines (`policy/report.toml [printed] query_lines`),
    then says how many more there are and where to read them; the JSON keeps every line."""
    number, subject_id, account = _person(seeded, policy)
    key = subject_key(number, organisation=False)
    kinds = [("check", "BJ-CAAC-NC")] * 1500 + [("agency", None)] * 400 + [("report", None)] * 100
    uow = seeded()
    with uow:
        uow.queries.add_many(
            [
                QueryEntry(
                    clock.at - timedelta(hours=n + 1),
                    key,
                    kind,
                    department,
                    "c-7" if department else f"account:{account}",
                    "flight" if department else "own report",
                    "M" if department else "the person's own",
                    "none" if department else "report",
                )
                for n, (kind, department) in enumerate(kinds)
            ]
        )
        uow.commit()
    data = _report(seeded, policy, subject_id, f"account:{account}")
    lines = reports.report_channel(policy).query_lines
    assert len(data.queries) == 2000  # gathered before this report's own read is logged

    try:
        pdf = render_report_pdf(data, lang)
    except PdfUnavailable as exc:
        pytest.skip(f"WeasyPrint cannot load here (see PdfUnavailable): {exc}")
    pdfinfo, pdftotext = shutil.which("pdfinfo"), shutil.which("pdftotext")
    if pdfinfo is None or pdftotext is None:
        pytest.skip("poppler-utils is not installed: the PDF cannot be read")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    info = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)[1])  # type: ignore[index]
    text = " ".join(
        subprocess.run(
            [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert pages <= 6
    oldest = (clock.at - timedelta(hours=2000)).astimezone(CHINA_TIME)
    left = 2000 - lines
    # The newest lines listed are all checks.
    if lang == "zh":
        assert f"以上为最近 {lines} 条。另有 {left} 条较早的查询记录" in text
        assert f"（自 {oldest.year}年{oldest.month}月{oldest.day}日 {oldest:%H:%M}起）" in text
        assert f"部门核查 {1500 - lines} 条" in text
        assert "信用服务机构查询（含被拒绝的） 400 条，本人查询 100 条" in text
    else:
        assert f"These are the newest {lines} entries. {left} earlier entries" in text
        assert f"(since {oldest:%Y-%m-%d %H:%M})" in text
        assert f"{1500 - lines} checks by departments, 400 queries by credit agencies" in text
        assert "100 reads of your own report" in text
    unwrapped = text.replace(" ", "")  # an address may wrap at a line's end
    assert f"{PUBLIC_URL}/portal/me/queries" in unwrapped  # the platform's address, printed
    assert "GET/api/v1/me/queries" in unwrapped
