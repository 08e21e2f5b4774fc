"""The listing index: which list entries reach a subject, held compactly in memory for checks.

A check at a ticket counter must answer in well under a millisecond, and a screening of a million
numbers in seconds, so the check path reads this index rather than the database. The index holds
one *posting* per (subject, entry in force): the subject's own listings, and the listings of the
organisations it answers for, with the role. It never decides anything by itself: it follows the
ordered change log (services.checks), and the rule for "in force on a day" is the list entry's own
(`ListEntry.force_window`), applied to each posting's window at the moment of the check.

Layout: parallel sorted arrays (keys, entries, subjects, list, role, window) — 26 bytes a posting
when row ids fit in 4 bytes —
with a bit filter in front so that most numbers that are on no list are refused without a search,
and a small overlay dict for subjects changed since the arrays were last built. When the overlay
grows past a fraction of the base, the arrays are rebuilt.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from xinyong.domain import vault
from xinyong.domain.lists import ListEntry
from xinyong.domain.measures import Measure, Registry
from xinyong.domain.subjects import RoleKind


def person_key(number: str) -> int | None:
    """The key of a well-formed citizen ID number: a keyed 62-bit hash (domain/vault.py), so
    that neither the index nor the query log nor the feed holds any digit of the number.

    Two persons could share a key (odds about n/2**62 per check): the check service confirms
    every hit against the stored subject before it reports it.
    Returns None when `number` is not a citizen ID number with a correct check character.
    """
    body = number[:17]
    if len(number) != 18 or not body.isdigit():
        return None
    if _CHECK_CHARACTERS[2 * int(body, 13) % 11] != number[17]:
        return None
    return vault.current().subject_key(number, organisation=False)


#: ISO 7064 MOD 11-2 (GB 11643): digit i of 17 weighs 2**(18-i) mod 11, and the check character
#: is this string's [sum mod 11]. Since 13 ≡ 2 (mod 11), the 17 digits read in base 13 give
#: sum(d_i * 2**(17-i)) mod 11 in one C-level parse; doubled, the weighted sum. The same answer
#: as `stdnum.cn.ric.calc_check_digit` (tests/unit/test_index.py compares them), about ten times
#: faster: screening a million numbers spends its time here.
_CHECK_CHARACTERS = "10X98765432"


def organisation_key(code: str) -> int:
    """The key of a credit code: a keyed 62-bit hash in a range no person key reaches."""
    return vault.current().subject_key(code, organisation=True)


def is_organisation_key(key: int) -> bool:
    """Whether a key is an organisation's."""
    return vault.is_organisation_key(key)


def subject_key(number: str, *, organisation: bool) -> int:
    """The index key of a stored subject (whose kind is known)."""
    if organisation:
        return organisation_key(number)
    key = person_key(number)
    if key is None:
        raise ValueError("not a well-formed citizen ID number")
    return key


_ROLES: tuple[RoleKind | None, ...] = (None, *RoleKind)
_ROLE_CODE = {role: i for i, role in enumerate(_ROLES)}
_OBJECTION = 0x80


class Posting(NamedTuple):
    """One entry in force (or due to be) that reaches the subject with this key.

    A named tuple rather than a frozen dataclass: as immutable, and made in a third of the time
    (Python 3.11), which counts where a screening makes one for every number it finds listed.
    """

    key: int
    entry_id: int
    subject_id: int
    list_code: str
    role: RoleKind | None  # None: the subject's own listing; else an organisation's, via the role
    start: date
    until: date | None
    under_objection: bool = False

    def in_force_on(self, day: date) -> bool:
        return self.start <= day and (self.until is None or day < self.until)


def postings_for(
    key: int,
    entry: ListEntry,
    *,
    role: RoleKind | None = None,
    subject_id: int | None = None,
    held: tuple[date, date | None] | None = None,
) -> Posting | None:
    """The posting of `entry` under `key`, or None when it is never in force for that key.

    An organisation's entry reaches a person through a role only on the days the role is held:
    `held` is the role's (since, until), both inclusive, as `Role.is_current_on` reads them. The
    posting's window is the entry's cut to those days, so that a role that begins or ends later
    takes effect on its day without any change in the log.
    """
    window = entry.force_window()
    if window is None or entry.id is None:
        return None
    start, until = window
    if held is not None:
        since, last = held
        start = max(start, since)
        if last is not None:
            after = last + timedelta(days=1)
            until = after if until is None else min(until, after)
        if until is not None and until <= start:
            return None
    return Posting(
        key=key,
        entry_id=entry.id,
        subject_id=entry.subject_id if subject_id is None else subject_id,
        list_code=entry.list_type.code,
        role=role,
        start=start,
        until=until,
        under_objection=entry.under_objection,
    )


