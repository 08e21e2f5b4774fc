"""The public's pages: search of what is published (by name, masked number or credit code; by
region, category and list type; a page at a time), exemplars, list criteria and the measure
registry, in either language; a full ID number never travels in an address or comes back."""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from tests.factories import citizen_id, debtor_row, penalty_row
from tests.functional.conftest import KeyFor
from tests.functional.helpers import Headers, auth, masked, record_listing, sign_up, submit
from tests.functional.test_portal import english_only
from xinyong.domain.access import ROLE_SCOPES, Role


def _search(client: TestClient, **form: str) -> tuple[str, str]:
    """Post the search form as a browser does; (the address it was sent to, the page)."""
    sent = client.post("/portal/public/search", data=form, follow_redirects=False)
    assert sent.status_code == 303
    location = sent.headers["location"]
    return location, client.get(location).text


def test_a_search_by_a_full_number_goes_to_its_masked_form_and_finds_the_published_record(
    client: TestClient, amr: Headers
) -> None:
    number = citizen_id(region="310101", born=date(1964, 3, 3))
    submit(client, amr, penalty_row(subject_id=number, subject_name="王秀英"))
    submit(client, amr, penalty_row(subject_name="王秀英"))  # same name, another person
    location, page = _search(client, q=number)
    assert number not in unquote(location)
    assert masked(number) in unquote(location)
    assert number not in page
    assert page.count("<tr>") == 1 + 1  # the heading and the one record
    assert masked(number) in page
    assert "王**" in page
    assert "王秀英" not in page

    typed = client.get("/portal/public", params={"q": number}, follow_redirects=False)
    assert typed.status_code == 303  # a full number in the address: sent to its masked form
    assert number not in unquote(typed.headers["location"])

    by_name = client.get("/portal/public", params={"q": "王秀英"}).text
    assert by_name.count("<tr>") == 1 + 2  # matched as published: 王**, both of them
    by_mask = client.get("/portal/public", params={"q": "王**"}).text
    assert by_mask.count("<tr>") == 1 + 2
    nobody = client.get("/portal/public", params={"q": "王秀"}).text
    assert "没有符合条件的公示信息" in nobody  # 王* is another length


@pytest.mark.parametrize("typed", ["王秀英 {}", "身份证{}", "{}号 王秀英"])
def test_a_full_number_typed_beside_a_name_never_reaches_an_address_or_the_page(
    client: TestClient, typed: str
) -> None:
    number = citizen_id(region="310101", born=date(1964, 3, 3))
    q = typed.format(number)
    answered = client.post("/portal/public/search", data={"q": q}, follow_redirects=False)
    assert answered.status_code == 422  # answered where it was posted: no address holds it
    assert "location" not in answered.headers
    assert number not in answered.text
    assert "〔号码已隐去〕" in answered.text
    assert "姓名和身份号码请分开查询" in answered.text
    directly = client.get("/portal/public", params={"q": q})
    assert directly.status_code == 422
    assert number not in directly.text


def test_a_search_the_form_cannot_take_is_answered_in_the_forms_language(
    client: TestClient,
) -> None:
    number = citizen_id(region="310101", born=date(1964, 3, 3))
    client.cookies.clear()  # a visitor on ?lang=en whose browser keeps no language cookie
    english = client.get("/portal/public", params={"lang": "en"}).text
    assert '<input type="hidden" name="lang" value="en">' in english  # the form carries it
    client.cookies.clear()
    answered = client.post("/portal/public/search", data={"q": f"王秀英 {number}", "lang": "en"})
    assert answered.status_code == 422
    assert '<html lang="en">' in answered.text
    assert "Search by a name or by an ID number, one at a time" in answered.text
    assert "姓名和身份号码请分开查询" not in answered.text
    assert number not in answered.text
    # Its language switch leads to the search page, which a link can fetch (the form's address
    # takes only the form).
    [switch] = re.findall(r'<a href="([^"]+)" lang="zh-Hans"', answered.text)
    assert switch.startswith("/portal/public?")
    assert client.get(html.unescape(switch)).status_code == 200


