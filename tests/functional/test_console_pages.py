"""What the consoles' pages show a department and the centre: a not-found answered as a page in
the reader's language (and the API's naming the id it did not find), the listing steps and
documents offered only where the rules allow them (a refusal told in the page's language and
audited), and departments and matters by their names, never their codes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row
from tests.functional.consoles import sign_in
from tests.functional.helpers import Headers, object_to, record_listing, sign_up, submit
from xinyong.domain.access import Role


def _audited(client: TestClient, tag: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from xinyong.db.audit import AuditEventRow

    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        rows = uow.session.scalars(select(AuditEventRow).where(AuditEventRow.tag == tag))
        return [{"reason": r.reason, **dict(r.data or {})} for r in rows]


def test_a_missing_id_is_named_by_the_api_and_a_page_in_the_consoles(
    client: TestClient, every_scope: Headers
) -> None:
    batch = client.get("/api/v1/batches/99999", headers=every_scope)
    assert batch.status_code == 404
    assert batch.headers["content-type"].startswith("application/problem+json")
    assert batch.json()["detail"] == "batch 99999 does not exist"
    entry = client.get("/api/v1/lists/entries/99999", headers=every_scope)
    assert entry.json()["detail"] == "list entry 99999 does not exist"

    me = sign_in(client, "zhou.caac", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    for path in ("/console/checks/999999", "/console/no-such-page"):
        chinese = client.get(path, params={"lang": "zh"})
        assert chinese.status_code == 404, path
        assert chinese.headers["content-type"].startswith("text/html")
        assert "<h1>未找到</h1>" in chinese.text
        assert "zhou.caac 测试" in chinese.text  # the signed-in user's page
        english = client.get(path, params={"lang": "en"})
        assert english.status_code == 404
        assert "<h1>Not found</h1>" in english.text
    given = {"measure": "M-COURT-FLIGHT", "applied": "yes", "csrf": me.csrf}
    feedback = client.post("/console/checks/999999/feedback", data=given)
    assert feedback.status_code == 404
    assert "<h1>Not found</h1>" in feedback.text  # in the language chosen last


def test_a_courts_listing_has_no_platform_decision_and_is_published_only_in_its_period(
    client: TestClient, court: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1968, 8, 8))
    submit(client, court, debtor_row(subject_id=number, subject_name="李建国"))
    entry = record_listing(client, court, number).json()["id"]
    refused = client.get(f"/api/v1/lists/entries/{entry}/decision", headers=court)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "COURT-DEBTORS is decided by a court, whose own documents are served;"
        " the platform issues no listing decision for it"
    )

    sign_in(client, "qian.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    listings = client.get("/console/listings")
    assert f"/console/listings/{entry}/publish" in listings.text
    assert f"/console/listings/{entry}/decision.pdf" not in listings.text
    english = client.get(f"/console/listings/{entry}/notice.pdf", params={"lang": "en"})
    assert (english.status_code, "<h1>Cannot be done</h1>" in english.text) == (409, True)
    assert "the platform issues no notice or decision for it" in english.text
    by_hand = client.get(f"/console/listings/{entry}/decision.pdf", params={"lang": "zh"})
    assert by_hand.status_code == 409
    assert by_hand.headers["content-type"].startswith("text/html")  # a page, not the API's JSON
    assert "<h1>无法办理</h1>" in by_hand.text
    assert "本平台不出具告知书或决定书" in by_hand.text

    clock.advance(days=365 * 2)  # 2028-11: the two years decided on 2026-10-15 have run out
    me = sign_in(client, "sun.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")  # a new session
    ended = client.get("/console/listings")
    assert "李建国" in ended.text  # still in its procedure, until the sweep ends it
    assert f"/console/listings/{entry}/publish" not in ended.text
    published = client.post(f"/console/listings/{entry}/publish", data={"csrf": me.csrf})
    assert published.status_code == 409
    assert "这条名单信息的期限已于 2028年10月15日 届满，不再公示。" in published.text
    assert [(a["step"], a["reason"]) for a in _audited(client, "listing:refused")] == [
        ("publish", "this listing's period ended on 2028-10-15; it is no longer published")
    ]
    english = client.post(
        f"/console/listings/{entry}/publish", params={"lang": "en"}, data={"csrf": me.csrf}
    )
    assert "no longer published" in english.text
    by_api = client.post(f"/api/v1/lists/entries/{entry}/publication", headers=court)
    assert by_api.status_code == 409
    assert "2028-10-15" in by_api.json()["detail"]


def test_departments_and_matters_are_shown_by_their_names(
    client: TestClient, amr: Headers, court: Headers
) -> None:
    number = citizen_id(born=date(1970, 7, 7))
    submit(client, court, debtor_row(subject_id=number, subject_name="李建国"))
    assert record_listing(client, court, number).status_code == 201
    me = sign_in(client, "zhou.caac", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    ran = client.post(
        "/console/checks", data={"number": number, "matter": "flight", "csrf": me.csrf}
    )
    assert "<dd>乘坐民用航空器（购买机票）</dd>" in ran.text
    assert "<dd>flight</dd>" not in ran.text
    english = client.get(ran.url.path, params={"lang": "en"})
    assert "<dd>Buying a flight ticket</dd>" in english.text

    person = sign_up(client, citizen_id(born=date(1975, 5, 5)), "王秀英")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="王秀英"))
    objection = object_to(client, person, record)["id"]
    sign_in(client, "wu.centre", Role.CREDIT_CENTRE)
    queues = client.get("/console/queues")
    assert "北京市市场监督管理局" in queues.text
    assert ">BJ-AMR<" not in queues.text
    case = client.get(f"/console/objections/{objection}")
    assert "<dd>北京市市场监督管理局</dd>" in case.text
    assert "BJ-AMR" not in case.text


def test_the_listings_in_their_procedure_are_paged_and_the_queue_counts_them_all(
    client: TestClient, court: Headers, monkeypatch: Any
) -> None:
    """The listing page stopped at 200 rows and the queue's count said 200 with about 500 in
    the procedure: the ones after the 200th could not be reached."""
    from xinyong.web.console import listings

    monkeypatch.setattr(listings, "PAGE_SIZE", 2)
    for year in (1961, 1962, 1963):
        number = citizen_id(born=date(year, 6, 6))
        submit(client, court, debtor_row(subject_id=number, subject_name="李建国"))
        assert record_listing(client, court, number).status_code == 201
    sign_in(client, "wu.centre", Role.CREDIT_CENTRE)
    first = client.get("/console/listings")
    assert first.status_code == 200
    assert "共 3 条" in first.text
    assert "第 1 页，共 2 页" in first.text
    second = client.get("/console/listings", params={"page": 2})
    assert "第 2 页，共 2 页" in second.text
    shown = {
        entry
        for page in (first.text, second.text)
        for entry in re.findall(r'<td data-label="条目">(\d+)</td>', page)
    }
    assert len(shown) == 3  # every entry on some page, none twice
    queue = client.get("/console/queues")
    assert '名单认定 <span class="count">3</span>' in queue.text
