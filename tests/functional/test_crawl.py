"""Every portal and public page, fetched by an anonymous visitor and by a signed-in person, and
every console page, fetched by a user of each staff role, in both languages: no page shows a full
citizen ID number (a person sees their own only masked; staff see numbers masked)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.factories import citizen_id, debtor_row, penalty_row, serious_penalty_row
from tests.functional.consoles import import_court_rows, sign_in
from tests.functional.helpers import Headers, masked, record_listing, register, submit
from tests.functional.test_portal import person
from tests.unit.test_court_list import NUMBER, published_row
from xinyong.domain.access import Role
from xinyong.domain.identifiers import InvalidIdentifier, parse_citizen_id

#: Anything shaped like a second-generation citizen ID number.
SHAPE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


def full_numbers(text: str) -> set[str]:
    """The well-formed citizen ID numbers a text shows in full (the project's own check, not
    python-stdnum's, which refuses region codes by birth year)."""
    found = set()
    for candidate in SHAPE.findall(text):
        try:
            found.add(parse_citizen_id(candidate).number)
        except InvalidIdentifier:
            continue
    return found


def _pages(client: TestClient, ids: dict[str, int]) -> list[str]:
    """Every GET page of the portal, its path parameters filled with the person's own ids."""
    pages = []
    schema = client.app.openapi()  # type: ignore[attr-defined]
    for route, operations in schema["paths"].items():
        if not route.startswith("/portal") or "get" not in operations:
            continue
        path = route
        for name, value in ids.items():
            path = path.replace(f"{{{name}}}", str(value))
        assert "{" not in path, f"no id to fill in {route}"
        pages.append(path)
    assert len(pages) >= 14
    # The search's other views: listings, one list, a term.
    pages += [
        "/portal/public?kind=lists",
        "/portal/public?list=COURT-DEBTORS",
        "/portal/public?q=李**",
    ]
    return sorted(pages)


def _in(page: str, lang: str) -> str:
    """The page in a language (its own query kept: `params=` would replace it)."""
    return f"{page}{'&' if '?' in page else '?'}lang={lang}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_shows_a_full_id_number_to_anyone(
    client: TestClient, amr: Headers, court: Headers, lang: str
) -> None:
    own = citizen_id(born=date(1976, 6, 16))
    record = submit(client, amr, penalty_row(subject_id=own, subject_name="王秀英"))
    others = [citizen_id(born=date(1961, 1, 1)), citizen_id(born=date(1962, 2, 2))]
    for number in others:
        submit(client, court, debtor_row(subject_id=number, subject_name="李建国"))
        entry = record_listing(client, court, number).json()["id"]
        client.post(f"/api/v1/lists/entries/{entry}/publication", headers=court)
    submit(
        client,
        amr,
        penalty_row(violation=f"当事人（身份证号 {others[0]}）销售过期食品", subject_id=own),
    )
    sent = client.post(
        "/portal/public/tipoff",
        data={
            "topic": "tax",
            "subject_name": "张三",
            "subject_number": others[1],
            "account": f"{others[1]} 虚开发票",
        },
    )
    assert not full_numbers(sent.text)
    everyone = {own, *others}

    anonymous_seen: dict[str, int] = {}
    for page in _pages(client, {"objection_id": 1}):
        shown = client.get(_in(page, lang))
        assert shown.status_code < 500, page
        assert not full_numbers(shown.text) & everyone, page
        anonymous_seen[page] = shown.status_code
    assert anonymous_seen["/portal/public"] == 200
    for number in (own, *others):
        searched = client.post("/portal/public/search", data={"q": number})
        assert not full_numbers(searched.text)
        assert not full_numbers(searched.headers.get("location", ""))

    token = person(client, own, "王秀英")
    filing = {"record_id": record, "ground": "error_or_omission", "reasons": "有误", "csrf": token}
    filed = client.post("/portal/me/objections", data=filing, follow_redirects=False)
    objection = int(filed.headers["location"].split("/")[-1].split("?")[0])
    for page in _pages(client, {"objection_id": objection}):
        shown = client.get(_in(page, lang))
        assert shown.status_code == 200, page
        assert not full_numbers(shown.text), page
    mine = client.get("/portal/me", params={"lang": lang}).text
    assert masked(own) in mine


