"""The person's pages over HTTP: one language at a time, registration and the counter, the file
(or that nothing is held), objections with their timeline and evidence, repairs, defences and
refusals, authorisations, the query log; forms need the session's token."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import (
    citizen_id,
    debtor_row,
    penalty_row,
    rail_row,
    serious_penalty_row,
    volunteer_row,
)
from tests.functional.conftest import KeyFor
from tests.functional.helpers import (
    AGENCY,
    PASSWORD,
    Headers,
    agency_query,
    auth,
    propose_food_listing,
    propose_listing,
    record_listing,
    register,
    submit,
    verify_at_counter,
)
from xinyong.domain.access import ROLE_SCOPES, Role

if TYPE_CHECKING:
    from httpx2 import Response

CHINESE = re.compile(r"[\u4e00-\u9fff]")
DOCUMENT_NUMBER = re.compile(r"京\S*?〔\d{4}〕\d+号")


def visible(response: Response) -> str:
    """The page's text a reader sees in its main part (no markup, no header)."""
    main = response.text.split('<main id="main"', 1)[-1]
    return re.sub(r"<[^>]+>", " ", main)


def english_only(response: Response, allowed: tuple[str, ...] = ()) -> None:
    """No Chinese on an English page but the data named in `allowed` (names, departments)."""
    text = re.sub(DOCUMENT_NUMBER, "", visible(response))  # a decision's number is data too
    for data in allowed:
        text = text.replace(data, "")
    assert not CHINESE.search(text), CHINESE.findall(text)[:20]


