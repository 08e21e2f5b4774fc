"""The exchange wired to the platform: changes made by the platform's own services reach a peer
platform on a database of its own and are applied there through the same gates; the origin is
authoritative; applying twice changes nothing; an agency peer receives only what its standing and
the subjects' authorisations allow."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.pool import NullPool

from tests.conftest import Clock
from tests.exchange_support import (
    CN_ID,
    CN_KEYS,
    FakeBroker,
    FakeTransport,
    NoAuthorisations,
    migrated_sqlite,  # noqa: F401 - a fixture
    peer,
)
from tests.factories import (
    agency_key,
    citizen_id,
    commitment_row,
    debtor_row,
    local_policy,
    penalty_row,
)
from xinyong.db.audit import AuditEventRow
from xinyong.db.engine import copy_sqlite, make_engine
from xinyong.db.exchange import OutboxRow
from xinyong.db.exchange_states import SqlSubjectStates
from xinyong.db.feed import FeedItemRow, FeedWithdrawalRow
from xinyong.db.records import CreditRecordRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.audit import EventTag
from xinyong.domain.deadlines import DeadlineKind
from xinyong.domain.envelopes import NodeKeys, RefusalReason, peek
from xinyong.domain.exchange import (
    Entitlement,
    NodeIdentity,
    NodeLevel,
    PeerKind,
    SubjectType,
    subject_reference,
)
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import BASIS_WITHHELD, EntryState
from xinyong.domain.merkle import MerkleTree
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import RecordStatus, document_key
from xinyong.services import (
    agencies,
    authorisations,
    deadlines,
    decided_lists,
    departments,
    exchange,
    objections,
    repairs,
)
from xinyong.services.authorisations import LiveAuthorisations
from xinyong.services.exchange import Outcome, Peer
from xinyong.services.inbound import make_apply
from xinyong.services.outbound import record_entity, requeue_subjects
from xinyong.services.reconciliation import answer_digest, answer_resend, reconcile_and_repair
from xinyong.services.records import (
    Stored,
    resolve_identity_review,
    revoke_record,
    submit_record,
)
from xinyong.services.subjects import list_identity_reviews

Platform = Callable[[], SqlUnitOfWork]
BJ_ID = NodeIdentity("BJ", "110000", NodeLevel.PROVINCIAL)
BJ_KEYS = NodeKeys.generate()


@pytest.fixture
def bj(seeded: Platform) -> Platform:
    return seeded


@pytest.fixture
def cn(tmp_path: Path, clock: Clock, migrated_sqlite: Path, policy: Policy) -> Platform:  # noqa: F811
    path = tmp_path / "cn.db"
    copy_sqlite(migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)
    factory = partial(SqlUnitOfWork, make_session_factory(engine), clock)
    departments.sync_departments(factory(), policy.departments, actor="test")
    return factory


def _paired(beijing: Platform, national: Platform) -> tuple[Platform, Platform]:
    """Beijing's node on the first platform, the national node on the second, each the other's
    peer."""
    exchange.init_node(beijing(), BJ_ID, BJ_KEYS, actor="test")
    exchange.init_node(national(), CN_ID, CN_KEYS, actor="test")
    exchange.add_peer(beijing(), peer(CN_ID, CN_KEYS), actor="test")
    exchange.add_peer(national(), peer(BJ_ID, BJ_KEYS), actor="test")
    return beijing, national


@pytest.fixture
def nodes(bj: Platform, cn: Platform) -> tuple[Platform, Platform]:
    return _paired(bj, cn)


def flow(
    broker: FakeBroker, origin: Platform, code: str, to: Platform, to_code: str, policy: Policy
) -> dict[Outcome, int]:
    """Relay the origin's outbox and let the receiver consume it all."""
    exchange.relay_outbox(origin(), FakeTransport(broker, code), NoAuthorisations())
    report = exchange.consume(to(), FakeTransport(broker, to_code), code, make_apply(policy))
    return report.outcomes


def records_of(uow: Platform, department: str, number: str) -> RecordStatus | None:
    with uow() as u:
        states = u.records.find_states(department, [document_key(number)])
        return next(iter(states.values())).status if states else None


