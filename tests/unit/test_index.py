"""The listing index in memory: packing, the overlay and its compaction, and role windows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum.cn import ric

from xinyong.domain import vault
from xinyong.domain.index import (
    ListingIndex,
    Posting,
    organisation_key,
    person_key,
    postings_for,
)
from xinyong.domain.lists import ListEntry, ListType, record_decided_listing
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import RoleKind

CODES = ("COURT-DEBTORS", "COURT-DEBTORS-ORG", "GOOD-EXEMPLAR", "TAX-MAJOR-VIOLATION")
ROLES: tuple[RoleKind | None, ...] = (None, *RoleKind)


def _posting(rng: random.Random, key: int, entry_id: int) -> Posting:
    start = date(2024, 1, 1) + timedelta(days=rng.randrange(1000))
    until = None if rng.random() < 0.4 else start + timedelta(days=rng.randrange(1, 900))
    return Posting(
        key=key,
        entry_id=entry_id,
        subject_id=rng.randrange(1, 10**6),
        list_code=rng.choice(CODES),
        role=rng.choice(ROLES),
        start=start,
        until=until,
        under_objection=rng.random() < 0.2,
    )


def _key(i: int) -> int:
    if i % 3 == 0:
        return organisation_key(f"91110105MA{i:07d}X")
    return 110105_19800517_000 + i  # 17-digit person keys


def _everything(index: ListingIndex) -> list[Posting]:
    return sorted(index, key=lambda p: (p.key, p.entry_id))


def test_a_built_index_gives_back_every_posting_exactly() -> None:
    rng = random.Random(1)
    postings = [_posting(rng, _key(i // 2), i) for i in range(2000)]  # two per key
    index = ListingIndex(CODES)
    index.build(postings, seq=7)
    assert index.seq == 7
    assert len(index) == 2000
    assert _everything(index) == sorted(postings, key=lambda p: (p.key, p.entry_id))
    for posting in postings[:50]:
        assert posting in index.postings(posting.key)
    assert index.postings(_key(99_999)) == ()
    assert index.postings(person_key("11010519491231002X") or 0) == ()


def test_many_replacements_compact_the_overlay_and_lose_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(2)
    index = ListingIndex(CODES)
    base = [_posting(rng, _key(i), i) for i in range(3000)]
    index.build(base, seq=1)
    expected: dict[int, list[Posting]] = {}
    for p in base:
        expected.setdefault(p.key, []).append(p)
    rebuilds = 0
    compact = index._compact

    def counted() -> None:
        nonlocal rebuilds
        rebuilds += 1
        compact()

    monkeypatch.setattr(index, "_compact", counted)

    next_entry = 10_000
    for step in range(12_000):
        # Keys the base already has (changed or emptied) and new ones, one key per call.
        key = _key(rng.randrange(0, 3000) if step % 2 else 3000 + step)
        fresh = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            next_entry += 1
            fresh.append(_posting(rng, key, next_entry))
        index.replace([key], fresh)
        expected[key] = fresh
        if step % 500 == 0:  # between rebuilds too, the overlay answers for what it holds
            assert sorted(index.postings(key), key=lambda p: p.entry_id) == fresh

    assert rebuilds >= 1  # the overlay outgrew its 4096-key limit and the base was rebuilt
    for key, want in expected.items():
        got = sorted(index.postings(key), key=lambda p: p.entry_id)
        assert got == sorted(want, key=lambda p: p.entry_id)
    every = [p for found in expected.values() for p in found]
    assert len(index) == len(every)
    assert _everything(index) == sorted(every, key=lambda p: (p.key, p.entry_id))


def test_an_emptied_key_stays_empty_through_a_rebuild() -> None:
    rng = random.Random(3)
    index = ListingIndex(CODES)
    keep, drop = _posting(rng, _key(1), 1), _posting(rng, _key(2), 2)
    index.build([keep, drop], seq=1)
    index.replace([drop.key], [])
    assert index.postings(drop.key) == ()
    index.replace([_key(10_000 + i) for i in range(5000)], [])  # forces a rebuild
    assert len(index._overlay) == 0
    assert index.postings(drop.key) == ()
    assert index.postings(keep.key) == (keep,)
    assert list(index) == [keep]


# -- role windows ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def court_org(policy: Policy) -> ListType:
    return policy.list_types["COURT-DEBTORS-ORG"]


def _decided(list_type: ListType, decided_on: date) -> ListEntry:
    entry = record_decided_listing(
        list_type,
        subject_id=5,
        subject_age=None,
        grounds="（2026）京执1号",
        decided_on=decided_on,
        recorded_by="court-feed",
        at=datetime(2026, 3, 2, tzinfo=UTC),
        age_of_majority=18,
    )
    entry.id = 42
    return entry


def test_a_posting_through_a_role_is_in_force_only_while_the_role_is_held(
    court_org: ListType,
) -> None:
    entry = _decided(court_org, date(2026, 3, 2))  # in force 2026-03-02 to 2028-03-02
    key = person_key("11010519491231002X") or 0
    own = postings_for(key, entry)
    assert own is not None
    assert (own.start, own.until) == (date(2026, 3, 2), date(2028, 3, 2))

    later = postings_for(
        key,
        entry,
        role=RoleKind.LEGAL_REPRESENTATIVE,
        subject_id=9,
        held=(date(2026, 12, 1), None),
    )
    assert later is not None
    assert (later.start, later.until, later.role, later.subject_id) == (
        date(2026, 12, 1),
        date(2028, 3, 2),
        RoleKind.LEGAL_REPRESENTATIVE,
        9,
    )
    assert not later.in_force_on(date(2026, 11, 30))
    assert later.in_force_on(date(2026, 12, 1))

    left = postings_for(
        key,
        entry,
        role=RoleKind.ACTUAL_CONTROLLER,
        subject_id=9,
        held=(date(2020, 1, 1), date(2026, 6, 30)),
    )
    assert left is not None
    assert (left.start, left.until) == (date(2026, 3, 2), date(2026, 7, 1))
    assert left.in_force_on(date(2026, 6, 30))  # the role's last day still counts
    assert not left.in_force_on(date(2026, 7, 1))

    before = postings_for(
        key,
        entry,
        role=RoleKind.ACTUAL_CONTROLLER,
        subject_id=9,
        held=(date(2020, 1, 1), date(2026, 3, 1)),
    )
    assert before is None  # the role ended before the listing began: it never reaches them


def test_person_key_checks_the_character_exactly_as_stdnum_does() -> None:
    rng = random.Random(11643)
    for _ in range(20_000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        right = ric.calc_check_digit(body + "0")
        assert person_key(body + right) == vault.current().subject_key(
            body + right, organisation=False
        )
        wrong = rng.choice([c for c in "0123456789X" if c != right])
        assert person_key(body + wrong) is None
    assert person_key("11010519491231002X") is not None
    assert person_key("11010519491231002x") is None  # normalised before, never here
    assert person_key("1101051949123100X2") is None


def test_ids_take_four_bytes_when_they_fit_and_eight_when_they_do_not() -> None:
    from xinyong.domain.index import _ids

    small = _ids(lambda: iter([1, 2, (1 << 32) - 1]))
    assert small.itemsize == 4
    assert list(small) == [1, 2, (1 << 32) - 1]
    large = _ids(lambda: iter([1, 1 << 32]))
    assert large.itemsize == 8
    assert list(large) == [1, 1 << 32]
    assert list(_ids(lambda: iter([]))) == []
