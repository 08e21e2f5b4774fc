"""Hostile input, one policy for every route: a control character in any text field is a 422
naming the field, on both databases, for every operation the OpenAPI schema lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories import penalty_row
from tests.functional.helpers import assert_problem
from tests.functional.test_access import (
    AGENCY,
    DEPARTMENT,
    OPERATIONS,
    SCHEMA,
    KeyFor,
    Operation,
    _minimal,
    auth,
    person,  # noqa: F401 - the fixture the /me operations call with
)
from xinyong.domain.access import AGENCY_ONLY_SCOPES, CENTRE_SCOPES, Scope
from xinyong.web.limits import _json_faults, _query_faults

NUL = "a\x00b"
#: Control characters besides NUL that no text field holds (tab and line breaks may be in text).
OTHERS = ["\x1b[31m", "a\x7fb", "a\x85b", "a\x0bb"]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_text(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        return True
    return any(_is_text(s) for s in schema.get("anyOf", []))


def _text_paths(schema: dict[str, Any], at: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path to a free-text property of a JSON body schema (arrays: their first item)."""
    schema = _resolve(schema)
    if _is_text(schema):
        yield at
        return
    for option in schema.get("anyOf", []):
        yield from _text_paths(option, at)
    for name, prop in schema.get("properties", {}).items():
        yield from _text_paths(prop, (*at, name))
    if schema.get("type") == "array" and "items" in schema:
        yield from _text_paths(schema["items"], (*at, "0"))


def _body_with(schema: dict[str, Any], path: tuple[str, ...], value: str) -> Any:
    """The minimal body of `schema` with `value` at `path`."""
    if not path:
        return value
    schema = _resolve(schema)
    if "anyOf" in schema:
        options = [_resolve(s) for s in schema["anyOf"] if _resolve(s).get("type") != "null"]
        schema = options[0]
    head, rest = path[0], path[1:]
    if schema.get("type") == "array":
        return [_body_with(schema["items"], rest, value)]
    body = _minimal(schema, SCHEMA)
    body[head] = _body_with(schema["properties"][head], rest, value)
    return body