def csrf_of(response: Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', response.text)
    assert found, "the page has no form token"
    return found.group(1)


def log_in(client: TestClient, number: str, password: str = PASSWORD) -> str:
    """Log in through the page; the session cookie is kept; the file page's form token."""
    answer = client.post(
        "/portal/login", data={"number": number, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portal/me"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    return csrf_of(client.get("/portal/me"))


def person(client: TestClient, number: str, name: str) -> str:
    """A person registered and verified at the counter, logged in on the portal; the form token."""
    verify_at_counter(client, register(client, number, name), number, name)
    return log_in(client, number)


def test_the_portal_speaks_chinese_until_english_is_chosen_and_remembers_it(
    client: TestClient,
) -> None:
    chinese = client.get("/portal/login")
    assert chinese.status_code == 200
    assert "<h1>登录</h1>" in chinese.text
    assert "Log in" not in chinese.text
    assert 'lang="zh-Hans"' in chinese.text

    english = client.get("/portal/login", params={"lang": "en"})
    assert "<h1>Log in</h1>" in english.text
    assert "登录" not in english.text
    assert english.cookies.get("lang") == "en"

    remembered = client.get("/portal/public")  # the client sends the cookie back
    assert "Credit information the law makes public, de-identified" in remembered.text
    english_only(remembered)
    back = client.get("/portal/public", params={"lang": "zh"})
    assert "依法公示的信用信息，已去标识化" in back.text


def test_a_registration_waits_for_the_counter_and_errors_are_told_beside_their_field(
    client: TestClient,
) -> None:
    number = citizen_id(born=date(1988, 8, 8))
    form = {"number": number, "name": "李娜", "phone": "12345", "password": PASSWORD}
    for lang, told in (
        ("zh", "请填写 11 位手机号码。"),
        ("en", "Enter an 11-digit mobile number."),
    ):
        wrong = client.post(f"/portal/register?lang={lang}", data=form)
        assert wrong.status_code == 422
        assert told in wrong.text
        assert 'id="phone-error"' in wrong.text
        assert re.search(r'id="phone"[^>]*aria-describedby="phone-error', wrong.text)
        assert re.search(r'id="phone"[^>]*aria-invalid="true"', wrong.text)
        assert number not in wrong.text  # the number is never filled in again
        assert "phone:" not in wrong.text  # never the rule's own English
        if lang == "en":
            english_only(wrong, ("李娜",))

    # Every field's problem at once, each beside its field; what may be typed back stays.
    four = {"number": "123", "name": "", "phone": "abc", "password": "x"}
    wrong = client.post("/portal/register?lang=zh", data=four)
    assert wrong.status_code == 422
    for field in ("number", "name", "phone", "password"):
        assert f'id="{field}-error"' in wrong.text, field
        assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error', wrong.text)
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', wrong.text)
    for told in (
        "公民身份号码不正确",
        "请填写居民身份证上的姓名",
        "请填写 11 位手机号码",
        "密码至少需要",
    ):
        assert told in wrong.text
    assert 'value="abc"' in wrong.text

    done = client.post("/portal/register?lang=zh", data={**form, "phone": "13800138000"})
    assert done.status_code == 201
    assert "信用中心服务窗口" in done.text
    assert number not in done.text
    registration = int(re.search(r"注册编号：(\d+)", done.text).group(1))  # type: ignore[union-attr]

    waiting = client.post("/portal/login?lang=en", data={"number": number, "password": PASSWORD})
    assert waiting.status_code == 403
    assert f"Your registration (no. {registration}) waits for real-name verification" in (
        waiting.text
    )
    english_only(waiting)
    assert number not in waiting.text

    verify_at_counter(client, registration, number, "李娜")
    log_in(client, number)
    nothing = client.get("/portal/me", params={"lang": "zh"})
    assert "平台没有您的信用信息" in nothing.text
    assert "李娜" in nothing.text
    assert number not in nothing.text
    assert number[:10] + "****" + number[14:] in nothing.text
    assert nothing.headers["cache-control"] == "no-store"
    english = client.get("/portal/me", params={"lang": "en"})
    assert "The platform holds nothing on you" in english.text
    english_only(english, ("李娜",))


def test_reading_ones_own_pages_is_not_a_query_of_the_file_but_the_report_is(
    client: TestClient, amr: Headers
) -> None:
    number = citizen_id(born=date(1971, 1, 11))
    submit(client, amr, penalty_row(subject_id=number))
    person(client, number, "王秀英")
    for page in ("/portal/me", "/portal/me/objections", "/portal/me/lists", "/portal/me/queries"):
        assert client.get(page).status_code == 200
    assert "没有查询记录" in client.get("/portal/me/queries").text
    report = client.get("/api/v1/me/report", params={"format": "pdf"})
    assert report.content.startswith(b"%PDF")
    log = client.get("/portal/me/queries")
    assert "本人查询" in log.text
    assert "共 1 条" in log.text


def test_the_file_shows_the_measures_in_force_with_their_legal_basis_in_the_pages_language(
    client: TestClient, court: Headers
) -> None:
    number, name = citizen_id(born=date(1966, 6, 6)), "李建国"
    submit(client, court, debtor_row(subject_id=number, subject_name=name))
    assert record_listing(client, court, number).status_code == 201
    person(client, number, name)
    page = client.get("/portal/me")
    measures = page.text.split('id="measures"')[1].split("</section>")[0]
    assert "限制乘坐飞机" in measures
    assert "《最高人民法院关于限制被执行人高消费及有关消费的若干规定》" in measures
    assert "失信被执行人名单" in page.text
    english = client.get("/portal/me", params={"lang": "en"})
    assert "No flights" in english.text
    assert "Measures that apply to you now" in english.text
    assert "rights_reducing" not in english.text  # a code is said in words


def test_an_objection_from_the_file_shows_its_timeline_deadlines_and_takes_evidence(
    client: TestClient, amr: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1975, 5, 5))
    record = submit(client, amr, penalty_row(subject_id=number))
    token = person(client, number, "王秀英")
    filing = {"record_id": str(record), "ground": "error_or_omission", "reasons": "金额有误"}

    forged = client.post("/portal/me/objections", data=filing)  # no token: another site's form
    assert forged.status_code == 403
    assert "表单已过期" in forged.text
    forged_en = client.post("/portal/me/objections?lang=en", data=filing)
    assert "The form has expired: log in again." in forged_en.text
    english_only(forged_en)
    client.get("/portal/", params={"lang": "zh"})  # back to Chinese (the choice is remembered)
    empty = client.post("/portal/me/objections", data={**filing, "reasons": " ", "csrf": token})
    assert empty.status_code == 422
    assert f'id="record-{record}-reasons"' in empty.text
    assert "请写明理由。" in empty.text
    assert client.get("/portal/me/objections").text.count("/portal/me/objections/") == 0

    filed = client.post(
        "/portal/me/objections", data={**filing, "csrf": token}, follow_redirects=False
    )
    assert filed.status_code == 303
    url = filed.headers["location"].split("?")[0]
    page = client.get(filed.headers["location"])
    assert "异议已提交" in page.text
    assert "信用中心核查" in page.text
    # Filed on Friday 20 November 2026: the centre checks within 1 working day.
    assert "2026年11月23日" in page.text.split('id="due"')[1].split("</dd>")[0]
    english = client.get(url, params={"lang": "en"})
    assert "23 November 2026" in english.text
    assert "The credit centre checks it" in english.text
    english_only(english, ("北京市市场监督管理局",))
    client.get("/portal/", params={"lang": "zh"})  # back to Chinese (the choice is remembered)

    big = b"x" * (5 * 1024 * 1024 + 1)
    too_big = client.post(
        f"{url}/evidence",
        data={"csrf": token},
        files={"file": ("scan.pdf", big, "application/pdf")},
    )
    assert too_big.status_code == 422
    assert 'id="file-error"' in too_big.text
    # Known by its content, not by its name or the type the browser gives: a program or an
    # empty file was "uploaded" that no official could open.
    for name, content, said in (
        ("bad.exe", b"MZ\x90\x00", "只接受 PDF、JPEG 或 PNG 格式的文件。"),
        ("scan.pdf", b"MZ\x90\x00", "只接受 PDF、JPEG 或 PNG 格式的文件。"),
        ("empty.pdf", b"", "文件是空的，请重新选择。"),
    ):
        refused = client.post(
            f"{url}/evidence",
            data={"csrf": token},
            files={"file": (name, content, "application/pdf")},
        )
        assert refused.status_code == 422, name
        assert said in refused.text
    added = client.post(
        f"{url}/evidence",
        data={"csrf": token},
        files={"file": ("决定书.pdf", b"%PDF-1.4 evidence", "application/pdf")},
    )
    assert added.status_code == 200
    assert "证明材料已上传" in added.text
    assert "决定书.pdf" in added.text
    assert "bad.exe" not in added.text  # none of the refused files was kept
    assert "empty.pdf" not in added.text
    assert "异议处理中" in client.get("/portal/me").text
    listed = client.get("/portal/me/objections")
    assert "信用中心核查中" in listed.text


def test_another_persons_objection_is_not_found_and_an_anonymous_visitor_is_sent_to_log_in(
    client: TestClient, amr: Headers
) -> None:
    first, second = citizen_id(born=date(1972, 2, 2)), citizen_id(born=date(1973, 3, 3))
    record = submit(client, amr, penalty_row(subject_id=first))
    submit(client, amr, penalty_row(subject_id=second, subject_name="张伟"))
    token = person(client, first, "王秀英")
    filing = {"record_id": record, "ground": "error_or_omission", "reasons": "有误", "csrf": token}
    url = client.post("/portal/me/objections", data=filing, follow_redirects=False).headers[
        "location"
    ]
    client.cookies.clear()
    for page in ("/portal/me", url, "/portal/me/repairs", "/portal/me/authorisations"):
        sent = client.get(page, follow_redirects=False)
        assert (sent.status_code, sent.headers["location"]) == (303, "/portal/login")
    person(client, second, "张伟")
    theirs = client.get(url)
    assert theirs.status_code == 404
    assert "找不到这件异议" in theirs.text
    for odd in ("abc", "0", "1.5"):  # an address whose number is no number names nothing
        nothing = client.get(f"/portal/me/objections/{odd}")
        assert nothing.status_code == 404
        assert "<h1>未找到</h1>" in nothing.text
        assert "表单无法读取" not in nothing.text


def test_a_repair_application_lists_every_missing_material_in_the_pages_language(
    client: TestClient, amr: Headers, court: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1977, 7, 7))
    record = submit(client, amr, penalty_row(subject_id=number))  # general: repair after 3 months
    debtor = debtor_row(subject_id=number, subject_name="王秀英")
    debt = submit(client, court, debtor)
    token = person(client, number, "王秀英")
    # Only what the rules would take today is offered; the rest says why not.
    page = client.get("/portal/me/repairs")
    assert f'<option value="{record}"' not in page.text
    assert f'<option value="{debt}"' not in page.text
    early_why = "最短公示期届满后方可申请信用修复：2026年12月1日 起可以申请。"
    assert early_why in page.text.split(f'id="not-offered-{record}"')[1].split("</li>")[0]
    court_why = "这是人民法院作出的认定，请向作出认定的法院申请。"
    assert court_why in page.text.split(f'id="not-offered-{debt}"')[1].split("</li>")[0]
    application = {"record_id": record, "commitment": "我承诺", "csrf": token}
    early = client.post("/portal/me/repairs", data=application)  # the rule holds all the same
    assert early.status_code == 422
    assert early_why in early.text

    clock.advance(days=12)  # 2 December 2026; the session ended long ago
    assert client.get("/portal/me/repairs", follow_redirects=False).status_code == 303
    application["csrf"] = log_in(client, number)
    short = client.post("/portal/me/repairs", data=application)
    assert short.status_code == 200  # applied; what is missing is listed at once
    assert "修复申请已提交" in short.text
    english = client.get("/portal/me/repairs", params={"lang": "en"})
    assert "proof that the obligations the decision set are met" in english.text
    assert "a signed credit commitment (at least 20 characters)" in english.text
    assert "materials missing: please add them" in english.text
    english_only(english, ("北京市市场监督管理局", str(debtor["document_number"]), "我承诺"))
    chinese = client.get("/portal/me/repairs", params={"lang": "zh"})
    assert "签署的信用承诺书（至少 20 个字）" in chinese.text
    assert court_why in chinese.text  # never offered, on any day
    assert f'<option value="{debt}"' not in chinese.text
    assert "告知修复结果" in chinese.text
    # An application that lacks materials is completed in place: the record is not offered
    # for a second one, and its own form takes what it lacks.
    assert f'<option value="{record}"' not in chinese.text
    [lacking] = re.findall(r'action="/portal/me/repairs/(\d+)/materials"', chinese.text)
    complete_it = "这条记录已有修复申请（" + lacking + "）尚缺材料，请在该申请中补充"
    assert complete_it in chinese.text.split(f'id="not-offered-{record}"')[1].split("</li>")[0]
    materials = f"/portal/me/repairs/{lacking}/materials"
    supplied = {"commitment": "本人承诺今后守法诚信经营，如有违反愿承担责任。", "csrf": token}
    still = client.post(materials, data={**supplied, "csrf": application["csrf"]})
    assert still.status_code == 200
    assert "已补充，仍缺下列材料。" in still.text
    assert "已履行决定所设义务的证明" in still.text
    assert "签署的信用承诺书" not in still.text
    done = client.post(
        materials,
        data={**supplied, "obligations_performed": "true", "csrf": application["csrf"]},
    )
    assert done.status_code == 200
    assert "材料已补齐，申请已转交作出认定的部门办理。" in done.text
    assert f'action="{materials}"' not in done.text
    again = client.post(materials, data={**supplied, "csrf": application["csrf"]})
    assert again.status_code == 422
    assert "这份申请不缺材料，无需补充。" in again.text
    # An application that is not theirs (or none at all) is not found, and told on the page.
    nobody = client.post(
        "/portal/me/repairs/999999/materials", data={**supplied, "csrf": application["csrf"]}
    )
    assert nobody.status_code == 404
    assert 'id="problems-materials-999999"' in nobody.text


def test_a_refused_supply_of_materials_keeps_what_the_person_typed(
    client: TestClient, amr: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1978, 8, 8))
    record = submit(client, amr, penalty_row(subject_id=number))
    person(client, number, "王秀英")
    clock.advance(days=12)  # 2 December 2026: past the minimum display period
    token = log_in(client, number)
    lacking = client.post(
        "/portal/me/repairs", data={"record_id": record, "commitment": "我承诺", "csrf": token}
    )
    assert lacking.status_code == 200
    [repair] = re.findall(r'action="/portal/me/repairs/(\d+)/materials"', lacking.text)
    revoked = client.post(
        f"/api/v1/records/{record}/revocation",
        json={"reason": "行政复议决定撤销原处罚"},
        headers=amr,
    )
    assert revoked.status_code == 200, revoked.text
    typed = "本人承诺今后守法诚信经营，如有违反愿承担责任。"
    refused = client.post(
        f"/portal/me/repairs/{repair}/materials",
        data={"commitment": typed, "obligations_performed": "true", "csrf": token},
    )
    assert refused.status_code == 422
    assert f'id="problems-materials-{repair}"' in refused.text
    form = refused.text.split(f'action="/portal/me/repairs/{repair}/materials"')[1]
    assert typed in form.split("</form>")[0]


