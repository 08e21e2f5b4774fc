"""Access control, proved from the OpenAPI schema: every operation is public or needs one scope
(a console page: a staff session whose role holds its scope, proved in test_console_access.py;
a person's portal page: the person's session, proved in test_portal_access.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import citizen_id, open_account, penalty_row
from xinyong import bootstrap
from xinyong.config import Settings
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import (
    AGENCY_ONLY_SCOPES,
    AGENCY_SCOPES,
    CENTRE_SCOPES,
    PERSON_SCOPES,
    ROLE_SCOPES,
    Role,
    Scope,
)
from xinyong.domain.audit import EventTag
from xinyong.domain.policy import Policy
from xinyong.domain.rates import RateRules
from xinyong.services import accounts, keys
from xinyong.services.records import submit_record
from xinyong.web.app import create_app

if TYPE_CHECKING:
    from httpx2 import Response

KeyFor = Callable[..., str]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Write routes also need a key bound to a department; every key here has one, so that each check
# is about the scope alone (test_records.py covers a key bound to none).
DEPARTMENT = "BJ-AMR"
AGENCY = "AGENCY-BAIHANG"
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Operation:
    """One method on one path of the OpenAPI schema, with what it declares about access."""

    method: str
    path: str
    spec: dict[str, Any]
    schema: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def scopes(self) -> list[str]:
        return [
            scope for requirement in self.spec.get("security", []) for scope in _values(requirement)
        ]

    @property
    def is_public(self) -> bool:
        return self.spec.get("x-access") == "public"

    @property
    def is_staff(self) -> bool:
        """A console page: a staff session whose role holds the scope it declares
        (tests/functional/test_console_access.py proves it for every role)."""
        return self.spec.get("x-access") == "staff"

    @property
    def is_person(self) -> bool:
        """A person's portal page: the signed-in person's session
        (tests/functional/test_portal_access.py proves it for every kind of caller)."""
        return self.spec.get("x-access") == "person"

    @property
    def is_page(self) -> bool:
        """A page for someone signed in on a surface (a console, the portal), not an API key."""
        return self.is_staff or self.is_person

    @property
    def scope(self) -> Scope:
        [scope] = self.scopes
        return Scope(scope)

    def call(self, client: TestClient, headers: dict[str, str] | None = None) -> Response:
        """Call the operation with its path parameters filled in and a minimal body."""
        url = self.path
        for param in self.spec.get("parameters", []):
            if param["in"] == "path":
                kind = param.get("schema", {}).get("type")
                url = url.replace(
                    f"{{{param['name']}}}", "1" if kind == "integer" else "ADM-PEN-01"
                )
        content = self.spec.get("requestBody", {}).get("content", {})
        headers = dict(headers or {})
        if "application/json" in content:
            body = _minimal(content["application/json"]["schema"], self.schema)
            return client.request(self.method, url, json=body, headers=headers)
        if "text/csv" in content:
            headers["content-type"] = "text/csv"
            return client.request(self.method, url, content=b"item\n", headers=headers)
        return client.request(self.method, url, headers=headers)


def _values(requirement: dict[str, list[str]]) -> list[str]:
    return [scope for scopes in requirement.values() for scope in scopes]


def _minimal(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    """A value of the JSON schema with only its required properties: the shape, not the sense."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _minimal(document["components"]["schemas"][name], document)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _minimal(properties[name], document) for name in schema.get("required", [])}
    examples: dict[str, Any] = {"boolean": True, "integer": 1, "number": 1, "array": []}
    return examples.get(str(kind), "a minimal value")


def _schema() -> dict[str, Any]:
    settings = Settings(_env_file=None, database_url="sqlite://", environment="test")  # type: ignore[call-arg]
    platform = bootstrap.build(settings)
    try:
        return create_app(platform=platform).openapi()
    finally:
        platform.close()


SCHEMA = _schema()
OPERATIONS = [
    Operation(method, path, spec, SCHEMA)
    for path, item in SCHEMA["paths"].items()
    for method, spec in item.items()
    if method in METHODS
]
SCOPED = [op for op in OPERATIONS if not op.is_public and not op.is_page]
PUBLIC = [op for op in OPERATIONS if op.is_public]


