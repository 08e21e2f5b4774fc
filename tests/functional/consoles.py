"""Staff users signed in to the consoles through the pages themselves: a password, then the
authenticator's code (computed here from the secret shown at enrolment)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pyotp
from fastapi.testclient import TestClient

from xinyong.domain.access import Role
from xinyong.services import staff

STAFF_PASSWORD = "staff password 1"


@dataclass(frozen=True)
class Console:
    """A signed-in staff user: the form token their pages carry, and their secret."""

    csrf: str
    secret: str
    username: str


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def add_user(
    client: TestClient,
    username: str,
    role: Role,
    department: str | None,
    also: tuple[Role, ...] = (),
) -> str:
    """Create a staff user through the service (as the CLI does); their TOTP secret."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    new = staff.add_staff(
        platform.uow(),
        platform.policy,
        username=username,
        name=f"{username} 测试",
        role=role,
        department=department,
        password=STAFF_PASSWORD,
        actor="test",
        also=also,
    )
    return new.secret


def code_now(client: TestClient, secret: str) -> str:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    return pyotp.TOTP(secret).at(platform.clock())


def sign_in(
    client: TestClient,
    username: str,
    role: Role,
    department: str | None = None,
    also: tuple[Role, ...] = (),
) -> Console:
    """Create a user (with the department's other role `also`) and log in with password and
    code; the console's form token."""
    secret = add_user(client, username, role, department, also)
    first = client.post("/console/login", data={"username": username, "password": STAFF_PASSWORD})
    assert first.status_code == 200, first.text  # redirected to the code page
    assert "otpauth://totp/" in first.text
    done = client.post(
        "/console/login/code",
        data={"code": code_now(client, secret), "csrf": form_token(first.text)},
    )
    assert done.status_code == 200, done.text
    return Console(form_token(done.text), secret, username)


def import_court_rows(client: TestClient, rows: list[dict[str, object]]) -> list[int]:
    """Rows of the court's published list imported as `xinyong exchange court-import` does;
    the ids of the review candidates they became."""
    from xinyong.services import court_candidates

    platform = client.app.state.platform  # type: ignore[attr-defined]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    court_candidates.import_court_list(platform.uow(), text, actor="test")
    return [c.id or 0 for c in court_candidates.open_candidates(platform.uow())]
