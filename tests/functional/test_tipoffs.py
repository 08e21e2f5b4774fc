"""Tip-offs: the public's form routes a report to the competent department's queue, which reads
it through the API; the form never shows back a number, and one sender's reports a day are
limited. A tip-off is never a record."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import citizen_id
from tests.functional.conftest import KeyFor
from tests.functional.helpers import Headers, assert_problem, auth, masked
from tests.functional.test_portal import english_only
from xinyong.domain.access import ROLE_SCOPES, Role, Scope


def _report(**changes: str) -> dict[str, str]:
    form = {
        "topic": "food_drug_safety",
        "subject_name": "某某超市",
        "subject_number": "",
        "account": "2026年11月18日在该超市买到过期牛奶，货架上还有很多。",
        "contact": "",
    }
    form.update(changes)
    return form


def test_a_tipoff_goes_to_the_competent_departments_queue_and_nowhere_else(
    client: TestClient, key_for: KeyFor, staff: Headers, seeded: Callable[[], Any]
) -> None:
    number = citizen_id()
    sent = client.post(
        "/portal/public/tipoff",
        data=_report(
            subject_name="王秀英",
            subject_number=number,
            account=f"她（身份证 {number}）在菜市场卖注水肉。",
            contact="13800138000",
        ),
    )
    assert sent.status_code == 201
    assert "北京市市场监督管理局" in sent.text
    assert number not in sent.text
    assert "注水肉" not in sent.text  # what it said is not shown back
    reference = int(re.search(r"举报编号：(\d+)", sent.text).group(1))  # type: ignore[union-attr]
    english = client.get("/portal/public/tipoff", params={"lang": "en"})
    english_only(english)

    amr = auth(key_for([Scope.TIPOFFS_READ], "BJ-AMR"))
    tax = auth(key_for([Scope.TIPOFFS_READ], "BJ-TAX"))
    (queued,) = client.get("/api/v1/tipoffs", headers=amr).json()
    assert queued["id"] == reference
    assert queued["department"] == "BJ-AMR"
    assert queued["subject_number"] == masked(number)
    assert number not in str(queued)
    assert "<number withheld>" in queued["account"]
    assert "contact" not in queued
    assert client.get("/api/v1/tipoffs", headers=tax).json() == []
    assert [t["id"] for t in client.get("/api/v1/tipoffs", headers=staff).json()] == [reference]

    assert_problem(client.get(f"/api/v1/tipoffs/{reference}", headers=tax), 404)
    full = client.get(f"/api/v1/tipoffs/{reference}", headers=amr)
    assert full.status_code == 200
    assert (full.json()["subject_number"], full.json()["contact"]) == (number, "13800138000")
    with seeded() as uow:
        assert uow.audit.count("tipoff:read") == 1
        assert uow.audit.count("tipoff:received") == 1
        assert uow.records.count() == 0  # a tip-off is never a record
        assert uow.subjects.get_by_number(number) is None


def test_a_department_key_without_the_scope_and_a_person_read_no_tipoffs(
    client: TestClient, key_for: KeyFor, airline: Headers
) -> None:
    assert client.post("/portal/public/tipoff", data=_report()).status_code == 201
    assert_problem(client.get("/api/v1/tipoffs", headers=airline), 403)
    assert Scope.TIPOFFS_READ in ROLE_SCOPES[Role.SOURCE_DEPARTMENT]
    assert Scope.TIPOFFS_READ not in ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT]
    assert Scope.TIPOFFS_READ in ROLE_SCOPES[Role.CREDIT_CENTRE]


def test_a_wrong_field_is_told_beside_it_without_repeating_a_number(client: TestClient) -> None:
    number = citizen_id()
    wrong = client.post(
        "/portal/public/tipoff?lang=en",
        data=_report(subject_number=number[:-1] + "Y", account=f"号码 {number} 的人"),
    )
    assert wrong.status_code == 422
    assert "That is not a valid ID number or unified social credit code" in wrong.text
    assert re.search(r'id="subject_number"[^>]*aria-invalid="true"', wrong.text)
    assert number[:14] not in wrong.text
    assert "&lt;number withheld&gt;" in wrong.text  # the account is filled in again, withheld
    chinese = client.post(
        "/portal/public/tipoff?lang=zh",
        data=_report(subject_number=number[:-1] + "Y", account=f"号码 {number} 的人"),
    )
    assert "号码 〔号码已隐去〕 的人" in chinese.text  # said in the page's language
    assert "number withheld" not in chinese.text
    empty = client.post("/portal/public/tipoff?lang=zh", data=_report(account="  "))
    assert "请写明发生了什么。" in empty.text
    long = client.post("/portal/public/tipoff?lang=zh", data=_report(account="长" * 2001))
    assert "情况说明不能超过 2000 个字。" in long.text
    unknown = client.post("/portal/public/tipoff?lang=zh", data=_report(topic="gossip"))
    assert re.search(r'id="topic"[^>]*aria-invalid="true"', unknown.text)


def test_one_sender_files_as_many_tipoffs_as_a_day_allows(client: TestClient) -> None:
    for _ in range(5):  # tipoffs.toml: max_per_source_per_day
        assert client.post("/portal/public/tipoff", data=_report()).status_code == 201
    sixth = client.post("/portal/public/tipoff?lang=zh", data=_report())
    assert sixth.status_code == 429
    assert "今天从这里提交的举报已达上限" in sixth.text


def test_an_unreadable_form_is_answered_with_a_page_not_json(client: TestClient) -> None:
    huge = client.post("/portal/public/tipoff", data=_report(contact="x" * 500))
    assert huge.status_code == 422
    assert huge.headers["content-type"].startswith("text/html")
    assert "表单无法读取" in huge.text


def test_a_tipoff_body_larger_than_a_records_is_refused_before_it_is_read(
    client: TestClient,
) -> None:
    huge = client.post("/portal/public/tipoff", data=_report(account="长" * 40_000))
    assert huge.status_code == 413


def test_every_missing_field_is_told_beside_it_at_once_and_the_rest_is_kept(
    client: TestClient,
) -> None:
    form = _report(subject_name="", account="", contact="13800138000")
    wrong = client.post("/portal/public/tipoff", data=form)
    assert wrong.status_code == 422
    for field, told in (
        ("subject_name", "请填写被举报的个人或单位名称。"),
        ("account", "请写明发生了什么。"),
    ):
        assert f'<span class="field-error" id="{field}-error">{told}</span>' in wrong.text
        assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error', wrong.text)
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', wrong.text)
    assert 'value="13800138000"' in wrong.text  # what was typed stays
    assert re.search(r'<option value="food_drug_safety" selected>', wrong.text)
