"""Who may call each portal page, proved from the app's own routes (a new page is covered as soon
as it exists): every `/portal` route is either open to anyone or declares itself the signed-in
person's (`web/deps.py person_page`), and the portal's guard asks for a person's session on
exactly those. For every kind of caller: nobody signed in is sent to log in from each person's
page (GET and POST alike, nothing of anyone's file in the answer); a signed-in person reaches
each of their pages; another person's case, repair, listing or authorisation, reached by its id,
does not exist (404), and the reach is audited as a refusal for want of a mandate; a staff user's
console session or an API key is nobody here; and the public pages answer without a session.
A form is sent with its token, so that a refusal is the mandate's and not the form's.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row, serious_penalty_row
from tests.functional.conftest import KeyFor
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    AGENCY,
    Headers,
    Route,
    propose_food_listing,
    routes_under,
    submit,
)
from tests.functional.test_portal import person
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.audit import EventTag
from xinyong.services import accounts
from xinyong.web.console.pages import STAFF_COOKIE
from xinyong.web.deps import PERSON, PUBLIC, SESSION_COOKIE
from xinyong.web.portal import pages as portal_pages

if TYPE_CHECKING:
    from httpx2 import Response

#: The portal routes anyone may call: the front page, logging in and out, registering, and the
#: public's pages (search, exemplars, lists, measures, report verification, tip-offs).
PUBLIC_PAGES = {
    ("GET", "/portal/"),
    ("GET", "/portal/login"),
    ("POST", "/portal/login"),
    ("POST", "/portal/logout"),
    ("GET", "/portal/register"),
    ("POST", "/portal/register"),
    ("GET", "/portal/public"),
    ("POST", "/portal/public/search"),
    ("GET", "/portal/public/exemplars"),
    ("GET", "/portal/public/lists"),
    ("GET", "/portal/public/measures"),
    ("GET", "/portal/public/reports"),
    ("GET", "/portal/public/tipoff"),
    ("POST", "/portal/public/tipoff"),
}

LOGIN = "/portal/login"
NAME, OTHER_NAME = "王秀英", "张伟"
COMMITMENT = "我承诺今后遵守食品安全法律法规，诚信经营，接受社会监督。"


class Page(Route):
    """One method of one portal route, with the form it takes."""

    @property
    def takes_a_file(self) -> bool:
        return "multipart/form-data" in self.spec.get("requestBody", {}).get("content", {})

    def call(
        self,
        client: TestClient,
        csrf: str,
        ids: dict[str, int] | None = None,
        form: dict[str, object] | None = None,
        **kwargs: Any,
    ) -> Response:
        """A GET of the page, or a POST of its form with the token (a PDF, where it takes a
        file; `form`: the rest of the fields)."""
        if self.method == "GET":
            return client.get(self.url(ids), follow_redirects=False, **kwargs)
        files = {"file": ("证明.pdf", b"%PDF-1.4\n%proof\n", "application/pdf")}
        return client.post(
            self.url(ids),
            data={**(form or {}), "csrf": csrf},
            files=files if self.takes_a_file else None,
            follow_redirects=False,
            **kwargs,
        )


def portal_routes(app: FastAPI) -> list[Page]:
    """Every method of every `/portal` route of the app."""
    return routes_under(app, "/portal", Page)


def person_pages(app: FastAPI) -> list[Page]:
    found = [p for p in portal_routes(app) if (p.method, p.path) not in PUBLIC_PAGES]
    assert len(found) >= 18
    return found


def refusals_audited(client: TestClient) -> list[tuple[str, str, int | None]]:
    """Who was refused, what and about whom, of each refusal for want of a mandate."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.tag == EventTag.MANDATE_REFUSED.value)
            .order_by(AuditEventRow.id)
        )
        return [(r.actor, r.entity_id, r.subject_id) for r in rows]


def caller_of(client: TestClient) -> tuple[str, int]:
    """Who the client's portal session stands for: the actor audits name, and the subject."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    caller = accounts.authenticate_session(platform.read_uow(), client.cookies[SESSION_COOKIE])
    assert caller is not None
    assert caller.subject_id is not None
    return caller.actor, caller.subject_id


@dataclass
class World:
    """A person whose file holds a record, an objection, a repair application, a proposed
    listing in its defence window and an authorisation (the ids of each), signed in on
    `client`; and the same app for every other kind of caller."""

    client: TestClient
    number: str
    csrf: str
    ids: dict[str, int]
    record: int

    def fresh(self) -> TestClient:
        """Another caller of the same app, with cookies of its own."""
        return TestClient(self.client.app, raise_server_exceptions=False)

    def leaked(self, response: Response) -> list[str]:
        """What of the person's file the answer shows: their name, their number."""
        return [s for s in (NAME, self.number, self.number[-6:]) if s in response.text]


