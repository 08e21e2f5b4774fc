"""The feed over the fakes: only a party that received an item is told what became of it, in
order, without ID numbers; a suspended agency is refused its feed; an agency acknowledges each
correction, repair and revocation by its deadline, or is flagged."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path

import pytest

from tests.factories import citizen_id, commitment_row, debtor_row, local_policy, penalty_row
from tests.fakes import FakeFeed, FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, on, party, submitted
from xinyong.domain.agencies import AgencySuspended
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.batches import BatchSource
from xinyong.domain.deadlines import DeadlineKind
from xinyong.domain.errors import CatalogError, Conflict, NotFound
from xinyong.domain.feed import AcknowledgementRules, FeedItem, FeedKind
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.querylog import QueryEntry, QueryKind
from xinyong.services import agencies, deadlines, objections, repairs
from xinyong.services.authorisations import NotAuthorised, agency_query
from xinyong.services.batches import ingest_batch
from xinyong.services.departments import sync_departments
from xinyong.services.feed import Notice as FeedNotice
from xinyong.services.feed import acknowledge, key_of, notify, notify_many, read_feed
from xinyong.services.records import Stored, revoke_record


def _notify(uow: FakeUnitOfWork, stored: Stored, kind: FeedKind, detail: str) -> int:
    with uow:
        subject = uow.subjects.get(stored.record.subject_id)
        told = notify(uow, subject, kind, "record", stored.record.id, detail)
        uow.commit()
    return told


def agency_feed(
    uow: FakeUnitOfWork, agency: str, after: int, limit: int, actor: str | None = None
) -> list[FeedItem]:
    """The agency's feed, read through the key of one of its staff members."""
    staff = party(uow, agency).agency_staff_id
    return read_feed(uow, recipient=agency, after=after, limit=limit, actor=actor, staff=staff)


def test_only_the_parties_that_received_an_item_are_told_and_never_its_number(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, other = submitted(uow, policy), submitted(uow, policy)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    authorised_query(uow, policy, other, "AGENCY-PUDAO")
    detail = f"corrected: the number {stored.subject_number} was mistyped"
    assert _notify(uow, stored, FeedKind.CORRECTED, detail) == 1
    [item] = agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)
    assert (item.kind, item.entity_type, item.entity_id) == (
        FeedKind.CORRECTED,
        "record",
        stored.record.id,
    )
    assert stored.subject_number not in item.detail
    assert stored.subject_number[:14] not in item.detail
    assert agency_feed(uow, "AGENCY-PUDAO", after=0, limit=10) == []
    assert read_feed(uow, recipient="BJ-AMR", after=0, limit=10) == []  # it only submitted


def test_a_refused_party_received_nothing_and_is_told_nothing(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    with pytest.raises(NotAuthorised):
        agency_query(
            uow,
            policy,
            caller=party(uow, "AGENCY-PUDAO"),
            number=stored.subject_number,
            purpose="loan_approval",
            scope="records",
        )
    assert _notify(uow, stored, FeedKind.REVOKED, "revoked") == 0
    assert uow.committed.feed == []


def test_the_feed_is_read_in_order_after_the_last_item_seen(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    for kind in (FeedKind.UNDER_OBJECTION, FeedKind.OBJECTION_REJECTED, FeedKind.REPAIRED):
        _notify(uow, stored, kind, kind.value)
    items = agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)
    assert [i.kind for i in items] == [
        FeedKind.UNDER_OBJECTION,
        FeedKind.OBJECTION_REJECTED,
        FeedKind.REPAIRED,
    ]
    seqs = [i.seq or 0 for i in items]
    assert seqs == sorted(set(seqs))
    assert agency_feed(uow, "AGENCY-BAIHANG", after=seqs[0], limit=1) == items[1:2]
    assert agency_feed(uow, "AGENCY-BAIHANG", after=seqs[2], limit=10) == []


# --- an agency's standing, and its acknowledgements ----------------------------------------


def _audits(uow: FakeUnitOfWork, tag: EventTag) -> list[AuditEvent]:
    return [e for e in uow.committed.audit if e.tag is tag]


def test_a_blacklisted_agency_is_refused_its_feed_and_the_refusal_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    _notify(uow, stored, FeedKind.CORRECTED, "corrected")
    agencies.blacklist_agency(uow, "AGENCY-BAIHANG", ground="泄露信息", on=None, actor="centre")
    with pytest.raises(AgencySuspended, match="may not read its feed: on the agency blacklist"):
        agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10, actor="key:baihang")
    [refusal] = _audits(uow, EventTag.AGENCY_FEED_REFUSED)
    assert (refusal.actor, refusal.entity_id) == ("key:baihang", "AGENCY-BAIHANG")
    assert "blacklist" in (refusal.reason or "")
    # Taken off the blacklist, it reads what waited for it.
    agencies.lift_blacklisting(uow, "AGENCY-BAIHANG", reason="整改完成", actor="centre")
    assert [i.kind for i in agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)] == [
        FeedKind.CORRECTED
    ]


