"""What every command builds for itself: settings, policy, engine and a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy.pool import NullPool

from xinyong.config import Settings, get_settings
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.errors import CatalogError, DomainError
from xinyong.domain.policy import Policy, load_policy

console = Console()
errors = Console(stderr=True)
CLI_ACTOR = "cli"


def settings() -> Settings:
    return get_settings()


def policy(s: Settings) -> Policy:
    try:
        return load_policy(s.policy_dir, catalog_version=s.catalog_version)
    except CatalogError as exc:
        fail(f"policy files are broken: {exc}")


def uow_factory(s: Settings) -> partial[SqlUnitOfWork]:
    # A command is short-lived: no pool, so every connection closes with its unit of work.
    engine = make_engine(s.database_url, poolclass=NullPool)
    return partial(SqlUnitOfWork, make_session_factory(engine))


def uow_at(s: Settings) -> Callable[[datetime | None], SqlUnitOfWork]:
    """Units of work whose clock reads a given moment (None: now), for dated demo history."""
    sessions = make_session_factory(make_engine(s.database_url, poolclass=NullPool))

    def make(moment: datetime | None) -> SqlUnitOfWork:
        if moment is None:
            return SqlUnitOfWork(sessions)
        return SqlUnitOfWork(sessions, lambda: moment)

    return make


def fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a domain error into a one-line message and exit code 2, never a traceback."""
    try:
        yield
    except DomainError as exc:
        fail(exc.detail)
