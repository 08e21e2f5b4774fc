"""Who may open each console page, proved from the app's own routes (a new page is covered as
soon as it exists): every `/console` route but logging in and out declares the scope its user's
role must hold (`web/deps.py staff_page`), and the guard asks for exactly that scope. For every
staff role, each page, GET and POST alike, is refused (403, audited as `staff:page_refused` with
the scope and the page) to a role without the scope; a form is sent with its token, so that the
refusal is the role's and not the form's. A role with the scope is not refused (a made-up id is
not found, an empty form is refused for what it lacks), and nobody signed in is sent to log in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.functional.consoles import sign_in
from tests.functional.helpers import Route, routes_under
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import ROLE_SCOPES, Role, Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.rates import RateRules
from xinyong.domain.staff import STAFF_ROLES
from xinyong.web.deps import STAFF, STAFF_SCOPE

if TYPE_CHECKING:
    from httpx2 import Response

#: The console routes anyone may call: logging in (both steps) and out.
PUBLIC_PAGES = {
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("GET", "/console/login/code"),
    ("POST", "/console/login/code"),
    ("POST", "/console/logout"),
}

#: A user of each staff role, bound as that role must be; and a department's two roles together.
USERS: dict[str, tuple[Role, str | None, tuple[Role, ...]]] = {
    "source": (Role.SOURCE_DEPARTMENT, "BJ-AMR", ()),
    "implementing": (Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC", ()),
    "centre": (Role.CREDIT_CENTRE, None, ()),
    "both": (Role.SOURCE_DEPARTMENT, "BJ-AMR", (Role.IMPLEMENTING_DEPARTMENT,)),
}

#: How docs/consoles.md names each staff role in its table of pages.
SHORT = {
    Role.SOURCE_DEPARTMENT: "source",
    Role.IMPLEMENTING_DEPARTMENT: "implementing",
    Role.CREDIT_CENTRE: "centre",
}
DOC = Path(__file__).resolve().parents[2] / "docs" / "consoles.md"


class Page(Route):
    """One method of one console route, with the scope it declares and the form it takes."""

    @property
    def scope(self) -> Scope | None:
        value = self.declared.get(STAFF_SCOPE)
        return Scope(value) if value is not None else None

    def call(self, client: TestClient, csrf: str) -> Response:
        """A GET of the page, or a POST of its form: the token and, for an upload, a file, so
        that the form has the shape its route takes (the rest empty)."""
        if self.method == "GET":
            return client.get(self.url(), follow_redirects=False)
        files = dict.fromkeys(self._file_fields(), ("rows.csv", b"nothing\n", "text/csv"))
        return client.post(
            self.url(), data={"csrf": csrf}, files=files or None, follow_redirects=False
        )

    def _file_fields(self) -> list[str]:
        content = self.spec.get("requestBody", {}).get("content", {})
        if "multipart/form-data" not in content:
            return []
        body = content["multipart/form-data"]["schema"]
        if "$ref" in body:
            body = self.schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        properties = body.get("properties", {})
        return [
            name
            for name in body.get("required", [])
            if properties[name].get("format") == "binary" or "contentMediaType" in properties[name]
        ]


def console_pages(app: FastAPI) -> list[Page]:
    """Every method of every `/console` route of the app."""
    return routes_under(app, "/console", Page)


def staff_pages(app: FastAPI) -> list[Page]:
    pages = [p for p in console_pages(app) if (p.method, p.path) not in PUBLIC_PAGES]
    assert len(pages) >= 30
    return pages


def refusals_audited(client: TestClient) -> list[tuple[str, str, str]]:
    """Who was refused, the scope and the page, of each `staff:page_refused` event."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.tag == EventTag.STAFF_REFUSED.value)
            .order_by(AuditEventRow.id)
        )
        return [(r.actor, r.data["scope"], r.data["page"]) for r in rows]