#: Every scope an API key may hold (a person's scope comes only with a person's session).
KEY_SCOPES = [s for s in Scope if s not in PERSON_SCOPES]


@pytest.fixture
def person(seeded: Callable[[], Any], policy: Policy) -> str:
    """A session token of a person the platform knows (a record, an account, a login)."""
    number = citizen_id()
    submit_record(
        seeded(), policy, penalty_row(subject_id=number), department=DEPARTMENT, actor="test"
    )
    open_account(seeded, policy, number=number, name="王秀英", password="correct horse battery")
    return accounts.login(seeded(), policy, number=number, password="correct horse battery").token


def by_name(operations: list[Operation]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("op", operations, ids=[op.name for op in operations])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: Response, status: int, op: Operation) -> dict[str, Any]:
    assert response.status_code == status, f"{op.name}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def assert_allowed(response: Response, op: Operation) -> None:
    assert response.status_code not in (401, 403), f"{op.name}: {response.text}"
    assert response.status_code < 500, f"{op.name}: {response.text}"


def test_the_schema_lists_the_records_catalog_and_review_operations() -> None:
    names = {op.name for op in OPERATIONS}
    assert {
        "POST /api/v1/records",
        "POST /api/v1/records/batch",
        "GET /api/v1/records/{record_id}",
        "GET /api/v1/catalog",
        "GET /api/v1/identity-reviews",
        "GET /healthz",
    } <= names


def test_only_an_agency_acknowledges_what_its_feed_tells_it() -> None:
    [op] = [op for op in OPERATIONS if op.name == "POST /api/v1/feed/{seq}/acknowledgement"]
    assert op.scope is Scope.FEED_ACKNOWLEDGE
    assert [r for r in Role if Scope.FEED_ACKNOWLEDGE in ROLE_SCOPES[r]] == [Role.CREDIT_AGENCY]


def test_only_the_centre_registers_agency_staff_and_keeps_the_staff_blacklist() -> None:
    staff = {op.name: op.scope for op in SCOPED if "/agencies/{code}/staff" in op.path}
    assert staff == {
        "GET /api/v1/agencies/{code}/staff": Scope.AGENCIES_MANAGE,
        "POST /api/v1/agencies/{code}/staff": Scope.AGENCIES_MANAGE,
        "POST /api/v1/agencies/{code}/staff/{number}/blacklisting": Scope.AGENCIES_MANAGE,
        "POST /api/v1/agencies/{code}/staff/{number}/blacklisting/lifting": Scope.AGENCIES_MANAGE,
        "POST /api/v1/agencies/{code}/staff/{number}/departure": Scope.AGENCIES_MANAGE,
    }
    assert Scope.AGENCIES_MANAGE in CENTRE_SCOPES
    assert [r for r in Role if Scope.AGENCIES_MANAGE in ROLE_SCOPES[r]] == [Role.CREDIT_CENTRE]


@by_name(OPERATIONS)
def test_every_operation_needs_exactly_one_scope_or_is_public(op: Operation) -> None:
    if op.is_public or op.is_page:
        assert op.scopes == [], f"{op.name} is {op.spec['x-access']} and also asks for {op.scopes}"
        assert "security" not in op.spec
        assert op.path.startswith("/console") or not op.is_staff, f"{op.name}: staff, no console"
        assert op.path.startswith("/portal/me") or not op.is_person, f"{op.name}: no person's"
    else:
        assert len(op.spec.get("security", [])) == 1, f"{op.name}: {op.spec.get('security')}"
        assert len(op.scopes) == 1, f"{op.name} declares {op.scopes}"
        assert op.scope in set(Scope)
        [scheme] = op.spec["security"][0]
        assert SCHEMA["components"]["securitySchemes"][scheme]["scheme"] == "bearer"


