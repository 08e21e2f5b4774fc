"""`xinyong reviews`: the identity-review queue for credit-centre staff."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.services import admin

app = typer.Typer(help="Submissions held because they conflict with what is known of a subject.")


@app.command("list")
def list_reviews(
    status: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List held submissions, oldest first."""
    uow = context.uow_factory(context.settings())()
    reviews = admin.list_identity_reviews(
        uow, status=None if status == "all" else status, limit=limit
    )
    table = Table("id", "subject", "record", "conflict", "known", "submitted", "status")
    for r in reviews:
        table.add_row(
            str(r.id),
            str(r.subject_id),
            str(r.record_id),
            r.kind,
            r.known_value,
            r.submitted_value,
            r.status + (f" ({r.resolution})" if r.resolution else ""),
        )
    console.print(table)


@app.command("resolve")
def resolve(
    review_id: int,
    same_person: Annotated[bool, typer.Option("--same-person/--different-person")],
    note: Annotated[str, typer.Option(help="Why: what was checked")],
) -> None:
    """Decide a held submission; the same person releases the record."""
    with context.domain_errors():
        review = admin.resolve_identity_review(
            context.uow_factory(context.settings())(),
            review_id,
            same_person=same_person,
            note=note,
            actor=context.CLI_ACTOR,
        )
    console.print(f"review {review.id}: {review.resolution}")
