"""Hostile bodies, one policy for every route: sizes checked before reading, strict media types,
and a batch body read through before anything of it is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import penalty_row
from tests.functional.helpers import (
    DEPARTMENT,
    ClientFactory,
    KeyFor,
    UowFactory,
    assert_problem,
    auth,
)
from tests.functional.test_batches import CSV, JSON_LINES, as_csv, as_json_lines
from xinyong.db.batches import BatchRow
from xinyong.db.records import CreditRecordRow
from xinyong.domain.access import Scope
from xinyong.domain.errors import Invalid
from xinyong.services.batchfiles import read_rows

BOM = b"\xef\xbb\xbf"
SCREEN = "/api/v1/checks/batch?matter=administrative_permit"


def _stored(seeded: UowFactory) -> tuple[int, int]:
    uow = seeded()
    with uow:
        batches = uow.session.scalar(select(func.count()).select_from(BatchRow))
        records = uow.session.scalar(select(func.count()).select_from(CreditRecordRow))
    return int(batches or 0), int(records or 0)


@pytest.fixture
def writer(key_for: KeyFor) -> dict[str, str]:
    return auth(key_for([Scope.RECORDS_WRITE, Scope.RECORDS_READ, Scope.CHECKS_RUN], DEPARTMENT))


# A batch body is read through before anything is stored


def test_a_csv_whose_bytes_turn_invalid_after_2000_rows_stores_nothing(
    client: TestClient, writer: dict[str, str], seeded: UowFactory
) -> None:
    body = as_csv([penalty_row() for _ in range(2100)]) + b"ADM-PEN-01,\xff\xfe\n"
    response = client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV})
    problem = assert_problem(response, 422)
    assert "UTF-8" in problem["detail"]
    assert "line 2102" in problem["detail"]
    assert _stored(seeded) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [b"", b"\n", BOM, as_csv([penalty_row()]).split(b"\n")[0] + b"\n"],
    ids=["empty", "blank line", "only a BOM", "only a header"],
)
def test_an_empty_csv_is_refused_and_creates_no_batch(
    client: TestClient, writer: dict[str, str], seeded: UowFactory, body: bytes
) -> None:
    response = client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV})
    assert_problem(response, 422)
    assert _stored(seeded) == (0, 0)


def test_empty_json_lines_are_refused_and_create_no_batch(
    client: TestClient, writer: dict[str, str], seeded: UowFactory
) -> None:
    response = client.post(
        "/api/v1/records/batch", content=b"\n\n", headers={**writer, **JSON_LINES}
    )
    assert_problem(response, 422)
    assert _stored(seeded) == (0, 0)


def test_json_posted_as_csv_is_refused_alike_on_every_csv_route(
    client: TestClient, writer: dict[str, str], seeded: UowFactory
) -> None:
    body = json.dumps([penalty_row()]).encode()
    for url in ("/api/v1/records/batch", SCREEN):
        problem = assert_problem(client.post(url, content=body, headers={**writer, **CSV}), 422)
        assert "header" in problem["detail"]
    assert _stored(seeded) == (0, 0)


def test_a_header_naming_no_catalog_column_stores_nothing(
    client: TestClient, writer: dict[str, str], seeded: UowFactory
) -> None:
    body = b"name,amount\nWang,12\n"
    response = client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV})
    assert "header" in assert_problem(response, 422)["detail"]
    assert _stored(seeded) == (0, 0)


def test_a_cell_past_the_limit_is_refused_naming_its_line_and_stores_nothing(
    client: TestClient, writer: dict[str, str], seeded: UowFactory
) -> None:
    rows = [penalty_row() for _ in range(3)]
    rows[1]["violation"] = "x" * (1024 * 1024 + 1)
    response = client.post("/api/v1/records/batch", content=as_csv(rows), headers={**writer, **CSV})
    detail = assert_problem(response, 422)["detail"]
    assert detail.startswith("line 3 (row 2): a cell holds more than 1048576 characters")
    assert detail.endswith("; nothing was stored")
    assert _stored(seeded) == (0, 0)


def test_a_batch_failing_part_way_names_its_batch_and_what_was_committed(
    make_client: ClientFactory,
    writer: dict[str, str],
    seeded: UowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A body that passes the read-through and still fails (here: its reader breaks after row
    5) leaves its committed chunks stored, and the answer says which batch and what."""
    real = read_rows

    def breaking(stream: Any, fmt: Any) -> Iterator[Any]:
        for number, row in real(stream, fmt):
            if number > 5:
                raise Invalid("the body cannot be read after row 5")
            yield number, row

    monkeypatch.setattr("xinyong.web.api.v1.batches.read_rows", breaking)
    client = make_client(ingest_chunk_rows=2)
    body = as_csv([penalty_row() for _ in range(8)])
    response = client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV})
    problem = assert_problem(response, 422)
    assert problem["committed"]["rows_done"] == 4  # two chunks of two; row 5's chunk was not
    assert problem["committed"]["accepted"] == 4
    assert _stored(seeded) == (1, 4)
    shown = client.get(f"/api/v1/batches/{problem['batch_id']}", headers=writer)
    assert shown.status_code == 200, shown.text
    assert shown.json()["accepted"] == 4


