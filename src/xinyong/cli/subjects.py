"""`xinyong roles` and `xinyong reviews`: who answers for an organisation, and the identity-review
queue for submissions that conflict with what is known of a subject."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.subjects import RoleKind  # a plain enum: the option's choices

roles_app = typer.Typer(help="Roles tying persons to organisations (measures may reach them).")
reviews_app = typer.Typer(
    help="Submissions held because they conflict with what is known of a subject."
)


@roles_app.command("add")
def add(
    organisation: Annotated[
        str, typer.Option(help="The organisation's unified social credit code")
    ],
    person: Annotated[str, typer.Option(help="The person's citizen ID number")],
    kind: Annotated[RoleKind, typer.Option(help="The role")],
    since: Annotated[str, typer.Option(help="First day in the role, YYYY-MM-DD")],
    until: Annotated[str | None, typer.Option(help="Last day in the role, YYYY-MM-DD")] = None,
) -> None:
    """Record a person's role in an organisation; both must already be known subjects."""
    from xinyong.services import subjects

    try:
        start, end = date.fromisoformat(since), date.fromisoformat(until) if until else None
    except ValueError:
        context.fail("dates are YYYY-MM-DD")
    with context.domain_errors():
        role = subjects.record_role(
            context.platform().uow(),
            organisation=organisation,
            person=person,
            kind=kind,
            since=start,
            until=end,
            actor=context.CLI_ACTOR,
        )
    console.print(
        f"subject {role.person_id} is {role.kind.value} of subject {role.organisation_id}"
        f" from {role.since}"
    )


@reviews_app.command("list")
def list_reviews(
    status: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List held submissions, oldest first."""
    from xinyong.services import subjects

    uow = context.platform().uow()
    reviews = subjects.list_identity_reviews(
        uow, status=None if status == "all" else status, limit=limit
    )
    table = Table("id", "subject", "record", "conflict", "known", "submitted", "status")
    for r in reviews:
        table.add_row(
            str(r.id),
            str(r.subject_id),
            str(r.record_id) if r.record_id is not None else f"registration {r.registration_id}",
            r.kind,
            r.known_value,
            r.submitted_value,
            r.status.value + (f" ({r.resolution.value})" if r.resolution else ""),
        )
    console.print(table)


@reviews_app.command("resolve")
def resolve(
    review_id: int,
    same_person: Annotated[bool, typer.Option("--same-person/--different-person")],
    note: Annotated[str, typer.Option(help="Why: what was checked")],
) -> None:
    """Decide a review: the same person releases a held record (or confirms a flagged number)."""
    from xinyong.services import records

    p = context.platform()
    with context.domain_errors():
        review = records.resolve_identity_review(
            p.uow(),
            p.policy,
            review_id,
            same_person=same_person,
            note=note,
            actor=context.CLI_ACTOR,
        )
    console.print(f"review {review.id}: {review.resolution.value if review.resolution else ''}")


@reviews_app.command("close-moved-cases")
def close_moved_cases(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List them; change nothing")] = False,
) -> None:
    """Close the objections and repair applications that records moved by an identity review
    before moves closed them left open (once, after upgrading past f1a8c3e5b702); safe to rerun."""
    from xinyong.services import moved_records

    p = context.platform()
    with context.domain_errors():
        if dry_run:
            left = moved_records.cases_left_by_earlier_moves(p.uow())
        else:
            left = moved_records.close_cases_left_by_earlier_moves(
                p.uow(), p.policy, actor=context.CLI_ACTOR
            )
    if left:
        table = Table("case", "id", "record", "filed by subject", "moved by review")
        for c in left:
            table.add_row(
                c.kind, str(c.case.id), str(c.case.record_id), str(c.case.subject_id),
                str(c.review_id),
            )  # fmt: skip
        console.print(table)
    objections = sum(1 for c in left if c.kind == "objection")
    done = "to close (dry run: nothing changed)" if dry_run else "closed"
    console.print(
        f"{objections} objections and {len(left) - objections} repair applications {done}"
    )