def test_an_agency_whose_licence_expired_is_refused_its_feed_a_department_never(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    uow.at = on(date(2031, 1, 2))  # the demo licences are valid until 2030-12-31
    with pytest.raises(AgencySuspended, match="licence expired on 2030-12-31"):
        agency_feed(uow, "AGENCY-PUDAO", after=0, limit=10)
    assert len(_audits(uow, EventTag.AGENCY_FEED_REFUSED)) == 1
    assert read_feed(uow, recipient="BJ-AMR", after=0, limit=10) == []  # no licence to hold


def _revoked(uow: FakeUnitOfWork, policy: Policy) -> tuple[Stored, int]:
    """A record two agencies received, revoked: return it and BAIHANG's feed item."""
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    authorised_query(uow, policy, stored, "AGENCY-PUDAO")
    revoke_record(uow, policy, stored.record.id, department=None, reason="复议撤销", actor="c")
    [item] = agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)
    return stored, item.seq or 0


def test_a_correction_repair_or_revocation_asks_each_agency_for_an_acknowledgement(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    assert policy.acknowledgements.kinds == {
        FeedKind.CORRECTED,
        FeedKind.REPAIRED,
        FeedKind.REVOKED,
        FeedKind.WITHHELD,
    }
    stored, seq = _revoked(uow, policy)
    [item] = agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)
    # Three working days on the official calendar from Friday 20 November 2026.
    assert (item.kind, item.acknowledge_by, item.acknowledged_at) == (
        FeedKind.REVOKED,
        date(2026, 11, 25),
        None,
    )
    owed = uow.committed.acknowledgements[seq]
    assert (owed.agency, owed.subject_id, owed.due.official, owed.due.working_days) == (
        "AGENCY-BAIHANG",
        stored.record.subject_id,
        True,
        3,
    )
    assert sorted(a.agency for a in uow.committed.acknowledgements.values()) == [
        "AGENCY-BAIHANG",
        "AGENCY-PUDAO",
    ]
    # What asks nothing back (a mark, an expiry) owes nothing.
    with uow:
        subject = uow.subjects.get(stored.record.subject_id)
        notify(
            uow,
            subject,
            FeedKind.UNDER_OBJECTION,
            "record",
            stored.record.id,
            "under objection",
            acknowledgements=policy.acknowledgements,
        )
        uow.commit()
    assert len(uow.committed.acknowledgements) == 2


def test_acknowledging_is_stored_and_audited_once(uow: FakeUnitOfWork, policy: Policy) -> None:
    _, seq = _revoked(uow, policy)
    first = acknowledge(uow, agency="AGENCY-BAIHANG", seq=seq, actor="key:baihang")
    assert (first.acknowledged_at, first.acknowledged_by, first.was_late) == (
        uow.now(),
        "key:baihang",
        False,
    )
    uow.at = on(date(2026, 11, 23))
    again = acknowledge(uow, agency="AGENCY-BAIHANG", seq=seq, actor="key:other")
    assert again == first  # nothing changes
    [audited] = _audits(uow, EventTag.AGENCY_ACKNOWLEDGED)
    assert (audited.entity_type, audited.entity_id, audited.data["late"]) == (
        "feed_item",
        str(seq),
        False,
    )
    [item] = agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)
    assert item.acknowledged_at == first.acknowledged_at


