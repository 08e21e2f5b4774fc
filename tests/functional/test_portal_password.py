"""The person changes their password on the portal: the current one first, the new one under
the rules registration follows, told beside its field in the page's language; the change (and a
wrong current password) is audited, and every session and token of the account ends."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import citizen_id
from tests.functional.helpers import PASSWORD, sign_up
from xinyong.db.audit import AuditEventRow
from xinyong.domain.audit import EventTag
from xinyong.web.deps import SESSION_COOKIE

if TYPE_CHECKING:
    from httpx2 import Response

NEW = "lantern orchard quietly"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def main_text(response: Response) -> str:
    return re.sub(r"<[^>]+>", " ", response.text.split('<main id="main"', 1)[-1])


def form_token(response: Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', response.text)
    assert found, "the page has no form token"
    return found.group(1)


def portal_login(client: TestClient, number: str, password: str) -> int:
    answer = client.post(
        "/portal/login", data={"number": number, "password": password}, follow_redirects=False
    )
    return answer.status_code


def audited(
    client: TestClient, tag: EventTag
) -> list[tuple[str, str | None, int | None, dict[str, Any]]]:
    """(actor, reason, subject, data) of each audit event with this tag."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        rows = uow.session.scalars(select(AuditEventRow).where(AuditEventRow.tag == tag))
        return [(r.actor, r.reason, r.subject_id, dict(r.data or {})) for r in rows]


def account_actor(client: TestClient, subject_id: int) -> str:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        account = uow.accounts.by_subject(subject_id)
    assert account is not None
    return f"account:{account.id}"


def test_a_person_changes_their_password_on_the_portal_and_every_session_ends(
    client: TestClient,
) -> None:
    number, name = citizen_id(born=date(1983, 3, 8)), "李娜"
    person = sign_up(client, number, name)  # an API token: another session of the account
    assert portal_login(client, number, PASSWORD) == 303
    shown = client.get("/portal/me/password", params={"lang": "zh"})
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert "<h1>修改密码</h1>" in shown.text
    assert 'href="/portal/me/password"' in client.get("/portal/me").text
    token = form_token(shown)
    change = "/portal/me/password"

    differ = client.post(
        change,
        data={
            "current_password": PASSWORD,
            "new_password": NEW,
            "new_password_again": NEW + "x",
            "csrf": token,
        },
    )
    assert differ.status_code == 422
    assert 'id="new_password_again-error"' in differ.text
    assert "两次输入的新密码不一致。" in differ.text

    wrong = client.post(
        change,
        data={
            "current_password": "not it at all",
            "new_password": NEW,
            "new_password_again": NEW,
            "csrf": token,
        },
    )
    assert wrong.status_code == 422
    assert 'id="current_password-error"' in wrong.text
    assert "当前密码不正确。" in wrong.text
    assert "not it at all" not in wrong.text
    refused = audited(client, EventTag.ACCOUNT_PASSWORD_REFUSED)
    actor = account_actor(client, person.subject_id)
    assert refused == [(actor, "current_password", person.subject_id, {})]

    for lang, told in (
        ("zh", "这是泄露数据中最常见的密码之一，请换一个。"),
        ("en", "That is one of the most common passwords in published breaches: choose another."),
    ):
        weak = client.post(
            f"{change}?lang={lang}",
            data={
                "current_password": PASSWORD,
                "new_password": "1234567890",
                "new_password_again": "1234567890",
                "csrf": token,
            },
        )
        assert weak.status_code == 422
        assert 'id="new_password-error"' in weak.text
        assert re.search(r'id="new_password"[^>]*aria-invalid="true"', weak.text)
        assert told in weak.text
        assert "1234567890" not in weak.text
        assert number not in weak.text
        if lang == "en":
            assert not CHINESE.search(main_text(weak).replace(name, ""))
    client.get("/portal/", params={"lang": "zh"})  # back to Chinese (the choice is remembered)

    done = client.post(
        change,
        data={
            "current_password": PASSWORD,
            "new_password": NEW,
            "new_password_again": NEW,
            "csrf": token,
        },
    )
    assert done.status_code == 200
    assert "密码已修改" in done.text
    assert f"{SESSION_COOKIE}=" in done.headers["set-cookie"]  # the cookie is dropped
    [(by, _, subject, data)] = audited(client, EventTag.ACCOUNT_PASSWORD_CHANGED)
    assert (by, subject) == (actor, person.subject_id)
    assert int(data["sessions_ended"]) >= 2  # the portal's session and the API token

    # Every session ended: the API token, and this browser's session.
    assert client.get("/api/v1/me/report", headers=person.headers).status_code == 401
    assert portal_login(client, number, PASSWORD) == 401
    assert portal_login(client, number, NEW) == 303
    assert client.get("/portal/me").status_code == 200


def test_the_password_page_reads_in_english_and_is_only_for_a_signed_in_person(
    client: TestClient,
) -> None:
    anonymous = client.get("/portal/me/password", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/portal/login")
    posted = client.post("/portal/me/password", data={}, follow_redirects=False)
    assert (posted.status_code, posted.headers["location"]) == (303, "/portal/login")

    number = citizen_id(born=date(1986, 6, 16))
    sign_up(client, number, "王秀英")
    assert portal_login(client, number, PASSWORD) == 303
    english = client.get("/portal/me/password", params={"lang": "en"})
    assert "<h1>Change password</h1>" in english.text
    assert "Current password" in english.text
    assert not CHINESE.search(main_text(english))
    forged = client.post(
        "/portal/me/password",
        data={"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW},
    )
    assert forged.status_code == 403  # another site's form: nothing changed
    assert portal_login(client, number, PASSWORD) == 303