def test_a_defence_within_the_window_and_a_refused_honour_from_the_lists_page(
    client: TestClient, amr: Headers, key_for: KeyFor, clock: Clock
) -> None:
    civil = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-CIVIL"))
    number = citizen_id(born=date(1969, 9, 9))
    record = submit(client, amr, serious_penalty_row(subject_id=number, subject_name="张志愿"))
    proposed = propose_food_listing(client, amr, number, record)
    client.post(f"/api/v1/lists/entries/{proposed}/notice", headers=amr)
    submit(client, civil, volunteer_row(subject_id=number))
    honour = record_listing(client, civil, number, "GOOD-VOLUNTEER").json()["id"]
    token = person(client, number, "张志愿")

    page = client.get("/portal/me/lists")
    assert "2026年11月27日" in page.text  # the defence deadline
    assert f'action="/portal/me/lists/{proposed}/defence"' in page.text
    assert f'action="/portal/me/lists/{honour}/refusal"' in page.text
    assert f'action="/portal/me/lists/{proposed}/refusal"' not in page.text  # not refusable
    empty = client.post(f"/portal/me/lists/{proposed}/defence", data={"defence": "", "csrf": token})
    assert empty.status_code == 422
    assert "请填写陈述申辩的内容。" in empty.text
    stated = client.post(
        f"/portal/me/lists/{proposed}/defence", data={"defence": "已整改", "csrf": token}
    )
    assert "陈述申辩已提交" in stated.text
    refused = client.post(f"/portal/me/lists/{honour}/refusal", data={"csrf": token})
    assert "已按您的意愿移出" in refused.text
    assert "本人拒绝" in refused.text

    clock.advance(days=10)  # the window closed on Friday 27 November
    token = log_in(client, number)
    late = client.post(
        f"/portal/me/lists/{proposed}/defence", data={"defence": "补充", "csrf": token}
    )
    assert late.status_code == 422
    assert "陈述申辩期限已于 2026年11月27日 届满。" in late.text


