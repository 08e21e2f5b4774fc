"""Screening's keys in bulk (services/bulk_keys.py) give the answers `person_key` and
`postings` give one number at a time."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
from stdnum.cn import ric

from xinyong.domain.index import ListingIndex, Posting, person_key
from xinyong.services.bulk_keys import NOT_A_KEY, NOWHERE, OVERLAID, locate, person_keys

CODES = ("COURT-DEBTORS",)


def _numbers(rng: random.Random, count: int) -> list[str]:
    """Well-formed numbers, each with one kind of fault about half of the time."""
    faults = [
        lambda n: n,
        lambda n: n[:17] + rng.choice([c for c in "0123456789X" if c != n[17]]),  # check
        lambda n: n[:17] + n[17].lower(),  # a lower-case x (or an unchanged digit)
        lambda n: n[:-1],  # 17 characters
        lambda n: n + "0",  # 19 characters
        lambda n: n[:5] + "A" + n[6:],  # a letter among the digits
        lambda n: n[:3] + "/" + n[4:],  # just below "0"
        lambda n: n[:3] + ":" + n[4:],  # just above "9"
        lambda n: "".join(chr(ord(c) + 0xFEE0) for c in n),  # full-width, as typed in Chinese
        lambda n: n[:16] + "é" + n[17],  # not ASCII
        lambda n: " " + n[1:],
        lambda n: "",
    ]
    numbers = []
    for _ in range(count):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        number = body + ric.calc_check_digit(body + "0")
        fault = faults[0] if rng.random() < 0.5 else rng.choice(faults)
        numbers.append(fault(number))
    return numbers


def _one_by_one(number: str) -> int:
    key = person_key(number) if number.isascii() else None
    return NOT_A_KEY if key is None else key


def test_keys_in_bulk_are_person_key_for_every_number() -> None:
    numbers = _numbers(random.Random(11643), 20_000)
    numbers += ["11010519491231002X", "11010519491231002x", "1101051949123100X2"]
    assert person_keys(numbers).tolist() == [_one_by_one(n) for n in numbers]
    assert (person_keys(numbers) != NOT_A_KEY).sum() > 10_000  # the faults did not take all


def test_a_block_of_eighteen_ascii_characters_each_and_one_that_only_adds_up_to_it_agree() -> None:
    """A block whose numbers are all 18 ASCII characters is encoded at once; lengths that only
    add up to 18 a number (17 and 19) must not be taken for it."""
    clean = [n for n in _numbers(random.Random(2016), 4000) if len(n) == 18 and n.isascii()]
    assert person_keys(clean).tolist() == [_one_by_one(n) for n in clean]
    assert (person_keys(clean) == NOT_A_KEY).any()  # wrong check characters among them
    well_formed = [n for n in clean if _one_by_one(n) != NOT_A_KEY]
    assert person_keys(well_formed).tolist() == [_one_by_one(n) for n in well_formed]
    odd = [well_formed[0][:-1], well_formed[1] + "0", *well_formed[2:]]
    assert person_keys(odd).tolist() == [NOT_A_KEY, NOT_A_KEY] + [
        _one_by_one(n) for n in well_formed[2:]
    ]


def test_no_numbers_give_no_keys() -> None:
    assert person_keys([]).tolist() == []
    assert person_keys(["x", ""]).tolist() == [NOT_A_KEY, NOT_A_KEY]


def _posting(key: int, entry_id: int) -> Posting:
    return Posting(
        key=key,
        entry_id=entry_id,
        subject_id=entry_id,
        list_code=CODES[0],
        role=None,
        start=date(2024, 1, 1),
        until=None,
        under_objection=False,
    )


def test_locate_finds_where_postings_finds_something_and_the_locator_reads_the_same() -> None:
    rng = random.Random(7)
    numbers = _numbers(rng, 6_000)
    keys = person_keys(numbers)
    valid = [k for k in keys.tolist() if k != NOT_A_KEY]
    index = ListingIndex(CODES)
    assert (locate(index.held_keys(), keys) == NOWHERE).all()  # an empty index holds nothing
    # Two postings under some keys (a person on a list twice), one under the rest.
    index.build(
        [_posting(k, i) for i, k in enumerate(valid[:1000])]
        + [_posting(k, 5_000 + i) for i, k in enumerate(valid[:1000:7])],
        seq=1,
    )
    listed_later, emptied = valid[1000:1100], valid[:50]
    index.replace(listed_later, [_posting(k, 10_000 + i) for i, k in enumerate(listed_later)])
    index.replace(emptied, [])  # delisted since the build: in the overlay, with nothing
    places = locate(index.held_keys(), keys).tolist()
    at = index.locator()
    for key, place in zip(keys.tolist(), places, strict=True):
        if key == NOT_A_KEY:
            assert place == NOWHERE
        elif key in emptied or key in listed_later:
            assert place == OVERLAID, "the overlay's answer stands over the base's"
        elif index.postings(key):
            assert place >= 0, "a key with postings must be found"
        else:
            assert place == NOWHERE
        if place != NOWHERE:
            assert at(key, place) == index.postings(key)
    assert sum(p != NOWHERE for p in places) == 1100
    assert any(len(index.postings(k)) == 2 for k in valid[50:1000])
    # Keys between and around the held ones, the extremes, and keys whose bit in the filter is
    # set by another key are not held.
    bits = 8 * len(index.held_keys().bits)
    probe = np.array(
        [0, min(valid) - 1, max(valid) + 1, 2**62 - 1, valid[500] + bits, valid[600] - bits],
        dtype=np.int64,
    )
    assert (locate(index.held_keys(), probe) == NOWHERE).all()