def _console_pages(client: TestClient, ids: dict[str, object]) -> list[str]:
    """Every GET page of the consoles (PDF documents aside), path parameters filled in."""
    pages = []
    schema = client.app.openapi()  # type: ignore[attr-defined]
    for route, operations in schema["paths"].items():
        if not route.startswith("/console") or "get" not in operations or route.endswith(".pdf"):
            continue
        path = route
        for name, value in ids.items():
            path = path.replace(f"{{{name}}}", str(value))
        assert "{" not in path, f"no id to fill in {route}"
        pages.append(path)
    assert len(pages) >= 14
    return sorted(pages)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_console_page_shows_a_full_id_number_to_any_role(
    client: TestClient, amr: Headers, court: Headers, lang: str
) -> None:
    own = citizen_id(born=date(1977, 7, 17))
    other = citizen_id(born=date(1966, 6, 6))
    record = submit(
        client,
        amr,
        serious_penalty_row(violation=f"当事人（身份证号 {other}）销售过期食品", subject_id=own),
    )
    submit(client, court, debtor_row(subject_id=other, subject_name="李建国"))
    record_listing(client, court, other)
    proposed = client.post(
        "/api/v1/lists/proposals",
        json={
            "list_type": "FOOD-DRUG-SERIOUS",
            "subject": own,
            "grounds": f"屡次销售过期食品（{other}）",
            "basis_records": [record],
        },
        headers=amr,
    )
    assert proposed.status_code == 201, proposed.text
    entry = proposed.json()["id"]
    token = person(client, own, "王秀英")
    filing = {
        "record_id": record,
        "ground": "error_or_omission",
        "reasons": f"有误，当事人应为 {other}",
        "csrf": token,
    }
    filed = client.post("/portal/me/objections", data=filing, follow_redirects=False)
    objection = int(filed.headers["location"].split("/")[-1].split("?")[0])
    register(client, citizen_id(born=date(1990, 1, 9)), "新用户")
    # A row of the court's published list, and the person it may be (the centre's review).
    submit(client, amr, penalty_row(subject_id=NUMBER, subject_name="张某某"))
    (candidate,) = import_court_rows(client, [published_row(age="30")])

    everyone = {own, other, NUMBER}
    ids: dict[str, object] = {
        "candidate_id": candidate,
        "objection_id": objection,
        "repair_id": 1,
        "entry_id": entry,
        "batch_id": 1,
        "check_id": 1,
        "evidence_id": 1,  # none filed: a download is a file, not a page to crawl
        "key": "records",
    }
    for username, role, department in (
        ("crawl.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR"),
        ("crawl.caac", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC"),
        ("crawl.centre", Role.CREDIT_CENTRE, None),
    ):
        me = sign_in(client, username, role, department)
        if role is Role.SOURCE_DEPARTMENT:
            body = "item,subject_id\nADM-PEN-01," + other + "\n"
            client.post(
                "/console/batches",
                data={"csrf": me.csrf},
                files={"file": ("rows.csv", body.encode(), "text/csv")},
            )
        if role is Role.IMPLEMENTING_DEPARTMENT:
            client.post(
                "/console/checks", data={"number": other, "matter": "flight", "csrf": me.csrf}
            )
        seen = {}
        for page in _console_pages(client, ids):
            shown = client.get(_in(page, lang))
            assert shown.status_code in (200, 403, 404), (username, page, shown.status_code)
            assert not full_numbers(shown.text) & everyone, (username, page)
            seen[page] = shown.status_code
        assert seen["/console/"] == 200
        review = f"/console/court-candidates/{candidate}"
        assert seen[review] == (200 if role is Role.CREDIT_CENTRE else 403), username
        client.post("/console/logout", data={"csrf": me.csrf})
    anonymous = [
        client.get(_in(p, lang), follow_redirects=False) for p in _console_pages(client, ids)
    ]
    assert all(r.status_code in (200, 303) for r in anonymous)
    assert not any(full_numbers(r.text) & everyone for r in anonymous)
