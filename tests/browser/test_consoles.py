"""The consoles in a real browser (Debian's Chromium driven by Playwright; nothing is downloaded).

Staff users are created as the credit centre creates them (`xinyong staff add`) and log in with
a password and the code of their authenticator. One department user (BJ-AMR's mandate covers
submitting and checking: the user holds both roles) uploads a batch with bad rows, reads why in
Chinese and downloads the error report, runs a check and gives feedback on the measure it
returned; a centre user forwards and decides an objection before its deadline, sees it on a
chart, and reviews a row of the court's published list.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.browser.test_portal import CHROMIUM, _history, site_server
from tests.factories import citizen_id, penalty_row
from tests.unit.test_court_list import NUMBER, published_row
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.policy import load_policy
from xinyong.services import court_candidates, objections
from xinyong.services.records import submit_record

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)

STAFF_PASSWORD = "a console password"


@dataclass(frozen=True)
class Consoles:
    base: str
    listed: str  # a person with a volunteer honour (a reward applies to permits)
    objection: int
    candidate: int  # a row of the court's published list, for review
    secrets: dict[str, str]  # username → TOTP secret


def add_staff(url: str, username: str, roles: tuple[str, ...], department: str | None) -> str:
    """`xinyong staff add`, as the credit centre runs it; the printed TOTP secret."""
    args = [sys.executable, "-m", "xinyong", "staff", "add", username, "--name", username]
    for role in roles:
        args += ["--role", role]
    args += ["--department", department] if department else []
    done = subprocess.run(
        args,
        input=STAFF_PASSWORD + "\n",  # the password never on the command line
        env={**os.environ, "XINYONG_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"TOTP secret: (\w+)", done.stdout)
    assert found, done.stdout
    return found.group(1)


def _objection(url: str, number: str) -> int:
    """The listed person objects to their record (as on the portal)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with SqlUnitOfWork(factory) as u:
        subject = u.subjects.get_by_number(number)
        assert subject is not None
        subject_id = subject.id or 0
        (record, *_) = u.records.of_subject(subject_id)
    filed = objections.file_objection(
        SqlUnitOfWork(factory),
        load_policy(),
        subject_id=subject_id,
        record_id=record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons="处罚决定书记载的违法事实有误。",
        actor="account:1",
    )
    engine.dispose()
    return filed.id or 0