def test_every_console_route_declares_who_may_call_it(client: TestClient) -> None:
    pages = console_pages(client.app)  # type: ignore[arg-type]
    assert {(p.method, p.path) for p in pages} >= PUBLIC_PAGES
    held_by_staff = frozenset().union(*(ROLE_SCOPES[r] for r in STAFF_ROLES))
    unscoped = []
    for page in pages:
        assert page.spec.get("x-access") == page.declared.get("x-access"), page.name
        assert "security" not in page.spec, page.name  # a staff session, never an API key
        if (page.method, page.path) in PUBLIC_PAGES:
            assert page.declared == {"x-access": "public"}, page.name
            continue
        assert page.declared.get("x-access") == STAFF, f"{page.name} declares {page.declared}"
        assert set(page.declared) <= {"x-access", STAFF_SCOPE}, page.name
        if page.scope is None:
            unscoped.append(page.name)
        else:
            assert page.scope in held_by_staff, f"{page.name}: no staff role holds {page.scope}"
            assert page.spec.get(STAFF_SCOPE) == page.scope.value, page.name
    assert unscoped == ["GET /console/"]  # the front page: any signed-in staff user


def _documented() -> set[tuple[str, str, str, str]]:
    """The table of docs/consoles.md: each method and page, its scope, the roles holding it."""
    text = DOC.read_text(encoding="utf-8")
    table = text[
        text.index("<!-- console-access:begin -->") : text.index("<!-- console-access:end -->")
    ]
    rows = set()
    for line in table.splitlines()[3:]:
        methods, scope, roles = (cell.strip() for cell in line.strip("|").split("|"))
        names, path = methods.split("`")[:2]
        for method in names.split(","):
            rows.add((method.strip(), path, scope.strip("`"), roles))
    return rows


def test_the_docs_say_who_may_open_each_page(client: TestClient) -> None:
    """A page's scope changes only with docs/consoles.md, where a reviewer sees it."""
    actual = set()
    for page in staff_pages(client.app):  # type: ignore[arg-type]
        scope = page.scope.value if page.scope is not None else "any signed-in staff user"
        holders = [r for r in STAFF_ROLES if page.scope is None or page.scope in ROLE_SCOPES[r]]
        roles = ", ".join(SHORT[r] for r in holders)
        actual.add((page.method, page.path, scope, roles))
    assert _documented() == actual


def test_every_staff_role_is_tried() -> None:
    assert {role for role, _, _ in USERS.values()} == set(STAFF_ROLES)
    assert set(STAFF_ROLES) <= set(ROLE_SCOPES)


@pytest.mark.parametrize("who", list(USERS))
def test_a_staff_role_reaches_exactly_the_console_pages_of_its_scopes(
    client: TestClient, who: str
) -> None:
    role, department, also = USERS[who]
    me = sign_in(client, f"access.{who}", role, department, also)
    # Every page, one user: their allowance of scope refusals is lifted here, so that each
    # refusal is seen and audited on its own (test_rates.py proves the allowance).
    client.app.state.throttle.counter.rules = RateRules.unlimited()  # type: ignore[attr-defined]
    held = frozenset().union(*(ROLE_SCOPES[r] for r in (role, *also)))
    refused = []
    for page in staff_pages(client.app):  # type: ignore[arg-type]
        response = page.call(client, me.csrf)
        if page.scope is None or page.scope in held:
            assert response.status_code != 403, f"{who}: {page.name} refused: {response.text}"
            assert response.status_code < 500, f"{who}: {page.name}"
            assert response.headers.get("location") != "/console/login", f"{who}: {page.name}"
        else:
            assert response.status_code == 403, (
                f"{who}: {page.name} answered {response.status_code}"
            )
            refused.append((page.scope.value, page.url()))
    assert refused, f"{who} may open every page"
    # Each refusal, and no other, is audited: the user, the scope the page declares, the page.
    audited = refusals_audited(client)
    assert [(scope, url) for _, scope, url in audited] == refused
    assert len({actor for actor, _, _ in audited}) == 1
    assert audited[0][0].startswith("staff:")


def test_nobody_signed_in_is_sent_to_log_in_from_every_console_page(client: TestClient) -> None:
    for page in staff_pages(client.app):  # type: ignore[arg-type]
        response = page.call(client, "")
        assert response.status_code == 303, f"{page.name}: {response.status_code}"
        assert response.headers["location"] == "/console/login", page.name
    assert refusals_audited(client) == []  # no session, nobody to name: not audited