def _ids(values: Callable[[], Iterable[int]]) -> array[int]:
    """Row ids in 4 bytes each when they all fit (below 2**32, as any node's ids do for a long
    while), else in 8: 8 of a posting's bytes saved, the same values read back. `values` is
    called twice (once to find the range, once to fill the array), so no list is built."""
    low, high = 0, 0
    for value in values():
        low, high = min(low, value), max(high, value)
    fits = low >= 0 and high < 1 << 32 and array("I").itemsize == 4
    return array("I" if fits else "q", values())


class _Base:
    """The sorted arrays, built once from many postings; replaced, never edited."""

    __slots__ = ("bits", "ends", "entries", "flags", "keys", "lists", "nbits", "starts", "subjects")

    def __init__(self, postings: Sequence[Posting], list_codes: Mapping[str, int]) -> None:
        ordered = sorted(postings, key=lambda p: p.key)
        self.keys = array("q", (p.key for p in ordered))
        self.entries = _ids(lambda: (p.entry_id for p in ordered))
        self.subjects = _ids(lambda: (p.subject_id for p in ordered))
        self.lists = array("B", (list_codes[p.list_code] for p in ordered))
        self.flags = array(
            "B", (_ROLE_CODE[p.role] | (_OBJECTION if p.under_objection else 0) for p in ordered)
        )
        self.starts = array("i", (p.start.toordinal() for p in ordered))
        self.ends = array("i", (p.until.toordinal() if p.until else 0 for p in ordered))
        # A bit filter: about 16 bits per posting, so ~94% of absent keys stop here.
        self.nbits = max(1 << 16, 1 << (len(ordered) * 16).bit_length())
        self.bits = bytearray(self.nbits >> 3)
        mask = self.nbits - 1
        for key in self.keys:
            slot = key & mask
            self.bits[slot >> 3] |= 1 << (slot & 7)

    def nbytes(self) -> int:
        arrays = (self.keys, self.entries, self.subjects, self.lists, self.flags)
        return (
            sum(a.itemsize * len(a) for a in arrays)
            + self.starts.itemsize * len(self.starts) * 2
            + len(self.bits)
        )

    def find(self, key: int) -> range:
        slot = key & (self.nbits - 1)
        if not self.bits[slot >> 3] & (1 << (slot & 7)):
            return range(0)
        keys = self.keys
        first = bisect_left(keys, key)
        last = first
        while last < len(keys) and keys[last] == key:
            last += 1
        return range(first, last)


def _reader(base: _Base, codes: Sequence[str]) -> Callable[[int], Posting]:
    """The posting at a place in `base`, as a closure over its arrays: the innermost step of a
    check and of a screening's every listed number, so each array is a local name."""
    keys, entries, subjects, lists = base.keys, base.entries, base.subjects, base.lists
    flags, starts, ends = base.flags, base.starts, base.ends
    day = date.fromordinal

    def posting(i: int) -> Posting:
        flag = flags[i]
        end = ends[i]
        return Posting(  # positional, in the order of Posting's fields
            keys[i],
            entries[i],
            subjects[i],
            codes[lists[i]],
            _ROLES[flag & 0x7F],
            day(starts[i]),
            day(end) if end else None,
            bool(flag & _OBJECTION),
        )

    return posting


class HeldKeys(NamedTuple):
    """What a caller testing many keys at once (screening, services/bulk_keys.py) needs to tell
    where `ListingIndex.locator` finds a key's postings (ListingIndex.held_keys)."""

    #: The base's keys, sorted (signed 64-bit): a key's place here is where its postings start.
    keys: array[int]
    #: The base's bit filter: the bit at `key % (8 * len(bits))` is set for every key it holds.
    bits: bytearray
    #: The overlay's keys: these are found in the overlay whether or not the base holds them.
    overlay: Collection[int]