@pytest.fixture
def world(client: TestClient, amr: Headers, clock: Clock) -> World:
    number = citizen_id()
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=NAME))
    serious = submit(client, amr, serious_penalty_row(subject_id=number, subject_name=NAME))
    clock.advance(days=12)  # past the minimum display period: a repair may be applied for
    entry = propose_food_listing(client, amr, number, serious)
    assert client.post(f"/api/v1/lists/entries/{entry}/notice", headers=amr).status_code == 200
    csrf = person(client, number, NAME)

    def posted(url: str, **form: object) -> Response:
        answer = client.post(url, data={**form, "csrf": csrf}, follow_redirects=False)
        assert answer.status_code == 303, f"{url}: {answer.status_code} {answer.text}"
        return answer

    filed = posted(
        "/portal/me/objections", record_id=serious, ground="error_or_omission", reasons="有误"
    )
    objection = int(re.findall(r"/objections/(\d+)", filed.headers["location"])[0])
    posted(
        "/portal/me/repairs", record_id=record, obligations_performed="true", commitment=COMMITMENT
    )
    [repair] = re.findall(r'<article id="repair-(\d+)"', client.get("/portal/me/repairs").text)
    grant = {"grantee": AGENCY, "purpose": "loan_approval", "scope": "report"}
    posted("/portal/me/authorisations", **grant, expires_on="2027-01-31")
    granted = client.get("/portal/me/authorisations").text
    [authorisation] = re.findall(r"/portal/me/authorisations/(\d+)/revocation", granted)
    ids = {
        "objection_id": objection,
        "repair_id": int(repair),
        "entry_id": entry,
        "authorisation_id": int(authorisation),
    }
    return World(client, number, csrf, ids, record)


def forms_of(world: World) -> dict[str, dict[str, object]]:
    """What each person's form is filled with: enough that only its owner would be answered."""
    return {
        "/portal/me/objections": {
            "record_id": world.record,
            "ground": "error_or_omission",
            "reasons": "有误",
        },
        "/portal/me/repairs": {
            "record_id": world.record,
            "obligations_performed": "true",
            "commitment": COMMITMENT,
        },
        "/portal/me/repairs/{repair_id}/materials": {"commitment": COMMITMENT},
        "/portal/me/lists/{entry_id}/defence": {"defence": "已整改"},
        "/portal/me/authorisations": {
            "grantee": AGENCY,
            "purpose": "loan_approval",
            "scope": "report",
            "expires_on": "2027-01-31",
        },
    }


def test_every_portal_route_declares_who_may_call_it(client: TestClient) -> None:
    routes = portal_routes(client.app)  # type: ignore[arg-type]
    assert {(p.method, p.path) for p in routes} >= PUBLIC_PAGES
    for page in routes:
        assert page.spec.get("x-access") == page.declared.get("x-access"), page.name
        assert "security" not in page.spec, page.name  # a person's session, never an API key
        source = inspect.getsource(page.endpoint)
        guarded = "guard(request)" in source or "submitted(" in source
        if (page.method, page.path) in PUBLIC_PAGES:
            assert page.declared == PUBLIC["openapi_extra"], page.name
            assert not guarded, f"{page.name} is public but asks for a person"
        else:
            assert page.declared == {"x-access": PERSON}, f"{page.name} declares {page.declared}"
            assert page.path.startswith("/portal/me"), page.name
            assert guarded, f"{page.name} is a person's page but never asks for one"


def test_the_guard_refuses_a_route_that_does_not_declare_a_person() -> None:
    public = APIRoute("/portal/x", lambda: None, **PUBLIC)
    request = Request({"type": "http", "method": "GET", "path": "/portal/x", "route": public})
    with pytest.raises(RuntimeError, match="not a person_page"):
        asyncio.run(portal_pages.guard(request))


