"""`xinyong lists`: the list types in force, and the listing procedure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

if TYPE_CHECKING:  # the services load when a command runs: `--help` stays fast
    from xinyong.services.lists import EntryView

app = typer.Typer(help="List types: serious untrustworthy, key supervision, good credit.")


@app.command("types")
def types() -> None:
    """List the list types with who decides them and their period."""
    policy = context.policy()
    table = Table("code", "name", "kind", "decided by", "period")
    table.columns[0].no_wrap = True
    for t in policy.list_types.values():
        period = t.period_rule.value + (f" {t.period_months} months" if t.period_months else "")
        table.add_row(t.code, f"{t.name_zh}\n{t.name_en}", t.kind.value, t.decided_by.value, period)
    console.print(table)


@app.command("show")
def show(code: str) -> None:
    """Show one list type: legal basis, criteria, exit grounds, remedies."""
    policy = context.policy()
    t = policy.list_types.get(code)
    if t is None:
        context.fail(f"no list type {code}", code=1)
    console.print(f"[bold]{t.code}[/] {t.name_zh} — {t.name_en}", highlight=False)
    field = f"; field: {t.serious_field.value}" if t.serious_field else ""
    console.print(f"{t.kind.value}; {t.subject_type.value}; decided by {t.decided_by.value}{field}")
    for title, lines in (
        ("legal basis", t.legal_basis),
        ("criteria", t.criteria),
        ("exit grounds", t.exit_grounds),
        ("remedies", t.remedies),
    ):
        console.print(f"{title}:")
        for line in lines:
            console.print(f"  • {line}", highlight=False)


# -- entries and their procedure ---------------------------------------------------------------

#: The subject's number: never typed on the command line (docs/command-line.md).
Subject = Annotated[str, context.number_option("Citizen ID number or credit code")]


def _show(view: EntryView) -> None:
    e = view.entry
    deadline = e.defence_deadline
    marked = " [yellow](under objection)[/]" if e.under_objection else ""
    lines = [
        f"[bold]entry {e.id}[/] {e.list_type.code} ({e.list_type.name_zh}) — {e.state.value}"
        + marked,
        f"subject {view.subject.id} {view.subject.masked_number()}; department {view.department}",
        f"grounds: {e.grounds}",
    ]
    if deadline:
        official = "" if deadline.official else f" ({deadline.note})"
        lines.append(f"notice served {e.noticed_on}; defence until {deadline.day}{official}")
    if e.decided_on:
        lines.append(f"decided {e.decided_on}; in force until {e.ends_on or 'an exit ground'}")
    if e.exited_on:
        lines.append(f"ended {e.exited_on} on {e.exit_ground}")
    for line in lines:
        console.print(line, highlight=False)


def _run(step: Callable[..., EntryView], *args: object, **kwargs: object) -> None:
    p = context.platform()
    policy = p.policy
    with context.domain_errors():
        view = step(p.uow(), policy, *args, **kwargs)
    _show(view)


@app.command("propose")
def propose(
    list_code: Annotated[str, typer.Option("--list", help="A platform-run list type")],
    grounds: Annotated[str, typer.Option(help="What the person did, under which criterion")],
    record: Annotated[list[int], typer.Option(help="A record the proposal rests on (repeat)")],
    subject: Subject = "",
    department: Annotated[str | None, typer.Option(help="Proposing department")] = None,
) -> None:
    """Propose a listing: the first step of the platform's procedure."""
    from xinyong.services import list_proposals

    _run(
        list_proposals.propose,
        list_code=list_code,
        subject_number=subject,
        grounds=grounds,
        basis_records=record,
        department=department,
        actor=context.CLI_ACTOR,
    )


