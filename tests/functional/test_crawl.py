"""Every portal and public page, fetched by an anonymous visitor and by a signed-in person, in
both languages: no page shows a full citizen ID number (a person sees their own only masked)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.factories import citizen_id, debtor_row, penalty_row
from tests.functional.helpers import Headers, masked, record_listing, submit
from tests.functional.test_portal import person
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
