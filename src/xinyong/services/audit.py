"""The audit log: every change is recorded with its actor, in the same transaction; the chained
logs (audit events, query-log entries) verified and checkpointed (docs/at-rest.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.chain import CHAINED, GENESIS, Break, Finding, Link, walk
from xinyong.domain.errors import (
    DomainError,
    FieldProblem,
    NotRouted,
    OutsideMandate,
    RowRejected,
)
from xinyong.domain.reasons import MANDATE_CODES
from xinyong.domain.vault import Vault

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> None: ...
    def add_many(self, events: Sequence[AuditEvent]) -> None:
        """Append events in this order, as one chained write."""
        ...

    def count(self, tag: str | None = None) -> int: ...
    def count_since(
        self, tag: str, *, subject_id: int, since: datetime, actor: str | None = None
    ) -> int:
        """Events with `tag` about `subject_id` since `since` (by `actor` only, if given)."""
        ...


def record_refusal(
    uow: UnitOfWork,
    refusal: OutsideMandate,
    *,
    actor: str,
    department: str | None,
    subject_id: int | None = None,
) -> None:
    """Audit a refusal for want of a mandate, in a transaction of its own (what was refused
    changed nothing)."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.MANDATE_REFUSED,
                actor,
                "mandate",
                refusal.action,
                uow.now(),
                subject_id=subject_id,
                reason=refusal.detail,
                data={"department": department},
            )
        )
        uow.commit()


@contextmanager
def misroutes_audited(uow: UnitOfWork, *, actor: str, department: str | None) -> Iterator[None]:
    """Audit a department's reach for another department's case, check, batch or list entry,
    or a person's for another person's (`NotRouted` raised inside), as a refusal, through `uow`
    once the work inside has let go of it; the caller is answered "does not exist" all the
    same. Enter it before the unit of work: `with misroutes_audited(uow, ...), uow:`."""
    try:
        yield
    except NotRouted as exc:
        record_refusal(
            uow, exc.refusal, actor=actor, department=department, subject_id=exc.subject_id
        )
        raise


@contextmanager
def mandate_refusals_audited(
    uow: UnitOfWork, *, actor: str, department: str | None
) -> Iterator[None]:
    """Audit a step outside the caller's mandate (`OutsideMandate` raised inside) as a refusal,
    through `uow` once the work inside has let go of it, and raise it on. Enter it before the
    unit of work: `with mandate_refusals_audited(uow, ...), uow:`."""
    try:
        yield
    except OutsideMandate as refusal:
        record_refusal(uow, refusal, actor=actor, department=department)
        raise


def rows_outside_mandate(
    problems: Iterable[FieldProblem],
    *,
    actor: str,
    department: str,
    batch_id: int | None,
    at: datetime,
) -> AuditEvent | None:
    """The audit event of the rows among `problems` refused for want of the department's
    mandate (`domain/reasons.py MANDATE_CODES`), or None if none was: one event however many
    rows, naming each refused row's number (0 for a single submission) under its reason's code;
    never a row's values."""
    refused: dict[str, list[int]] = {}
    for problem in problems:
        if problem.code in MANDATE_CODES:
            rows = refused.setdefault(problem.code, [])
            if not rows or rows[-1] != problem.row:
                rows.append(problem.row)
    if not refused:
        return None
    count = len({row for rows in refused.values() for row in rows})
    return AuditEvent(
        EventTag.MANDATE_REFUSED,
        actor,
        "mandate",
        "record:submit",
        at,
        reason=(
            f"{count} row(s) outside the department's mandate refused: {', '.join(sorted(refused))}"
        ),
        data={"department": department, "batch_id": batch_id, "rows": refused},
    )


@contextmanager
def submission_refusals_audited(uow: UnitOfWork, *, actor: str, department: str) -> Iterator[None]:
    """Audit a single submission refused for want of the department's mandate (`RowRejected`
    raised inside, with a reason of `MANDATE_CODES`; or `OutsideMandate`, a department the
    policy no longer registers), in a transaction of its own once the work inside has let go of
    `uow`, and raise it on. Enter it before the unit of work."""
    try:
        with mandate_refusals_audited(uow, actor=actor, department=department):
            yield
    except RowRejected as rejected:
        with uow:
            event = rows_outside_mandate(
                rejected.problems, actor=actor, department=department, batch_id=None, at=uow.now()
            )
            if event is not None:
                uow.audit.add(event)
                uow.commit()
        raise