def test_filters_by_region_category_and_list_and_pages_through_results(
    client: TestClient, amr: Headers, court: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        submit(client, amr, penalty_row(subject_id=citizen_id(region="310101")))
    submit(client, amr, penalty_row(subject_id=citizen_id(region="110105")))
    debtor = citizen_id(region="110105", born=date(1960, 1, 1))
    submit(client, court, debtor_row(subject_id=debtor, subject_name="李建国"))
    listing = record_listing(client, court, debtor).json()["id"]
    client.post(f"/api/v1/lists/entries/{listing}/publication", headers=court)

    shanghai = client.get("/portal/public", params={"region": "31"}).text
    assert shanghai.count("<tr>") == 1 + 3
    judicial = client.get("/portal/public", params={"category": "judicial"}).text
    assert judicial.count("<tr>") == 1 + 1
    assert "李**" in judicial
    listed = client.get("/portal/public", params={"list": "COURT-DEBTORS"}).text
    assert "失信被执行人名单" in listed
    assert masked(debtor) in listed
    assert debtor not in listed

    monkeypatch.setattr("xinyong.web.portal.public.PER_PAGE", 2)  # three results: two pages
    first = client.get("/portal/public", params={"region": "31"}).text
    assert "第 1 页，共 2 页" in first
    assert 'href="/portal/public?region=31&amp;kind=records&amp;page=2"' in first
    second = client.get("/portal/public", params={"region": "31", "page": 2}).text
    assert second.count("<tr>") == 1 + 1


def test_the_search_hints_example_has_the_shape_the_pages_show_and_the_search_finds(
    client: TestClient, amr: Headers
) -> None:
    number = citizen_id(region="320826", born=date(2004, 5, 6))
    submit(client, amr, penalty_row(subject_id=number, subject_name="王秀英"))
    form = client.get("/portal/public").text
    example = re.search(r"或“([\dX*]+)”", form)
    assert example is not None
    shown = masked(number)  # as the results show it
    assert re.sub(r"[\dX]", "0", example.group(1)) == re.sub(r"[\dX]", "0", shown)
    found = client.get("/portal/public", params={"q": shown})
    assert found.text.count("<tr>") == 1 + 1
    short = f"{number[:6]}****{number[14:]}"  # the birth year hidden too: no published shape
    for lang, told in (
        ("zh", "请按公示的形式输入身份号码：前 10 位、4 个星号和后 4 位"),
        ("en", "Enter the number as it is published"),
    ):
        refused = client.get("/portal/public", params={"q": short, "lang": lang})
        assert refused.status_code == 422
        assert told in refused.text
        assert re.search(r'id="q"[^>]*aria-invalid="true"', refused.text)


@pytest.mark.parametrize(
    ("params", "field", "told"),
    [
        ({"region": "99"}, "region", "请从列表中选择地区。"),
        ({"category": "gossip"}, "category", "请从列表中选择信息类别。"),
        ({"list": "NO-SUCH-LIST"}, "list_type", "请从列表中选择名单。"),
        ({"q": "11010519491231002Y"}, "q", "身份号码或统一社会信用代码不正确。"),
    ],
)
def test_a_filter_that_names_nothing_is_told_beside_its_field(
    client: TestClient, params: dict[str, str], field: str, told: str
) -> None:
    page = client.get("/portal/public", params={**params, "lang": "zh"})
    assert page.status_code == 422
    assert told in page.text
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.text)
    assert "11010519491231002Y" not in page.text


def test_exemplars_show_published_good_credit_entries_but_not_refused_ones(
    client: TestClient, key_for: KeyFor
) -> None:
    civil = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-CIVIL"))
    shown, refusing = citizen_id(born=date(1990, 1, 2)), citizen_id(born=date(1991, 2, 3))
    entries = {}
    for number, name, document in ((shown, "张志愿", "00017"), (refusing, "赵谦", "00018")):
        submit(client, civil, _honour(number, name, document))
        entries[number] = record_listing(client, civil, number, "GOOD-VOLUNTEER").json()["id"]
        client.post(f"/api/v1/lists/entries/{entries[number]}/publication", headers=civil)
    person = sign_up(client, refusing, "赵谦")
    refused = client.post(
        f"/api/v1/me/list-entries/{entries[refusing]}/refusal", headers=person.headers
    )
    assert refused.status_code == 200, refused.text

    page = client.get("/portal/public/exemplars", params={"lang": "zh"}).text
    assert "张**" in page
    assert "赵*" not in page
    assert page.count("<tr>") == 1 + 1
    english = client.get("/portal/public/exemplars", params={"lang": "en"})
    assert "Exceptional volunteers" in english.text
    english_only(english, ("张**", "北京市民政局"))


