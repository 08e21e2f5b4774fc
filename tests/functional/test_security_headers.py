"""Safe output over HTTP: security headers on every page and answer, and the screening result
CSV with its formula cells escaped."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re

import pytest
from fastapi.testclient import TestClient

from tests.functional.helpers import DEPARTMENT, KeyFor, auth
from xinyong.domain.access import Scope

PAGES = ["/", "/docs", "/redoc", "/portal/", "/portal/public", "/portal/login"]


def _csp(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {d.split()[0]: d for d in (p.strip() for p in header.split(";")) if d}


@pytest.mark.parametrize("path", PAGES)
def test_every_html_page_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    csp = _csp(response)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["default-src"] == "default-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_docs_page_inline_script_is_allowed_by_its_hash_and_nothing_else(
    client: TestClient,
) -> None:
    response = client.get("/docs")
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert scripts  # Swagger UI starts from one inline script
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in _csp(response)["script-src"]
    assert "'unsafe-eval'" not in _csp(response)["script-src"]
    assert "'unsafe-eval'" not in _csp(client.get("/portal/"))["script-src"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/healthz"), ("GET", "/no/such/page"), ("GET", "/api/v1/catalog")],
)
def test_api_answers_and_refusals_carry_them_too(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_screening_result_escapes_formula_cells(client: TestClient, key_for: KeyFor) -> None:
    headers = {**auth(key_for([Scope.CHECKS_RUN], DEPARTMENT)), "content-type": "text/csv"}
    body = 'number\n=HYPERLINK("http://evil")\n@SUM(A1)\n+1\n11010519491231002X\n'
    response = client.post(
        "/api/v1/checks/batch?matter=administrative_permit", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 5  # the header and one result per number
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