def test_authorisations_name_a_published_purpose_and_are_revoked_from_the_page(
    client: TestClient, amr: Headers, agency: Headers
) -> None:
    number = citizen_id(born=date(1982, 2, 8))
    submit(client, amr, penalty_row(subject_id=number))
    token = person(client, number, "王秀英")
    page = client.get("/portal/me/authorisations")
    assert '<option value="loan_approval">贷款审批</option>' in page.text
    assert f'<option value="{AGENCY}">' in page.text
    grant = {"grantee": AGENCY, "scope": "report", "expires_on": "2027-01-31", "csrf": token}
    free_text = client.post("/portal/me/authorisations", data={**grant, "purpose": "随便看看"})
    assert free_text.status_code == 422
    assert re.search(r'id="grant-purpose"[^>]*aria-invalid="true"', free_text.text)
    assert "请从列表中选择授权用途。" in free_text.text
    too_long = client.post(
        "/portal/me/authorisations?lang=en",
        data={**grant, "purpose": "loan_approval", "expires_on": "2028-01-31"},
    )
    assert "An authorisation lasts at most 12 months: until 20 November 2027" in too_long.text
    client.get("/portal/", params={"lang": "zh"})  # back to Chinese (the choice is remembered)

    done = client.post("/portal/me/authorisations", data={**grant, "purpose": "loan_approval"})
    assert "授权已生效" in done.text
    assert agency_query(client, agency, number).status_code == 200
    log = client.get("/portal/me/queries")
    assert "经您授权" in log.text
    assert "贷款审批" in log.text
    assert "示例个人征信机构（演示）" in log.text

    (revoke,) = re.findall(r'action="(/portal/me/authorisations/\d+/revocation)"', done.text)
    revoked = client.post(revoke, data={"csrf": token})
    assert "授权已撤销" in revoked.text
    assert agency_query(client, agency, number).status_code == 403
    assert "无有效授权" in client.get("/portal/me/queries").text