def test_a_control_character_in_a_cell_refuses_its_row_naming_the_field(
    client: TestClient, writer: dict[str, str], seeded: UowFactory
) -> None:
    good, bad = penalty_row(), penalty_row(violation="销售\x00过期食品")
    response = client.post(
        "/api/v1/records/batch", content=as_csv([good, bad]), headers={**writer, **CSV}
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["accepted"], summary["rejected"]) == (1, 1)
    assert [(e["row"], e["field"]) for e in summary["errors"]] == [(2, "violation")]
    lines: list[dict[str, object] | str] = [
        json.dumps(penalty_row(note={"deep": "\u0000"})),
        json.dumps(penalty_row(violation="\ud800")),
        json.dumps(penalty_row()),
    ]
    response = client.post(
        "/api/v1/records/batch", content=as_json_lines(lines), headers={**writer, **JSON_LINES}
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert [(e["row"], e["field"]) for e in summary["errors"]] == [(1, "note"), (2, "violation")]
    assert summary["accepted"] == 1


# Sizes: checked before the body is read, whether its length is given or not


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 1024):
        yield body[start : start + 1024]


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_json_body_is_a_413_on_every_kind_of_route(
    make_client: ClientFactory, writer: dict[str, str], streamed: bool
) -> None:
    client = make_client(max_body_bytes=65_536)
    body = json.dumps({"subject": "1" * 100_000, "matter": "flight"}).encode()
    for url in ("/api/v1/records", "/api/v1/checks", "/api/v1/subjects/roles"):
        content: Any = _chunks(body) if streamed else body
        response = client.post(
            url, content=content, headers={**writer, "content-type": "application/json"}
        )
        assert_problem(response, 413)


# Media types: the same answer on every route


def test_a_json_route_refuses_another_media_type_with_415(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = json.dumps(penalty_row()).encode()
    for url in ("/api/v1/records", "/api/v1/checks"):
        for media in ("text/csv", "text/plain", None):
            headers = {**writer, **({"content-type": media} if media else {})}
            assert_problem(client.post(url, content=body, headers=headers), 415)


def test_a_csv_route_refuses_another_media_type_with_415(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = as_csv([penalty_row()])
    for url in ("/api/v1/records/batch", SCREEN):
        for media in ("application/json", "text/plain"):
            headers = {**writer, "content-type": media}
            assert_problem(client.post(url, content=body, headers=headers), 415)


def test_a_byte_order_mark_is_ignored_on_every_route(
    client: TestClient, writer: dict[str, str]
) -> None:
    json_type = {**writer, "content-type": "application/json"}
    record = client.post(
        "/api/v1/records", content=BOM + json.dumps(penalty_row()).encode(), headers=json_type
    )
    assert record.status_code == 201, record.text
    check = {"subject": "11010519491231002X", "matter": "administrative_permit"}
    checked = client.post(
        "/api/v1/checks", content=BOM + json.dumps(check).encode(), headers=json_type
    )
    assert checked.status_code == 200, checked.text
    batch = client.post(
        "/api/v1/records/batch",
        content=BOM + as_csv([penalty_row()]),
        headers={**writer, **CSV},
    )
    assert batch.status_code == 200, batch.text
    assert batch.json()["accepted"] == 1
    screened = client.post(
        SCREEN, content=BOM + b"number\n11010519491231002X\n", headers={**writer, **CSV}
    )
    assert screened.status_code == 200, screened.text
