"""The person's report over HTTP, printed by the platform's print workers as the server runs."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import citizen_id, penalty_row
from tests.functional.conftest import ClientFactory, KeyFor
from tests.functional.helpers import (
    Headers,
    auth,
    check,
    masked,
    object_to,
    report,
    sign_up,
    squashed,
    submit,
)
from xinyong.db.reports import IssuedReportRow
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import CHINA_TIME
from xinyong.services import reports
from xinyong.services.pdf import PdfUnavailable


def test_the_report_pdf_comes_from_the_print_workers_as_xinyong_serve_prints_it(
    make_client: ClientFactory, amr: Headers
) -> None:
    client = make_client(pdf_processes=1)
    number = citizen_id(born=date(1983, 2, 1))
    submit(client, amr, penalty_row(subject_id=number, subject_name="周芳"))
    person = sign_up(client, number, "周芳")
    pdf = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
    if pdf.status_code == 503:
        pytest.skip(f"PDF rendering unavailable here: {pdf.json()['detail']}")
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["cache-control"] == "no-store"


def test_the_report_is_read_and_issued_in_a_print_worker_not_on_the_servers_interpreter(
    make_client: ClientFactory,
    amr: Headers,
    clock: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gathering a report (a dozen queries and their Python) held the checks' tail up as much as
    printing it did: with print workers the server's interpreter does neither. A server whose own
    gathering would fail still serves the PDF, and the worker registers and logs the report at
    the server's moment."""
    client = make_client(pdf_processes=1)
    number = citizen_id(born=date(1983, 2, 1))
    submit(client, amr, penalty_row(subject_id=number, subject_name="周芳"))
    person = sign_up(client, number, "周芳")

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report was gathered on the server's interpreter")

    monkeypatch.setattr(reports, "_gather", not_here)
    pdf = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
    if pdf.status_code == 503:
        pytest.skip(f"PDF rendering unavailable here: {pdf.json()['detail']}")
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    stamp = clock().astimezone(CHINA_TIME).date().isoformat()
    assert pdf.headers["content-disposition"] == f'attachment; filename="report-{stamp}.pdf"'
    log = client.get("/api/v1/me/queries", headers=person.headers)
    assert log.status_code == 200, log.text
    own = [q for q in log.json()["items"] if q["kind"] == "report"]
    assert [datetime.fromisoformat(q["at"]) for q in own] == [clock()]