def record_listing_refused(
    uow: UnitOfWork,
    refusal: DomainError,
    *,
    entry_id: int,
    step: str,
    actor: str,
    department: str | None,
) -> None:
    """Audit a listing step the rules refused, with the reason, in a transaction of its own
    (what was refused changed nothing)."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.LISTING_REFUSED,
                actor,
                "list_entry",
                str(entry_id),
                uow.now(),
                reason=refusal.detail,
                data={"step": step, "department": department},
            )
        )
        uow.commit()


def record_rate_limited(
    uow: UnitOfWork, *, action: str, who: str, actor: str, client: str, retry_after: int
) -> None:
    """Audit the first refusal of a run by an abuse limit (docs/security.md, "Abuse limits").
    `client` is a keyed digest of the address, never the address; no identifier is kept."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.RATE_LIMITED,
                actor,
                "rate_limit",
                action,
                uow.now(),
                data={"who": who, "client": client, "retry_after": retry_after},
            )
        )
        uow.commit()


def record_scope_refused(
    uow: UnitOfWork, *, actor: str, department: str | None, scope: str, route: str
) -> None:
    """Audit a call refused because its key (or the person's session) lacks the route's scope:
    a refusal for want of a mandate. `route` is the route's template, never the path."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.SCOPE_REFUSED,
                actor,
                "scope",
                scope,
                uow.now(),
                reason="scope",
                data={"department": department, "route": route},
            )
        )
        uow.commit()


def record_form_refused(
    uow: UnitOfWork, *, surface: str, page: str, actor: str, subject_id: int | None = None
) -> None:
    """Audit a form of the consoles or the portal (`surface`) refused because it did not carry
    its session's form token: a page of another site posting in the user's name, or a stale
    page. `page` is the route's template, never the path; nothing the form held is kept."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.FORM_REFUSED,
                actor,
                "form",
                surface,
                uow.now(),
                subject_id=subject_id,
                reason="form_token",
                data={"page": page},
            )
        )
        uow.commit()


class Checkpoint(Protocol):
    """A stored checkpoint: the chain `table_name` reached entry `upto_id` with link `chain`
    (`kind` "reached"), or starts at `upto_id` after link `chain` ("start": what was before
    it was deleted after retention)."""

    id: int
    at: datetime
    table_name: str
    kind: str
    upto_id: int
    chain: str
    entries: int
    signature: str


class ChainStore(Protocol):
    """What verifying and checkpointing the chained logs reads and writes (db/chain.py)."""

    def links(self, table: str, *, after_id: int = 0) -> Iterator[Link]: ...
    def link_of(self, table: str, entry_id: int) -> str | None: ...
    def oldest(self, table: str) -> tuple[int, str | None] | None: ...
    def newest(self, table: str) -> tuple[int, str, int] | None: ...
    def checkpoints(self, table: str) -> Sequence[Checkpoint]: ...
    def add_checkpoint(
        self,
        *,
        table: str,
        upto_id: int,
        link: str,
        entries: int,
        at: datetime,
        signature: str,
        public_key: str,
        kind: str = "reached",
    ) -> None: ...


def checkpoint_payload(
    kind: str, table: str, upto_id: int, link: str, entries: int, at: datetime
) -> bytes:
    """What a checkpoint's signature covers."""
    return f"xinyong-checkpoint|{kind}|{table}|{upto_id}|{link}|{entries}|{at.isoformat()}".encode()


@dataclass(frozen=True, slots=True)
class ChainState:
    """One chained log as verified: its breaks, where its last good checkpoint stands."""

    table: str
    entries: int
    findings: list[Finding]
    last_good: Checkpoint | None


#: Below every entry id (SQLite and PostgreSQL ids are signed 64-bit).
NO_ID = -(2**63)


@dataclass(frozen=True, slots=True)
class _Anchors:
    after_id: int  # the chain is read from the entry after this id
    start_link: str  # the link before that entry
    last_good: Checkpoint | None
    reached: int  # checkpoints of kind `reached` since the start


