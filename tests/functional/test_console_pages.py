"""What the consoles' pages show a department and the centre: a not-found answered as a page in
the reader's language (and the API's naming the id it did not find), the listing steps and
documents offered only where the rules allow them (a refusal told in the page's language and
audited), and departments and matters by their names, never their codes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.functional.helpers import Headers


def test_a_missing_id_is_named_by_the_api(client: TestClient, every_scope: Headers) -> None:
    batch = client.get("/api/v1/batches/99999", headers=every_scope)
    assert batch.status_code == 404
    assert batch.headers["content-type"].startswith("application/problem+json")
    assert batch.json()["detail"] == "batch 99999 does not exist"
    entry = client.get("/api/v1/lists/entries/99999", headers=every_scope)
    assert entry.json()["detail"] == "list entry 99999 does not exist"
