"""Many citizen ID numbers to index keys at once, for screening: NumPy does per array what
`domain.index.person_key` does per number.

`person_keys` validates a block of numbers in a few array operations (18 characters, 17 digits,
the ISO 7064 MOD 11-2 check character of GB 11643) and hashes the well-formed ones with the
vault's prepared keyed hash (domain/vault.py `person_key_digests`); `locate` tells, by the
index's bit filter and one sorted search over its keys, where the index holds each key's
postings, so that only the keys found go through `locator` one by one, with no search of
their own. The answers are the same as `person_key`'s and `postings`'s for every number
(tests/unit/test_bulk_keys.py compares them); what changes
is that a screened number costs a few array elements instead of a dozen interpreter steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from xinyong.domain import vault
from xinyong.domain.index import HeldKeys

#: GB 11643's weights, 2**(17 - i) mod 11 for the digit at place i (0-based), and the check
#: characters by weighted sum mod 11: the rule `domain.index.person_key` applies per number.
_WEIGHTS: Final = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int32)
_CHECK_CHARACTERS: Final = np.frombuffer(b"10X98765432", dtype=np.uint8)
#: A citizen ID number's length, in characters and (ASCII) bytes.
_WIDTH: Final = 18
#: Stands in for a number that is not 18 bytes long, so that the block stays one array; it fails
#: the digit test.
_MISFIT: Final = b"\x00" * _WIDTH
#: Numbers keyed in one call: enough that NumPy's cost per call vanishes, few enough that a
#: screening's first results are not held back.
KEY_BLOCK: Final = 4096
#: Marks a number that is not a well-formed citizen ID number (keys are never negative).
NOT_A_KEY: Final = -1

Keys = npt.NDArray[np.int64]
#: Per key, where the index holds its postings (`locate`).
Places = npt.NDArray[np.int64]


def person_keys(numbers: Sequence[str]) -> Keys:
    """The index key of each number as `person_key` gives it, and NOT_A_KEY where it gives None
    or the number is not ASCII: not 18 characters, 17 digits and its check character (an
    upper-case X only). Callers normalise such numbers one by one (`domain.checks.subject_keys`
    takes full-width digits, a lower-case x, a credit code)."""
    data = _eighteen_bytes_each(numbers)
    grid = np.frombuffer(data, dtype=np.uint8).reshape(-1, _WIDTH)
    digits = grid[:, :17] - np.uint8(ord("0"))  # below "0" wraps round to above 9
    well_formed = (digits <= 9).all(axis=1)
    sums = np.einsum("ij,j->i", digits, _WEIGHTS, dtype=np.int32)  # at most 9 * 10 * 17
    well_formed &= _CHECK_CHARACTERS[sums % 11] == grid[:, 17]
    keys = np.full(len(numbers), NOT_A_KEY, dtype=np.int64)
    if well_formed.any():
        chosen = grid if well_formed.all() else grid[well_formed]
        # One bytes object a number, made in C (no NUL to lose: every byte is a digit or X).
        numbers_bytes = chosen.view(f"S{_WIDTH}").ravel().tolist()
        digests = vault.current().person_key_digests(numbers_bytes)
        keys[well_formed] = (
            np.frombuffer(digests, dtype=">u8") & np.uint64(vault.PERSON_KEY_MASK)
        ).astype(np.int64)
    return keys


def _eighteen_bytes_each(numbers: Sequence[str]) -> bytes:
    """The numbers as one run of bytes, 18 a number, `_MISFIT` standing in for a number that is
    not 18 ASCII characters. A block of such numbers (the usual case) is joined and encoded at
    once, with no step per number."""
    joined = "".join(numbers)
    if (
        len(joined) == _WIDTH * len(numbers)
        and joined.isascii()
        and min(map(len, numbers), default=_WIDTH) == _WIDTH  # none shorter: so none longer
    ):
        return joined.encode()
    encoded = (number.encode() if number.isascii() else _MISFIT for number in numbers)
    return b"".join(e if len(e) == _WIDTH else _MISFIT for e in encoded)


#: `locate`'s answer for a key the index holds nothing under.
NOWHERE: Final = -1
#: `locate`'s answer for a key the index's overlay holds (`ListingIndex.locator` reads it there).
OVERLAID: Final = -2


def locate(held: HeldKeys, keys: Keys) -> Places:
    """For each key, where the index whose `held_keys()` is `held` holds its postings: its first
    place in the base's sorted keys, OVERLAID, or NOWHERE (always for NOT_A_KEY). Callers look
    up only the keys found, with the `locator()` taken when `held` was. The base's bit filter
    turns most absent keys away before the sorted search, which is then for the few left."""
    places: Places = np.full(len(keys), NOWHERE, dtype=np.int64)
    valid = keys != NOT_A_KEY
    ordered = np.frombuffer(held.keys, dtype=np.int64)
    if len(ordered):
        bits = np.frombuffer(held.bits, dtype=np.uint8)
        slots = keys & (8 * len(bits) - 1)
        passed = ((bits[slots >> 3] >> (slots & 7)) & 1).astype(np.bool_)
        candidates = np.flatnonzero(passed & valid)
        wanted = keys[candidates]
        found = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
        hit = ordered[found] == wanted
        places[candidates[hit]] = found[hit]
    if held.overlay:
        overlay = np.fromiter(held.overlay, dtype=np.int64, count=len(held.overlay))
        places[np.isin(keys, overlay) & valid] = OVERLAID
    return places