@app.command("record")
def record_decided(
    list_code: Annotated[str, typer.Option("--list", help="A court- or authority-decided list")],
    grounds: Annotated[str, typer.Option(help="The decision: authority and document number")],
    decided_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
    subject: Subject = "",
    months: Annotated[
        int | None, typer.Option(help="Listing period, if not the list's own")
    ] = None,
    department: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Record a listing that a court or another authority decided."""
    from xinyong.services import decided_lists

    _run(
        decided_lists.record_decided,
        list_code=list_code,
        subject_number=subject,
        grounds=grounds,
        decided_on=decided_on.date(),
        months=months,
        department=department,
        actor=context.CLI_ACTOR,
    )


@app.command("notice")
def notice(entry: int) -> None:
    """Serve the prior notice with the repair notice; the defence window starts today."""
    from xinyong.services import lists as listing

    _run(listing.serve_notice, entry, department=None, actor=context.CLI_ACTOR)


@app.command("defence")
def defence(entry: int, text: str) -> None:
    """Record the person's defence, within the window."""
    from xinyong.services import lists as listing

    _run(listing.state_defence, entry, text, department=None, actor=context.CLI_ACTOR)


@app.command("decide")
def decide(
    entry: int,
    reasons: Annotated[str, typer.Option(help="The decision's reasons (answering any defence)")],
    months: Annotated[
        int | None, typer.Option(help="Listing period, if not the list's own")
    ] = None,
) -> None:
    """Decide the listing once the defence window has passed."""
    from xinyong.services import lists as listing

    _run(
        listing.decide,
        entry,
        reasons=reasons,
        months=months,
        department=None,
        actor=context.CLI_ACTOR,
    )


@app.command("publish")
def publish(entry: int) -> None:
    """Publish a decided listing."""
    from xinyong.services import lists as listing

    _run(listing.publish, entry, department=None, actor=context.CLI_ACTOR)


@app.command("exit")
def end(
    entry: int,
    ground: Annotated[str, typer.Option(help="One of the list's exit grounds")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """End a listing; checks stop returning it at once."""
    from xinyong.services import lists as listing

    _run(
        listing.end_listing,
        entry,
        ground=ground,
        note=note,
        department=None,
        actor=context.CLI_ACTOR,
    )


@app.command("withdraw")
def withdraw(entry: int) -> None:
    """Withdraw a proposal before any decision."""
    from xinyong.services import lists as listing

    _run(listing.withdraw, entry, department=None, actor=context.CLI_ACTOR)


@app.command("entry")
def show_entry(entry: int) -> None:
    """Show one entry and where its procedure stands."""
    from xinyong.services import lists as listing

    _run(
        lambda uow, policy: listing.get_entry(
            uow, policy, entry, department=None, actor=context.CLI_ACTOR
        )
    )


@app.command("entries")
def entries(subject_id: int) -> None:
    """List every entry about one subject (by its id)."""
    from xinyong.services import lists as listing

    p = context.platform()
    policy = p.policy
    with context.domain_errors():
        views = listing.entries_of(p.uow(), policy, subject_id)
    if not views:
        console.print("no entries")
    for view in views:
        _show(view)


@app.command("court-sync")
def court_sync() -> None:
    """Record on the court lists every active court record not yet on its list."""
    from xinyong.services import decided_lists

    p = context.platform()
    policy = p.policy
    with context.domain_errors():
        made = decided_lists.record_court_listings(p.uow(), policy, actor=context.CLI_ACTOR)
    console.print(f"{made} listings recorded from court records")


@app.command("document")
def document(
    entry: int,
    kind: Annotated[str, typer.Argument(help="notice or decision")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            "--out",
            dir_okay=False,
            help="Where to write it, .pdf or .html (default: entry-ENTRY.KIND.pdf here)",
        ),
    ] = None,
) -> None:
    """Write the prior notice (with the repair notice) or the decision, as PDF or HTML."""
    from xinyong.services import documents

    if kind not in ("notice", "decision"):
        context.fail("kind must be notice or decision", code=1)
    p = context.platform()
    policy = p.policy
    with context.domain_errors():
        doc = documents.document_of(
            p.uow(), policy, entry, department=None, actor=context.CLI_ACTOR
        )
        html = (
            documents.render_notice_html(doc)
            if kind == "notice"
            else documents.render_decision_html(doc)
        )
    out = output or Path(f"entry-{entry}.{kind}.pdf")
    if out.suffix.lower() == ".pdf":
        try:
            out.write_bytes(documents.html_to_pdf(html))
        except documents.PdfUnavailable as exc:
            context.fail(str(exc))
    else:
        out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out}")


@app.command("mend-notice-periods")
def mend_notice_periods(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List them; change nothing")] = False,
) -> None:
    """Count again from the day they bind the periods of listings on a list with a public notice
    published while their period ran from the decision (once, after upgrading); safe to rerun."""
    from xinyong.services import notice_periods

    p = context.platform()
    with context.domain_errors():
        if dry_run:
            found = notice_periods.find_notice_periods(p.uow(), p.policy)
        else:
            found = notice_periods.mend_notice_periods(p.uow(), p.policy, actor=context.CLI_ACTOR)
    if found:
        table = Table("entry", "list", "subject", "department", "binds from", "end", "counted", "")
        for f in found:
            table.add_row(
                str(f.entry_id), f.list_code, str(f.subject_id), f.department or "",
                str(f.binds_from), str(f.ends_on), str(f.counted or "?"), f.finding.value,
            )  # fmt: skip
        console.print(table)
    mended = sum(1 for f in found if f.finding is notice_periods.Finding.MENDED)
    ran_out = sum(1 for f in found if f.finding is notice_periods.Finding.RAN_OUT)
    unclear = len(found) - mended - ran_out
    done = "to count again (dry run: nothing changed)" if dry_run else "counted again"
    console.print(
        f"{mended} periods {done}; {ran_out} ran out early and stay ended;"
        f" {unclear} unclear, left as they are"
    )
