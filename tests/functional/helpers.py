"""What the functional tests share: calling the API and the command line, reading answers, and
walking the app's routes.

Fixtures live in `conftest.py`; these are plain functions and constants the test modules import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from xinyong.cli import app
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.access import Scope
from xinyong.services import accounts, keys

if TYPE_CHECKING:
    from httpx2 import Response

UowFactory = Callable[[], SqlUnitOfWork]
KeyFor = Callable[..., str]
ClientFactory = Callable[..., TestClient]
Headers = dict[str, str]

DEPARTMENT = "BJ-AMR"
PROBLEM = "application/problem+json"
BAD_CHECK_CHARACTER = "11010519491231002Y"  # 11010519491231002X is valid
PASSWORD = "correct horse battery"
AIRLINE = "BJ-CAAC-NC"
AGENCY = "AGENCY-BAIHANG"
#: An id nothing has.
MADE_UP_ID = 987654


def auth(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def masked(number: str) -> str:
    return f"{number[:10]}****{number[14:]}"


@dataclass
class Person:
    number: str
    name: str
    subject_id: int
    headers: Headers


def submit(client: TestClient, headers: Headers, row: dict[str, object]) -> int:
    response = client.post("/api/v1/records", json=row, headers=headers)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["record"]["id"])


def counter_staff(client: TestClient) -> Headers:
    """A credit-centre key that verifies registrations at the counter (accounts:verify)."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    token = keys.create_api_key(
        platform.uow(), label="counter", scopes=[Scope.ACCOUNTS_VERIFY], department=None, actor="t"
    )
    return auth(token)


def register(client: TestClient, number: str, name: str, password: str = PASSWORD) -> int:
    """Register through the API, as the person would: the registration's id (it waits)."""
    registered = client.post(
        "/api/v1/accounts",
        json={"number": number, "name": name, "phone": "138 0013 8000", "password": password},
    )
    assert registered.status_code == 201, registered.text
    assert number not in registered.text
    assert registered.json()["status"] == "pending"
    return int(registered.json()["id"])


def verify_at_counter(
    client: TestClient, registration: int, number: str, name: str, staff: Headers | None = None
) -> Any:
    """Staff saw the ID card: the number and name on it confirm the registration."""
    verified = client.post(
        f"/api/v1/registrations/{registration}/verification",
        json={"number": number, "name": name},
        headers=staff or counter_staff(client),
    )
    assert verified.status_code == 200, verified.text
    assert number not in verified.text
    return verified.json()


def sign_up(client: TestClient, number: str, name: str, password: str = PASSWORD) -> Person:
    """Register, be verified at the counter, and log in (an API token), as the person would."""
    registration = register(client, number, name, password)
    verify_at_counter(client, registration, number, name)
    session = client.post("/api/v1/sessions", json={"number": number, "password": password})
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    assert token.startswith("xs_")
    platform = client.app.state.platform  # type: ignore[attr-defined]
    caller = accounts.authenticate_session(platform.uow(), token)
    assert caller is not None
    assert caller.subject_id is not None
    return Person(number, name, caller.subject_id, auth(token))


def log_in(client: TestClient, person: Person, password: str = PASSWORD) -> None:
    """Log the person in again (an API token lives minutes: after the clock moved on)."""
    session = client.post("/api/v1/sessions", json={"number": person.number, "password": password})
    assert session.status_code == 201, session.text
    person.headers.clear()
    person.headers.update(auth(session.json()["token"]))


def check(client: TestClient, headers: Headers, number: str, matter: str) -> Any:
    response = client.post(
        "/api/v1/checks", json={"subject": number, "matter": matter}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def report(client: TestClient, person: Person) -> Any:
    response = client.get("/api/v1/me/report", params={"format": "json"}, headers=person.headers)
    assert response.status_code == 200, response.text
    assert person.number not in response.text
    return response.json()


def record_in(data: Any, record_id: int) -> Any:
    (found,) = [r for r in data["records"] if r["id"] == record_id]
    return found


def public_record(client: TestClient, record_id: int) -> Any:
    """The record as GET /public/records shows it (None when it is not published today)."""
    response = client.get("/api/v1/public/records", params={"limit": 200})
    assert response.status_code == 200, response.text
    found = [r for r in response.json() if r["id"] == record_id]
    return found[0] if found else None


def feed(client: TestClient, headers: Headers, **params: int) -> list[Any]:
    response = client.get("/api/v1/feed", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()
    return items


def acknowledged_late(
    client: TestClient, item: Any, *, centre: Headers, agency: Headers, due: str
) -> Any:
    """The agency's acknowledgement of feed `item`, one working day past `due`: the centre's
    overdue deadlines name it first, then the agency acknowledges; return its answer."""
    overdue = client.get("/api/v1/deadlines", params={"overdue": "true"}, headers=centre)
    [late] = [d for d in overdue.json() if d["kind"] == "acknowledgement"]
    assert (late["entity_type"], late["entity_id"], late["must_act"]) == (
        "feed_item",
        item["seq"],
        AGENCY,
    )
    assert (late["due"], late["working_days_overdue"]) == (due, 1)
    done = client.post(f"/api/v1/feed/{item['seq']}/acknowledgement", headers=agency)
    assert done.status_code == 200, done.text
    return done.json()


def object_to(client: TestClient, person: Person, record_id: int) -> Any:
    filed = client.post(
        "/api/v1/me/objections",
        json={
            "record_id": record_id,
            "ground": "error_or_omission",
            "reasons": "该案已于2026年10月20日执行完毕，记载有误",
        },
        headers=person.headers,
    )
    assert filed.status_code == 201, filed.text
    return filed.json()


def authorise_agency(client: TestClient, person: Person, until: date | str) -> Any:
    """The person authorises the demo agency to query their report for a loan, until `until`;
    return the authorisation."""
    granted = client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "loan_approval",
            "scope": "report",
            "expires_on": str(until),
        },
        headers=person.headers,
    )
    assert granted.status_code == 201, granted.text
    return granted.json()


