"""The command line's help and `id check` load none of the platform: checked in fresh processes.

What a command imports decides how fast it answers; these tests pin the structure (which modules
load), not a time. The times are measured by bench/cli.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xinyong
from xinyong.cli import app, context
from xinyong.config import Settings
from xinyong.policy import PACKAGED

#: Run one command in this process's interpreter, then write the names of the loaded modules.
PROBE = """
import json, sys
from xinyong.cli import app
app(json.loads(sys.argv[1]), standalone_mode=False, prog_name="xinyong")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump(sorted(sys.modules), out)
"""
#: What no help and no `id check` may load: the database, the web, the services, the settings.
PLATFORM = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "jinja2",
    "pydantic_settings",
    "weasyprint",
    "xinyong.config",
    "xinyong.bootstrap",
    "xinyong.services",
    "xinyong.db",
    "xinyong.web",
    "xinyong.synth",
    "xinyong.transport",
    "nats",
)
VALID_ID = "11010519491231002X"  # born 1949-12-31


def clean_environment() -> dict[str, str]:
    """This environment without XINYONG_ variables, able to import the source under test."""
    source = str(Path(xinyong.__file__).parents[1])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("XINYONG_")}
    return {**env, "PYTHONPATH": path, "COLUMNS": "80"}


def run(
    args: list[str], folder: Path, env: dict[str, str] | None = None
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run `xinyong ARGS` in a fresh interpreter in `folder`; return the modules it loaded."""
    modules = folder / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), str(modules)],
        cwd=folder,
        env=env or clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert modules.exists(), done.stderr
    return set(json.loads(modules.read_text(encoding="utf-8"))), done


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The names (packages count with their submodules) that are among `modules`."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_the_help_loads_nothing_but_the_command_line(tmp_path: Path) -> None:
    modules, done = run(["--help"], tmp_path)

    assert "Usage: xinyong" in done.stdout
    assert loaded(modules, (*PLATFORM, "pydantic", "stdnum", "chinese_calendar", "pypinyin")) == []
    assert loaded(modules, ("xinyong.domain.identifiers", "cryptography", "nats")) == []


def test_every_group_and_command_help_loads_none_of_the_platform(tmp_path: Path) -> None:
    """Typer itself loads pydantic to read a command's options; nothing of ours may follow."""
    import typer.core
    import typer.main

    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    helps: list[list[str]] = []
    for name, command in root.commands.items():
        helps.append([name, "--help"])
        helps += [[name, sub, "--help"] for sub in getattr(command, "commands", {})]
    script = tmp_path / "helps.py"
    script.write_text(
        "import json, sys\n"
        "from xinyong.cli import app\n"
        f"for args in {helps!r}:\n"
        "    app(args, standalone_mode=False, prog_name='xinyong')\n"
        "with open(sys.argv[1], 'w', encoding='utf-8') as out:\n"
        "    json.dump(sorted(sys.modules), out)\n",
        encoding="utf-8",
    )
    modules_file = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, str(script), str(modules_file)],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert len(helps) > 40
    assert "Usage: xinyong lists propose" in done.stdout
    modules = set(json.loads(modules_file.read_text(encoding="utf-8")))
    assert loaded(modules, PLATFORM) == []


def test_id_check_with_default_settings_loads_only_the_identifiers(tmp_path: Path) -> None:
    modules, done = run(["id", "check", "--json", VALID_ID], tmp_path)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["birth_date"] == "1949-12-31"
    assert loaded(modules, PLATFORM) == []
    assert loaded(modules, ("xinyong.domain.policy", "xinyong.domain.records")) == []


def policy_with_max_age(tmp_path: Path, years: int) -> Path:
    """A copy of the packaged policy whose oldest plausible age is `years`."""
    folder = tmp_path / "policy"
    shutil.copytree(PACKAGED, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    periods = folder / "periods.toml"
    text = periods.read_text(encoding="utf-8")
    assert "max_age_years = 130" in text
    periods.write_text(text.replace("max_age_years = 130", f"max_age_years = {years}"), "utf-8")
    return folder


@pytest.mark.parametrize("where", ["environment", "dotenv"])
def test_id_check_follows_a_deployments_own_policy(tmp_path: Path, where: str) -> None:
    """The quick path is for default settings only: a policy folder, from the environment or a
    .env file, still decides the oldest plausible age."""
    folder = policy_with_max_age(tmp_path, 60)
    env = clean_environment()
    if where == "environment":
        env["xinyong_policy_dir"] = str(folder)  # the settings read names in any case
    else:
        (tmp_path / ".env").write_text(f"XINYONG_POLICY_DIR={folder}\n", encoding="utf-8")

    _, done = run(["id", "check", "--json", VALID_ID], tmp_path, env)

    assert json.loads(done.stdout) == {
        "valid": False,
        "kind": "citizen_id",
        "reason": "birth date 1949-12-31 is more than 60 years ago",
    }


def test_the_quick_path_reads_where_the_settings_read() -> None:
    assert Settings.model_config.get("env_prefix") == context.ENV_PREFIX
    assert Settings.model_config.get("env_file") == context.ENV_FILE
    assert Settings.model_config.get("case_sensitive", False) is False