class ListingIndex:
    """Postings by subject key: a compact base and an overlay of what changed since it was built."""

    def __init__(self, list_codes: Iterable[str], *, overlay_fraction: float = 0.125) -> None:
        self._codes = tuple(sorted(list_codes))
        if len(self._codes) > 255:
            raise ValueError("the index packs list types in a byte: at most 255")
        self._code_ids = {code: i for i, code in enumerate(self._codes)}
        self._set_base(_Base((), self._code_ids))
        self._overlay: dict[int, tuple[Posting, ...]] = {}
        self._overlay_fraction = overlay_fraction
        self.seq = 0  # the last change-log sequence number applied

    def build(self, postings: Iterable[Posting], *, seq: int) -> None:
        """Replace everything with `postings`, which reflect the change log up to `seq`."""
        self._set_base(_Base(list(postings), self._code_ids))
        self._overlay = {}
        self.seq = seq

    def replace(self, keys: Iterable[int], postings: Iterable[Posting]) -> None:
        """Make `postings` the whole truth for `keys` (a key with no posting is emptied)."""
        fresh: dict[int, list[Posting]] = {key: [] for key in keys}
        for posting in postings:
            fresh.setdefault(posting.key, []).append(posting)
        for key, found in fresh.items():
            self._overlay[key] = tuple(found)
        if len(self._overlay) > max(4096, len(self._base.keys) * self._overlay_fraction):
            self._compact()

    def _compact(self) -> None:
        changed = self._overlay
        kept = [p for p in self._iter_base() if p.key not in changed]
        kept.extend(p for found in changed.values() for p in found)
        self._set_base(_Base(kept, self._code_ids))
        self._overlay = {}

    def _set_base(self, base: _Base) -> None:
        self._base = base
        self._read = _reader(base, self._codes)

    def _iter_base(self) -> Iterator[Posting]:
        read = self._read
        for i in range(len(self._base.keys)):
            yield read(i)

    def postings(self, key: int) -> tuple[Posting, ...]:
        """Every posting under `key`, in force or not (the caller applies the day)."""
        found = self._overlay.get(key)
        if found is not None:
            return found
        hits = self._base.find(key)
        if not hits:
            return ()
        return tuple(map(self._read, hits))

    def held_keys(self) -> HeldKeys:
        """The base's keys and bit filter and the overlay's keys, as `locator` reads them.
        Valid until the index next changes, as `locator` is."""
        return HeldKeys(self._base.keys, self._base.bits, self._overlay.keys())

    def locator(self) -> Callable[[int, int], tuple[Posting, ...]]:
        """`postings` for a key whose place a bulk search of `held_keys` found, as a closure
        over the current arrays: `at(key, place)` reads the base from `place` (the key's first
        place in its sorted keys), or the overlay when `place` is negative. No search per key.

        Valid until the index next changes: take a new one after `replace` or `build`.
        """
        overlay = self._overlay
        base = self._base
        keys = base.keys
        size = len(keys)
        posting = self._read

        def at(key: int, place: int) -> tuple[Posting, ...]:
            if place < 0:
                return overlay.get(key, ())
            last = place + 1
            if last == size or keys[last] != key:  # the usual case: one posting
                return (posting(place),)
            while last < size and keys[last] == key:
                last += 1
            return tuple(map(posting, range(place, last)))

        return at

    def finder(self) -> Callable[[int], tuple[Posting, ...]]:
        """`postings` as a closure over the current arrays, for tight loops (screening).

        Valid until the index next changes: take a new one after `replace` or `build`.
        """
        overlay = self._overlay
        base = self._base
        bits, mask, keys = base.bits, base.nbits - 1, base.keys
        size = len(keys)
        at = self.locator()

        def find(key: int) -> tuple[Posting, ...]:
            found = overlay.get(key)
            if found is not None:
                return found
            slot = key & mask
            if not bits[slot >> 3] & (1 << (slot & 7)):
                return ()
            first = bisect_left(keys, key)
            if first == size or keys[first] != key:
                return ()
            return at(key, first)

        return find

    def __iter__(self) -> Iterator[Posting]:
        """Every posting (for tests and rebuilds)."""
        for posting in self._iter_base():
            if posting.key not in self._overlay:
                yield posting
        for found in self._overlay.values():
            yield from found

    def holds_organisations(self) -> bool:
        """Whether any posting is under an organisation's key."""
        keys = self._base.keys
        if keys and vault.is_organisation_key(keys[-1]):
            return True
        return any(vault.is_organisation_key(key) and found for key, found in self._overlay.items())

    def __len__(self) -> int:
        overlaid = sum(len(self._base.find(key)) for key in self._overlay)
        return len(self._base.keys) - overlaid + sum(len(p) for p in self._overlay.values())

    def nbytes(self) -> int:
        """The index's own memory: the arrays, the filter, and an estimate for the overlay."""
        return self._base.nbytes() + len(self._overlay) * 200


class Hit(NamedTuple):
    """A measure that applies, and the posting (list entry) that triggers it (a named tuple, as
    `Posting` is: one is made for every listed number a screening finds)."""

    measure: Measure
    posting: Posting


class Triggers:
    """The registry arranged for the check path: matter → list code → measures."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._by_matter: dict[str, dict[str, tuple[Measure, ...]]] = {}
        for matter in registry.matters:
            by_list: dict[str, list[Measure]] = {}
            for measure in registry.for_matter(matter):
                for code in measure.triggers:
                    by_list.setdefault(code, []).append(measure)
            self._by_matter[matter] = {
                code: tuple(sorted(found, key=lambda m: m.code)) for code, found in by_list.items()
            }

    def knows(self, matter: str) -> bool:
        return matter in self._by_matter

    def hits(self, postings: Iterable[Posting], matter: str, day: date) -> list[Hit]:
        """The measures for `matter` that the postings in force on `day` trigger."""
        by_list = self._by_matter[matter]
        out: list[Hit] = []
        for posting in postings:
            measures = by_list.get(posting.list_code)
            if not measures or not posting.in_force_on(day):
                continue
            for measure in measures:
                if posting.role is None or posting.role in measure.reaches_roles:
                    out.append(Hit(measure, posting))
        if len(out) > 1:
            out.sort(key=lambda h: (h.measure.code, h.posting.list_code, h.posting.entry_id))
        return out