def test_an_agency_acknowledges_only_its_own_items_that_ask_for_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, seq = _revoked(uow, policy)
    with pytest.raises(NotFound):
        acknowledge(uow, agency="AGENCY-PUDAO", seq=seq, actor="key:pudao")  # BAIHANG's item
    with pytest.raises(NotFound):
        acknowledge(uow, agency="AGENCY-BAIHANG", seq=999, actor="key:baihang")
    _notify(uow, stored, FeedKind.UNDER_OBJECTION, "under objection")
    marked = agency_feed(uow, "AGENCY-BAIHANG", after=seq, limit=10)[0].seq or 0
    with pytest.raises(Conflict, match="asks for no acknowledgement"):
        acknowledge(uow, agency="AGENCY-BAIHANG", seq=marked, actor="key:baihang")
    assert _audits(uow, EventTag.AGENCY_ACKNOWLEDGED) == []
    assert uow.committed.acknowledgements[seq].acknowledged_at is None


def test_overdue_acknowledgements_are_watched_and_flag_the_agency_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    _, seq = _revoked(uow, policy)
    assert not any(a.flagged for a in agencies.agency_standings(uow))
    assert agencies.flag_overdue_agencies(uow, actor="sweep") == 0
    uow.at = on(date(2026, 11, 25))  # the due day itself: not overdue yet
    assert deadlines.watched_deadlines(uow, department=None, overdue=True) == []
    assert agencies.flag_overdue_agencies(uow, actor="sweep") == 0

    uow.at = on(date(2026, 11, 26))
    overdue = deadlines.watched_deadlines(uow, department=None, overdue=True)
    # Each agency owes the withdrawal of its copy and its acknowledgement, by the same day here.
    assert sorted((w.kind, w.must_act, w.entity_type) for w in overdue) == [
        (DeadlineKind.ACKNOWLEDGEMENT, "AGENCY-BAIHANG", "feed_item"),
        (DeadlineKind.ACKNOWLEDGEMENT, "AGENCY-PUDAO", "feed_item"),
        (DeadlineKind.WITHDRAWAL, "AGENCY-BAIHANG", "feed_item"),
        (DeadlineKind.WITHDRAWAL, "AGENCY-PUDAO", "feed_item"),
    ]
    assert [w.working_days_overdue(date(2026, 11, 26)) for w in overdue] == [1, 1, 1, 1]
    flagged = {a.code: a.overdue_acknowledgements for a in agencies.agency_standings(uow)}
    assert flagged == {"AGENCY-BAIHANG": 1, "AGENCY-PUDAO": 1}
    assert agencies.flag_overdue_agencies(uow, actor="sweep") == 2
    assert agencies.flag_overdue_agencies(uow, actor="sweep") == 0  # each flagged once
    audited = _audits(uow, EventTag.AGENCY_FLAGGED)
    assert sorted(e.entity_id for e in audited) == ["AGENCY-BAIHANG", "AGENCY-PUDAO"]
    assert [e.data["feed_items"] for e in audited if e.entity_id == "AGENCY-BAIHANG"] == [[seq]]

    # Acknowledged late: no longer overdue, the agency no longer flagged, the lateness audited.
    acknowledge(uow, agency="AGENCY-BAIHANG", seq=seq, actor="key:baihang")
    standing = {a.code: a.flagged for a in agencies.agency_standings(uow)}
    assert standing == {"AGENCY-BAIHANG": False, "AGENCY-PUDAO": True}
    [late] = _audits(uow, EventTag.AGENCY_ACKNOWLEDGED)
    assert late.data["late"] is True
    # Its acknowledgement says it withdrew its copy too.
    left = deadlines.watched_deadlines(uow, department=None, overdue=True)
    assert sorted((w.kind, w.must_act) for w in left) == [
        (DeadlineKind.ACKNOWLEDGEMENT, "AGENCY-PUDAO"),
        (DeadlineKind.WITHDRAWAL, "AGENCY-PUDAO"),
    ]