def test_nobody_signed_in_is_sent_to_log_in_from_every_persons_page(world: World) -> None:
    nobody = world.fresh()
    for page in person_pages(world.client.app):  # type: ignore[arg-type]
        for ids in (None, world.ids):  # an id nothing has, and the person's own
            form = forms_of(world).get(page.path)
            answer = page.call(nobody, world.csrf, ids, form)
            assert (answer.status_code, answer.headers.get("location")) == (303, LOGIN), page.name
            assert world.leaked(answer) == [], page.name
    assert refusals_audited(world.client) == []  # nobody to name: not audited


def test_a_signed_in_person_reaches_each_of_their_pages(world: World) -> None:
    for page in person_pages(world.client.app):  # type: ignore[arg-type]
        if page.method != "GET":
            continue
        answer = page.call(world.client, world.csrf)
        expected = 404 if page.params else 200  # an id nothing has: not found
        assert answer.status_code == expected, f"{page.name}: {answer.status_code}"
        assert answer.headers["cache-control"] == "no-store", page.name
        if page.params:
            own = page.call(world.client, world.csrf, world.ids)
            assert own.status_code == 200, f"{page.name}: {own.status_code}"
            assert NAME in own.text or page.path.endswith("{objection_id}")


def test_another_persons_case_listing_or_authorisation_does_not_exist_and_the_reach_is_audited(
    world: World, amr: Headers
) -> None:
    _, owner = caller_of(world.client)
    other = world.fresh()
    number = citizen_id()
    submit(other, amr, penalty_row(subject_id=number, subject_name=OTHER_NAME))
    csrf = person(other, number, OTHER_NAME)
    forms = forms_of(world)
    reached = []
    for page in person_pages(world.client.app):  # type: ignore[arg-type]
        form = forms.get(page.path, {}) if page.method == "POST" else {}
        if not page.params and "record_id" not in form:
            continue  # nothing of another's to name
        answer = page.call(other, csrf, world.ids, form)
        assert answer.status_code == 404, f"{page.name}: {answer.status_code} {answer.text}"
        assert world.leaked(answer) == [], page.name
        reached.append(page.name)
    assert len(reached) >= 9
    audited = refusals_audited(world.client)
    assert len(audited) == len(reached), audited  # each reach, once
    assert {subject for _, _, subject in audited} == {owner}
    assert {actor for actor, _, _ in audited} == {caller_of(other)[0]}
    # Nothing was filed in the other person's name either.
    assert "/portal/me/objections/" not in other.get("/portal/me/objections").text
    assert 'id="repair-' not in other.get("/portal/me/repairs").text


def test_a_staff_session_or_an_api_key_is_nobody_on_the_persons_pages(
    world: World, key_for: KeyFor
) -> None:
    staff = world.fresh()
    me = sign_in(staff, "portal.centre", Role.CREDIT_CENTRE)
    token = staff.cookies[STAFF_COOKIE]
    key = key_for(ROLE_SCOPES[Role.CREDIT_CENTRE])
    nobody = world.fresh()
    callers: list[dict[str, Any]] = [
        # The console's cookie, sent as the browser would (it is for /console only) and as if
        # it were a person's; an API key in the header, and as a person's cookie.
        {"cookies": {STAFF_COOKIE: token}},
        {"cookies": {SESSION_COOKIE: token}},
        {"headers": {"Authorization": f"Bearer {key}"}},
        {"cookies": {SESSION_COOKIE: key}},
    ]
    for page in person_pages(world.client.app):  # type: ignore[arg-type]
        for sent in callers:
            nobody.cookies.clear()
            for name, value in sent.get("cookies", {}).items():
                nobody.cookies.set(name, value)
            answer = page.call(nobody, me.csrf, world.ids, headers=sent.get("headers"))
            assert (answer.status_code, answer.headers.get("location")) == (303, LOGIN), (
                f"{page.name} {list(sent)}: {answer.status_code}"
            )
            assert world.leaked(answer) == [], page.name


def test_the_public_pages_answer_without_a_session(client: TestClient) -> None:
    for page in portal_routes(client.app):  # type: ignore[arg-type]
        if (page.method, page.path) not in PUBLIC_PAGES:
            continue
        answer = page.call(client, "")
        assert answer.status_code < 500, page.name
        assert answer.headers.get("location") != LOGIN, page.name
        if page.method == "GET":
            assert answer.status_code == 200, f"{page.name}: {answer.status_code}"
    for url in ("/", "/portal/?lang=en", "/portal/public?lang=zh", "/static/portal/portal.css"):
        assert client.get(url, follow_redirects=False).status_code == 200, url