def screen(client: TestClient, headers: Headers, body: str, matter: str = "flight") -> Response:
    """Post a CSV of numbers to the batch screening for `matter`."""
    return client.post(
        "/api/v1/checks/batch",
        params={"matter": matter},
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )


def agency_query(client: TestClient, agency: Headers, number: str) -> Any:
    return client.post(
        "/api/v1/agency/queries",
        json={"subject": number, "purpose": "loan_approval", "scope": "report"},
        headers=agency,
    )


# The command line


def run(*args: str, stdin: str | None = None) -> Result:
    """Run the command line in this process; `stdin` is what standard input holds (a pipe)."""
    return CliRunner().invoke(app, list(args), input=stdin)


def squashed(text: str) -> str:
    """The text without whitespace: the console wraps long lines, even inside a path."""
    return "".join(text.split())


def words(text: str) -> str:
    return " ".join(text.split())


def propose_food_listing(client: TestClient, headers: Headers, number: str, record: int) -> int:
    """A serious food-safety listing proposed about `number` on `record`; the entry's id."""
    return propose_listing(
        client, headers, number, record, "FOOD-DRUG-SERIOUS", "sold food past its date, repeatedly"
    )


def propose_listing(
    client: TestClient, headers: Headers, number: str, record: int, list_type: str, grounds: str
) -> int:
    """A listing on `list_type` proposed about `number` on `record`; the entry's id."""
    proposed = client.post(
        "/api/v1/lists/proposals",
        json={
            "list_type": list_type,
            "subject": number,
            "grounds": grounds,
            "basis_records": [record],
        },
        headers=headers,
    )
    assert proposed.status_code == 201, proposed.text
    return int(proposed.json()["id"])


def record_listing(
    client: TestClient, headers: Headers, number: str, list_type: str = "COURT-DEBTORS"
) -> Any:
    return client.post(
        "/api/v1/lists/decided",
        json={
            "list_type": list_type,
            "subject": number,
            "grounds": "the deciding authority's decision",
            "decided_on": "2026-10-15",
        },
        headers=headers,
    )


def measures_for(
    client: TestClient, headers: Headers, number: str, matter: str = "flight"
) -> list[str]:
    response = client.post(
        "/api/v1/checks", json={"subject": number, "matter": matter}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [m["code"] for m in response.json()["measures"]]


@dataclass(frozen=True)
class Route:
    """One method of one route of the app: what it declares, its operation in the app's OpenAPI
    schema (`schema`: the whole document, for what the operation refers to) and its handler."""

    method: str
    path: str
    declared: dict[str, Any]
    spec: dict[str, Any]
    schema: dict[str, Any]
    endpoint: Any

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        """The names of its path parameters."""
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    def url(self, ids: dict[str, int] | None = None) -> str:
        """The path, each parameter filled from `ids` (by name), else with the first value it
        may take (one of a few) or an id nothing has."""
        url = self.path
        for param in self.spec.get("parameters", []):
            if param["in"] != "path":
                continue
            kind = param.get("schema", {})
            value = (ids or {}).get(param["name"])
            if value is None:
                value = kind["enum"][0] if "enum" in kind else MADE_UP_ID
            url = url.replace(f"{{{param['name']}}}", str(value))
        return url


RouteT = TypeVar("RouteT", bound=Route)


def routes_under(app: FastAPI, prefix: str, kind: type[RouteT]) -> list[RouteT]:
    """Every method of every route of the app whose path starts with `prefix`, as a `kind`
    (walked as the app routes and documents them: an included router's routes under its
    prefix; a route missing from the schema fails the walk)."""
    schema = app.openapi()
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path_format or ""
        if not isinstance(route, APIRoute) or not path.startswith(prefix):
            continue
        for method in sorted(context.methods or ()):
            spec = schema["paths"][path][method.lower()]
            declared = route.openapi_extra or {}
            found.append(kind(method, path, declared, spec, schema, route.endpoint))
    return found
