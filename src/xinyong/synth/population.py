"""Synthetic population: departments' batch files of realistic records for demos and load tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from xinyong.domain.policy import Policy
from xinyong.synth.files import BatchFiles, BatchFormat
from xinyong.synth.people import Subject
from xinyong.synth.world import DEBTOR_ITEM, World

__all__ = ["DEBTOR_ITEM", "PROGRESS_STEP", "BatchFormat", "SynthSummary", "write_population"]

#: How often, in persons, the progress callback hears from a run.
PROGRESS_STEP = 1000


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What one synthetic run wrote: how many persons, organisations and records, and where.

    `records` counts every row written, the deliberate identity conflicts included.
    """

    persons: int
    organisations: int
    records: int
    files: list[Path]
    conflicts: int
    records_by_item: dict[str, int]
    records_by_department: dict[str, int]


def write_population(
    policy: Policy,
    *,
    persons: int,
    out_dir: Path,
    seed: int = 2016,
    today: date,
    conflicts: int | None = None,
    progress: Callable[[int], None] | None = None,
    format: BatchFormat = "csv",
) -> SynthSummary:
    """Write a synthetic population as one batch file per department, every row valid on `today`.

    Persons are generated one at a time and their rows streamed to the files, so memory stays
    flat apart from the set of citizen ID numbers already handed out.

    Args:
        persons: how many persons to invent; organisations come on top (one per ten persons).
        seed: the same seed, policy and day give byte-identical files.
        conflicts: rows that reuse an already used citizen ID number, with a slightly different
            name and a birth date that disagrees with the number, in a department file that sorts
            after the files holding the person's true rows; default one per 5 000 persons.
        progress: called with the number of persons done, every `PROGRESS_STEP` and at the end.
        format: `csv` (header = common fields + the department's data fields) or `jsonl`.
    """
    if persons < 0:
        raise ValueError("persons must not be negative")
    wanted = max(1, persons // 5000) if conflicts is None else max(0, conflicts)
    if persons == 0:
        wanted = 0
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World(policy, random.Random(seed), today)
    per_organisation = world.figures.persons_per_organisation
    with BatchFiles(policy.departments, policy.catalog, out_dir, format) as batches:
        schedule = [(k + 1) * persons // (wanted + 1) for k in range(wanted)]
        due = made = organisations = 0
        last: tuple[Subject, frozenset[str]] | None = None
        for index in range(persons):
            while due < len(schedule) and schedule[due] <= index:
                due += 1
            person = world.people.person()
            used = batches.write_all(world.person_records(person))
            if used:
                last = (person, used)
                if made < due and batches.write(*world.conflict(person, used)):
                    made += 1
            if world.organisation_offers and (index + 1) % per_organisation == 0:
                organisations += 1
                batches.write_all(world.organisation_records(world.organisations.organisation()))
            if progress is not None and (index + 1) % PROGRESS_STEP == 0:
                progress(index + 1)
        while last is not None and made < wanted and batches.write(*world.conflict(*last)):
            made += 1
        if progress is not None and persons % PROGRESS_STEP:
            progress(persons)
    return SynthSummary(
        persons=persons,
        organisations=organisations,
        records=sum(batches.by_department.values()),
        files=batches.paths,
        conflicts=made,
        records_by_item=dict(sorted(batches.by_item.items())),
        records_by_department=dict(sorted(batches.by_department.items())),
    )
