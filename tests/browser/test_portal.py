"""The portal in a real browser (Debian's Chromium driven by Playwright; nothing is downloaded).

The public finds a published listing, masked; a person registers, is verified at the counter
(staff run `xinyong accounts verify`), logs in, downloads the PDF report, objects to a record,
sees the objection's deadline and changes their password; a person states a defence within the
notice window and refuses a good-credit entry.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.factories import citizen_id, debtor_row, open_account, penalty_row, volunteer_row
from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.calendar import business_date
from xinyong.domain.policy import load_policy
from xinyong.services import decided_lists, departments, list_proposals
from xinyong.services import lists as listing
from xinyong.services.records import submit_record

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "lantern orchard quietly"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Site:
    base: str
    url: str  # the database, for the counter's command line
    debtor: str  # a person on the court's published list
    newcomer: str  # a person with a record and no account yet
    listed: str  # a person with a listing in its notice window and a volunteer honour


def _history(url: str) -> tuple[str, str, str]:
    """The platform's history before the browser arrives, made through its own use cases."""
    engine = make_engine(url)
    upgrade(engine)
    uow = lambda: SqlUnitOfWork(make_session_factory(engine))  # noqa: E731
    policy = load_policy()
    departments.sync_departments(uow(), policy.departments, actor="test")
    today = business_date(uow().now())

    debtor = citizen_id(born=date(1963, 3, 3))
    submit_record(
        uow(),
        policy,
        debtor_row(subject_id=debtor, subject_name="李建国", decision_date="2026-10-15"),
        department="BJ-HCOURT",
        actor="court",
    )
    decided_lists.record_court_listings(uow(), policy, actor="court-feed")
    with uow() as u:
        subject = u.subjects.get_by_number(debtor)
        assert subject is not None
        (entry,) = u.entries.of_subject(subject.id or 0, policy.list_types)
    listing.publish(uow(), policy, entry.id or 0, department="BJ-HCOURT", actor="court")

    newcomer = citizen_id(born=date(1985, 5, 5))
    submit_record(uow(), policy, penalty_row(subject_id=newcomer), department="BJ-AMR", actor="t")

    listed = citizen_id(born=date(1979, 9, 9))
    stored = submit_record(
        uow(),
        policy,
        penalty_row(subject_id=listed, subject_name="张志愿", fine_amount="80000"),  # serious
        department="BJ-AMR",
        actor="t",
    )
    proposal = list_proposals.propose(
        uow(),
        policy,
        list_code="FOOD-DRUG-SERIOUS",
        subject_number=listed,
        grounds="repeatedly sold food past its date",
        basis_records=[stored.record.id],
        department="BJ-AMR",
        actor="amr",
    )
    listing.serve_notice(uow(), policy, proposal.entry.id or 0, department="BJ-AMR", actor="amr")
    submit_record(
        uow(), policy, volunteer_row(subject_id=listed), department="BJ-CIVIL", actor="civil"
    )
    decided_lists.record_decided(
        uow(),
        policy,
        list_code="GOOD-VOLUNTEER",
        subject_number=listed,
        grounds="the bureau's designation",
        decided_on=min(today, date(2026, 10, 15)),
        months=None,
        department="BJ-CIVIL",
        actor="civil",
    )
    open_account(uow, policy, number=listed, name="张志愿", password=PASSWORD)
    engine.dispose()
    return debtor, newcomer, listed


@contextmanager
def site_server(url: str) -> Iterator[str]:
    """A server on the database at `url`; its base address while it runs."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "xinyong.web.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "XINYONG_DATABASE_URL": url},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # a loaded machine starts slowly
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - our own server
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on a fresh SQLite file with the history above."""
    folder = tmp_path_factory.mktemp("portal")
    url = f"sqlite:///{folder / 'portal.db'}"
    debtor, newcomer, listed = _history(url)
    with site_server(url) as base:
        yield Site(base, url, debtor, newcomer, listed)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def masked(number: str) -> str:
    return f"{number[:10]}****{number[14:]}"