@pytest.mark.parametrize(
    ("acknowledge", "why"),
    [
        (["corrected", "withdrawn"], "'withdrawn' is not one of"),
        (["deadline_moved"], "asks nothing back"),
        ([], "non-empty list"),
    ],
)
def test_the_policy_names_only_feed_kinds_an_agency_can_acknowledge(
    acknowledge: list[str], why: str
) -> None:
    data = {"agencies": {"acknowledge_working_days": 3, "acknowledge": acknowledge}}
    with pytest.raises(CatalogError, match=why):
        AcknowledgementRules.from_policy(data)
    with pytest.raises(CatalogError, match="acknowledge_working_days"):
        AcknowledgementRules.from_policy({"agencies": {"acknowledge": ["revoked"]}})


def test_an_agency_is_never_given_an_item_for_public_bodies_only_nor_told_of_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """A student-loan default (`CON-STULOAN-01`, sharing scope `government`) goes to public
    bodies only, as the exchange never sends it to an agency: a person's authorisation does not
    open it to an agency's query, so the feed never follows it there either."""
    fine = submitted(uow, policy)
    loan = {
        "item": "CON-STULOAN-01",
        "document_number": "京教助贷〔2026〕0042号",
        "subject_id": fine.subject_number,
        "subject_name": "王秀英",
        "decision_date": "2026-09-01",
        "authority_name": "北京市教育委员会",
        "authority_uscc": "111100000000210477",  # BJ-EDU in the shipped departments
        "loan_contract_number": "GJZXDK-2024-000123",
        "school_name": "北京某大学",
        "overdue_principal": "6000",
        "overdue_days": "120",
    }
    defaulted = submitted(uow, policy, loan, department="BJ-EDU")
    assert policy.catalog.get("CON-STULOAN-01").sharing_scope.value == "government"
    answer = authorised_query(uow, policy, fine, "AGENCY-BAIHANG")
    assert [r.id for r in answer.records] == [fine.record.id]
    assert _notify(uow, defaulted, FeedKind.CORRECTED, "corrected") == 0
    assert _notify(uow, fine, FeedKind.CORRECTED, "corrected") == 1


def test_an_agency_is_never_given_a_local_items_record_nor_told_of_it(tmp_path: Path) -> None:
    """A local item (a local legal basis only) never leaves its origin, as the exchange keeps
    it: even a public one is not opened to an agency's query by the person's authorisation."""
    local = load_policy(local_policy(tmp_path / "policy", public=True))
    uow = FakeUnitOfWork(at=on(date(2026, 11, 20)))
    sync_departments(uow, local.departments, actor="test")
    fine = submitted(uow, local)
    row = commitment_row(subject_id=fine.subject_number)
    commitment = submitted(uow, local, row, department="BJ-AMR-CY")
    assert local.catalog.get("BJ-COM-01").sharing_scope.value == "public"
    answer = authorised_query(uow, local, fine, "AGENCY-BAIHANG")
    assert [r.id for r in answer.records] == [fine.record.id]
    assert _notify(uow, commitment, FeedKind.CORRECTED, "corrected") == 0


