"""The docs keep up with the code: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from xinyong.cli import app
from xinyong.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(group: typer.Typer, prefix: str = "xinyong") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []

    def walk(command: object, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            names.append(path)
            return
        for name, sub in subcommands.items():
            walk(sub, f"{path} {name}")

    walk(click_group, prefix)
    return names


def test_every_setting_is_in_the_configuration_doc() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [f for f in Settings.model_fields if f"XINYONG_{f.upper()}" not in text]
    assert missing == []


def test_every_command_is_in_the_configuration_doc() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [c for c in _commands(app) if f"`{c}" not in text]
    assert missing == []


def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    root = DOCS.parent
    pages = [root / "README.md", *sorted(DOCS.rglob("*.md")), *sorted(root.glob("bench/*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(root)}: {target}")
    assert broken == []