def test_the_public_finds_a_published_listing_masked(site: Site, browser: Any) -> None:
    page = browser.new_page()
    page.goto(site.base + "/portal/public")
    assert page.inner_text("h1") == "公示信息查询"
    page.fill("#q", site.debtor)  # the full number: the search shows only its published form
    page.check("input[name=kind][value=lists]")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/portal/public?*")
    assert site.debtor not in page.url
    results = page.inner_text("#results")
    assert "失信被执行人名单" in results
    assert masked(site.debtor) in results
    assert "李**" in results
    assert site.debtor not in page.content()
    assert page.locator("#q").input_value() == masked(site.debtor)


def test_a_person_registers_is_verified_at_the_counter_logs_in_and_objects(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page(accept_downloads=True)
    page.goto(site.base + "/portal/register")
    page.fill("#number", site.newcomer)
    page.fill("#name", "王秀英")
    page.fill("#phone", "12345")  # wrong: told beside the field, the number not filled in again
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert "请填写 11 位手机号码。" in page.inner_text("#phone-error")
    assert page.locator("#number").input_value() == ""
    page.fill("#number", site.newcomer)
    page.fill("#phone", "138 0013 8000")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    received = page.inner_text("[role=status]")
    registration = re.search(r"(\d+)", received).group(1)  # type: ignore[union-attr]

    page.goto(site.base + "/portal/login")
    page.fill("#number", site.newcomer)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    assert "正在等待实名核验" in page.inner_text("[role=alert]")

    counter = subprocess.run(  # staff at the counter, the ID card in hand
        [
            sys.executable,
            "-m",
            "xinyong",
            "accounts",
            "verify",
            registration,
            "--name",
            "王秀英",
        ],
        input=site.newcomer + "\n",  # the number never on the command line
        env={**os.environ, "XINYONG_DATABASE_URL": site.url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert counter.returncode == 0, counter.stderr
    assert site.newcomer not in counter.stdout

    page.fill("#number", site.newcomer)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/me")
    assert "王秀英" in page.inner_text("h1")
    assert site.newcomer not in page.content()

    with page.expect_download() as download:
        page.click("#pdf")
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    row = page.locator("tbody tr[id^=record-]").first
    row.locator("summary").click()
    row.locator("select").select_option("error_or_omission")
    row.locator("textarea").fill("罚款已因复议被撤销，决定书附后。")
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/portal/me/objections/*")
    assert "异议已提交" in page.inner_text("[role=status]")
    due = page.inner_text("#due")
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", due), due
    assert "信用中心核查" in page.inner_text("#timeline")
    page.click("text=English")
    assert "Current deadline" in page.inner_text("main")
    assert re.search(r"\d{1,2} \w+ \d{4}", page.inner_text("#due"))

    # The password, changed from its own page: every session ends, this one too.
    page.goto(site.base + "/portal/me?lang=zh")
    page.click("nav.subnav >> text=修改密码")
    page.wait_for_url("**/portal/me/password")
    page.fill("#current_password", "not the password")
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password_again", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert page.locator("#current_password").get_attribute("aria-invalid") == "true"
    assert "当前密码不正确。" in page.inner_text("#current_password-error")
    assert page.locator("#new_password").input_value() == ""  # never filled in again
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password_again", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert "所有登录都已退出" in page.inner_text("[role=status]")
    page.goto(site.base + "/portal/me")
    page.wait_for_url("**/portal/login")
    page.fill("#number", site.newcomer)
    page.fill("#password", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/me")


def test_a_person_states_a_defence_and_refuses_a_good_credit_entry(
    site: Site, browser: Any
) -> None:
    page = browser.new_page()
    page.goto(site.base + "/portal/login?lang=zh")
    page.fill("#number", site.listed)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/me")
    page.click("text=名单与申辩")
    page.wait_for_url("**/portal/me/lists")
    assert "陈述申辩期限" in page.inner_text("main")

    defence = page.locator("form[action$='/defence']")
    defence.locator("textarea").fill("已全部下架并整改，请求不予列入。")
    defence.locator("button[type=submit]").click()
    assert "陈述申辩已提交" in page.inner_text("[role=status]")
    assert "已全部下架并整改" in page.inner_text("main")

    page.locator("form[action$='/refusal'] button[type=submit]").click()
    assert "已按您的意愿移出" in page.inner_text("[role=status]")
    assert page.locator("form[action$='/refusal']").count() == 0
    assert "本人拒绝" in page.inner_text("main")