def test_a_correction_and_a_repair_each_ask_the_agency_for_an_acknowledgement(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    corrected, repaired = submitted(uow, policy), submitted(uow, policy)
    for stored in (corrected, repaired):
        authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    objection = objections.file_objection(
        uow,
        policy,
        subject_id=corrected.record.subject_id,
        record_id=corrected.record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons="罚款金额记载有误",
        actor="account:1",
    )
    objections.forward_objection(uow, policy, objection.id or 0, department=None, actor="c")
    objections.decide_objection(
        uow,
        policy,
        objection.id or 0,
        outcome="correct",
        reasons="经核查予以更正",
        department="BJ-AMR",
        actor="amr",
    )
    uow.at = on(date(2026, 12, 1))  # a general fine may be repaired after three months
    applied = repairs.apply_for_repair(
        uow,
        policy,
        subject_id=repaired.record.subject_id,
        record_id=repaired.record.id,
        obligations_performed=True,
        commitment="本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。",
        actor="account:1",
    )
    repairs.accept_repair(uow, applied.id or 0, department="BJ-AMR", actor="amr")
    repairs.decide_repair(
        uow, policy, applied.id or 0, repaired=True, reasons="准予", department="BJ-AMR", actor="a"
    )
    owed = sorted((a.kind, a.entity_id, a.due.day) for a in uow.committed.acknowledgements.values())
    assert owed == [
        (FeedKind.CORRECTED, corrected.record.id, date(2026, 11, 25)),
        (FeedKind.REPAIRED, repaired.record.id, date(2026, 12, 4)),
    ]
    items = agency_feed(uow, "AGENCY-BAIHANG", after=0, limit=10)
    marks = [i.acknowledge_by for i in items if i.kind is FeedKind.UNDER_OBJECTION]
    assert marks == [None]  # a mark asks nothing back


# --- a department's resubmission tells the recipients, as a correction does ------------------


def test_a_chunk_of_resubmissions_tells_each_party_that_received_a_changed_record_reading_once(
    uow: FakeUnitOfWork, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [penalty_row() for _ in range(4)]  # changed, changed, unchanged, changed
    stored = [submitted(uow, policy, dict(row)) for row in rows]
    authorised_query(uow, policy, stored[0], "AGENCY-BAIHANG")
    authorised_query(uow, policy, stored[1], "AGENCY-BAIHANG")
    authorised_query(uow, policy, stored[1], "AGENCY-PUDAO")
    authorised_query(uow, policy, stored[2], "AGENCY-PUDAO")  # resent unchanged
    # stored[3] was never given to anybody
    reads: list[int] = []
    deliveries = FakeFeed.deliveries

    def counted(self: FakeFeed, keys: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        reads.append(len(set(keys)))
        return deliveries(self, keys)

    monkeypatch.setattr(FakeFeed, "deliveries", counted)
    resent = [
        (n, {**row, "fine_amount": "8000"} if n != 3 else row) for n, row in enumerate(rows, 1)
    ]
    summary = ingest_batch(
        uow, policy, resent, department="BJ-AMR", actor="amr", source=BatchSource.API
    )
    assert (summary.updated, summary.unchanged) == (3, 1)
    assert reads == [3]  # one read of the query log for the chunk's changed records
    told = [(i.recipient, i.kind, i.entity_id) for i in uow.committed.feed]
    assert told == [
        ("AGENCY-BAIHANG", FeedKind.CORRECTED, stored[0].record.id),
        ("AGENCY-BAIHANG", FeedKind.CORRECTED, stored[1].record.id),
        ("AGENCY-PUDAO", FeedKind.CORRECTED, stored[1].record.id),
    ]
    first = uow.committed.feed[0]
    assert first.detail == (
        f"ADM-PEN-01 {rows[0]['document_number']}: resubmitted by BJ-AMR with changed content;"
        " the earlier version is kept"
    )
    owed = sorted(
        (a.agency, a.entity_id, a.subject_id, a.due.day)
        for a in uow.committed.acknowledgements.values()
    )
    assert owed == sorted(
        (i.recipient, i.entity_id, s.record.subject_id, date(2026, 11, 25))
        for i, s in zip(uow.committed.feed, [stored[0], stored[1], stored[1]], strict=True)
    )


def test_a_document_changed_twice_in_one_batch_is_one_correction_and_a_held_one_tells_too(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    row = penalty_row()
    stored = submitted(uow, policy, dict(row))
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    twice = [(1, {**row, "fine_amount": "6000"}), (2, {**row, "fine_amount": "7000"})]
    summary = ingest_batch(
        uow, policy, twice, department="BJ-AMR", actor="amr", source=BatchSource.API
    )
    # One batch holds one version of a document: the second row is refused, not a second update.
    assert (summary.updated, summary.rejected) == (1, 1)
    assert [(e.row, e.code) for e in summary.errors] == [(2, "duplicate_in_batch")]
    [item] = uow.committed.feed
    assert (item.kind, item.entity_id) == (FeedKind.CORRECTED, stored.record.id)
    assert len(uow.committed.acknowledgements) == 1
    # A resubmission whose name disagrees is held for review, and its content still changed:
    # the agency is told both, and only the correction asks for an acknowledgement.
    held = submitted(uow, policy, {**row, "fine_amount": "8000", "subject_name": "王秀瑛"})
    assert held.held_for_review
    assert [(i.kind, i.entity_id) for i in uow.committed.feed[1:]] == [
        (FeedKind.CORRECTED, stored.record.id),
        (FeedKind.IDENTITY_HOLD, stored.record.id),
    ]
    assert len(uow.committed.acknowledgements) == 2


def test_a_chunk_of_holds_tells_each_party_once_per_record_held(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """Two court records of one person, the first with its listing, both resubmitted in one
    chunk under a name that disagrees: each hold is one event for the record and the listing
    that ended with it. A party that received a record and its listing is told of the record
    once; one that received both records is told of each; one that received the listing alone
    is told of it."""
    number = citizen_id()
    rows = [debtor_row(subject_id=number, subject_name="李建国") for _ in range(2)]
    first, entry = court_listing(uow, policy, rows[0])
    second = submitted(uow, policy, rows[1], department="BJ-HCOURT")
    with uow:
        key = key_of(uow.subjects.get(first.record.subject_id))
        given = [
            ("AGENCY-BAIHANG", f"record@{first.record.id};entry@{entry.id}"),
            ("AGENCY-BAIHANG", f"record@{second.record.id}"),
            ("BJ-CAAC-NC", f"M-COURT-FLIGHT@{entry.id}"),
        ]
        uow.queries.add_many(
            [
                QueryEntry(
                    at=uow.now(), subject_key=key, kind=QueryKind.CHECK, department=who,
                    actor=who, purpose="flight", authority="test", returned=returned,
                )
                for who, returned in given
            ]
        )  # fmt: skip
        uow.commit()
    renamed = [(n, {**row, "subject_name": "李建华"}) for n, row in enumerate(rows, start=1)]
    summary = ingest_batch(
        uow, policy, renamed, department="BJ-HCOURT", actor="court", source=BatchSource.API
    )
    assert summary.held_for_review == 2
    held = [
        (i.recipient, i.entity_type, i.entity_id)
        for i in uow.committed.feed
        if i.kind is FeedKind.IDENTITY_HOLD
    ]
    assert held == [
        ("AGENCY-BAIHANG", "record", first.record.id),
        ("BJ-CAAC-NC", "list_entry", entry.id),
        ("AGENCY-BAIHANG", "record", second.record.id),
    ]


def test_one_event_told_through_several_items_reaches_each_party_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """An objection to a record: the record, then two listings resting on it. A party that
    received several of them, or one of them several times, is told once, of the first it
    received; without `once` every item is told to every party that received it."""
    stored = submitted(uow, policy)
    record = stored.record.id
    with uow:
        key = key_of(uow.subjects.get(stored.record.subject_id))

    def given(party: str, returned: str) -> QueryEntry:
        return QueryEntry(
            at=uow.now(), subject_key=key, kind=QueryKind.CHECK, department=party,
            actor=party, purpose="flight", authority="test", returned=returned,
        )  # fmt: skip

    with uow:
        uow.queries.add_many(
            [
                given("AGENCY-BAIHANG", f"record@{record};entry@71;entry@72"),
                given("BJ-CAAC-NC", "M-COURT-FLIGHT@72"),
                given("BJ-CAAC-NC", "M-COURT-FLIGHT@71;M-COURT-TRAIN@72"),
                given("BJ-HRSS", "M-COURT-CIVIL-SERVICE@72"),
            ]
        )
        uow.commit()
    notices = [
        FeedNotice(key, FeedKind.UNDER_OBJECTION, "record", record, "marked"),
        FeedNotice(key, FeedKind.UNDER_OBJECTION, "list_entry", 71, "marked"),
        FeedNotice(key, FeedKind.UNDER_OBJECTION, "list_entry", 72, "marked"),
    ]
    with uow:
        assert notify_many(uow, notices, once=True) == 3
        uow.commit()
    told = [(i.recipient, i.entity_type, i.entity_id) for i in uow.committed.feed]
    assert told == [
        ("AGENCY-BAIHANG", "record", record),
        ("BJ-CAAC-NC", "list_entry", 71),
        ("BJ-HRSS", "list_entry", 72),
    ]
    with uow:
        assert notify_many(uow, notices) == 6  # each item to each party that received it
        uow.commit()
