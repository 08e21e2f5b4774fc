"""The tamper-evident logs: audit events and query-log entries, each linked to the one before.

Each row stores the previous row's link (`prev_hash`) and its own (`chain`): a keyed hash
(HMAC-SHA256 under a key derived from the key file, docs/at-rest.md) of the previous link and
the row's content. Without the key nobody can forge a link, so an edited, inserted or deleted row
breaks the chain where it stands; signed checkpoints (Ed25519) pin how far the chain reached, so
that rows cut from its end are noticed too. `walk()` reads a chain and names every break.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

#: The link before the first row of a chain.
GENESIS = "0" * 64
#: The chained tables, and the columns each row's content is made of (in this order).
CHAINED: dict[str, tuple[str, ...]] = {
    "audit_events": (
        "at",
        "tag",
        "actor",
        "entity_type",
        "entity_id",
        "subject_id",
        "reason",
        "data",
    ),
    "queries": (
        "at",
        "subject_key",
        "kind",
        "department_code",
        "actor",
        "purpose",
        "authority",
        "returned",
        "screening_id",
    ),
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def content(table: str, values: Sequence[Any]) -> str:
    """A row's content in one canonical text (its values in `CHAINED[table]`'s order)."""
    if len(values) != len(CHAINED[table]):
        raise ValueError(f"{table}: {len(CHAINED[table])} values expected")
    return json.dumps(
        [_plain(v) for v in values],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


class Break(StrEnum):
    """How a chain is broken at an entry."""

    ALTERED = "altered"  # the entry's content no longer matches its link
    INSERTED = "inserted"  # the entry was never part of the chain
    DELETED = "deleted"  # entries between two others are gone
    TRUNCATED = "truncated"  # a signed checkpoint names an entry the chain no longer reaches


@dataclass(frozen=True, slots=True)
class Finding:
    """One break in a chain, named by the entry (its id) where it shows."""

    table: str
    entry_id: int
    kind: Break
    detail: str

    def __str__(self) -> str:
        return f"{self.table} entry {self.entry_id}: {self.kind.value} ({self.detail})"


@dataclass(frozen=True, slots=True)
class Link:
    """A stored row as the chain sees it."""

    id: int
    prev_hash: str | None
    chain: str | None
    content: str


def walk(
    table: str,
    rows: Iterable[Link],
    link: Any,
    *,
    start: str = GENESIS,
    after_id: int = 0,
) -> tuple[list[Finding], Link | None]:
    """Follow a chain from `start` (the link of entry `after_id`) and name every break.

    `link(prev, content)` computes a link. A row whose own link is wrong is altered when the next
    row still links to it, inserted when the next row links past it; a row whose `prev_hash` is
    not the last good link follows deleted entries. Returns the findings and the last row read.
    """
    findings: list[Finding] = []
    good, good_id = start, after_id
    suspect: Link | None = None
    last: Link | None = None
    for row in rows:
        if suspect is not None:
            # Was the suspect an original, altered, or a row slipped in?
            if row.prev_hash == suspect.chain and suspect.chain is not None:
                findings.append(Finding(table, suspect.id, Break.ALTERED, "content changed"))
                good, good_id = suspect.chain, suspect.id
            else:
                findings.append(Finding(table, suspect.id, Break.INSERTED, "not in the chain"))
            suspect = None
        last = row
        if row.chain is None or link(row.prev_hash or "", row.content) != row.chain:
            suspect = row
            continue
        if row.prev_hash != good:
            findings.append(
                Finding(
                    table, row.id, Break.DELETED, f"entries between {good_id} and it are missing"
                )
            )
        good, good_id = row.chain, row.id
    if suspect is not None:
        findings.append(
            Finding(
                table, suspect.id, Break.ALTERED, "the last entry: altered, or inserted at the end"
            )
        )
    return findings, last
