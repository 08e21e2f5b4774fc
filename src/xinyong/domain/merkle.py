"""Per-origin Merkle digests over subject buckets: two nodes find the subjects they disagree on.

For one origin, each subject's state (what the origin says about it: its records and listings)
hashes to a leaf. Subjects fall into 2**depth buckets by a hash of their reference; a bucket's
hash covers its sorted leaves; a binary tree of hashes sits over the buckets. Two nodes compare
roots, then only the children that differ, down to the buckets, then the leaves of those buckets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from xinyong.domain.errors import Invalid

_EMPTY = hashlib.sha256(b"xinyong.merkle/1 empty bucket").digest()


def leaf_hash(canonical_state: bytes) -> str:
    """Return the leaf of one subject: SHA-256 of its canonical state, as hex."""
    return hashlib.sha256(canonical_state).hexdigest()


def bucket_of(subject_ref: str, depth: int) -> int:
    """Return the bucket of a subject: the first `depth` bits of SHA-256 of its reference."""
    top = int.from_bytes(hashlib.sha256(subject_ref.encode()).digest()[:4], "big")
    return top >> (32 - depth) if depth else 0


def _bucket_hash(leaves: Mapping[str, str]) -> bytes:
    if not leaves:
        return _EMPTY
    h = hashlib.sha256(b"xinyong.merkle/1 bucket")
    for ref in sorted(leaves):
        h.update(ref.encode() + b"\x00" + leaves[ref].encode() + b"\n")
    return h.digest()


def _parent(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True, slots=True)
class MerkleTree:
    """The digest one node holds of one origin's subjects.

    `levels[0]` is the root alone; `levels[depth]` the 2**depth bucket hashes.
    """

    origin: str
    depth: int
    levels: tuple[tuple[bytes, ...], ...]

    @property
    def root(self) -> str:
        return self.levels[0][0].hex()

    def as_json(self) -> dict[str, object]:
        """Every node's hash, level by level, as hex (2**(depth+1) - 1 hashes in all)."""
        return {
            "origin": self.origin,
            "depth": self.depth,
            "levels": [[h.hex() for h in level] for level in self.levels],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> MerkleTree:
        depth, levels, origin = data.get("depth"), data.get("levels"), data.get("origin")
        if (
            not isinstance(depth, int)
            or not isinstance(levels, list)
            or not isinstance(origin, str)
        ):
            raise Invalid("digest: needs origin, depth and levels")
        if len(levels) != depth + 1 or any(
            not isinstance(level, list) or len(level) != 2**i for i, level in enumerate(levels)
        ):
            raise Invalid(f"digest: levels do not form a tree of depth {depth}")
        try:
            parsed = tuple(tuple(bytes.fromhex(h) for h in level) for level in levels)
        except (TypeError, ValueError):
            raise Invalid("digest: hashes must be hex") from None
        return cls(origin, depth, parsed)


def check_depth(depth: int) -> int:
    if not 0 <= depth <= 20:
        raise Invalid("digest depth: between 0 and 20 (up to about a million buckets)")
    return depth


def group_by_bucket(leaves: Mapping[str, str], depth: int) -> dict[int, dict[str, str]]:
    """Return the leaves (subject ref → leaf hash) of each non-empty bucket."""
    buckets: dict[int, dict[str, str]] = {}
    for ref, leaf in leaves.items():
        buckets.setdefault(bucket_of(ref, depth), {})[ref] = leaf
    return buckets


def build_tree(origin: str, leaves: Mapping[str, str], depth: int) -> MerkleTree:
    """Build the tree of one origin from its subjects' leaves (subject ref → leaf hash)."""
    check_depth(depth)
    buckets = group_by_bucket(leaves, depth)
    level = tuple(_bucket_hash(buckets.get(i, {})) for i in range(2**depth))
    levels = [level]
    while len(level) > 1:
        level = tuple(_parent(level[i], level[i + 1]) for i in range(0, len(level), 2))
        levels.append(level)
    return MerkleTree(origin, depth, tuple(reversed(levels)))


def differing_buckets(mine: MerkleTree, theirs: MerkleTree) -> list[int]:
    """Return the buckets whose hashes differ, descending only into differing subtrees."""
    if mine.depth != theirs.depth or mine.origin != theirs.origin:
        raise Invalid("digests of different origins or depths cannot be compared")
    frontier = [0] if mine.levels[0][0] != theirs.levels[0][0] else []
    for depth in range(1, mine.depth + 1):
        children = (c for i in frontier for c in (2 * i, 2 * i + 1))
        frontier = [c for c in children if mine.levels[depth][c] != theirs.levels[depth][c]]
    return frontier


def differing_subjects(mine: Mapping[str, str], theirs: Mapping[str, str]) -> set[str]:
    """Return the subjects of one bucket that one side lacks or holds in another state."""
    return {ref for ref in mine.keys() | theirs.keys() if mine.get(ref) != theirs.get(ref)}


def leaves_in(buckets: Iterable[int], leaves: Mapping[str, str], depth: int) -> dict[str, str]:
    """Return the leaves that fall in the given buckets."""
    wanted = set(buckets)
    return {ref: leaf for ref, leaf in leaves.items() if bucket_of(ref, depth) in wanted}
