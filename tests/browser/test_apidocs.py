"""The vendored API documentation pages work under the content security policy, in a real
browser (Debian's Chromium driven by Playwright): no refusal, the operations rendered."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('apidocs') / 'docs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "xinyong.web.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "XINYONG_DATABASE_URL": url},
    )
    address = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(address + "/healthz", timeout=1)  # noqa: S310 - our server
            break
        except OSError:
            time.sleep(0.1)
    yield address
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def page(base: str) -> Iterator[tuple[Any, list[str]]]:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        opened = browser.new_page()
        refusals: list[str] = []
        opened.on(
            "console", lambda m: refusals.append(m.text) if "Content Security" in m.text else None
        )
        yield opened, refusals
        browser.close()


def _settles(page: Any, selector: str, count: int) -> bool:
    """Whether the page comes to show `count` elements (polled from here: the policy refuses
    Playwright's wait_for_function, which evaluates a string)."""
    for _ in range(150):
        if page.locator(selector).count() == count:
            return True
        page.wait_for_timeout(200)
    return False


def test_swagger_ui_renders_every_operation_under_the_policy(
    base: str, page: tuple[Any, list[str]]
) -> None:
    opened, refusals = page
    schema = json.loads(urllib.request.urlopen(base + "/openapi.json").read())  # noqa: S310
    operations = [op for path in schema["paths"].values() for op in path.values()]
    tags = {tag for op in operations for tag in op.get("tags", [])}
    response = opened.goto(base + "/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # The page lists the tags collapsed (docExpansion "none": 100-odd operations at once are
    # too many to read, and to render); opening each tag shows its operations.
    opened.wait_for_selector(".opblock-tag", timeout=30_000)
    assert opened.locator(".opblock-tag").count() == len(tags)
    for tag in sorted(tags):
        expected = sum(tag in op.get("tags", []) for op in operations)
        opened.locator(f'.opblock-tag[data-tag="{tag}"]').click()
        assert _settles(opened, ".opblock", expected), tag
        opened.locator(f'.opblock-tag[data-tag="{tag}"]').click()
        assert _settles(opened, ".opblock", 0), tag
    assert refusals == []


def test_redoc_renders_the_operations_under_the_policy(
    base: str, page: tuple[Any, list[str]]
) -> None:
    opened, refusals = page
    opened.goto(base + "/redoc")
    opened.wait_for_selector("text=Submit one record", timeout=30_000)
    assert refusals == []