def _anchors(store: ChainStore, keys: Vault, table: str, findings: list[Finding]) -> _Anchors:
    """Check every checkpoint of `table` (signature, and the link it names); name the entries
    they no longer match. Returns where the chain starts and its last good checkpoint.

    A `start` checkpoint retires the checkpoints signed before it: the entries they named were
    deleted after retention (an emptied log starts again from the genesis link).
    """
    good: list[Checkpoint] = []
    for cp in store.checkpoints(table):
        payload = checkpoint_payload(cp.kind, table, cp.upto_id, cp.chain, cp.entries, cp.at)
        if not keys.verifies(payload, cp.signature):
            findings.append(
                Finding(table, cp.upto_id, Break.ALTERED, f"checkpoint {cp.id} is not signed")
            )
        elif cp.kind == "start":
            good = [cp]
        else:
            good.append(cp)
    start_id, start_link = NO_ID, GENESIS
    if good and good[0].kind == "start":
        start_id = good[0].upto_id - 1 if good[0].upto_id else NO_ID
        start_link = good[0].chain
    last_good: Checkpoint | None = None
    for cp in good:
        if cp.kind != "reached":
            continue
        stored = store.link_of(table, cp.upto_id)
        if stored is None:
            findings.append(
                Finding(table, cp.upto_id, Break.TRUNCATED, f"checkpoint {cp.id} names it")
            )
        elif stored != cp.chain:
            findings.append(
                Finding(table, cp.upto_id, Break.ALTERED, f"not the link checkpoint {cp.id} signed")
            )
        else:
            last_good = cp
    reached = sum(1 for cp in good if cp.kind == "reached")
    return _Anchors(start_id, start_link, last_good, reached)


def verify_logs(store: ChainStore, keys: Vault) -> list[ChainState]:
    """Walk every chained log from its first kept entry and check every checkpoint: each
    altered, inserted or deleted entry is named (docs/at-rest.md)."""
    states = []
    for table in CHAINED:
        findings: list[Finding] = []
        anchors = _anchors(store, keys, table, findings)
        after = anchors.after_id
        rows = store.links(table, after_id=after)
        found, _ = walk(table, rows, keys.link, start=anchors.start_link, after_id=after)
        findings += found
        newest = store.newest(table)
        findings.sort(key=lambda f: f.entry_id)
        states.append(ChainState(table, newest[2] if newest else 0, findings, anchors.last_good))
    return states


def write_checkpoints(store: ChainStore, keys: Vault, *, at: datetime) -> list[ChainState]:
    """Verify each chained log since its last good checkpoint and, when nothing is broken
    there, sign a checkpoint at its newest entry. A broken log gets no checkpoint: a signature
    must never bless an edit."""
    states = []
    for table in CHAINED:
        findings: list[Finding] = []
        anchors = _anchors(store, keys, table, findings)
        cp = anchors.last_good
        start, after = (cp.chain, cp.upto_id) if cp else (anchors.start_link, anchors.after_id)
        rows = store.links(table, after_id=after)
        found, _ = walk(table, rows, keys.link, start=start, after_id=after)
        findings += found
        newest = store.newest(table)
        if not findings and newest is not None and (cp is None or newest[0] > cp.upto_id):
            upto, link, entries = newest
            store.add_checkpoint(
                table=table,
                upto_id=upto,
                link=link,
                entries=entries,
                at=at,
                signature=keys.sign(checkpoint_payload("reached", table, upto, link, entries, at)),
                public_key=keys.public_key(),
            )
        states.append(ChainState(table, newest[2] if newest else 0, findings, cp))
    return states


def mark_retention(store: ChainStore, keys: Vault, *, at: datetime) -> None:
    """After the sweep deleted the oldest entries past retention, sign where each log now
    starts (its first kept entry and the link before it; an emptied log starts again from the
    genesis link), so that verifying starts there. Nothing is signed when nothing was cut."""
    for table in CHAINED:
        oldest = store.oldest(table)
        first, before = (oldest[0], oldest[1] or GENESIS) if oldest else (0, GENESIS)
        findings: list[Finding] = []
        anchors = _anchors(store, keys, table, findings)
        if before == anchors.start_link and (oldest is not None or not anchors.reached):
            continue  # the log still starts where it did
        store.add_checkpoint(
            table=table,
            upto_id=first,
            link=before,
            entries=0,
            at=at,
            signature=keys.sign(checkpoint_payload("start", table, first, before, 0, at)),
            public_key=keys.public_key(),
            kind="start",
        )
