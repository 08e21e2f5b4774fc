"""A form that comes without its session's form token (a page of another site posting in the
user's name, or a stale page) is refused and the refusal audited, in the consoles and in the
portal: who sent it and the route's template, never what the form held (docs/security.md)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import citizen_id
from tests.functional.consoles import STAFF_PASSWORD, add_user, sign_in
from tests.functional.helpers import PASSWORD, register, verify_at_counter
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import Role
from xinyong.domain.audit import EventTag
from xinyong.services import accounts
from xinyong.web.deps import SESSION_COOKIE


def audit_rows(client: TestClient) -> list[dict[str, Any]]:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        rows = uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.id))
        return [
            {
                "tag": r.tag,
                "actor": r.actor,
                "entity": (r.entity_type, r.entity_id),
                "subject_id": r.subject_id,
                "reason": r.reason,
                "data": dict(r.data or {}),
            }
            for r in rows
        ]


def refused_forms(client: TestClient) -> list[tuple[str, str, str]]:
    """Each audited form refusal: (surface, actor, page)."""
    return [
        (row["entity"][1], row["actor"], row["data"]["page"])
        for row in audit_rows(client)
        if row["tag"] == EventTag.FORM_REFUSED.value
    ]


def staff_actor(client: TestClient, username: str) -> str:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        user = uow.staff.by_username(username)
    assert user is not None
    return f"staff:{user.id}"


def test_a_console_form_without_its_token_is_refused_and_audited_without_the_number(
    client: TestClient,
) -> None:
    me = sign_in(client, "zhou.caac", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    actor = staff_actor(client, "zhou.caac")
    number = citizen_id(born=date(1970, 7, 7))

    forged = client.post("/console/checks", data={"number": number, "matter": "flight"})
    wrong = client.post(
        "/console/checks", data={"number": number, "matter": "flight", "csrf": "0" * 32}
    )

    assert forged.status_code == wrong.status_code == 403
    assert "表单已过期" in forged.text
    assert refused_forms(client) == [
        ("console", actor, "/console/checks"),
        ("console", actor, "/console/checks"),
    ]
    assert number not in str(audit_rows(client))
    assert number[:17] not in str(audit_rows(client))
    # Nothing was checked, and the session goes on: the form with its token is answered.
    ran = client.post(
        "/console/checks",
        data={"number": number, "matter": "flight", "csrf": me.csrf},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    assert len(refused_forms(client)) == 2


def test_a_console_logout_or_code_without_its_token_is_refused_and_audited(
    client: TestClient,
) -> None:
    sign_in(client, "wu.centre", Role.CREDIT_CENTRE)
    actor = staff_actor(client, "wu.centre")

    logout = client.post("/console/logout", data={}, follow_redirects=False)

    assert logout.status_code == 303
    assert refused_forms(client) == [("console", actor, "/console/logout")]

    client.cookies.clear()
    add_user(client, "qian.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    first = client.post("/console/login", data={"username": "qian.amr", "password": STAFF_PASSWORD})
    assert first.status_code == 200
    code = client.post("/console/login/code", data={"code": "123456"}, follow_redirects=False)
    assert (code.status_code, code.headers["location"]) == (303, "/console/login")
    assert refused_forms(client)[1:] == [
        ("console", staff_actor(client, "qian.amr"), "/console/login/code")
    ]

    client.cookies.clear()  # no session at all: sent to log in, nobody's form to audit
    nobody = client.post("/console/login/code", data={"code": "123456"}, follow_redirects=False)
    assert nobody.status_code == 303
    assert len(refused_forms(client)) == 2


def signed_in_person(client: TestClient, number: str, name: str) -> str:
    """A verified person logged in on the portal; their account's actor."""
    verify_at_counter(client, register(client, number, name), number, name)
    answer = client.post(
        "/portal/login", data={"number": number, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/portal/me")
    assert re.search(r'name="csrf" value="[0-9a-f]+"', page.text)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        subject = uow.subjects.get_by_number(number)
        assert subject is not None
        assert subject.id is not None
        account = uow.accounts.by_subject(subject.id)
    assert account is not None
    return f"account:{account.id}"


def test_a_portal_form_without_its_token_is_refused_and_audited_without_the_number(
    client: TestClient,
) -> None:
    number = citizen_id(born=date(1975, 5, 5))
    actor = signed_in_person(client, number, "王秀英")
    filing = {"record_id": "1", "ground": "error_or_omission", "reasons": f"号码 {number} 有误"}

    forged = client.post("/portal/me/objections", data=filing)
    grant = client.post(
        "/portal/me/authorisations",
        data={"grantee": "AGENCY-BAIHANG", "scope": "report", "csrf": "f" * 32},
    )
    session = client.cookies.get(SESSION_COOKIE)
    assert session
    logout = client.post("/portal/logout", data={}, follow_redirects=False)

    assert forged.status_code == grant.status_code == 403
    assert logout.status_code == 303
    assert refused_forms(client) == [
        ("portal", actor, "/portal/me/objections"),
        ("portal", actor, "/portal/me/authorisations"),
        ("portal", actor, "/portal/logout"),
    ]
    refusals = [r for r in audit_rows(client) if r["tag"] == EventTag.FORM_REFUSED.value]
    assert {r["subject_id"] for r in refusals} != {None}
    assert number not in str(audit_rows(client))
    assert number[:17] not in str(audit_rows(client))
    # The forged logout ended nothing on the server (the browser dropped its cookie only).
    platform = client.app.state.platform  # type: ignore[attr-defined]
    alive = accounts.authenticate_session(platform.uow(), session)
    assert alive is not None
    assert alive.actor == actor
