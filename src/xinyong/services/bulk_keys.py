"""Many citizen ID numbers to index keys at once, for screening: NumPy does per array what
`domain.index.person_key` does per number.

`person_keys` validates a block of numbers in a few array operations (18 characters, 17 digits,
the ISO 7064 MOD 11-2 check character of GB 11643) and hashes the well-formed ones with the
vault's prepared keyed hash (domain/vault.py `person_key_digests`); `may_hold` tells, by one
sorted search over the index's keys, which of those keys the index holds anything under, so
that only those go through `postings` one by one. The answers are the same as `person_key`'s
and `postings`'s for every number (tests/unit/test_bulk_keys.py compares them); what changes
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
_WEIGHTS: Final = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
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
Mask = npt.NDArray[np.bool_]


def person_keys(numbers: Sequence[str]) -> Keys:
    """The index key of each number as `person_key` gives it, and NOT_A_KEY where it gives None
    or the number is not ASCII: not 18 characters, 17 digits and its check character (an
    upper-case X only). Callers normalise such numbers one by one (`domain.checks.subject_keys`
    takes full-width digits, a lower-case x, a credit code)."""
    data = _eighteen_bytes_each(numbers)
    grid = np.frombuffer(data, dtype=np.uint8).reshape(-1, _WIDTH)
    digits = grid[:, :17].astype(np.int64) - ord("0")
    well_formed = ((digits >= 0) & (digits <= 9)).all(axis=1)
    well_formed &= _CHECK_CHARACTERS[(digits @ _WEIGHTS) % 11] == grid[:, 17]
    keys = np.full(len(numbers), NOT_A_KEY, dtype=np.int64)
    if well_formed.any():
        chosen = data if well_formed.all() else grid[well_formed].tobytes()
        digests = vault.current().person_key_digests(chosen, _WIDTH)
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


def may_hold(held: HeldKeys, keys: Keys) -> Mask:
    """For each key, whether the index whose `held_keys()` is `held` may find anything under it
    (False for NOT_A_KEY). True for every key it holds; the caller looks those up one by one,
    with the `finder()` taken when `held` was."""
    base, overlay = held
    found: Mask = np.zeros(len(keys), dtype=np.bool_)
    if len(base):
        ordered = np.frombuffer(base, dtype=np.int64)
        places = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
        found |= ordered[places] == keys
    if overlay:
        found |= np.isin(keys, np.fromiter(overlay, dtype=np.int64, count=len(overlay)))
    result: Mask = found & (keys != NOT_A_KEY)
    return result