def _probes(op: Operation, value: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(field, request) pairs: each text parameter or body property holding `value`."""
    for param in op.spec.get("parameters", []):
        if param["in"] not in ("path", "query") or not _is_text(param.get("schema", {})):
            continue
        path = op.path
        for other in op.spec.get("parameters", []):
            if other["in"] == "path" and other is not param:
                kind = _resolve(other.get("schema", {})).get("type")
                path = path.replace(f"{{{other['name']}}}", "1" if kind == "integer" else "A-1")
        if param["in"] == "path":
            yield (
                param["name"],
                {"url": path.replace(f"{{{param['name']}}}", quote(value, safe=""))},
            )
        else:
            yield param["name"], {"url": path, "params": {param["name"]: value}}
    url = op.path
    for param in op.spec.get("parameters", []):
        if param["in"] == "path":
            kind = _resolve(param.get("schema", {})).get("type")
            url = url.replace(f"{{{param['name']}}}", "1" if kind == "integer" else "A-1")
    content = op.spec.get("requestBody", {}).get("content", {})
    for media in ("application/json", "application/x-www-form-urlencoded"):
        if media not in content:
            continue
        schema = content[media]["schema"]
        for at in _text_paths(schema):
            body = _body_with(schema, at, value)
            field = ".".join(at)
            if media == "application/json":
                yield field, {"url": url, "json": body}
            else:
                yield field, {"url": url, "data": body}


def _headers_for(op: Operation, key_for: KeyFor, session: str) -> dict[str, str]:
    if op.is_public or op.is_page:
        return {}  # a console's or a person's page: nobody signed in (fields are checked first)
    if op.scope is Scope.ME:
        return auth(session)
    if op.scope in CENTRE_SCOPES:
        return auth(key_for([op.scope], None))
    return auth(key_for([op.scope], AGENCY if op.scope in AGENCY_ONLY_SCOPES else DEPARTMENT))


def test_the_schema_has_text_fields_of_every_kind() -> None:
    requests = [r for op in OPERATIONS for _, r in _probes(op, NUL)]
    assert any("params" in r for r in requests)
    assert any("json" in r for r in requests)
    assert any(quote(NUL) in r["url"] for r in requests)


def test_a_nul_in_any_text_field_of_any_operation_is_a_422_naming_it(
    client: TestClient,
    key_for: KeyFor,
    person: str,  # noqa: F811 - the fixture
) -> None:
    failures = []
    probed = 0
    for op in OPERATIONS:
        headers = _headers_for(op, key_for, person)
        for field, request in _probes(op, NUL):
            probed += 1
            response = client.request(op.method, headers=headers, **request)
            if response.status_code != 422 or not response.headers["content-type"].startswith(
                "application/problem+json"
            ):
                failures.append(f"{op.name} {field}: {response.status_code} {response.text[:200]}")
                continue
            named = {e["field"] for e in response.json().get("errors", [])}
            if field not in named:
                failures.append(f"{op.name} {field}: names {named}")
            if "\\u0000" in response.text or "\x00" in response.text:
                failures.append(f"{op.name} {field}: echoes the NUL")
    assert probed > 50
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", OTHERS, ids=["escape", "del", "c1", "vertical-tab"])
def test_other_control_characters_are_refused_like_nul(client: TestClient, value: str) -> None:
    response = client.get("/api/v1/public/records", params={"item": value})
    body = assert_problem(response, 422)
    assert body["errors"] == [{"row": 0, "field": "item", "reason": body["errors"][0]["reason"]}]


def test_the_public_search_refuses_a_nul_without_touching_the_database(
    client: TestClient,
) -> None:
    body = assert_problem(client.get("/api/v1/public/records?item=a%00b"), 422)
    assert [e["field"] for e in body["errors"]] == ["item"]
    assert "a\x00b" not in str(body)


def test_a_lone_surrogate_in_json_is_refused(client: TestClient, key_for: KeyFor) -> None:
    headers = auth(key_for([Scope.CHECKS_RUN], DEPARTMENT))
    raw = b'{"subject_id": "11010519491231002X", "name": "\\ud800"}'
    response = client.post(
        "/api/v1/checks", content=raw, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert response.status_code < 500


def test_tabs_and_line_breaks_stay_allowed_in_body_text_but_not_in_parameters() -> None:
    assert list(_json_faults(b'{"reasons": "first line\\nsecond\\tcolumn\\r\\n"}')) == []
    assert list(_json_faults(b'{"reasons": ["\\u0000"]}')) == ["reasons.0"]
    assert list(_query_faults(b"q=a%09b")) == ["q"]


# No error repeats what the caller sent


def test_an_id_number_in_a_path_does_not_come_back(client: TestClient, key_for: KeyFor) -> None:
    number = "110105198005170011"
    headers = auth(key_for([Scope.CATALOG_READ, Scope.RECORDS_READ], DEPARTMENT))
    for url in (f"/api/v1/catalog/{number}", f"/api/v1/records/{number}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, response.text
        assert number not in response.text
        assert number[:17] not in response.text


def test_a_refused_cell_is_named_not_repeated(client: TestClient, key_for: KeyFor) -> None:
    headers = auth(key_for([Scope.RECORDS_WRITE], DEPARTMENT))
    row = penalty_row(fine_amount="=1+1", decision_date="@SUM(A1)", item="=HYPERLINK(x)")
    body = assert_problem(client.post("/api/v1/records", json=row, headers=headers), 422)
    fields = {e["field"] for e in body["errors"]}
    assert "item" in fields
    for value in ("=1+1", "@SUM", "HYPERLINK"):
        assert value not in str(body)


def test_a_validation_error_carries_neither_input_nor_context(
    client: TestClient, key_for: KeyFor
) -> None:
    headers = auth(key_for([Scope.CHECKS_RUN], DEPARTMENT))
    secret = "x" * 41 + "110105198005170011"
    body = assert_problem(
        client.post("/api/v1/checks", json={"subject": secret, "matter": 7}, headers=headers), 422
    )
    assert {e["field"] for e in body["errors"]} == {"subject", "matter"}
    for error in body["errors"]:
        assert set(error) == {"row", "field", "reason"}
    assert "110105198005170011" not in str(body)
    invalid = client.post(
        "/api/v1/checks",
        json={"subject": "110105198005170012", "matter": "administrative_permit"},
        headers=headers,
    )
    assert invalid.status_code in (404, 422), invalid.text
    assert "110105198005170012" not in invalid.text
