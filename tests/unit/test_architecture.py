"""docs/architecture.md tells the truth about the tree: each area in each layer, every module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "xinyong"
DOC = ROOT / "docs" / "architecture.md"
LAYERS = ("domain", "services", "db", "web/api/v1", "cli")


def _table(marker: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"<!-- {marker}:begin -->")[1].split(f"<!-- {marker}:end -->")[0]
    rows = [line for line in body.strip().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _files(cell: str) -> set[str]:
    return set(re.findall(r"([a-z_0-9]+\.py)", cell))


def _modules(layer: str) -> set[str]:
    return {p.name for p in (PACKAGE / layer).glob("*.py") if p.name != "__init__.py"}


def test_each_area_appears_under_its_own_name_in_the_layers_the_table_gives() -> None:
    for area, *cells in _table("areas"):
        for layer, cell in zip(LAYERS, cells, strict=True):
            own = PACKAGE / layer / f"{area}.py"
            if cell == "—":
                assert not own.exists(), f"{layer}/{area}.py exists but the table says —"
                continue
            assert f"{area}.py" in _files(cell), f"{area}: {layer} names no {area}.py"
            for name in _files(cell):
                assert (PACKAGE / layer / name).exists(), f"{layer}/{name} is in the table only"


def test_every_module_of_each_layer_is_in_the_tables() -> None:
    named: dict[str, set[str]] = {layer: set() for layer in LAYERS}
    for _area, *cells in _table("areas"):
        for layer, cell in zip(LAYERS, cells, strict=True):
            named[layer] |= _files(cell)
    for layer, cell in _table("shared"):
        named[layer] |= _files(cell)
    for layer in LAYERS:
        assert _modules(layer) == named[layer], layer


#: A module longer than this is two modules (data files and migrations aside).
MAX_LINES = 520


def test_no_module_of_code_grows_past_the_limit() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