def test_the_query_log_is_read_a_page_at_a_time(
    client: TestClient, amr: Headers, agency: Headers
) -> None:
    number = citizen_id(born=date(1983, 3, 9))
    submit(client, amr, penalty_row(subject_id=number))
    person(client, number, "王秀英")
    for _ in range(21):  # refused queries, each logged
        assert agency_query(client, agency, number).status_code == 403
    first = client.get("/portal/me/queries")
    assert "第 1 页，共 2 页" in first.text
    assert first.text.count("<tr>") == 1 + 20
    second = client.get("/portal/me/queries", params={"page": 2, "lang": "en"})
    assert "Page 2 of 2" in second.text
    assert second.text.count("<tr>") == 1 + 1
    english_only(second, ("示例个人征信机构（演示）",))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_persons_page_renders_in_each_language(
    client: TestClient, amr: Headers, lang: str
) -> None:
    number = citizen_id(born=date(1984, 4, 4))
    submit(client, amr, penalty_row(subject_id=number))
    person(client, number, "王秀英")
    for page in (
        "/portal/me",
        "/portal/me/objections",
        "/portal/me/repairs",
        "/portal/me/lists",
        "/portal/me/authorisations",
        "/portal/me/queries",
    ):
        shown = client.get(page, params={"lang": lang})
        assert shown.status_code == 200, page
        assert shown.headers["cache-control"] == "no-store"
        if lang == "en":
            english_only(
                shown,
                (
                    "王秀英",
                    "北京市市场监督管理局",
                    "示例个人征信机构（演示）",
                    "示例企业征信机构（演示）",
                ),
            )
        else:
            assert "English" in shown.text