@by_name(SCOPED)
def test_a_scoped_operation_refuses_a_caller_without_its_scope(
    op: Operation, client: TestClient, key_for: KeyFor, person: str
) -> None:
    missing = op.call(client)
    assert_refused(missing, 401, op)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert op.scope.value in missing.headers["www-authenticate"]

    spoilt = f"{key_for(KEY_SCOPES[:1])}x"
    for token in ("not-a-key", "xy_", "xy_deadbeef_not-the-secret", spoilt, "xs_not-a-session"):
        invalid = op.call(client, auth(token))
        assert_refused(invalid, 401, op)
        assert "www-authenticate" in invalid.headers

    # Everything else a key of the same kind of holder may hold (an agency's key holds only an
    # agency's scopes, a department's none of them: services/keys.py).
    if op.scope in AGENCY_ONLY_SCOPES:
        everything_else = key_for([s for s in AGENCY_SCOPES if s is not op.scope], AGENCY)
    else:
        others = CENTRE_SCOPES | AGENCY_ONLY_SCOPES | {op.scope}
        everything_else = key_for([s for s in KEY_SCOPES if s not in others], DEPARTMENT)
    forbidden = assert_refused(op.call(client, auth(everything_else)), 403, op)
    assert op.scope.value in forbidden["detail"]
    if op.scope is not Scope.ME:
        assert_refused(op.call(client, auth(person)), 403, op)  # a person reaches only /me

    # The centre's own scopes are held by keys bound to no department, an agency's by agencies.
    holder = (
        None
        if op.scope in CENTRE_SCOPES
        else AGENCY
        if op.scope in AGENCY_ONLY_SCOPES
        else DEPARTMENT
    )
    allowed = person if op.scope in PERSON_SCOPES else key_for([op.scope], holder)
    assert_allowed(op.call(client, auth(allowed)), op)


@pytest.mark.parametrize("role", list(Role))
def test_a_role_reaches_exactly_the_operations_of_its_scopes(
    role: Role, client: TestClient, key_for: KeyFor, seeded: Callable[[], Any]
) -> None:
    holder = {Role.CREDIT_CENTRE: None, Role.CREDIT_AGENCY: AGENCY}.get(role, DEPARTMENT)
    headers = auth(key_for(ROLE_SCOPES[role], holder))
    # Every route, one key: its allowance of scope refusals is lifted here, so that each
    # refusal is seen and audited on its own (test_rates.py proves the allowance).
    client.app.state.throttle.counter.rules = RateRules.unlimited()  # type: ignore[attr-defined]
    refused: list[tuple[str, str, str | None]] = []
    for op in SCOPED:
        response = op.call(client, headers)
        if op.scope in ROLE_SCOPES[role]:
            assert_allowed(response, op)
        else:
            assert_refused(response, 403, op)
            refused.append((op.scope.value, op.path, holder))
    # Every refusal for want of the scope is audited: the scope, the route's template (never
    # the path, which may hold an id) and the key's department.
    with seeded() as uow:
        audited = [
            (e.entity_id, e.data["route"], e.data["department"])
            for e in uow.session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.tag == EventTag.SCOPE_REFUSED.value)
                .order_by(AuditEventRow.id)
            )
        ]
    assert audited == refused


def test_a_revoked_key_is_refused_everywhere(
    client: TestClient, key_for: KeyFor, seeded: Callable[[], Any]
) -> None:
    token = key_for(KEY_SCOPES, None)
    prefix = token.removeprefix("xy_").split("_", 1)[0]
    keys.revoke_api_key(seeded(), prefix, actor="test")
    # Every route, one client: its allowance of failed keys is lifted here, so that each route's
    # own refusal is seen (test_rates.py proves the allowance).
    client.app.state.throttle.counter.rules = RateRules.unlimited()  # type: ignore[attr-defined]
    for op in SCOPED:
        response = op.call(client, auth(token))
        assert "revoked" in assert_refused(response, 401, op)["detail"]


def test_a_bearer_token_of_another_scheme_is_refused(client: TestClient, key_for: KeyFor) -> None:
    token = key_for([Scope.CATALOG_READ])
    response = client.get("/api/v1/catalog", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


@by_name(PUBLIC)
def test_a_public_operation_answers_without_a_key(op: Operation, client: TestClient) -> None:
    response = op.call(client)
    assert response.status_code < 500, response.text
    assert "www-authenticate" not in response.headers  # it never asks for a key
    if op.method == "get":
        assert response.status_code == 200, response.text


def test_the_health_check_reports_the_catalog_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["catalog"] == client.app.state.platform.policy.catalog.version  # type: ignore[attr-defined]
