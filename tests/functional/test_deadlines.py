"""Deadlines over HTTP and on the command line: the centre's overdue view (a department's key
sees its own cases), the fallback mark wherever a deadline is shown, the person's notices, the
query log a page at a time, and `xinyong deadlines` / `xinyong sweep`.

The 2026 arrangement (chinese-calendar): 1-7 October off, Saturday 10 October worked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from tests.conftest import Clock
from tests.factories import citizen_id, open_account, penalty_row
from xinyong.cli import app
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import calendar
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.index import subject_key
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import QueryEntry
from xinyong.services import accounts, decided_lists, notice_words, objections
from xinyong.services.deadlines import recount_deadlines
from xinyong.services.feed import key_of
from xinyong.services.records import submit_record

KeyFor = Callable[..., str]
Headers = dict[str, str]
UowFactory = Callable[[], SqlUnitOfWork]
PASSWORD = "correct horse battery"
COVERED = calendar.official_years()
BEFORE_2026 = frozenset(y for y in COVERED if y < 2026)


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def auth(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def file_objection(uow: SqlUnitOfWork, policy: Policy, record_id: int, subject_id: int) -> int:
    objection = objections.file_objection(
        uow,
        policy,
        subject_id=subject_id,
        record_id=record_id,
        entry_id=None,
        ground="error_or_omission",
        reasons="罚款金额有误",
        actor="account:1",
    )
    return objection.id or 0


def _given_to(make_uow: UowFactory, number: str, record_id: int, party: str) -> None:
    """The query log says `party` received the record: a revocation tells it."""
    key = subject_key(number, organisation=False)
    uow = make_uow()
    with uow:
        uow.queries.add_many(
            [QueryEntry(uow.now(), key, "query", party, "t", "loan", "authorisation",
                        f"record@{record_id}")]
        )  # fmt: skip
        uow.commit()


def get(client: TestClient, path: str, headers: Headers, **params: Any) -> Any:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_centre_sees_every_overdue_step_and_a_department_only_its_own(
    client: TestClient, key_for: KeyFor, seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(date(2026, 11, 2))
    amr = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="clerk")
    late = file_objection(seeded(), policy, amr.record.id, amr.record.subject_id)  # due 3 Nov
    clock.at = on(date(2026, 11, 20))
    fresh = file_objection(seeded(), policy, amr.record.id, amr.record.subject_id)  # due 23 Nov
    staff = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    own = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-AMR"))
    other = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-TAX"))

    overdue = get(client, "/api/v1/deadlines", staff, overdue="true", kind="objection_check")

    assert overdue == [
        {
            "kind": "objection_check",
            "what": f"objection {late}: the credit centre checks the objection",
            "entity_type": "objection",
            "entity_id": late,
            "subject_id": amr.record.subject_id,
            "department": "BJ-AMR",
            "must_act": "credit_centre",
            "due": "2026-11-03",
            "due_official": True,
            "overdue": True,
            "working_days_overdue": 13,
        }
    ]
    running = get(client, "/api/v1/deadlines", staff)
    assert [(d["entity_id"], d["due"], d["overdue"]) for d in running] == [
        (late, "2026-11-03", True),
        (fresh, "2026-11-23", False),
    ]
    assert get(client, "/api/v1/deadlines", own, overdue="true") == overdue
    assert get(client, "/api/v1/deadlines", other) == []
    # A record an agency received, revoked: the agency withdraws its copy by 25 November.
    given = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="clerk")
    _given_to(seeded, given.subject_number, given.record.id, "AGENCY-BAIHANG")
    revoked = client.post(
        f"/api/v1/records/{given.record.id}/revocation",
        json={"reason": "行政复议撤销"},
        headers=own,
    )
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["withdraw_by"], revoked.json()["withdraw_by_official"]) == (
        "2026-11-25",
        True,
    )
    with seeded() as uow:
        [item] = uow.feed.after("AGENCY-BAIHANG", 0, limit=10)
    assert get(client, "/api/v1/deadlines", staff, kind=["repair_feedback", "withdrawal"]) == [
        {
            "kind": "withdrawal",
            "what": f"feed item {item.seq}: the recipient withdraws its copy of what no longer"
            " stands",
            "entity_type": "feed_item",
            "entity_id": item.seq,
            "subject_id": given.record.subject_id,
            "department": "AGENCY-BAIHANG",
            "must_act": "AGENCY-BAIHANG",
            "due": "2026-11-25",
            "due_official": True,
            "overdue": False,
            "working_days_overdue": 0,
        }
    ]
    assert get(client, "/api/v1/deadlines", own, kind="withdrawal") == []  # not BJ-AMR's step
    wrong = client.get("/api/v1/deadlines", params={"kind": "defence"}, headers=staff)
    assert wrong.status_code == 422
    assert "binds nobody" in wrong.json()["detail"]
    implementing = auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CAAC-NC"))
    assert client.get("/api/v1/deadlines", headers=implementing).status_code == 403


def test_a_clock_stopped_for_testing_is_not_watched_and_moves_its_deadline(
    client: TestClient, key_for: KeyFor, seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(date(2026, 11, 23))  # Monday
    amr = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="clerk")
    objection = file_objection(seeded(), policy, amr.record.id, amr.record.subject_id)
    staff = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    url = f"/api/v1/objections/{objection}"
    paused = client.post(f"{url}/pause", json={"kind": "testing"}, headers=staff)
    assert paused.status_code == 200, paused.text
    assert (paused.json()["paused_since"], paused.json()["due"]) == ("2026-11-23", "2026-11-24")

    clock.at = on(date(2026, 11, 27))  # past the centre's day, but its clock stands still
    assert get(client, "/api/v1/deadlines", staff, overdue="true") == []
    [queued] = get(client, "/api/v1/objections", staff)
    assert (queued["id"], queued["overdue"]) == (objection, False)

    resumed = client.post(f"{url}/resumption", headers=staff)
    assert resumed.status_code == 200, resumed.text
    # Tuesday to Friday are not counted: one working day from Monday, plus four.
    assert (resumed.json()["due"], resumed.json()["paused_working_days"]) == ("2026-11-30", 4)
    [watched] = get(client, "/api/v1/deadlines", staff, kind="objection_check")
    assert (watched["entity_id"], watched["due"], watched["overdue"]) == (
        objection,
        "2026-11-30",
        False,
    )
    again = client.post(f"{url}/resumption", headers=staff)
    assert again.status_code == 409
    assert "not paused" in again.json()["detail"]
    # The person was told when their deadline stood still, and when it moved.
    uow = seeded()
    with uow:
        told = [(n.kind.value, n.detail) for n in uow.deadlines.notices_of(amr.record.subject_id)]
    assert [kind for kind, _ in told] == ["deadline_stopped", "deadline_moved"]
    assert told[1][1] == (
        "objection check: moved from 2026-11-24 to 2026-11-30; 4 working days of testing not"
        " counted"
    )
    with uow:
        said = [n.data for n in uow.deadlines.notices_of(amr.record.subject_id)]
    assert [notice_words.say(data, "zh") for data in said] == [
        "信用中心核查异议的期限自 2026-11-23 起因检验检测中止计算，"
        "检验检测所用的工作日不计入期限。",
        "信用中心核查异议的期限恢复计算，截止日由 2026-11-24 顺延至 2026-11-30："
        "检验检测所用的 4 个工作日不计入。",
    ]


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by the tests reach the test's database."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")


NUMBER = citizen_id(born=date(1970, 7, 7))


def _person(seeded: UowFactory, policy: Policy) -> tuple[int, int, Headers]:
    """A person with one record and an account: (subject id, record id, headers)."""
    stored = submit_record(
        seeded(), policy, penalty_row(subject_id=NUMBER), department="BJ-AMR", actor="clerk"
    )
    open_account(seeded, policy, number=NUMBER, name="王秀英", password=PASSWORD)
    return stored.record.subject_id, stored.record.id, _login(seeded, policy)


def _login(seeded: UowFactory, policy: Policy) -> Headers:
    """The person's headers with a fresh token (an API token lives minutes, not days)."""
    token = accounts.login(seeded(), policy, number=NUMBER, password=PASSWORD, api=True).token
    return auth(token)