def test_the_file_says_an_identity_review_is_open_without_naming_the_other_person(
    client: TestClient, amr: Headers
) -> None:
    number, other = citizen_id(born=date(1974, 4, 14)), citizen_id(born=date(1975, 5, 15))
    row = penalty_row(subject_id=number, subject_name="王秀英")
    submit(client, amr, row)
    client.post(
        "/api/v1/records", json={**row, "subject_id": other, "subject_name": "张伟"}, headers=amr
    )
    person(client, number, "王秀英")
    page = client.get("/portal/me", params={"lang": "zh"})
    reviews = page.text.split('id="reviews"')[1].split("</section>")[0]
    assert "重新报送的文书载明为他人" in reviews
    assert "核查中" in reviews
    assert other not in page.text
    assert "张" not in reviews
    english = client.get("/portal/me", params={"lang": "en"})
    assert "resubmitted naming someone else" in english.text


def test_a_repair_application_takes_evidence_until_it_is_decided(
    client: TestClient, amr: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1978, 8, 18))
    submit(client, amr, penalty_row(subject_id=number))
    clock.advance(days=12)  # past the minimum display period: repair may be applied for
    token = person(client, number, "王秀英")
    [record] = re.findall(r'<option value="(\d+)"', client.get("/portal/me/repairs").text)
    applied = client.post(
        "/portal/me/repairs",
        data={
            "record_id": record,
            "obligations_performed": "true",
            "commitment": "我承诺今后遵守食品安全法律法规，诚信经营，接受社会监督。",
            "csrf": token,
        },
    )
    assert applied.status_code == 200, applied.text
    [repair] = re.findall(r'<article id="repair-(\d+)"', applied.text)
    url = f"/portal/me/repairs/{repair}/evidence"
    assert f'action="{url}"' in applied.text
    assert "还没有上传证明材料。" in applied.text

    program = client.post(
        url,
        data={"csrf": token},
        files={"file": ("缴费凭证.pdf", b"MZ\x90\x00", "application/pdf")},
    )
    assert program.status_code == 422
    beside = program.text.split(f'id="repair-{repair}-file-error"')[1].split("</span>")[0]
    assert "只接受 PDF、JPEG 或 PNG 格式的文件。" in beside

    receipt = b"%PDF-1.4 receipt of the fine paid"
    added = client.post(
        url, data={"csrf": token}, files={"file": ("缴费凭证.pdf", receipt, "application/pdf")}
    )
    assert added.status_code == 200
    assert "文件已上传，随申请一并办理。" in added.text
    assert "缴费凭证.pdf" in added.text

    # The department that decides the application reads it, then decides.
    [kept] = client.get(f"/api/v1/repairs/{repair}/evidence", headers=amr).json()
    assert kept["filename"] == "缴费凭证.pdf"
    got = client.get(f"/api/v1/repairs/{repair}/evidence/{kept['id']}", headers=amr)
    assert got.content == receipt
    decided = client.post(
        f"/api/v1/repairs/{repair}/decision",
        json={"repaired": True, "reasons": "已履行义务，予以修复"},
        headers=amr,
    )
    assert decided.status_code == 200, decided.text
    after = client.get("/portal/me/repairs")
    assert f'action="{url}"' not in after.text  # a decided case takes no more files
    late = client.post(
        url, data={"csrf": token}, files={"file": ("补充.png", b"\x89PNG\r\n\x1a\nx", "image/png")}
    )
    assert "这件已经办结，不能再上传材料。" in late.text
    assert len(client.get(f"/api/v1/repairs/{repair}/evidence", headers=amr).json()) == 1