def test_a_print_worker_that_dies_gives_a_503_problem_and_the_next_pdf_prints(
    make_client: ClientFactory, amr: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A print worker that dies (a crash in a C library, the kernel's out-of-memory killer) never
    hangs the request nor takes the server with it: the PDF is refused with problem details, and
    the workers start again for the next one."""
    client = make_client(pdf_processes=1)
    number = citizen_id(born=date(1983, 2, 1))
    submit(client, amr, penalty_row(subject_id=number, subject_name="周芳"))
    person = sign_up(client, number, "周芳")
    platform = client.app.state.platform  # type: ignore[attr-defined]
    workers = platform.print_workers(job=dying_once)
    monkeypatch.setattr(platform, "printer", lambda: workers)
    try:
        died = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
        again = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
    finally:
        workers.close()
    assert died.status_code == 503, died.text
    assert died.headers["content-type"] == "application/problem+json"
    assert "stopped while printing" in died.json()["detail"]
    assert number not in died.text
    assert again.status_code == 200, again.text
    assert again.content.startswith(b"%PDF-fake")
    assert client.get("/healthz").status_code == 200
    # The report the dead worker had registered never left: it is withdrawn, audited, and
    # its read not logged; only the printed one is in the register and the person's log.
    with platform.uow() as uow:
        issued = uow.session.scalars(select(IssuedReportRow.number)).all()
        assert uow.audit.count(EventTag.REPORT_WITHDRAWN.value) == 1
        assert uow.audit.count(EventTag.REPORT_READ.value) == 2
    assert len(issued) == 1
    log = client.get("/api/v1/me/queries", headers=person.headers).json()["items"]
    assert len([q for q in log if q["kind"] == "report"]) == 1


def test_a_report_whose_print_fails_is_withdrawn_from_the_register_and_never_verifies(
    make_client: ClientFactory, amr: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Printed in the server's own process too (no print workers): a print that fails leaves no
    registered report behind for the verification page to confirm, and no logged read."""
    client = make_client(pdf_processes=0)
    number = citizen_id(born=date(1983, 2, 1))
    submit(client, amr, penalty_row(subject_id=number, subject_name="周芳"))
    person = sign_up(client, number, "周芳")
    platform = client.app.state.platform  # type: ignore[attr-defined]

    def unavailable(html: str, stylesheet: str = "") -> bytes:
        raise PdfUnavailable("no Pango here")

    monkeypatch.setattr(platform, "printer", lambda: unavailable)
    refused = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
    assert refused.status_code == 503, refused.text
    with platform.uow() as uow:
        assert uow.session.scalars(select(IssuedReportRow.number)).all() == []
        assert uow.audit.count(EventTag.REPORT_WITHDRAWN.value) == 1
    log = client.get("/api/v1/me/queries", headers=person.headers).json()["items"]
    assert [q for q in log if q["kind"] == "report"] == []


def dying_once(html: str, stylesheet: str) -> bytes:
    """A print job whose first print kills its worker (a marker file remembers it died)."""
    marker = Path(tempfile.gettempdir()) / f"xinyong-dying-once-{os.getppid()}"
    if not marker.exists():
        marker.touch()
        os._exit(3)
    marker.unlink()
    return b"%PDF-fake"


def test_the_address_a_report_prints_confirms_it_and_shows_none_of_its_content(
    make_client: ClientFactory, amr: Headers
) -> None:
    """The report prints an address at which anyone holding it checks its number and code; the
    page there confirms the report (when, for whom, masked) and says nothing of what it holds."""
    client = make_client()
    number = citizen_id(born=date(1983, 2, 1))
    row = penalty_row(subject_id=number, subject_name="周芳", violation="销售超过保质期的食品")
    submit(client, amr, row)
    person = sign_up(client, number, "周芳")
    report = client.get("/api/v1/me/report", params={"format": "html"}, headers=person.headers)
    assert report.status_code == 200, report.text
    [address] = re.findall(r"https?://[^\s<\"]+/portal/public/reports\?[^\s<\"]+", report.text)
    printed = urlsplit(html.unescape(address))
    shown = client.get(f"{printed.path}?{printed.query}")
    assert shown.status_code == 200, shown.text
    assert 'id="verified"' in shown.text
    assert masked(number) in shown.text
    assert "周*" in shown.text
    assert number not in shown.text
    for content in (str(row["document_number"]), str(row["violation"]), "5000"):
        assert content not in shown.text
    assert "no-store" not in shown.headers.get("cache-control", "")  # public: nothing private

    query = dict(parse_qsl(printed.query))
    for wrong in (
        {**query, "code": "AAAA-AAAA-AAAA-AAAA"},
        {**query, "number": "GR20260101000000ABCDEF"},
    ):
        refused = client.get("/portal/public/reports", params=wrong)
        assert refused.status_code == 200
        assert 'id="not-verified"' in refused.text
        assert 'id="verified"' not in refused.text
    # An ID number typed into the wrong box is not shown back.
    typed = client.get("/portal/public/reports", params={"number": number, "code": "x"})
    assert 'id="not-verified"' in typed.text
    assert number not in typed.text
    english = client.get(f"{printed.path}?{printed.query}&lang=en")
    assert "Confirmed: this platform issued" in english.text


@pytest.mark.parametrize("processes", [0, 1], ids=["in the server", "in a print worker"])
def test_a_report_prints_the_links_of_the_platforms_own_public_address(
    make_client: ClientFactory, amr: Headers, tmp_path: Path, processes: int
) -> None:
    """The report's links (the portal, the verification page, the query log) used to name
    http://127.0.0.1:8000 whatever address the platform was served at: they come from
    XINYONG_PUBLIC_URL, in the HTML, the JSON and the PDF (read and printed in a worker too)."""
    base = "https://credit.example.gov.cn:9443/xinyong"
    client = make_client(public_url=base + "/", pdf_processes=processes)
    number = citizen_id(born=date(1983, 2, 1))
    submit(client, amr, penalty_row(subject_id=number, subject_name="周芳"))
    person = sign_up(client, number, "周芳")
    page = client.get("/api/v1/me/report", params={"format": "html"}, headers=person.headers)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert f"{base}/portal/" in text
    [verify] = re.findall(r"https?://[^\s<\"]+/portal/public/reports\?[^\s<\"]+", text)
    assert verify.startswith(f"{base}/portal/public/reports?number=GR")
    assert "127.0.0.1" not in text
    assert ":8000" not in text
    channel = client.get("/api/v1/me/report", headers=person.headers).json()["channel"]
    assert (channel["portal"], channel["query_log"]) == (
        f"{base}/portal/",
        f"{base}/portal/me/queries",
    )
    pdf = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
    if pdf.status_code == 503:
        pytest.skip(f"PDF rendering unavailable here: {pdf.json()['detail']}")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("poppler-utils is not installed: the PDF's text cannot be read")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    printed = "".join(
        subprocess.run(
            [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "credit.example.gov.cn:9443/xinyong/portal/" in printed
    assert "127.0.0.1" not in printed


def test_the_query_log_names_who_looked_never_a_key_or_an_account(
    client: TestClient, amr: Headers, key_for: KeyFor
) -> None:
    number = citizen_id(born=date(1980, 4, 4))
    submit(client, amr, penalty_row(subject_id=number, subject_name="王秀英"))
    person = sign_up(client, number, "王秀英")
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    assert check(client, centre, number, "flight") is not None  # the centre's own key
    report(client, person)  # the person reads their own file
    log = client.get("/api/v1/me/queries", headers=person.headers).json()["items"]
    by_kind = {q["kind"]: q["who"] for q in log}
    assert by_kind == {"check": "平台工作人员", "report": "本人查询"}
    assert not any(q["who"].startswith(("key:", "account:", "staff:")) for q in log)
    assert [q["who"] for q in report(client, person)["queries"] if q["kind"] == "check"] == [
        "平台工作人员"
    ]


APPROVAL = {
    "reasons": "需调取原始执法案卷核对",
    "approved_by": "北京市市场监督管理局法制处",
    "approval_reference": "京市监法〔2026〕15号",
}


@pytest.mark.parametrize("processes", [0, 1], ids=["in the server", "in a print worker"])
def test_a_report_names_an_objections_extension_and_its_approval_in_either_language(
    make_client: ClientFactory, amr: Headers, staff: Headers, tmp_path: Path, processes: int
) -> None:
    """The API and the portal showed the person why and on whose approval their objection's
    deadline moved; the report they download (JSON, HTML, PDF) showed only the later date."""
    client = make_client(pdf_processes=processes)
    number = citizen_id(born=date(1977, 4, 4))
    record = submit(client, amr, penalty_row(subject_id=number, subject_name="陈静"))
    person = sign_up(client, number, "陈静")
    objection = object_to(client, person, record)["id"]
    url = f"/api/v1/objections/{objection}"
    assert client.post(f"{url}/forwarding", headers=staff).status_code == 200
    extended = client.post(f"{url}/extension", json=APPROVAL, headers=amr)
    assert extended.status_code == 200, extended.text
    due = date.fromisoformat(extended.json()["due"])

    [case] = [c for c in report(client, person)["cases"] if c["kind"] == "objection"]
    assert case["due"] == str(due)
    assert case["extension"] == {
        "due": str(due),
        "due_official": extended.json()["due_official"],
        **APPROVAL,
    }
    said = {}
    for lang in ("zh", "en"):
        page = client.get(
            "/api/v1/me/report", params={"format": "html", "lang": lang}, headers=person.headers
        )
        assert page.status_code == 200, page.text
        said[lang] = html.unescape(page.text.split(f'id="extension-{objection}">')[1])
        said[lang] = said[lang].split("</tr>")[0]
    assert f"延长至{due.year}年{due.month}月{due.day}日" in said["zh"]
    assert f"批准人：{APPROVAL['approved_by']}" in said["zh"]
    assert f"批准文号：{APPROVAL['approval_reference']}" in said["zh"]
    assert f"延长理由：{APPROVAL['reasons']}" in said["zh"]
    assert f"extended with approval to {due.isoformat()}" in said["en"]
    assert f"Approved by: {APPROVAL['approved_by']}" in said["en"]
    assert f"Approval reference: {APPROVAL['approval_reference']}" in said["en"]

    pdf = client.get(
        "/api/v1/me/report", params={"format": "pdf", "lang": "zh"}, headers=person.headers
    )
    if pdf.status_code == 503:
        pytest.skip(f"PDF rendering unavailable here: {pdf.json()['detail']}")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("poppler-utils is not installed: the PDF's text cannot be read")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    printed = squashed(
        subprocess.run(
            [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    for text in (
        f"延长至{due.year}年{due.month}月{due.day}日",
        f"批准人：{APPROVAL['approved_by']}",
        f"批准文号：{APPROVAL['approval_reference']}",
        f"延长理由：{APPROVAL['reasons']}",
    ):
        assert squashed(text) in printed, text
