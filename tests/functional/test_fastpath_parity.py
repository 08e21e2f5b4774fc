"""The fast path (`web/fastpath.py`) answers a check exactly as ordinary routing does: the same
matrix of requests through both gives the same status, media type, challenge and body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.factories import citizen_id, debtor_row

from xinyong.domain.access import ROLE_SCOPES, Role, Scope

KeyFor = Callable[..., str]
URL = "/api/v1/checks"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _requests(listed: str, checker: str, reader: str) -> dict[str, dict[str, Any]]:
    """Named requests: each a set of keyword arguments for `TestClient.post`."""
    key = _bearer(checker)
    return {
        "listed person": {"json": {"subject": listed, "matter": "flight"}, "headers": key},
        "clear person": {"json": {"subject": citizen_id(), "matter": "flight"}, "headers": key},
        "not listed for this matter": {
            "json": {"subject": listed, "matter": "administrative_permit"},
            "headers": key,
        },
        "unknown matter": {"json": {"subject": listed, "matter": "moon-landing"}, "headers": key},
        "invalid number": {"json": {"subject": "110105198013", "matter": "flight"}, "headers": key},
        "no key": {"json": {"subject": listed, "matter": "flight"}},
        "unknown key": {
            "json": {"subject": listed, "matter": "flight"},
            "headers": _bearer("xy_00000000_not-a-key"),
        },
        "key without the scope": {
            "json": {"subject": listed, "matter": "flight"},
            "headers": _bearer(reader),
        },
        "text body": {
            "content": b"subject=1&matter=flight",
            "headers": {**key, "Content-Type": "text/plain"},
        },
        "malformed json": {
            "content": b'{"subject": ',
            "headers": {**key, "Content-Type": "application/json"},
        },
        "empty body": {"content": b"", "headers": {**key, "Content-Type": "application/json"}},
        "wrong shape": {"json": {"subject": listed}, "headers": key},
        "extra json type": {
            "content": b'{"subject": "x", "matter": "flight"}',
            "headers": {**key, "Content-Type": "application/problem+json"},
        },
        "too large": {
            "content": b'{"subject": "' + b"1" * 70_000 + b'", "matter": "flight"}',
            "headers": {**key, "Content-Type": "application/json"},
        },
    }


def _answer(response: Any) -> tuple[int, str, str | None, Any]:
    body = response.json()
    if response.status_code == 200:
        body = {k: v for k, v in body.items() if k != "id"}  # each check gets its own id
    return (
        response.status_code,
        response.headers["content-type"],
        response.headers.get("www-authenticate"),
        body,
    )


def test_the_fast_path_and_ordinary_routing_answer_alike(
    make_client: Callable[..., TestClient], key_for: KeyFor
) -> None:
    fast, ordinary = make_client(), make_client(fast_checks=False)
    court = _bearer(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-HCOURT"))
    row = debtor_row()
    assert fast.post("/api/v1/records", json=row, headers=court).status_code == 201
    listing = {
        "list_type": "COURT-DEBTORS",
        "subject": row["subject_id"],
        "grounds": "court decision",
        "decided_on": "2026-10-15",
    }
    assert fast.post("/api/v1/lists/decided", json=listing, headers=court).status_code == 201
    requests = _requests(
        str(row["subject_id"]),
        key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CAAC-NC"),
        key_for([Scope.CATALOG_READ], "BJ-CAAC-NC"),
    )
    statuses: set[int] = set()
    answers = {}
    for name, request in requests.items():
        a, b = _answer(fast.post(URL, **request)), _answer(ordinary.post(URL, **request))
        assert a == b, name
        statuses.add(a[0])
        answers[name] = a
    assert [m["code"] for m in answers["listed person"][3]["measures"]] == ["M-COURT-FLIGHT"]
    # The matrix reaches every way a check can end.
    assert statuses >= {200, 400, 401, 403, 404, 413, 415, 422}


@pytest.mark.parametrize("fast_checks", [True, False])
def test_both_ways_log_every_answered_check(
    make_client: Callable[..., TestClient], key_for: KeyFor, fast_checks: bool
) -> None:
    client = make_client(fast_checks=fast_checks)
    key = _bearer(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CAAC-NC"))
    ids = {
        client.post(URL, json={"subject": citizen_id(), "matter": "flight"}, headers=key).json()[
            "id"
        ]
        for _ in range(3)
    }
    assert len(ids) == 3
