#!/usr/bin/env python3
"""Set up and run xinyong with nothing but Python 3.11+.

    python3 dev.py demo     create .venv, install, migrate, load 10 000 synthetic persons, serve
    python3 dev.py test     create .venv, install, run the test suite
    python3 dev.py check    lint, types, import layers, migration drift
    python3 dev.py lock     re-pin requirements/*.lock (needs network; developers only)
    python3 dev.py messages gather the pages' text into the English catalog (docs/i18n.md)

Further arguments go to the command:
`python3 dev.py test -k ingest`, `python3 dev.py demo --persons 500`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)  # noqa: S603 - our own tools


def ensure_venv(lock: str) -> None:
    """Create .venv and install the pinned dependencies and the project, once per lock change."""
    if sys.version_info < (3, 11):
        sys.exit(f"xinyong needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock_file = ROOT / "requirements" / lock
    stamp = VENV / f".installed-{lock}"
    wanted = hashlib.sha256(
        lock_file.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"installing dependencies from requirements/{lock} ...", flush=True)
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if run(*pip, "-r", lock_file) or run(*pip, "--no-deps", "-e", ROOT):
        sys.exit("installing dependencies failed (see above)")
    stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "demo":
        ensure_venv("runtime.lock")
        return run(BIN / "xinyong", "demo", *rest)
    if command == "test":
        ensure_venv("dev.lock")
        return run(PYTHON, "-m", "pytest", *rest)
    if command == "check":
        ensure_venv("dev.lock")
        steps = [
            [BIN / "ruff", "check", "src", "tests", "bench", "dev.py"],
            [BIN / "ruff", "format", "--check", "src", "tests", "bench", "dev.py"],
            [BIN / "mypy"],
            [BIN / "lint-imports"],
        ]
        for step in steps:
            print("$", " ".join(str(s).replace(str(ROOT) + os.sep, "") for s in step), flush=True)
            if code := run(*step):
                return code
        return 0
    if command == "messages":
        ensure_venv("dev.lock")
        template = VENV / "messages.pot"
        extract = ["extract", "-F", "babel.cfg", "-k", "_say:2", "--no-location", "-o", template]
        update = ["update", "-i", template, "-d", "src/xinyong/locale", "-l", "en", "-w", "100"]
        flags = ["--ignore-obsolete", "--no-fuzzy-matching"]
        pybabel = BIN / "pybabel"
        return run(pybabel, "-q", *extract, ".") or run(pybabel, "-q", *update, *flags)
    if command == "lock":
        ensure_venv("dev.lock")
        if run(PYTHON, "-m", "pip", "install", "-q", "uv"):
            return 1
        base = [
            PYTHON,
            "-m",
            "uv",
            "pip",
            "compile",
            "pyproject.toml",
            "--python-version",
            "3.11",
            "-q",
        ]
        return run(*base, "-o", "requirements/runtime.lock") or run(
            *base, "--extra", "dev", "-o", "requirements/dev.lock"
        )
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
