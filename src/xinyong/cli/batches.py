"""`xinyong ingest`: store a department's batch file, with a progress bar and a rejects file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console

if TYPE_CHECKING:  # the platform's modules load when a command runs: `--help` stays fast
    from xinyong.domain.batches import IngestSummary
    from xinyong.domain.policy import Policy
    from xinyong.services.batchfiles import BatchFormat
    from xinyong.services.ports import UnitOfWork


def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines")],
    department: Annotated[str, typer.Option(help="Code of the submitting department")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the file name)")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding, e.g. gb18030")] = "utf-8-sig",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Refused rows CSV (default: FILE-STEM.rejects.csv)",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object")
    ] = False,
    chunk_rows: Annotated[int | None, typer.Option(min=1, help="Rows per committed chunk")] = None,
) -> None:
    """Validate and store a batch file. Exit 0 if every row was stored, 1 if some were refused.

    A CSV header is checked before any row: a missing or unknown column stops the command.
    Refused rows are written beside the input as FILE-STEM.rejects.csv, each with its cells,
    fields and reasons. If the run is interrupted, running the same command again resumes after
    the last committed chunk.
    """
    from xinyong.domain.batches import header_problems
    from xinyong.services.batchfiles import (
        BatchFormat,
        count_rows,
        csv_header,
        fingerprint,
        write_rejects,
    )

    rejects = context.output_path(file, "rejects", output)
    p = context.platform()
    policy = p.policy
    with context.domain_errors():
        batch_format = BatchFormat(fmt) if fmt else BatchFormat.from_name(file.name)
        digest, _ = fingerprint(file, encoding)
        header = csv_header(file, encoding) if batch_format is BatchFormat.CSV else None
        if header and (problems := header_problems(header, policy.catalog, policy.banned)):
            context.fail(
                f"the header of {file.name} is wrong; nothing was ingested: " + "; ".join(problems)
            )
        rows = count_rows(file, batch_format, encoding)
        if not rows:
            context.fail(f"{file.name} holds no rows: nothing to ingest")
        summary = ingest_file(
            p.uow(),
            policy,
            file,
            department=department,
            fmt=batch_format,
            encoding=encoding,
            sha256=digest,
            total_rows=rows,
            chunk_rows=chunk_rows or p.settings.chunk_rows(),
            quiet=as_json,
        )
    written = write_rejects(file, batch_format, summary.errors, rejects, encoding)
    if as_json:
        payload = summary.as_dict()
        payload["rejects_file"] = str(rejects) if written else None
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        console.print(
            f"batch {summary.batch_id}: {summary.accepted} accepted, {summary.updated} updated,"
            f" {summary.unchanged} unchanged, {summary.rejected} rejected"
            + (
                f", {summary.held_for_review} held for identity review"
                if summary.held_for_review
                else ""
            ),
            highlight=False,
        )
        for note in summary.notes:
            console.print(f"note: {note}", highlight=False)
        if written:
            console.print(f"{written} refused rows with reasons: {rejects}", highlight=False)
    raise typer.Exit(1 if summary.rejected else 0)


def ingest_file(
    uow: UnitOfWork,
    policy: Policy,
    file: Path,
    *,
    department: str,
    fmt: BatchFormat,
    encoding: str,
    sha256: str,
    total_rows: int,
    chunk_rows: int,
    quiet: bool = False,
) -> IngestSummary:
    """Ingest one file with a progress bar of its rows (unless quiet)."""
    from xinyong.domain.batches import BatchSource
    from xinyong.services.batches import ingest_batch
    from xinyong.services.batchfiles import read_rows

    with (
        rows_progress(f"{department} {file.name}", total_rows, quiet=quiet) as moved,
        file.open("rb") as fh,
    ):
        return ingest_batch(
            uow,
            policy,
            read_rows(fh, fmt, encoding),
            department=department,
            actor=context.CLI_ACTOR,
            source=BatchSource.FILE,
            filename=file.name,
            sha256=sha256,
            chunk_rows=chunk_rows,
            on_progress=moved,
        )


@contextmanager
def rows_progress(
    description: str, total: int, *, quiet: bool = False
) -> Iterator[Callable[[int], None]]:
    """A progress bar of rows on standard error (none if quiet); yield the callback moving it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeRemainingColumn(),
        console=context.errors,
        disable=quiet,
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)