def _court_row(url: str) -> int:
    """A row of the court's published list imported for review, and the person it means."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    policy = load_policy()
    row = penalty_row(subject_id=NUMBER, subject_name="张某某")
    submit_record(SqlUnitOfWork(factory), policy, row, department="BJ-AMR", actor="t")
    text = json.dumps(published_row(), ensure_ascii=False)
    court_candidates.import_court_list(SqlUnitOfWork(factory), text, actor="test")
    (candidate,) = court_candidates.open_candidates(SqlUnitOfWork(factory))
    engine.dispose()
    return candidate.id or 0


@pytest.fixture(scope="module")
def consoles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consoles]:
    folder = tmp_path_factory.mktemp("consoles")
    url = f"sqlite:///{folder / 'consoles.db'}"
    _debtor, _newcomer, listed = _history(url)
    objection = _objection(url, listed)
    candidate = _court_row(url)
    users = {
        # BJ-AMR submits penalties and checks before it grants permits: one user does both.
        "amr.clerk": (("source_department", "implementing_department"), "BJ-AMR"),
        "centre.li": (("credit_centre",), None),
        "centre.zhao": (("credit_centre",), None),  # the court list's reviewer
    }
    secrets = {name: add_staff(url, name, *how) for name, how in users.items()}
    with site_server(url) as base:
        yield Consoles(base, listed, objection, candidate, secrets)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def watched(page: Any) -> list[str]:
    """What the page's content security policy refused (nothing, on every console page)."""
    refusals: list[str] = []
    page.on(
        "console",
        lambda m: refusals.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return refusals


def log_in(page: Any, consoles: Consoles, username: str) -> None:
    """Password, then the code; at the first login the page shows the enrolment's QR code."""
    page.goto(consoles.base + "/console/login")
    page.fill("#username", username)
    page.fill("#password", STAFF_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/login/code")
    assert page.locator(".qr svg").count() == 1
    assert "otpauth://totp/xinyong:" in page.inner_text("code.uri")
    page.fill("#code", pyotp.TOTP(consoles.secrets[username]).now())
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/")


def test_one_department_user_uploads_bad_rows_downloads_the_report_checks_and_gives_feedback(
    consoles: Consoles, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page(accept_downloads=True)
    refusals = watched(page)
    log_in(page, consoles, "amr.clerk")
    rows = [
        penalty_row(subject_id=citizen_id(born=date(1982, 2, 2))),
        penalty_row(subject_id="110105194912310021"),  # a wrong check character
        penalty_row(subject_id=citizen_id(born=date(1983, 3, 3)), fine_amount="lots"),
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload = tmp_path / "penalties.csv"
    upload.write_text(out.getvalue(), encoding="utf-8")
    page.click("nav.subnav >> text=批量上报")
    page.set_input_files("#file", str(upload))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/batches/\d+$"))
    page.wait_for_selector("text=下载错误报告（CSV）")  # the page follows the progress
    assert page.inner_text("#rejected") == "2"
    reasons = page.locator("table.stack tbody").inner_text()
    assert "不是有效的公民身份号码：校验码不正确" in reasons  # in the page's language
    assert "应为数字。" in reasons
    assert "must be" not in reasons
    with page.expect_download() as download:
        page.click("text=下载错误报告（CSV）")
    saved = tmp_path / "errors.csv"
    download.value.save_as(saved)
    report = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert report[0] == ["row", "field", "reason", "code"]
    assert sorted(int(r[0]) for r in report[1:]) == [2, 3]
    assert {r[1]: r[2] for r in report[1:]} == {
        "subject_id": "不是有效的公民身份号码：校验码不正确",
        "fine_amount": "应为数字。",
    }
    assert {r[1]: r[3] for r in report[1:]} == {
        "subject_id": "invalid_citizen_id",
        "fine_amount": "not_a_number",
    }
    assert "110105194912310021" not in saved.read_text(encoding="utf-8-sig")

    # The same user, without logging in again, checks before granting a permit.
    page.click("nav.subnav >> text=核查")
    page.fill("#number", consoles.listed)
    page.select_option("#matter", "administrative_permit")
    page.click("main form[action='/console/checks'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/checks/\d+$"))
    assert consoles.listed not in page.url
    assert consoles.listed not in page.content()
    measure = page.locator("section.measure").first
    measure.locator("input[value=yes]").check()
    measure.locator("button[type=submit]").click()
    page.wait_for_url("**?given=1")
    assert "已反馈：已实施" in page.inner_text("section.measure")
    assert refusals == []


def test_the_centre_forwards_and_decides_an_objection_before_its_deadline_and_sees_it_on_a_chart(
    consoles: Consoles, browser: Any
) -> None:
    page = browser.new_page()
    refusals = watched(page)
    log_in(page, consoles, "centre.li")
    page.click("nav.subnav >> text=待办队列")
    link = page.locator(f"a[href='/console/objections/{consoles.objection}']").first
    row = link.locator("xpath=ancestor::tr")
    assert "已逾期" not in row.inner_text()
    link.click()
    page.click("form[action$='/forward'] button")
    assert page.inner_text("#status") == "已转来源部门处理"
    page.select_option("#outcome-choice", "correct")
    page.fill("#reasons", "经与来源部门核实，已更正违法事实的记载。")
    page.click("form[action$='/decide'] button[type=submit]")
    assert "予以更正" in page.inner_text("#outcome")
    page.click("nav.subnav >> text=统计")
    chart = page.locator("#chart-cases")
    assert chart.count() == 1
    bars = chart.locator("rect > title").all_text_contents()
    assert "异议 · 按期办结: 1" in bars
    page.goto(consoles.base + "/console/statistics?lang=en")
    assert "Objections · Decided on time: 1" in page.locator("#chart-cases").inner_html()
    assert refusals == []


def test_the_centre_reviews_a_row_of_the_courts_published_list_and_confirms_the_person(
    consoles: Consoles, browser: Any
) -> None:
    page = browser.new_page()
    refusals = watched(page)
    log_in(page, consoles, "centre.zhao")
    page.click("nav.subnav >> text=法院失信名单核对")
    page.click(f"a[href='/console/court-candidates/{consoles.candidate}']")
    assert page.inner_text("#status") == "待核对"
    assert NUMBER not in page.content()
    person = page.locator("#persons tr.person").first
    assert "一致" in person.inner_text()
    assert "****" in person.locator("code").inner_text()
    page.locator("input[name=subject_id]").first.check()
    page.click("form[action$='/confirm'] button[type=submit]")
    page.wait_for_url(f"**/console/court-candidates/{consoles.candidate}")
    assert page.inner_text("#status") == "已确认为本平台记载的人员"
    assert page.locator("#persons tr.confirmed").count() == 1
    page.goto(consoles.base + f"/console/court-candidates/{consoles.candidate}?lang=en")
    assert page.inner_text("#status") == "Confirmed as a person the platform holds"
    assert refusals == []
