"""Evidence files reach the officials a case is routed to, and only them: the credit centre and
the department that holds the case list and download them (by API and in the console), every
download audited; another department is told the case does not exist, and that refusal is
audited too. The case's page names what it is about, not a bare record number."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.factories import citizen_id, penalty_row
from tests.functional.consoles import sign_in
from tests.functional.helpers import Headers, Person, object_to, sign_up, submit
from xinyong.domain.access import Role
from xinyong.domain.policy import Policy

PDF = b"%PDF-1.4 the enforcement court's certificate of performance"
PHOTO = b"\x89PNG\r\n\x1a\n a photograph of the receipt"


def _audited(client: TestClient, tag: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from xinyong.db.audit import AuditEventRow

    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        rows = uow.session.scalars(select(AuditEventRow).where(AuditEventRow.tag == tag))
        return [
            {"actor": r.actor, "object": r.entity_id, "reason": r.reason, **dict(r.data or {})}
            for r in rows
        ]


def _objection_with_files(client: TestClient, amr: Headers) -> tuple[Person, int, list[int]]:
    person = sign_up(client, citizen_id(born=date(1979, 9, 9)), "刘芳")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="刘芳"))
    objection = int(object_to(client, person, record)["id"])
    ids = []
    for name, content, kind in (
        ("履行证明.pdf", PDF, "application/pdf"),
        ("receipt.png", PHOTO, "image/png"),
    ):
        added = client.post(
            f"/api/v1/me/objections/{objection}/evidence",
            files={"file": (name, content, kind)},
            headers=person.headers,
        )
        assert added.status_code == 201, added.text
        ids.append(int(added.json()["id"]))
    return person, objection, ids


def test_the_centre_and_the_source_department_read_the_evidence_and_each_read_is_audited(
    client: TestClient, amr: Headers, staff: Headers
) -> None:
    _, objection, (pdf, photo) = _objection_with_files(client, amr)

    listed = client.get(f"/api/v1/objections/{objection}/evidence", headers=staff)
    assert listed.status_code == 200, listed.text
    assert [(f["id"], f["filename"], f["content_type"]) for f in listed.json()] == [
        (pdf, "履行证明.pdf", "application/pdf"),
        (photo, "receipt.png", "image/png"),
    ]
    for headers in (staff, amr):
        got = client.get(f"/api/v1/objections/{objection}/evidence/{pdf}", headers=headers)
        assert got.status_code == 200, got.text
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["cache-control"] == "no-store"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="pdf"')  # no ASCII letters left
        assert f"filename*=UTF-8''{quote('履行证明.pdf')}" in disposition
    reads = _audited(client, "evidence:read")
    assert [(r["object"], r["case"], r["department"]) for r in reads] == [
        (str(pdf), f"objection:{objection}", None),
        (str(pdf), f"objection:{objection}", "BJ-AMR"),
    ]


def test_another_department_is_told_the_case_does_not_exist_and_the_refusal_is_audited(
    client: TestClient, amr: Headers, court: Headers
) -> None:
    _, objection, (pdf, _) = _objection_with_files(client, amr)
    for url in (
        f"/api/v1/objections/{objection}/evidence",
        f"/api/v1/objections/{objection}/evidence/{pdf}",
    ):
        refused = client.get(url, headers=court)
        assert refused.status_code == 404, url
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert PDF.decode() not in refused.text
    assert _audited(client, "evidence:read") == []
    refusals = _audited(client, "mandate:refused")
    assert [(r["object"], r["department"]) for r in refusals] == [
        ("evidence:list", "BJ-HCOURT"),
        ("evidence:read", "BJ-HCOURT"),
    ]

    # A file of another case is not reached through this case's address.
    _, second, _ = _objection_with_files(client, amr)
    crossed = client.get(f"/api/v1/objections/{second}/evidence/{pdf}", headers=amr)
    assert crossed.status_code == 404
    assert crossed.json()["detail"] == f"evidence file {pdf} does not exist"


def test_the_console_lists_the_files_of_a_case_and_downloads_them_for_its_department(
    client: TestClient, amr: Headers, policy: Policy
) -> None:
    _, objection, (pdf, photo) = _objection_with_files(client, amr)
    item = policy.catalog.get("ADM-PEN-01")
    assert item is not None

    sign_in(client, "he.centre", Role.CREDIT_CENTRE)
    shown = client.get(f"/console/objections/{objection}")
    assert shown.status_code == 200
    assert f'<dd id="about">{item.name_zh}（文书号 京市监罚〔2026〕' in shown.text
    assert "记录 " not in shown.text  # what the case is about, by name
    assert (
        f'href="/console/objections/{objection}/evidence/{pdf}" download>履行证明.pdf' in shown.text
    )
    assert "PNG 图片" in shown.text
    english = client.get(f"/console/objections/{objection}", params={"lang": "en"})
    assert f'<dd id="about">{item.name_en} (document 京市监罚〔2026〕' in english.text
    assert "PNG image" in english.text
    photo_file = client.get(f"/console/objections/{objection}/evidence/{photo}")
    assert photo_file.status_code == 200
    assert (photo_file.content, photo_file.headers["content-type"]) == (PHOTO, "image/png")

    sign_in(client, "he.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    assert client.get(f"/console/objections/{objection}/evidence/{pdf}").content == PDF

    sign_in(client, "he.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    elsewhere = client.get(f"/console/objections/{objection}/evidence/{pdf}", params={"lang": "zh"})
    assert elsewhere.status_code == 404
    assert "<h1>未找到</h1>" in elsewhere.text

    sign_in(client, "he.airline", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    no_role = client.get(f"/console/objections/{objection}/evidence/{pdf}")
    assert no_role.status_code == 403
    assert PDF.decode() not in no_role.text

    reads = _audited(client, "evidence:read")
    assert [(r["department"], r["object"]) for r in reads] == [
        (None, str(photo)),
        ("BJ-AMR", str(pdf)),
    ]
    assert reads[0]["actor"] != reads[1]["actor"]  # each staff user by their own account
    assert [r["department"] for r in _audited(client, "mandate:refused")] == ["BJ-HCOURT"]
