"""The docs keep up with the code: every setting and every command is documented."""

from __future__ import annotations

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
