"""Policy files shipped with the package: the catalog, periods, departments, regions.

Every figure the rules use (periods, deadlines, thresholds) lives in these TOML files,
never in code.
A deployment may point `XINYONG_POLICY_DIR` at its own copy.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGED = Path(str(resources.files(__name__)))


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML policy file; a syntax error names the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
