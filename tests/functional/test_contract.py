"""The OpenAPI contract is honest: schemathesis, per role, on both databases, finds no 5xx, no
status the schema does not document and no answer that breaks its schema.

Each role calls the operations its scopes reach (the anonymous caller the public ones; a person
its own `/me` ones) with a bounded number of generated requests, valid and invalid, then runs the
stateful phase: sequences that feed one answer's ids into the next request.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.functional.helpers import AGENCY, AIRLINE, DEPARTMENT, KeyFor, auth
from tests.functional.test_access import person  # noqa: F401 - the fixture
from xinyong.domain.access import PERSON_SCOPES, ROLE_SCOPES, Role, Scope

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Generated requests per operation and role (valid and invalid ones each), and stateful steps.
EXAMPLES = 4
SCENARIOS = 4
STEPS = 6
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
HOLDER = {
    Role.SOURCE_DEPARTMENT: DEPARTMENT,
    Role.IMPLEMENTING_DEPARTMENT: AIRLINE,
    Role.CREDIT_CENTRE: None,
    Role.CREDIT_AGENCY: AGENCY,
}
CALLERS = ["anonymous", "person", *[r.value for r in Role]]


def _reaches(op: Any, scopes: frozenset[Scope] | None) -> bool:
    """Whether a caller with `scopes` (None: nobody's key) may call the operation."""
    security = op.definition.raw.get("security")
    if not security:
        return scopes is None
    wanted = {s for requirement in security for values in requirement.values() for s in values}
    return scopes is not None and bool(wanted & {s.value for s in scopes})


def _caller(
    name: str, key_for: KeyFor, session: str
) -> tuple[dict[str, str], frozenset[Scope] | None]:
    if name == "anonymous":
        return {}, None
    if name == "person":
        return auth(session), PERSON_SCOPES
    role = Role(name)
    return auth(key_for(ROLE_SCOPES[role], HOLDER[role])), ROLE_SCOPES[role]


def call(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a generated case (see `send`) and validate the answer."""
    response = send(client, case, headers)
    case.validate_response(response, checks=CHECKS)
    return response


def send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a generated case through the test's own client (the app's lifespan is the test's,
    not one per request), with the caller's credentials."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    if isinstance(kwargs.get("data"), str | bytes):
        kwargs["content"] = kwargs.pop("data")
    kwargs.pop("cookies", None)
    if kwargs.get("files") is not None:
        kwargs["files"] = _files(kwargs["files"])
    else:
        kwargs.pop("files", None)
    request = client.build_request(**kwargs)
    request.read()  # a multipart body is a stream; the check reads it back
    return client.send(request, follow_redirects=False)


def _files(files: Any) -> list[tuple[str, Any]]:
    """A generated multipart part as httpx sends it: whatever was generated, as bytes."""
    out: list[tuple[str, Any]] = []
    for name, value in files.items() if isinstance(files, dict) else files:
        if isinstance(value, tuple):
            filename, content, *rest = value
            out.append((name, (filename, _bytes(content), *rest)))
        else:
            out.append((name, _bytes(value)))
    return out


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _run_operation(
    client: TestClient, op: Any, headers: dict[str, str], failures: list[str]
) -> None:
    strategy = op.as_strategy(GenerationMode.POSITIVE) | op.as_strategy(GenerationMode.NEGATIVE)

    @BOUNDED
    @given(case=strategy)
    def examples(case: Any) -> None:
        call(client, case, headers)

    try:
        examples()
    except Exception as exc:  # every failure of every operation, not only the first
        failures.append(f"{op.label}: {type(exc).__name__}: {str(exc)[:1500]}")


@pytest.mark.parametrize("caller", CALLERS)
def test_schemathesis_finds_no_server_error_undocumented_status_or_schema_violation(
    client: TestClient,
    key_for: KeyFor,
    person: str,  # noqa: F811 - the fixture
    caller: str,
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    headers, scopes = _caller(caller, key_for, person)
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    reached = [op for op in operations if _reaches(op, scopes)]
    assert reached, caller
    # One event loop for the whole run, as a server has: the change log's reader keeps one
    # connection per loop thread, and a client outside `with` starts a thread per request.
    with TestClient(client.app, raise_server_exceptions=False) as steady:
        for op in reached:
            _run_operation(steady, op, headers, failures)
        assert not failures, "\n\n".join(failures)
        _run_stateful(schema, steady, headers)


def _run_stateful(schema: Any, client: TestClient, headers: dict[str, str]) -> None:
    """Sequences of calls where one answer's ids feed the next request (links schemathesis
    infers from the schema), through the same client and checks."""
    machine = schema.as_state_machine()
    sent: list[str] = []

    class Scenario(machine):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            sent.append(case.operation.label)
            return schemathesis.Response.from_any(send(client, case, headers))

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Scenario.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert sent, "the stateful phase made no call"


def test_every_error_is_documented_as_problem_details(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "Problem" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, op in item.items():
            statuses = set(op["responses"])
            assert {"401", "403", "404", "422", "429"} <= statuses, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415"} <= statuses, (method, path)
            for status, response in op["responses"].items():
                if status >= "400":
                    content = response["content"]
                    assert "application/problem+json" in content, (method, path, status)
                    ref = content["application/problem+json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Problem"
