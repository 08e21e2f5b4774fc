"""The consoles through their pages: staff log in with a password and a code; a department
uploads a batch with bad rows and downloads the error report, checks and gives feedback; the
centre forwards and decides an objection and sees it in the statistics; a page a role may not
open is refused and audited. The staff API: only the centre's key creates users."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row
from tests.functional.consoles import (
    STAFF_PASSWORD,
    add_user,
    code_now,
    form_token,
    import_court_rows,
    sign_in,
)
from tests.functional.helpers import (
    Headers,
    assert_problem,
    object_to,
    public_record,
    record_listing,
    sign_up,
    submit,
)
from xinyong.domain.access import Role
from xinyong.domain.audit import EventTag
from xinyong.web.console.pages import safe_cell


def _audit_tags(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    from sqlalchemy import select

    from xinyong.db.audit import AuditEventRow

    with platform.uow() as uow:
        rows = uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.id))
        return [(r.tag, dict(r.data or {})) for r in rows]


def test_the_centre_creates_staff_through_the_api_and_a_department_cannot(
    client: TestClient, staff: Headers, amr: Headers
) -> None:
    body = {
        "username": "zhao.amr",
        "name": "赵科员",
        "role": "source_department",
        "department": "BJ-AMR",
        "password": STAFF_PASSWORD,
    }
    assert client.post("/api/v1/staff", json=body, headers=amr).status_code == 403
    created = client.post("/api/v1/staff", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["otpauth_uri"].startswith("otpauth://totp/xinyong:zhao.amr?")
    assert "records:write" in created.json()["scopes"]
    listed = client.get("/api/v1/staff", headers=staff).json()
    assert [u["username"] for u in listed] == ["zhao.amr"]
    assert "totp_secret" not in listed[0]
    unbound = {**body, "username": "x.dept", "department": None}
    bad = client.post("/api/v1/staff", json=unbound, headers=staff)
    assert_problem(bad, 422)
    disabled = client.post("/api/v1/staff/zhao.amr/disable", headers=staff)
    assert disabled.json()["disabled_at"] is not None
    both = {**body, "username": "qin.amr", "also": ["implementing_department"]}
    created = client.post("/api/v1/staff", json=both, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["also"] == ["implementing_department"]
    assert {"records:write", "checks:run"} <= set(created.json()["scopes"])
    only_submits = {**both, "username": "sun.socsec", "department": "BJ-SOCSEC"}
    assert_problem(client.post("/api/v1/staff", json=only_submits, headers=staff), 422)


def test_a_login_needs_the_code_and_the_first_one_enrols_the_authenticator(
    client: TestClient,
) -> None:
    secret = add_user(client, "qian.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    wrong = client.post("/console/login", data={"username": "qian.amr", "password": "nope"})
    assert wrong.status_code == 401
    first = client.post("/console/login", data={"username": "qian.amr", "password": STAFF_PASSWORD})
    assert "<svg" in first.text  # the QR code, drawn on the server
    assert "otpauth://totp/xinyong:qian.amr?secret=" in first.text
    assert client.get("/console/", follow_redirects=False).status_code == 303
    bad_code = f"{(int(code_now(client, secret)) + 1) % 1_000_000:06d}"
    refused = client.post(
        "/console/login/code", data={"code": bad_code, "csrf": form_token(first.text)}
    )
    assert refused.status_code == 401
    done = client.post(
        "/console/login/code",
        data={"code": code_now(client, secret), "csrf": form_token(first.text)},
    )
    assert done.status_code == 200
    assert "批量上报" in done.text
    reasons = [d.get("reason") for tag, d in _audit_tags(client) if tag == "staff:login_refused"]
    assert reasons == ["password", "code"]
    again = client.post("/console/login", data={"username": "qian.amr", "password": STAFF_PASSWORD})
    assert "otpauth://" not in again.text  # enrolled: no secret shown again


@pytest.mark.parametrize(
    ("body", "chinese", "english"),
    [
        (
            b"foo,bar\r\n1,2\r\n",
            "表头缺少每一行都需要的列：item, document_number, subject_id",
            "The header lacks columns every row needs: item, document_number, subject_id",
        ),
        (b"", "文件中没有数据行。", "The file has no data rows."),
        (
            b"\xff\xfe\x00",
            "文件不是 UTF-8 编码的文本（约第 1 行）",
            "The file is not UTF-8 text (near line 1)",
        ),
    ],
)
def test_an_upload_whose_header_or_text_is_wrong_is_refused_before_any_row(
    client: TestClient, body: bytes, chinese: str, english: str
) -> None:
    """A header that names no column of the catalog was taken as a batch: "Complete: 1 rows",
    with a row of "is required" errors. The upload is now read through first, as the API
    reads a body: nothing is stored and the page says what is wrong with the file."""
    me = sign_in(client, "sun.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    before = len(_audit_tags(client))
    for language, said in (("zh", chinese), ("en", english)):
        sent = client.post(
            "/console/batches",
            params={"lang": language},
            data={"csrf": me.csrf},
            files={"file": ("penalties.csv", body, "text/csv")},
            follow_redirects=False,
        )
        assert sent.status_code == 422, sent.text
        assert said in sent.text
    assert not [t for t, _ in _audit_tags(client)[before:] if t == EventTag.BATCH_OPENED]


def test_a_department_uploads_a_batch_with_bad_rows_and_downloads_the_error_report(
    client: TestClient,
) -> None:
    me = sign_in(client, "sun.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    good = penalty_row(subject_id=citizen_id(born=date(1980, 1, 1)))
    bad = penalty_row(subject_id="110105194912310021")  # a wrong check digit
    formula = penalty_row(subject_id=citizen_id(born=date(1981, 1, 1)), decision_date="=1+2")
    columns = list(good)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in (good, bad, formula):
        writer.writerow(row)
    sent = client.post(
        "/console/batches",
        data={"csrf": me.csrf},
        files={"file": ("penalties.csv", out.getvalue().encode(), "text/csv")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    url = sent.headers["location"]
    progress: dict[str, Any] = {}
    for _ in range(400):  # the worker thread commits the batch beside the server
        progress = client.get(f"{url}/progress").json()
        if progress["done"]:
            break
    assert progress == {"rows": 3, "total": 3, "done": True, "rejected": 2}
    shown = client.get(url)
    assert "下载错误报告" in shown.text
    report = client.get(f"{url}/errors.csv")
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "reason", "code"]
    assert sorted(int(r[0]) for r in rows[1:]) == [2, 3]
    # The reason's stable code beside its words, the same in every language.
    assert {r[1]: r[3] for r in rows[1:]} == {
        "subject_id": "invalid_citizen_id",
        "decision_date": "not_a_date",
    }
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    assert "110105194912310021" not in report.text
    # Each reason in the page's language; the field stays the column's name in the file.
    reasons = {r[1]: r[2] for r in rows[1:]}
    assert reasons == {
        "subject_id": "不是有效的公民身份号码：校验码不正确",
        "decision_date": "应为日期，格式为 YYYY-MM-DD。",
    }
    assert "不是有效的公民身份号码：校验码不正确" in shown.text
    assert "not a valid" not in shown.text
    english = client.get(url, params={"lang": "en"})
    assert "not a valid citizen ID number: the check character is wrong." in english.text
    assert "不是有效" not in english.text
    report = client.get(f"{url}/errors.csv")  # the language the reader chose, remembered
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "reason", "code"]
    assert {r[1]: r[2] for r in rows[1:]} == {
        "subject_id": "not a valid citizen ID number: the check character is wrong.",
        "decision_date": "must be a date as YYYY-MM-DD.",
    }
    assert {r[1]: r[3] for r in rows[1:]} == {
        "subject_id": "invalid_citizen_id",
        "decision_date": "not_a_date",
    }


def test_an_implementing_department_checks_and_gives_feedback(
    client: TestClient, court: Headers
) -> None:
    number = citizen_id(born=date(1970, 7, 7))
    submit(client, court, debtor_row(subject_id=number, subject_name="李建国"))
    assert record_listing(client, court, number).status_code == 201
    me = sign_in(client, "zhou.caac", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    ran = client.post(
        "/console/checks",
        data={"number": number, "matter": "flight", "csrf": me.csrf},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    location = ran.headers["location"]
    assert number not in location
    page = client.get(location)
    assert number not in page.text
    measure = page.text.split('name="measure" value="')[1].split('"')[0]
    unexplained = client.post(
        f"{location}/feedback", data={"measure": measure, "applied": "no", "csrf": me.csrf}
    )
    assert unexplained.status_code == 422
    assert "请写明适用的措施未实施的原因。" in unexplained.text  # not only "操作未能完成"
    invalid = client.post(
        "/console/checks", data={"number": "123", "matter": "flight", "csrf": me.csrf}
    )
    assert invalid.status_code == 422
    assert "这不是有效的公民身份号码或统一社会信用代码" in invalid.text
    given = client.post(
        f"{location}/feedback", data={"measure": measure, "applied": "yes", "csrf": me.csrf}
    )
    assert given.status_code == 200
    assert "已反馈" in given.text
    refused = client.get("/console/batches")
    assert refused.status_code == 403
    assert ("staff:page_refused", {"scope": "records:write", "page": "/console/batches"}) in [
        (t, d) for t, d in _audit_tags(client)
    ]


def test_the_centre_forwards_and_decides_an_objection_and_sees_it_on_a_chart(
    client: TestClient, amr: Headers
) -> None:
    person = sign_up(client, citizen_id(born=date(1975, 5, 5)), "王秀英")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="王秀英"))
    objection = object_to(client, person, record)["id"]
    me = sign_in(client, "wu.centre", Role.CREDIT_CENTRE)
    queues = client.get("/console/queues")
    assert f"/console/objections/{objection}" in queues.text
    forwarded = client.post(f"/console/objections/{objection}/forward", data={"csrf": me.csrf})
    assert "已转来源部门处理" in forwarded.text
    decided = client.post(
        f"/console/objections/{objection}/decide",
        data={"outcome": "correct", "reasons": "经核实，已更正", "csrf": me.csrf},
    )
    assert "予以更正" in decided.text
    stats = client.get("/console/statistics")
    assert stats.status_code == 200
    assert stats.text.count("<svg") >= 4
    assert '<h2 id="cases-heading">异议与信用修复的按期办结情况</h2>' in stats.text
    figures = client.get("/console/statistics/cases.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(figures)))
    assert rows[0] == ["kind", "on_time", "late", "open_overdue", "open"]
    assert rows[1] == ["objection", "1", "0", "0", "0"]
    assert '<h2 id="regions-heading">各地区工作评价</h2>' in stats.text
    regions = client.get("/console/statistics/regions.csv").content.decode("utf-8-sig")
    [header, beijing] = list(csv.reader(io.StringIO(regions)))
    assert header[:3] == ["region", "publicity_on_time", "publicity_late"]
    assert beijing[0] == "110000 北京市"
    assert beijing[header.index("objections_on_time")] == "1"
    english = client.get("/console/statistics", params={"lang": "en"})
    assert '<h2 id="cases-heading">Objections and repairs handled on time</h2>' in english.text
    assert '<h2 id="regions-heading">Each region&#39;s work</h2>' in english.text

    # The person takes the decision to court: the centre records it, and the record is marked
    # again until the final decision (said in the page's language when the form is wrong).
    url = f"/console/objections/{objection}/challenge?lang=zh"
    wrong = client.post(
        url, data={"kind": "litigation", "reference": "号 " + person.number, "csrf": me.csrf}
    )
    assert wrong.status_code == 422
    assert "案号中不能填写身份号码。" in wrong.text
    assert person.number not in wrong.text
    challenged = client.post(
        url, data={"kind": "litigation", "reference": "（2026）京0105行初9号", "csrf": me.csrf}
    )
    assert challenged.status_code == 200, challenged.text
    assert "复议或诉讼中，保持异议标注" in challenged.text
    assert "行政诉讼 （2026）京0105行初9号" in challenged.text
    assert "记录最终决定" in challenged.text  # the form for the final decision
    english = client.get(f"/console/objections/{objection}", params={"lang": "en"})
    assert "Under reconsideration or in court; still marked" in english.text
    assert public_record(client, record)["under_objection"] is True


def test_the_source_stops_and_resumes_an_objections_clock_from_its_console(
    client: TestClient, amr: Headers, staff: Headers, clock: Clock
) -> None:
    person = sign_up(client, citizen_id(born=date(1977, 7, 7)), "孙丽")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="孙丽"))
    objection = object_to(client, person, record)["id"]
    assert client.post(f"/api/v1/objections/{objection}/forwarding", headers=staff).is_success
    me = sign_in(client, "zhou.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    page = client.get(f"/console/objections/{objection}?lang=zh")
    assert "暂停计算期限" in page.text
    paused = client.post(
        f"/console/objections/{objection}/pause", data={"kind": "expert_review", "csrf": me.csrf}
    )
    assert paused.status_code == 200, paused.text
    assert "专家评审，期间不计入办理期限" in paused.text
    assert "恢复计算期限" in paused.text
    [mine] = client.get("/api/v1/me/objections", headers=person.headers).json()
    assert (mine["pause_kind"], mine["overdue"]) == ("expert_review", False)  # the person sees it
    clock.advance(days=7)  # past the source's day: its clock stands still, not overdue
    me = sign_in(client, "wang.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")  # a week later
    cases = client.get("/console/cases?lang=zh")
    row = cases.text[cases.text.index(f"/console/objections/{objection}") :].split("</tr>")[0]
    assert "期限暂停" in row
    assert "已逾期" not in row
    resumed = client.post(f"/console/objections/{objection}/resume", data={"csrf": me.csrf})
    assert resumed.status_code == 200, resumed.text
    assert "期间不计入办理期限" not in resumed.text
    english = client.get(f"/console/objections/{objection}", params={"lang": "en"})
    assert "Stop the clock" in english.text


def test_a_form_without_its_token_does_nothing_and_a_step_taken_twice_shows_the_page_again(
    client: TestClient, amr: Headers
) -> None:
    person = sign_up(client, citizen_id(born=date(1976, 6, 6)), "赵敏")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="赵敏"))
    objection = object_to(client, person, record)["id"]
    me = sign_in(client, "qian.centre", Role.CREDIT_CENTRE)
    url = f"/console/objections/{objection}/forward"
    forged = client.post(url, data={"csrf": "0" * 32})
    assert forged.status_code == 403
    assert "表单已过期" in forged.text
    assert "已转来源部门处理" not in client.get(f"/console/objections/{objection}").text
    assert client.post(url, data={"csrf": me.csrf}).status_code == 200
    again = client.post(url, data={"csrf": me.csrf})
    assert again.status_code == 409
    assert f"异议 {objection}" in again.text  # the objection's page, with why nothing was done
    assert 'role="alert"' in again.text
    client.cookies.clear()
    nobody = client.post(url, data={"csrf": me.csrf}, follow_redirects=False)
    assert (nobody.status_code, nobody.headers["location"]) == (303, "/console/login")


def test_the_centre_reviews_the_courts_published_list_row_by_row(
    client: TestClient, amr: Headers
) -> None:
    from tests.unit.test_court_list import NUMBER, published_row, same_mask_other_birthday

    submit(client, amr, penalty_row(subject_id=NUMBER, subject_name="张某某"))
    twin = same_mask_other_birthday(NUMBER)
    submit(client, amr, penalty_row(subject_id=twin, subject_name="张某"))
    first, second = import_court_rows(
        client,
        [published_row(), published_row(iname="刘某", caseCode="（2026）京0105执9号")],
    )
    me = sign_in(client, "he.centre", Role.CREDIT_CENTRE)
    queues = client.get("/console/queues").text
    assert '法院失信名单待核对 <span class="count">2</span>' in queues
    listed = client.get("/console/court-candidates")
    assert listed.status_code == 200
    assert f"/console/court-candidates/{first}" in listed.text
    assert f"/console/court-candidates/{second}" in listed.text
    page = client.get(f"/console/court-candidates/{first}")
    assert page.status_code == 200
    assert NUMBER not in page.text
    assert twin not in page.text
    assert page.text.count(NUMBER[:10] + "****" + NUMBER[14:]) >= 3  # the row and both persons
    assert "姓名与本平台记载的不一致。" in page.text  # the twin's name
    assert "the name differs" not in page.text
    english = client.get(f"/console/court-candidates/{first}", params={"lang": "en"})
    assert "The name differs from the person&#39;s." in english.text
    assert "姓名" not in english.text
    client.get(f"/console/court-candidates/{first}", params={"lang": "zh"})  # back to Chinese
    url = f"/console/court-candidates/{first}"
    persons = {
        subject: bool(flagged)
        for flagged, subject in re.findall(
            r'<tr class="person( overdue-row)?[^"]*" data-subject="(\d+)"', page.text
        )
    }
    assert sorted(persons.values()) == [False, True]  # one agrees, the twin's name differs
    consistent = next(s for s, flagged in persons.items() if not flagged)
    inconsistent = next(s for s, flagged in persons.items() if flagged)
    unexplained = client.post(f"{url}/confirm", data={"subject_id": inconsistent, "csrf": me.csrf})
    assert unexplained.status_code == 422
    assert "请写明理由。" in unexplained.text
    confirmed = client.post(f"{url}/confirm", data={"subject_id": consistent, "csrf": me.csrf})
    assert confirmed.status_code == 200
    assert '<dd id="status">已确认为本平台记载的人员</dd>' in confirmed.text
    twice = client.post(f"{url}/reject", data={"reasons": "不是本人", "csrf": me.csrf})
    assert twice.status_code == 409
    assert "这条法院名单记录已经核对过了。" in twice.text
    flagged = client.get(f"/console/court-candidates/{second}")
    assert "案号对应" in flagged.text  # a Beijing case number from a court in Anhui
    rejected = client.post(
        f"/console/court-candidates/{second}/reject",
        data={"reasons": "案号与法院不符，待法院更正。", "csrf": me.csrf},
    )
    assert '<dd id="status">已排除</dd>' in rejected.text
    assert "没有待核对的法院名单记录。" in client.get("/console/court-candidates").text
    decided = [d for t, d in _audit_tags(client) if t == "court_list:candidate_decided"]
    assert [d["decision"] for d in decided] == ["confirmed", "rejected"]
    client.post("/console/logout", data={"csrf": me.csrf})
    sign_in(client, "feng.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    assert client.get("/console/court-candidates").status_code == 403


def test_a_department_user_may_not_open_the_centres_pages(client: TestClient) -> None:
    sign_in(client, "zheng.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    for path in ("/console/queues", "/console/statistics", "/console/statistics/cases.csv"):
        assert client.get(path).status_code == 403
    refused = [d for t, d in _audit_tags(client) if t == EventTag.STAFF_REFUSED.value]
    assert len(refused) == 3


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("@x", "'@x"), ("-2", "'-2"), ("ok", "ok")],
)
def test_csv_cells_a_spreadsheet_would_run_are_escaped(value: str, cell: str) -> None:
    assert safe_cell(value) == cell
