"""The portal in a real browser (Debian's Chromium driven by Playwright; nothing is downloaded).

A person logs in, sees their records and who looked at them, objects to a record from the page,
sees the record marked at once, and downloads their PDF report.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import citizen_id, open_account, penalty_row
from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.policy import load_policy
from xinyong.services import departments
from xinyong.services.records import submit_record

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on a fresh SQLite file with one person who has a record and an account."""
    folder = tmp_path_factory.mktemp("portal")
    url = f"sqlite:///{folder / 'portal.db'}"
    engine = make_engine(url)
    upgrade(engine)
    uow = lambda: SqlUnitOfWork(make_session_factory(engine))  # noqa: E731
    policy = load_policy()
    departments.sync_departments(uow(), policy.departments, actor="test")
    number = citizen_id()
    submit_record(uow(), policy, penalty_row(subject_id=number), department="BJ-AMR", actor="t")
    open_account(uow, policy, number=number, name="王秀英", password=PASSWORD)
    engine.dispose()
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
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - our own server
            break
        except OSError:
            time.sleep(0.1)
    yield base, number
    server.terminate()
    server.wait(timeout=30)


def test_a_person_logs_in_objects_and_downloads_the_report(
    site: tuple[str, str], tmp_path: Path
) -> None:
    base, number = site
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(accept_downloads=True)
        page.goto(base + "/portal/me")
        assert page.url.endswith("/portal/login")  # no session: sent to log in
        assert "登录" in page.inner_text("h1")  # Chinese by default, and only Chinese
        assert "Log in" not in page.inner_text("body")
        page.click("text=English")  # the switch is remembered for the next pages
        assert page.inner_text("h1") == "Log in"
        assert "登录" not in page.inner_text("main")

        page.fill("#number", number)
        page.fill("#password", "wrong password")
        page.click("button[type=submit]")
        assert "wrong" in page.locator("[role=alert]").inner_text()
        assert number not in page.content()  # the number is never echoed

        page.fill("#number", number)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/portal/me")
        assert "王秀英" in page.inner_text("h1")
        assert number not in page.content()  # shown masked only
        row = page.locator("tbody tr[id^=record-]").first
        assert "under objection" not in row.inner_text()

        row.locator("summary").click()
        row.locator("textarea").fill("The fine was annulled on review; the decision is attached.")
        row.locator("button[type=submit]").click()
        page.wait_for_url("**/portal/me?filed=*")
        assert "Objection" in page.locator("[role=status]").inner_text()
        assert "under objection" in page.locator("tbody tr[id^=record-]").first.inner_text()
        assert "own report" in page.content()  # reading the file is in its own query log

        with page.expect_download() as download:
            page.click("#pdf")
        saved = tmp_path / "report.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")

        page.click("text=Log out")
        page.goto(base + "/portal/me")
        assert page.url.endswith("/portal/login")
        browser.close()