def test_a_record_its_listing_and_their_revocation_reach_the_peer_once(
    nodes: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = nodes
    broker = FakeBroker()
    row = debtor_row()
    stored = submit_record(bj(), policy, row, department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 1
    submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert outcomes[Outcome.APPLIED] == 3
    number = str(row["document_number"])
    assert records_of(cn, "BJ-HCOURT", number) is RecordStatus.ACTIVE
    with cn() as u:
        subject = u.subjects.get_by_number(stored.subject_number)
        assert subject is not None
        assert subject.id is not None
        (copy,) = u.entries.of_subject(subject.id, policy.list_types)
        assert copy.state in (EntryState.DECIDED, EntryState.PUBLISHED)
        assert copy.proposed_by == "node:BJ"
        assert u.outbox.count_pending() == 0  # the receiver never re-sends a peer's change

    revoke_record(bj(), policy, stored.record.id, department=None, reason="判决撤销", actor="court")
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert outcomes[Outcome.APPLIED] == 2
    assert records_of(cn, "BJ-HCOURT", number) is RecordStatus.REVOKED
    with cn() as u:
        (copy,) = u.entries.of_subject(subject.id, policy.list_types)
        assert copy.state is EntryState.EXITED

    # Everything again (a relay that crashed before marking): nothing is applied twice.
    broker.acked.clear()
    again = exchange.consume(cn(), FakeTransport(broker, "CN"), "BJ", make_apply(policy))
    assert again.outcomes[Outcome.DUPLICATE] == 5
    assert again.outcomes[Outcome.APPLIED] == 0


def test_a_change_to_a_record_of_the_receivers_own_department_is_refused(
    nodes: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = nodes
    broker = FakeBroker()
    # CN pretends to speak for a Beijing department's record.
    stored = submit_record(cn(), policy, penalty_row(), department="BJ-AMR", actor="x")
    assert stored.outcome.value == "accepted"
    outcomes = flow(broker, cn, "CN", bj, "BJ", policy)
    assert outcomes[Outcome.REFUSED] == 1
    (refusal,) = exchange.refusals(bj())
    assert refusal.reason is RefusalReason.NOT_ORIGIN
    assert records_of(bj, "BJ-AMR", stored.record.document_number) is None


def test_a_row_the_receivers_catalog_refuses_is_a_gate_refusal(
    nodes: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = nodes
    broker = FakeBroker()
    submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    with cn() as u:  # the receiver no longer registers the department: its mandate is unknown
        u.session.execute(text("DELETE FROM departments WHERE code = 'BJ-AMR'"))
        u.commit()
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert outcomes[Outcome.REFUSED] == 1
    (refusal,) = exchange.refusals(cn())
    assert refusal.reason is RefusalReason.GATE
    assert "BJ-AMR" in refusal.detail


def test_a_peers_revocation_reaches_a_copy_whose_department_this_nodes_policy_dropped(
    nodes: tuple[Platform, Platform], policy: Policy
) -> None:
    """A department dropped here acts on no mandate here, but its origin's changes to a copy
    held here always reach it (docs/exchange.md): the copy is put right, nothing refused."""
    bj, cn = nodes
    broker = FakeBroker()
    stored = submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    kept = [d for d in policy.departments if d.code != "BJ-AMR"]
    assert departments.sync_departments(cn(), kept, actor="test") == 1

    revoke_record(
        bj(), policy, stored.record.id, department="BJ-AMR", reason="复议撤销", actor="amr"
    )
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)

    assert (outcomes[Outcome.APPLIED], outcomes[Outcome.REFUSED]) == (1, 0)
    assert exchange.refusals(cn()) == []
    assert records_of(cn, "BJ-AMR", stored.record.document_number) is RecordStatus.REVOKED


class LocalDigests:
    """A peer's digests answered in-process by the function that serves them over NATS."""

    def __init__(self, states: SqlSubjectStates) -> None:
        self.states = states

    def tree(self, origin: str, depth: int) -> MerkleTree:
        return MerkleTree.from_json(answer_digest(self.states, {"origin": origin, "depth": depth}))

    def leaves(self, origin: str, buckets: Sequence[int], depth: int) -> dict[str, str]:
        answer = answer_digest(
            self.states, {"origin": origin, "depth": depth, "buckets": list(buckets)}
        )
        leaves = answer["leaves"]
        assert isinstance(leaves, dict)
        return leaves


def states_of(uow: Platform, policy: Policy) -> SqlSubjectStates:
    return SqlSubjectStates(uow().session_factory, policy.list_types)


def test_reconciliation_finds_exactly_the_corrupted_subject_and_the_origin_repairs_it(
    nodes: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = nodes
    broker = FakeBroker()
    stored = []
    for _ in range(6):
        stored.append(submit_record(bj(), policy, debtor_row(), department="BJ-HCOURT", actor="c"))
        stored.append(submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="a"))
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 6
    revoke_record(bj(), policy, stored[0].record.id, department=None, reason="撤销", actor="c")
    flow(broker, bj, "BJ", cn, "CN", policy)
    ours, theirs = states_of(bj, policy), states_of(cn, policy)
    assert ours.leaves("BJ") == theirs.leaves("BJ")
    assert len(ours.leaves("BJ")) == 12
    assert theirs.leaves("CN") == {}

    # Someone puts the revoked record back in force on the national node's database.
    number = stored[0].record.document_number
    with cn() as u:
        u.session.execute(
            update(CreditRecordRow)
            .where(CreditRecordRow.document_key == document_key(number))
            .values(status="active")
        )
        u.commit()
    assert records_of(cn, "BJ-HCOURT", number) is RecordStatus.ACTIVE

    def resend(origin: str, refs: Sequence[str]) -> int:
        assert origin == "BJ"
        requeue = partial(requeue_subjects, bj(), policy)
        answer = answer_resend(ours, requeue, "BJ", {"subjects": list(refs)})
        assert isinstance(answer["queued"], int)
        return answer["queued"]

    (repair,) = reconcile_and_repair(theirs, LocalDigests(ours), ["BJ"], resend, depth=4)
    ref = subject_reference(SubjectType.PERSON, stored[0].subject_number)
    assert repair.result.subjects == (ref,)
    assert repair.requeued == 2  # the record and the listing that rested on it
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert outcomes[Outcome.APPLIED] == 2
    assert records_of(cn, "BJ-HCOURT", number) is RecordStatus.REVOKED
    assert ours.leaves("BJ") == theirs.leaves("BJ")
    (again,) = reconcile_and_repair(theirs, LocalDigests(ours), ["BJ"], resend, depth=4)
    assert again.result.in_step
    assert again.requeued == 0


# --- agencies: what their standing and the subjects' authorisations allow -----------------

AGENCY = "AGENCY-BAIHANG"  # a registered agency of the policy, and the exchange peer of that code


def to_agency(broker: FakeBroker) -> list[str | None]:
    """The kinds of the events relayed to the agency, in order."""
    return [peek(data).kind for to, _, data in broker.streams.get("BJ", []) if to == AGENCY]


def test_an_agency_peer_gets_nothing_new_while_blacklisted_and_withdrawals_always(
    bj: Platform, policy: Policy
) -> None:
    exchange.init_node(bj(), BJ_ID, BJ_KEYS, actor="test")
    identity = NodeIdentity(AGENCY, "110000", NodeLevel.PROVINCIAL)
    licensed = Entitlement(PeerKind.AGENCY, items=frozenset({"ADM-PEN-01"}))
    exchange.add_peer(bj(), Peer(identity, NodeKeys.generate().public, licensed), actor="test")
    live, broker = LiveAuthorisations(), FakeBroker()

    def relay() -> None:
        exchange.relay_outbox(bj(), FakeTransport(broker, "BJ"), live)

    agencies.blacklist_agency(bj(), AGENCY, ground="泄露信息", on=None, actor="centre")
    submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    relay()
    assert to_agency(broker) == []  # a public item its licence covers, but it is suspended
    agencies.lift_blacklisting(bj(), AGENCY, reason="整改完成", actor="centre")
    held = submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    relay()
    assert to_agency(broker) == ["record.accepted"]

    agencies.blacklist_agency(bj(), AGENCY, ground="再次违规", on=None, actor="centre")
    revoke_record(bj(), policy, held.record.id, department=None, reason="复议撤销", actor="c")
    submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    relay()
    # The copy it holds is put right; the new record does not reach it.
    assert to_agency(broker) == ["record.accepted", "record.revoked"]


def test_an_agency_hears_of_a_record_no_longer_shown_only_if_it_received_the_record(
    bj: Platform, policy: Policy, clock: Clock
) -> None:
    """A repair, or a record accepted already past its display, carries the whole record and its
    subject: it reaches the agency that holds a copy, to withdraw it, and no other agency."""
    exchange.init_node(bj(), BJ_ID, BJ_KEYS, actor="test")
    licensed = Entitlement(PeerKind.AGENCY, items=frozenset({"ADM-PEN-01"}))
    live, broker, late = LiveAuthorisations(), FakeBroker(), "AGENCY-PUDAO"

    def register(code: str) -> None:
        identity = NodeIdentity(code, "110000", NodeLevel.PROVINCIAL)
        exchange.add_peer(bj(), Peer(identity, NodeKeys.generate().public, licensed), actor="test")

    def relay() -> list[list[str | None]]:
        exchange.relay_outbox(bj(), FakeTransport(broker, "BJ"), live)
        sent = broker.streams.get("BJ", [])
        return [[peek(data).kind for to, _, data in sent if to == code] for code in (AGENCY, late)]

    register(AGENCY)
    held = submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    assert relay() == [["record.accepted"], []]
    register(late)  # licensed for the item too, once the record had gone out
    past = penalty_row(decision_date="2025-06-02")  # shown a year: expired on arrival
    assert submit_record(bj(), policy, past, department="BJ-AMR", actor="amr").record.status is (
        RecordStatus.EXPIRED
    )
    clock.at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    repair = repairs.apply_for_repair(
        bj(),
        policy,
        subject_id=held.record.subject_id,
        record_id=held.record.id,
        obligations_performed=True,
        commitment="本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。",
        evidence=[("缴款凭证.pdf", "application/pdf", b"%PDF")],
        actor="account:1",
    )
    repairs.accept_repair(bj(), repair.id or 0, department="BJ-AMR", actor="amr")
    repairs.decide_repair(
        bj(),
        policy,
        repair.id or 0,
        repaired=True,
        reasons="已缴清",
        department="BJ-AMR",
        actor="amr",
    )
    assert relay() == [["record.accepted", "record.repaired"], []]

    # A copy given earlier in the same round is held: its revocation follows it.
    new = submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    revoke_record(bj(), policy, new.record.id, department=None, reason="复议撤销", actor="c")
    both = ["record.accepted", "record.revoked"]
    assert relay() == [["record.accepted", "record.repaired", *both], both]


def test_an_agency_is_authorised_only_by_a_live_authorisation_covering_the_item(
    bj: Platform, policy: Policy
) -> None:
    exchange.init_node(bj(), BJ_ID, BJ_KEYS, actor="test")
    stored = submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    with bj() as u:
        [(_, change)] = u.outbox.pending(10)
        now = u.now()
    live = LiveAuthorisations()

    def authorised(on: datetime) -> bool:
        with bj() as u:
            return live.is_authorised(u, AGENCY, change, on=on)

    def suspended(code: str, on: datetime) -> bool:
        with bj() as u:
            return live.is_suspended(u, code, on=on)

    assert authorised(now) is False
    assert suspended(AGENCY, now) is False
    assert suspended("BJ-AMR", now) is False  # no agency: its peer entitlement rules

    def grant(scope: str, grantee: str = AGENCY) -> int:
        granted = authorisations.grant_authorisation(
            bj(),
            policy,
            subject_id=stored.record.subject_id,
            grantee=grantee,
            purpose="loan_approval",
            scope=scope,
            expires_on=now.date() + timedelta(days=30),
            actor="account:1",
        )
        return granted.id or 0

    grant("lists")  # lists do not cover a record
    grant("records", "AGENCY-PUDAO")  # another agency's
    assert authorised(now) is False
    covering = grant("records")
    assert authorised(now) is True
    assert authorised(now + timedelta(days=31)) is False  # lapsed
    authorisations.revoke_authorisation(
        bj(), subject_id=stored.record.subject_id, authorisation_id=covering, actor="account:1"
    )
    assert authorised(now) is False
    assert suspended(AGENCY, datetime(2031, 1, 2, tzinfo=UTC)) is True  # its licence is over


def test_a_local_items_records_reach_neither_the_national_platform_nor_an_agency(
    bj: Platform, tmp_path: Path
) -> None:
    """A local item rests on a local legal basis only: its records stay on their origin, even
    public ones, while a national item's reach the platform and the licensed agency. A copy a peer
    was given before (when the rule was not kept) is still put right by its withdrawal."""
    local = load_policy(local_policy(tmp_path / "policy", public=True))
    departments.sync_departments(bj(), local.departments, actor="test")
    exchange.init_node(bj(), BJ_ID, BJ_KEYS, actor="test")
    exchange.add_peer(bj(), peer(CN_ID, CN_KEYS), actor="test")
    agency = NodeIdentity(AGENCY, "110000", NodeLevel.PROVINCIAL)
    licensed = Entitlement(PeerKind.AGENCY, items=frozenset({"ADM-PEN-01", "BJ-COM-01"}))
    exchange.add_peer(bj(), Peer(agency, NodeKeys.generate().public, licensed), actor="test")
    broker = FakeBroker()

    def relay() -> dict[str, list[tuple[str, str]]]:
        """The kind and catalog item of every event relayed so far, by recipient."""
        report = exchange.relay_outbox(bj(), FakeTransport(broker, "BJ"), LiveAuthorisations())
        assert report.failed is None
        sent: dict[str, list[tuple[str, str]]] = {"CN": [], AGENCY: []}
        for to, _, data in broker.streams.get("BJ", []):
            header = json.loads(data)  # the header travels in the clear
            sent[to].append((header["kind"], header["catalog_item"]))
        return sent

    commitment = submit_record(bj(), local, commitment_row(), department="BJ-AMR-CY", actor="c")
    submit_record(bj(), local, penalty_row(), department="BJ-AMR", actor="amr")
    assert commitment.record.item_code == "BJ-COM-01"
    national = [("record.accepted", "ADM-PEN-01")]
    assert relay() == {"CN": national, AGENCY: national}

    with bj() as u:  # the national platform holds a copy given before the rule was kept
        u.outbox.record_copies(
            "CN", [record_entity("BJ-AMR-CY", commitment.record.document_number)]
        )
        u.commit()
    revoke_record(bj(), local, commitment.record.id, department=None, reason="撤销", actor="c")
    assert relay() == {"CN": [*national, ("record.revoked", "BJ-COM-01")], AGENCY: national}


def test_records_the_sweep_expires_reach_the_peer_expired(
    nodes: tuple[Platform, Platform], policy: Policy, clock: Clock
) -> None:
    from datetime import UTC, datetime

    from xinyong.services import expiry

    bj, cn = nodes
    broker = FakeBroker()
    rows = [penalty_row() for _ in range(3)]  # decided 1 September 2026: shown for a year
    for row in rows:
        submit_record(bj(), policy, row, department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 3
    clock.at = datetime(2027, 9, 1, 2, 0, tzinfo=UTC)
    assert expiry.sweep(bj(), policy, actor="sweep", chunk=2).expired == 3
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 3
    for row in rows:
        number = str(row["document_number"])
        assert records_of(cn, "BJ-AMR", number) is RecordStatus.EXPIRED


def test_a_peers_correction_and_revocation_tell_the_agency_that_received_the_copy_here(
    nodes: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = nodes
    broker = FakeBroker()
    row = penalty_row()
    stored = submit_record(bj(), policy, row, department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    subject_id, copy = agency_received(cn, policy, stored.subject_number)

    submit_record(bj(), policy, {**row, "fine_amount": "8000"}, department="BJ-AMR", actor="amr")
    revoke_record(bj(), policy, stored.record.id, department=None, reason="复议撤销", actor="c")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        told = u.feed.after(AGENCY, 0, limit=10)
        owed = [u.feed.acknowledgement(i.seq or 0) for i in told]
    assert [(i.kind, i.entity_type, i.entity_id) for i in told] == [
        (FeedKind.CORRECTED, "record", copy),
        (FeedKind.REVOKED, "record", copy),
    ]
    assert f"{row['document_number']}: resubmitted by BJ-AMR" in told[0].detail
    assert stored.subject_number not in told[0].detail
    assert [(a.agency, a.subject_id) for a in owed if a is not None] == [
        (AGENCY, subject_id),
        (AGENCY, subject_id),
    ]
    # Revoked here as there: the agency withdraws its copy by the day the copy keeps, watched.
    with cn() as u:
        by = u.records.get(copy).withdraw_by
    assert by is not None
    assert told[1].detail.endswith(f"withdraw every copy by {by.day.isoformat()}")
    [watched] = deadlines.watched_deadlines(
        cn(), kinds=[DeadlineKind.WITHDRAWAL], department=None, overdue=False
    )
    assert (watched.entity_id, watched.must_act, watched.due) == (told[1].seq, AGENCY, by)

    # A copy held at its origin for an identity review, then released there: told here too.
    held = submit_record(bj(), policy, penalty_row(), department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    _, copy = agency_received(cn, policy, held.subject_number)
    moved = {**penalty_row(), "document_number": held.record.document_number}
    submit_record(bj(), policy, moved, department="BJ-AMR", actor="amr")  # another person
    [review] = list_identity_reviews(bj())
    resolve_identity_review(bj(), policy, review.id, same_person=True, note="原件", actor="c")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        told = u.feed.after(AGENCY, told[-1].seq or 0, limit=10)
    assert [(i.kind, i.entity_type, i.entity_id, i.acknowledge_by) for i in told] == [
        (FeedKind.IDENTITY_HOLD, "record", copy, None),
        (FeedKind.RELEASED, "record", copy, None),
    ]


@pytest.fixture
def receiving(bj: Platform, cn: Platform) -> tuple[Platform, Platform]:
    """The two nodes with the roles turned: Beijing on a file of its own, the national node on
    the database under test, so that what the receiver does runs on each backend."""
    return _paired(cn, bj)


def test_a_copy_held_at_its_origin_ends_the_listings_on_it_as_a_hold_here_would(
    receiving: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    row = debtor_row()
    stored = submit_record(bj(), policy, row, department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 1
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        subject = u.subjects.get_by_number(stored.subject_number)
        assert subject is not None
        assert subject.id is not None
        (copy,) = u.entries.of_subject(subject.id, policy.list_types)

    # The document resubmitted about another person: held at its origin for an identity review.
    moved = debtor_row(document_number=row["document_number"])
    submit_record(bj(), policy, moved, department="BJ-HCOURT", actor="court")
    exchange.relay_outbox(bj(), FakeTransport(broker, "BJ"), NoAuthorisations())
    transport = FakeTransport(broker, "CN")
    first = exchange.consume(cn(), transport, "BJ", make_apply(policy), batch=1)  # the record's
    assert first.outcomes[Outcome.APPLIED] == 1
    assert records_of(cn, "BJ-HCOURT", str(row["document_number"])) is RecordStatus.IDENTITY_HOLD
    with cn() as u:
        ended = u.entries.get(copy.id or 0, policy.list_types)
        lost = [
            (e.actor, e.data.get("ground"))
            for e in u.session.scalars(
                select(AuditEventRow).where(
                    AuditEventRow.tag == EventTag.LISTING_BASIS_LOST.value,
                    AuditEventRow.entity_id == str(copy.id),
                )
            )
        ]
    assert ended.state is EntryState.EXITED
    assert ended.exit_ground == BASIS_WITHHELD  # the ground a hold here records, not revocation
    assert lost == [("node:BJ", BASIS_WITHHELD)]

    # The origin's own listing event agrees; the review finds it is the person's after all, and
    # the listing stands again here as it does there.
    exchange.consume(cn(), transport, "BJ", make_apply(policy))
    [review] = list_identity_reviews(bj())
    resolve_identity_review(bj(), policy, review.id, same_person=True, note="原件", actor="c")
    flow(broker, bj, "BJ", cn, "CN", policy)
    assert records_of(cn, "BJ-HCOURT", str(row["document_number"])) is RecordStatus.ACTIVE
    with cn() as u:
        again = u.entries.get(copy.id or 0, policy.list_types)
    assert again.state in (EntryState.DECIDED, EntryState.PUBLISHED)
    assert again.exit_ground is None


def _stop_at_origin(bj: Platform, policy: Policy, how: str, stored: Stored) -> None:
    """Repair the record, stop its display on an objection, or revoke it, at its origin."""
    record_id, subject_id = stored.record.id, stored.record.subject_id
    if how == "revoked":
        revoke_record(bj(), policy, record_id, department=None, reason="复议撤销", actor="c")
    elif how == "repaired":
        repair = repairs.apply_for_repair(
            bj(), policy, subject_id=subject_id, record_id=record_id, obligations_performed=True,
            commitment="本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。",
            actor="account:1",
        )  # fmt: skip
        repairs.decide_repair(
            bj(), policy, repair.id or 0, repaired=True, reasons="已缴清", department="BJ-AMR",
            actor="amr",
        )  # fmt: skip
    else:
        case = objections.file_objection(
            bj(), policy, subject_id=subject_id, record_id=record_id, entry_id=None,
            ground="error_or_omission", reasons="记载有误", evidence=(), actor="account:1",
        )  # fmt: skip
        objections.forward_objection(bj(), policy, case.id or 0, department=None, actor="c")
        objections.decide_objection(
            bj(), policy, case.id or 0, outcome="stop_display", reasons="经核查停止公示",
            department="BJ-AMR", actor="amr",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("repaired", RecordStatus.REPAIRED),
        ("stopped", RecordStatus.CORRECTED),
        ("revoked", RecordStatus.REVOKED),
    ],
)
def test_a_copy_its_origin_takes_out_of_display_is_archived_here_from_that_day(
    receiving: tuple[Platform, Platform],
    policy: Policy,
    clock: Clock,
    how: str,
    status: RecordStatus,
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    # a serious fine: shown until 3 November 2028, kept until 3 November 2033 had it been shown
    row = penalty_row(fine_amount="80000", decision_date="2025-11-03")
    stored = submit_record(bj(), policy, row, department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    clock.at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    _stop_at_origin(bj, policy, how, stored)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] >= 1
    with cn() as u:
        [copy] = u.records.of_subject(u.subjects.get_by_number(stored.subject_number).id or 0)
    assert (copy.status, copy.retention_ends) == (status, date(2031, 12, 1))


def agency_received(
    cn: Platform, policy: Policy, number: str, *, scope: str = "records"
) -> tuple[int, int]:
    """Let the agency query the person's file on `cn` in `scope`; return the subject's id there
    and the record it was given (0 for `lists`, which gives none)."""
    with cn() as u:
        subject = u.subjects.get_by_number(number)
        assert subject is not None
        assert subject.id is not None
        now = u.now()
    authorisations.grant_authorisation(
        cn(),
        policy,
        subject_id=subject.id,
        grantee=AGENCY,
        purpose="loan_approval",
        scope=scope,
        expires_on=now.date() + timedelta(days=30),
        actor=f"account:{subject.id}",
    )
    caller = agency_key(cn(), AGENCY, at=now)
    query = partial(authorisations.agency_query, purpose="loan_approval", scope=scope)
    copies = [r.id for r in query(cn(), policy, caller=caller, number=number).records]
    assert len(copies) == (0 if scope == "lists" else 1)
    return subject.id, next(iter(copies), 0)


def test_a_peers_revocation_tells_a_party_given_the_copy_and_its_listing_once(
    receiving: tuple[Platform, Platform], policy: Policy
) -> None:
    """As a local revocation: the agency here given the record's copy and the listing on it is
    told once, of the record, owes one acknowledgement and one withdrawal; told of the listing
    only, it is told of the listing."""
    bj, cn = receiving
    broker = FakeBroker()
    stored = submit_record(bj(), policy, debtor_row(), department="BJ-HCOURT", actor="court")
    only = submit_record(bj(), policy, debtor_row(), department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 2
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 4
    subject_id, copy = agency_received(cn, policy, stored.subject_number, scope="report")
    other_id, _ = agency_received(cn, policy, only.subject_number, scope="lists")
    with cn() as u:
        (listing,) = u.entries.of_subject(subject_id, policy.list_types)
        (other_listing,) = u.entries.of_subject(other_id, policy.list_types)
        before = u.session.scalar(select(func.max(FeedItemRow.seq))) or 0

    for revoked in (stored, only):
        revoke_record(bj(), policy, revoked.record.id, department=None, reason="撤销", actor="c")
    flow(broker, bj, "BJ", cn, "CN", policy)
    with cn() as u:
        assert u.entries.get(listing.id or 0, policy.list_types).state is EntryState.EXITED
        told = u.feed.after(AGENCY, before, limit=10)
        owed = [u.feed.acknowledgement(i.seq or 0) for i in told]
        withdrawals = u.session.scalars(
            select(FeedWithdrawalRow.id).where(FeedWithdrawalRow.id > before)
        ).all()
    assert [(i.kind, i.entity_type, i.entity_id) for i in told] == [
        (FeedKind.REVOKED, "record", copy),
        (FeedKind.REVOKED, "list_entry", other_listing.id),
    ]
    assert [(a.agency, a.subject_id) for a in owed if a is not None] == [
        (AGENCY, subject_id),
        (AGENCY, other_id),
    ]
    assert sorted(withdrawals) == [i.seq for i in told]
    assert "ended, the record was revoked at its origin BJ" in told[1].detail


def test_a_copy_its_origins_review_withholds_is_told_withheld_here_too(
    receiving: tuple[Platform, Platform], policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    # A number whose region code no table knows: in force, and a review asks staff to confirm it.
    flagged = penalty_row(subject_id=citizen_id(region="990101"), subject_name="王秀英")
    stored = submit_record(bj(), policy, flagged, department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    subject_id, copy = agency_received(cn, policy, stored.subject_number)

    # The origin's review finds the number is not the person's: its recipients are told
    # withheld, and so are this node's, acknowledging it as a revocation.
    [review] = list_identity_reviews(bj())
    resolve_identity_review(bj(), policy, review.id, same_person=False, note="冒用", actor="c")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert records_of(cn, "BJ-AMR", stored.record.document_number) is RecordStatus.IDENTITY_HOLD
    with cn() as u:
        told = u.feed.after(AGENCY, 0, limit=10)
        owed = [u.feed.acknowledgement(i.seq or 0) for i in told]
    assert [(i.kind, i.entity_type, i.entity_id) for i in told] == [
        (FeedKind.WITHHELD, "record", copy)
    ]
    assert [(a.agency, a.subject_id) for a in owed if a is not None] == [(AGENCY, subject_id)]
    assert stored.subject_number not in told[0].detail

    # A record held on a conflicting name, which its review keeps withheld for good: the hold is
    # told here at once, the decision when it is taken.
    row = penalty_row()
    held = submit_record(bj(), policy, row, department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    other_id, other = agency_received(cn, policy, held.subject_number)
    renamed = {**row, "subject_name": "赵敏", "fine_amount": "7000"}
    submit_record(bj(), policy, renamed, department="BJ-AMR", actor="amr")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    [review] = [r for r in list_identity_reviews(bj()) if r.is_open]
    resolve_identity_review(bj(), policy, review.id, same_person=False, note="非本人", actor="c")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    with cn() as u:
        told = u.feed.after(AGENCY, told[-1].seq or 0, limit=10)
    assert [(i.kind, i.entity_id) for i in told if i.entity_type == "record"][-2:] == [
        (FeedKind.IDENTITY_HOLD, other),
        (FeedKind.WITHHELD, other),
    ]
    assert told[-1].acknowledge_by is not None

    # The origin sends its records again (reconciliation's repair): nothing is told twice.
    requeue_subjects(bj(), policy, [stored.record.subject_id, held.record.subject_id])
    flow(broker, bj, "BJ", cn, "CN", policy)
    with cn() as u:
        assert u.feed.after(AGENCY, told[-1].seq or 0, limit=10) == []
    assert other_id != subject_id


def test_a_court_listing_that_follows_its_record_to_another_ground_follows_on_the_peer(
    receiving: tuple[Platform, Platform], policy: Policy
) -> None:
    """The court resends its finding under another ground: the origin's listing follows it
    (docs/lists-and-measures.md), and so does the copy here, at the record's event already;
    the origin's listing event that follows agrees."""
    bj, cn = receiving
    broker = FakeBroker()
    row = debtor_row()
    stored = submit_record(bj(), policy, row, department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 1
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        subject = u.subjects.get_by_number(stored.subject_number)
        assert subject is not None
        assert subject.id is not None
        (copy,) = u.entries.of_subject(subject.id, policy.list_types)
    assert (copy.ground, copy.ends_on) == ("evades_enforcement", date(2028, 10, 15))

    with bj() as u:
        before = u.session.scalar(select(func.max(OutboxRow.seq))) or 0
    varied = {**row, "dishonest_conduct": "able_but_refuses"}
    submit_record(bj(), policy, varied, department="BJ-HCOURT", actor="court")
    with bj() as u:
        queued = u.session.scalars(
            select(OutboxRow.kind).where(OutboxRow.seq > before).order_by(OutboxRow.seq)
        ).all()
    # the new content, the listing on its new ground, the record shown while it stands
    assert queued == ["record.updated", "listing.in_force", "record.updated"]
    exchange.relay_outbox(bj(), FakeTransport(broker, "BJ"), NoAuthorisations())
    transport = FakeTransport(broker, "CN")
    first = exchange.consume(cn(), transport, "BJ", make_apply(policy), batch=1)  # the record's
    assert first.outcomes[Outcome.APPLIED] == 1
    with cn() as u:
        followed = u.entries.get(copy.id or 0, policy.list_types)
    assert (followed.ground, followed.ends_on) == ("able_but_refuses", None)

    rest = exchange.consume(cn(), transport, "BJ", make_apply(policy))
    assert rest.outcomes[Outcome.APPLIED] == 2
    with cn() as u:
        agreed = u.entries.get(copy.id or 0, policy.list_types)
    assert (agreed.state, agreed.ground, agreed.ends_on) == (
        EntryState.DECIDED,
        "able_but_refuses",
        None,
    )
