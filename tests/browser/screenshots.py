"""Take the portal's screenshots for docs/portal.md with Debian's Chromium (run by hand, not in CI):

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]

It builds a fresh SQLite platform with the browser tests' history (tests/browser/test_portal.py),
adds an objection and an authorisation for the person on the court's list, starts a server, and
saves PNGs of the public search, the person's file, the objection's timeline and the
authorisations, on a desktop screen and the file and search also on a phone-sized one; then the
consoles (docs/consoles.md): a department's batch with refused rows, a check, its cases on a phone,
the centre's queues and statistics, a row of the court's published list under review.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import Page, ViewportSize, sync_playwright

from tests.browser.test_consoles import (
    STAFF_PASSWORD,
    Consoles,
    _court_row,
    _objection,
    add_staff,
    log_in,
)
from tests.browser.test_portal import PASSWORD, _free_port, _history
from tests.factories import citizen_id, open_account, penalty_row
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault
from xinyong.domain.calendar import business_date
from xinyong.domain.policy import load_policy
from xinyong.services import authorisations, objections

ROOT = Path(__file__).resolve().parents[2]


def _more_history(url: str, debtor: str) -> None:
    """The listed person opens an account, objects to their record and authorises an agency."""
    engine = make_engine(url)
    uow = lambda: SqlUnitOfWork(make_session_factory(engine))  # noqa: E731
    policy = load_policy()
    account = open_account(uow, policy, number=debtor, name="李建国", password=PASSWORD)
    with uow() as u:
        (record,) = u.records.of_subject(account.subject_id)
        today = business_date(u.now())
    objections.file_objection(
        uow(),
        policy,
        subject_id=account.subject_id,
        record_id=record.id,
        entry_id=None,
        ground="not_removed_when_due",
        reasons="执行款已于2026年11月20日全部付清，应当删除失信信息。",
        actor=f"account:{account.id}",
    )
    for purpose, days in (("loan_approval", 90), ("guarantee_review", 30)):
        authorisations.grant_authorisation(
            uow(),
            policy,
            subject_id=account.subject_id,
            grantee="AGENCY-BAIHANG",
            purpose=purpose,
            scope="report",
            expires_on=today + timedelta(days=days),
            actor=f"account:{account.id}",
        )
    engine.dispose()


def _log_in(page: Page, base: str, number: str) -> None:
    page.goto(base + "/portal/login?lang=zh")
    page.fill("#number", number)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/me")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out: Path = parser.parse_args().out
    # Keys of its own (docs/at-rest.md), for this process and the server it starts.
    os.environ.setdefault("XINYONG_KEYS", json.dumps(vault.new_material()))
    vault.install(vault.Vault.from_material(json.loads(os.environ["XINYONG_KEYS"])))
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screens.db"
        debtor, _newcomer, listed = _history(url)
        _more_history(url, debtor)
        objection = _objection(url, listed)
        candidate = _court_row(url)
        secrets = {
            name: add_staff(url, name, roles, department)
            for name, roles, department in (
                ("amr.clerk", ("source_department", "implementing_department"), "BJ-AMR"),
                ("centre.li", ("credit_centre",), None),
            )
        }
        port = _free_port()
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "xinyong.web.app:create_app", "--factory"),
                *("--port", str(port), "--log-level", "warning"),
            ],
            env={**os.environ, "XINYONG_DATABASE_URL": url},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):  # a loaded machine starts slowly
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - ours
                    break
                except OSError:
                    time.sleep(0.1)
            _shoot(base, debtor, chromium, out)
            consoles = Consoles(base, listed, objection, candidate, secrets)
            _shoot_consoles(consoles, chromium, out, Path(folder))
            _list_pngs(out)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _shoot(base: str, debtor: str, chromium: str, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        desktop: ViewportSize = {"width": 1200, "height": 900}
        phone: ViewportSize = {"width": 390, "height": 844}
        for suffix, size in (("", desktop), ("-phone", phone)):
            page = browser.new_page(viewport=size, device_scale_factor=1)
            page.goto(base + "/portal/public?list=COURT-DEBTORS&lang=zh")
            page.screenshot(path=str(out / f"public-search{suffix}.png"), full_page=True)
            _log_in(page, base, debtor)
            page.screenshot(path=str(out / f"file{suffix}.png"), full_page=True)
            if suffix:
                continue
            page.goto(base + "/portal/me/objections/1")
            page.screenshot(path=str(out / "objection.png"), full_page=True)
            page.goto(base + "/portal/me/authorisations")
            page.screenshot(path=str(out / "authorisations.png"), full_page=True)
            page.goto(base + "/portal/me/objections/1?lang=en")
            page.screenshot(path=str(out / "objection-en.png"), full_page=True)
        browser.close()


def _shoot_consoles(consoles: Consoles, chromium: str, out: Path, folder: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
        page.goto(consoles.base + "/console/login?lang=zh")
        page.fill("#username", "amr.clerk")
        page.fill("#password", STAFF_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/console/login/code")
        page.screenshot(path=str(out / "console-enrol.png"), full_page=True)
        page.fill("#code", pyotp.TOTP(consoles.secrets["amr.clerk"]).now())
        page.click("main button[type=submit]")
        page.wait_for_url("**/console/")
        rows = [
            penalty_row(subject_id=citizen_id(born=date(1982, 2, 2))),
            penalty_row(subject_id="110105194912310021"),
            penalty_row(subject_id=citizen_id(born=date(1983, 3, 3)), fine_amount="lots"),
        ]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        upload = folder / "penalties.csv"
        upload.write_text(text.getvalue(), encoding="utf-8")
        page.goto(consoles.base + "/console/batches")
        page.set_input_files("#file", str(upload))
        page.click("main button[type=submit]")
        page.wait_for_selector("text=下载错误报告（CSV）")
        page.screenshot(path=str(out / "console-batch.png"), full_page=True)
        page.goto(consoles.base + "/console/checks")  # the same user checks too
        page.fill("#number", consoles.listed)
        page.select_option("#matter", "administrative_permit")
        page.click("main form[action='/console/checks'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/checks/\d+$"))
        page.screenshot(path=str(out / "console-check.png"), full_page=True)
        page.click("header button")
        log_in(page, consoles, "centre.li")
        page.goto(consoles.base + "/console/queues")
        page.screenshot(path=str(out / "console-queues.png"), full_page=True)
        page.goto(consoles.base + f"/console/objections/{consoles.objection}")
        page.click("form[action$='/forward'] button")
        page.select_option("#outcome-choice", "correct")
        page.fill("#reasons", "经与来源部门核实，已更正违法事实的记载。")
        page.click("form[action$='/decide'] button[type=submit]")
        page.goto(consoles.base + "/console/statistics")
        page.screenshot(path=str(out / "console-statistics.png"), full_page=True)
        page.goto(consoles.base + f"/console/court-candidates/{consoles.candidate}")
        page.screenshot(path=str(out / "console-court-list.png"), full_page=True)
        page.goto(consoles.base + "/console/statistics?lang=en")
        page.screenshot(path=str(out / "console-statistics-en.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(consoles.base + "/console/queues?lang=zh")
        phone.screenshot(path=str(out / "console-queues-phone.png"), full_page=True)
        browser.close()


def _list_pngs(out: Path) -> None:
    for png in sorted(out.glob("*.png")):
        print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)  # noqa: T201


if __name__ == "__main__":
    main()