def test_a_deadline_counted_monday_to_friday_is_marked_until_recounted_and_the_person_told(
    cli_database: None,
    client: TestClient,
    key_for: KeyFor,
    seeded: UowFactory,
    policy: Policy,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    clock.at = on(date(2026, 9, 30))
    subject_id, record_id, person = _person(seeded, policy)
    file_objection(seeded(), policy, record_id, subject_id)
    staff = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)  # the calendar arrives

    [mine] = get(client, "/api/v1/me/objections", person)
    assert (mine["due"], mine["due_official"]) == ("2026-10-01", False)
    [watched] = get(client, "/api/v1/deadlines", staff)
    assert (watched["due"], watched["due_official"]) == ("2026-10-01", False)
    record = get(client, f"/api/v1/records/{record_id}", staff)
    assert record["publish_by_official"] is False
    assert get(client, "/api/v1/me/notices", person) == []

    clock.at = on(date(2026, 10, 1))
    result = CliRunner().invoke(app, ["deadlines", "recount", "--json"])
    assert result.exit_code == 0, result.output
    person = _login(seeded, policy)

    [mine] = get(client, "/api/v1/me/objections", person)
    assert (mine["due"], mine["due_official"]) == ("2026-10-08", True)
    [notice] = get(client, "/api/v1/me/notices", person)
    assert (notice["kind"], notice["entity_type"]) == ("deadline_moved", "objection")
    assert "moved from 2026-10-01 to 2026-10-08" in notice["detail"]
    assert notice["data"] == {
        "change": "recounted",
        "deadline": "objection_check",
        "from": "2026-10-01",
        "to": "2026-10-08",
    }
    # The person reads it in their language: Chinese by default, English on request.
    chinese = "信用中心核查异议的截止日由 2026-10-01 改为 2026-10-08"
    assert notice["text"].startswith(chinese)
    [english] = get(client, "/api/v1/me/notices", person, lang="en")
    assert english["text"] == notice["detail"]
    report = get(client, "/api/v1/me/report", person)
    assert [n["detail"] for n in report["notices"]] == [notice["detail"]]
    printed = client.get("/api/v1/me/report", params={"format": "html"}, headers=person)
    assert chinese in printed.text
    printed = client.get(
        "/api/v1/me/report", params={"format": "html", "lang": "en"}, headers=person
    )
    assert notice["detail"] in printed.text
    signed_in = client.post(
        "/portal/login", data={"number": NUMBER, "password": PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    assert chinese in client.get("/portal/me").text
    assert notice["detail"] in client.get("/portal/me", params={"lang": "en"}).text
    assert get(client, f"/api/v1/records/{record_id}", staff)["publish_by_official"] is True


def test_the_query_log_is_read_a_page_at_a_time_back_to_the_retention_period(
    client: TestClient, seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(date(2026, 11, 20))
    subject_id, _, person = _person(seeded, policy)
    uow = seeded()
    with uow:
        subject_key = key_of(uow.subjects.get(subject_id))
        kept_since = datetime(2021, 11, 19, 16, 0, tzinfo=UTC)
        moments = [kept_since + timedelta(days=i) for i in range(520)] + [
            kept_since - timedelta(seconds=1)
        ]
        uow.queries.add_many(
            [
                QueryEntry(at, subject_key, "check", "BJ-CAAC-NC", "c-7", "flight", "M", "none")
                for at in moments
            ]
        )
        uow.commit()

    first = get(client, "/api/v1/me/queries", person, size=200)
    last = get(client, "/api/v1/me/queries", person, page=3, size=200)

    assert (first["page"], first["size"], first["total"]) == (1, 200, 520)
    assert first["since"].startswith("2021-11-19T16:00:00")
    assert first["items"][0]["at"].startswith((kept_since + timedelta(days=519)).date().isoformat())
    assert len(last["items"]) == 120
    assert last["items"][-1]["at"].startswith("2021-11-19T16:00:00")
    assert all(q["who"] == "中国民用航空华北地区管理局" for q in last["items"])
    assert get(client, "/api/v1/me/queries", person, page=4, size=200)["items"] == []
    report = get(client, "/api/v1/me/report", person)
    assert len(report["queries"]) == 520  # every entry within retention (the old limit was 500)


@pytest.fixture
def wall_clock_uow(database_url: str, seeded: UowFactory) -> Iterator[Callable[[datetime], Any]]:
    """Units of work whose clock reads a given moment (the CLI reads the wall clock)."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    yield lambda moment: SqlUnitOfWork(factory, lambda: moment)
    engine.dispose()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_the_commands_list_overdue_deadlines_and_the_sweep_reports_what_it_deleted(
    cli_database: None,
    wall_clock_uow: Callable[[datetime], SqlUnitOfWork],
    policy: Policy,
    tmp_path: Path,
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=60)
    stored = submit_record(
        wall_clock_uow(long_ago),
        policy,
        penalty_row(decision_date=(long_ago.date() - timedelta(days=30)).isoformat()),
        department="BJ-AMR",
        actor="clerk",
    )
    objection = file_objection(
        wall_clock_uow(long_ago), policy, stored.record.id, stored.record.subject_id
    )

    listed = run("deadlines", "list", "--overdue")
    assert listed.exit_code == 0, listed.output
    text = " ".join(listed.output.split())
    assert f"objection {objection}: the credit centre checks the objection" in text
    assert "credit_centre" in text
    assert "objection_check" in text
    none = run("deadlines", "list", "--overdue", "--kind", "repair_feedback")
    assert "no running deadlines overdue" in none.output
    wrong = run("deadlines", "list", "--kind", "soon")
    assert wrong.exit_code == 2
    assert "double_publicity" in wrong.output

    swept = run("sweep", "--json")
    assert swept.exit_code == 0, swept.output
    figures = json.loads(swept.stdout)
    assert (figures["queries_deleted"], figures["deadlines_recounted"]) == (0, 0)
    assert figures["partitions_created"] == 0  # the ranges ahead are there (PostgreSQL)


def test_a_recount_on_the_official_calendar_keeps_the_display_a_listing_holds(
    seeded: UowFactory, policy: Policy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The food licence bar's five years hold its record shown past its own three
    (docs/lists-and-measures.md, "A listing keeps its record shown"); counting the record's
    double-publicity deadline again on the official calendar moves that deadline alone."""
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    clock.at = on(date(2026, 9, 30))
    number = citizen_id(born=date(1971, 8, 8))
    row = penalty_row(subject_id=number, penalty_type="licence_revocation")
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="clerk")
    assert stored.record.display_ends == date(2029, 9, 1)
    assert stored.record.publish_by_official is False
    decided_lists.record_decided(
        seeded(),
        policy,
        list_code="FOOD-LICENCE-REVOKED",
        subject_number=number,
        grounds="吊销食品经营许可证",
        decided_on=date(2026, 9, 1),
        months=None,
        department="BJ-AMR",
        actor="clerk",
    )
    with seeded() as uow:
        held = uow.records.get(stored.record.id)
        assert (held.display_ends, held.retention_ends) == (date(2031, 9, 1), date(2036, 9, 1))

    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)  # the calendar arrives
    clock.at = on(date(2026, 10, 1))
    assert recount_deadlines(seeded(), policy, actor="test").recounted >= 1
    with seeded() as uow:
        after = uow.records.get(stored.record.id)
        assert after.publish_by_official is True
        assert (after.display_ends, after.retention_ends) == (date(2031, 9, 1), date(2036, 9, 1))