def test_a_railway_listing_in_its_public_notice_is_shown_and_open_to_objection(
    client: TestClient, key_for: KeyFor, clock: Clock
) -> None:
    """Decided on Monday 30 November, published on Tuesday 1 December: the notice's seven working
    days run to 10 December, and the listing binds from the 11th. Meanwhile the person sees it,
    with the day it binds, and may object: the notice is for that."""
    rail = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-RAIL"))
    number = citizen_id(born=date(1984, 6, 6))
    record = submit(
        client,
        rail,
        rail_row(
            subject_id=number,
            subject_name="孙铁成",
            decision_date="2026-11-16",
            occurred_on="2026-11-14",
        ),
    )
    entry = propose_listing(client, rail, number, record, "RAIL-SERIOUS", "在动车组列车上吸烟")
    assert client.post(f"/api/v1/lists/entries/{entry}/notice", headers=rail).status_code == 200
    clock.advance(days=10)  # Monday 30 November, after the five working days of defence
    decided = client.post(
        f"/api/v1/lists/entries/{entry}/decision", json={"reasons": "查证属实"}, headers=rail
    )
    assert decided.status_code == 200, decided.text
    clock.advance(days=1)
    published = client.post(f"/api/v1/lists/entries/{entry}/publication", headers=rail)
    assert published.status_code == 200, published.text
    token = person(client, number, "孙铁成")

    page = client.get("/portal/me")
    row = page.text.split(f'id="entry-{entry}"')[1].split("</tr>")[0]
    assert "公示期满后生效：2026年12月11日" in row
    assert f'name="entry_id" value="{entry}"' in row  # the objection form
    english = client.get("/portal/me", params={"lang": "en"})
    assert "Binds after its public notice: 11 December 2026" in english.text
    client.get("/portal/", params={"lang": "zh"})  # back to Chinese (the choice is remembered)
    filed = client.post(
        "/portal/me/objections",
        data={
            "entry_id": str(entry),
            "ground": "listed_without_criteria",
            "reasons": "当日未在该车次",
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