def _honour(number: str, name: str, document: str) -> dict[str, object]:
    return {
        "item": "HON-VOL-01",
        "document_number": f"京民表〔2026〕{document}号",
        "subject_id": number,
        "subject_name": name,
        "decision_date": "2026-10-15",
        "authority_name": "北京市民政局",
        "authority_uscc": "1111000000002108XF",
        "honour_title": "优秀志愿者",
        "level": "municipal",
    }


def test_list_criteria_and_the_measure_registry_are_told_in_plain_words(client: TestClient) -> None:
    criteria = client.get("/portal/public/lists", params={"lang": "zh"}).text
    assert "失信被执行人名单" in criteria
    assert "拒不履行法定义务，严重影响司法机关和行政机关公信力" in criteria
    assert "《中华人民共和国民事诉讼法》" in criteria
    assert "refusing_legal_obligations" not in criteria
    english = client.get("/portal/public/lists", params={"lang": "en"}).text
    assert "List of dishonest judgment debtors" in english
    assert "quoted in their original language (Chinese)" in english
    assert "a fixed period, extendable by law: 24 months; extendable by up to 36 months" in english
    told = "".join(re.findall(r'<dl class="facts">(.*?)</dl>', english, re.S))  # not the law
    assert "may refuse to have it recorded" in told
    assert not re.search("[：；，。（）]", told), re.findall("[：；，。（）]", told)
    assert "：24 个月；最多延长 36 个月" in criteria
    registry = client.get("/portal/public/measures", params={"lang": "zh"}).text
    assert "限制乘坐飞机" in registry
    assert "依法限制或者禁止" in registry
    assert "乘坐民用航空器（购买机票）" in registry
    english_registry = client.get("/portal/public/measures", params={"lang": "en"}).text
    assert "No flights" in english_registry
    assert "Buying a flight ticket" in english_registry
    assert "restriction by law" in english_registry


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_public_page_renders_in_each_language(client: TestClient, lang: str) -> None:
    for page in (
        "/",  # the site's front door too
        "/portal/",
        "/portal/login",
        "/portal/register",
        "/portal/public",
        "/portal/public/exemplars",
        "/portal/public/tipoff",
    ):
        shown = client.get(page, params={"lang": lang})
        assert shown.status_code == 200, page
        assert f'<html lang="{"zh-Hans" if lang == "zh" else "en"}">' in shown.text
        assert '<link rel="icon" href="/static/favicon.svg"' in shown.text, page
        if lang == "en":
            english_only(shown)


def test_the_api_documentation_is_served_from_packaged_files_without_a_cdn(
    client: TestClient,
) -> None:
    for page, assets in (
        ("/docs", ("/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css")),
        ("/redoc", ("/static/redoc/redoc.standalone.js",)),
    ):
        html = client.get(page)
        assert html.status_code == 200
        assert "http://" not in html.text
        assert "https://" not in html.text  # no CDN, no web fonts, no validator
        for asset in assets:
            assert asset in html.text
            served = client.get(asset)
            assert served.status_code == 200
            assert len(served.content) > 100_000
    for licence in ("/static/swagger-ui/LICENSE", "/static/redoc/LICENSE"):
        assert client.get(licence).status_code == 200
    portal = client.get("/portal/").text
    assert "http" not in portal.split("<body>")[0]  # the stylesheet is ours too


def test_the_sites_icon_is_packaged_and_answers_where_browsers_look(client: TestClient) -> None:
    for address in ("/favicon.ico", "/static/favicon.svg"):
        icon = client.get(address)
        assert icon.status_code == 200, address
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.content.startswith(b"<svg")
    console = client.get("/console/login").text
    assert '<link rel="icon" href="/static/favicon.svg"' in console
