"""What every command builds for itself, through the composition root: settings, the policy, and
a platform (engines without a pool, units of work, the checker)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:  # the platform's modules (and pydantic) load on first use: `--help` stays fast
    from xinyong.bootstrap import Platform
    from xinyong.config import Settings
    from xinyong.domain.policy import Policy

console = Console()
errors = Console(stderr=True)
CLI_ACTOR = "cli"
#: Where `Settings` (config.py) reads from: variables with this prefix, in any case, and this file.
ENV_PREFIX = "XINYONG_"
ENV_FILE = ".env"


def settings() -> Settings:
    from xinyong.config import get_settings

    return get_settings()


def settings_are_defaults() -> bool:
    """Whether `settings()` would give every default: no XINYONG_ variable, no .env file here.

    A command that needs nothing but the packaged policy can then skip building the settings
    (and loading pydantic). This looks only at the names; config.py reads the values.
    """
    if Path(ENV_FILE).exists():
        return False
    return not any(name.upper().startswith(ENV_PREFIX) for name in os.environ)


def policy(s: Settings | None = None) -> Policy:
    """The policy in force; broken policy files end the command with a clear message."""
    from xinyong import bootstrap
    from xinyong.domain.errors import CatalogError

    try:
        return bootstrap.policy_of(s or settings())
    except CatalogError as exc:
        fail(f"policy files are broken: {exc}")


def platform(s: Settings | None = None) -> Platform:
    """The platform for one command (connections close with each unit of work)."""
    from xinyong import bootstrap
    from xinyong.config import KeysMissing
    from xinyong.domain.vault import VaultError

    s = s or settings()
    try:
        bootstrap.install_keys(s)
    except (KeysMissing, VaultError) as exc:
        fail(str(exc))
    return bootstrap.build(s, policy=policy(s), short_lived=True)


def output_path(source: Path, what: str, given: Path | None, ext: str = "csv") -> Path:
    """Where a command writes what it derives from `source`: `given` (its `--output`), else
    `<stem>.<what>.<ext>` beside the source (docs/command-line.md). Never the source itself."""
    from xinyong.services.batchfiles import derived_path

    target = given or derived_path(source, what, ext)
    if target.resolve() == source.resolve():
        fail(f"--output {target} is the input file itself: name another file")
    return target


def number_option(prompt: str) -> Any:
    """An option for a citizen ID number or credit code that is best not typed on the command
    line (shell history, the process list): when left out it is asked for without echo at a
    terminal, or read as the next line of standard input when that is a pipe (no prompt, and
    none of the warnings a hidden prompt gives without a terminal)."""

    def given_or_read(value: str | None) -> str:
        if value:
            return value
        stdin = sys.stdin  # one reader: each line read once, in order
        if stdin.isatty():
            asked: str = typer.prompt(prompt, hide_input=True)
            return asked
        line = stdin.readline().strip()
        if not line:
            fail(f"{prompt.lower()}: give it on standard input, one a line")
        return line

    return typer.Option(
        callback=given_or_read,
        show_default=False,
        help="Read from standard input when left out (asked for, not echoed, at a terminal)",
    )


def fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a domain error into a one-line message and exit code 2, never a traceback."""
    from xinyong.domain.errors import DomainError

    try:
        yield
    except DomainError as exc:
        fail(exc.detail)
