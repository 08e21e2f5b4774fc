"""Mutual checking: compare per-origin digests with a peer and list the subjects that differ.

See docs/exchange.md (reconciliation).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from xinyong.domain.errors import DomainError
from xinyong.domain.merkle import (
    MerkleTree,
    build_tree,
    differing_buckets,
    differing_subjects,
    leaves_in,
)


class SubjectStates(Protocol):
    def leaves(self, origin: str) -> Mapping[str, str]:
        """Return subject ref → leaf hash of what this node holds from `origin`."""
        ...


class DigestPeer(Protocol):
    def tree(self, origin: str, depth: int) -> MerkleTree: ...
    def leaves(self, origin: str, buckets: Sequence[int], depth: int) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class Reconciliation:
    origin: str
    root_mine: str
    root_theirs: str
    buckets: tuple[int, ...]
    subjects: tuple[str, ...]  # subject refs that differ: the origin re-sends these

    @property
    def in_step(self) -> bool:
        return not self.subjects


def reconcile(
    states: SubjectStates, peer: DigestPeer, origin: str, *, depth: int
) -> Reconciliation:
    """Compare what this node and a peer hold of one origin; list the subjects that differ.

    Only the peer's tree (2**(depth+1) - 1 hashes) and the leaves of differing buckets travel.
    """
    mine = states.leaves(origin)
    my_tree, their_tree = build_tree(origin, mine, depth), peer.tree(origin, depth)
    buckets = differing_buckets(my_tree, their_tree)
    theirs = peer.leaves(origin, buckets, depth) if buckets else {}
    subjects = differing_subjects(leaves_in(buckets, mine, depth), theirs)
    return Reconciliation(
        origin, my_tree.root, their_tree.root, tuple(buckets), tuple(sorted(subjects))
    )


def answer_digest(states: SubjectStates, request: Mapping[str, object]) -> dict[str, object]:
    """Answer a peer's digest request: {"origin", "depth"} → the tree; with "buckets" → leaves."""
    origin, depth = request.get("origin"), request.get("depth")
    if not isinstance(origin, str) or not isinstance(depth, int):
        return {"error": "a digest request needs origin (text) and depth (integer)"}
    leaves = states.leaves(origin)
    buckets = request.get("buckets")
    try:
        if buckets is None:
            return build_tree(origin, leaves, depth).as_json()
        if not isinstance(buckets, list) or not all(isinstance(b, int) for b in buckets):
            return {"error": "buckets: a list of integers"}
        return {"leaves": leaves_in(buckets, leaves, depth)}
    except DomainError as exc:
        return {"error": exc.detail}


class SubjectIndex(SubjectStates, Protocol):
    def subjects(self, origin: str, refs: Collection[str]) -> Mapping[str, int]:
        """Return subject ref → this node's subject id, for those of `refs` it holds of origin."""
        ...


#: Asks an origin to queue again the current state of some subjects; returns how many
#: entities it queued.
Resend = Callable[[str, Sequence[str]], int]


@dataclass(frozen=True, slots=True)
class Repair:
    """One origin compared with a peer, and what was asked of the origin to put it right."""

    result: Reconciliation
    requeued: int


def reconcile_and_repair(
    states: SubjectStates,
    peer: DigestPeer,
    origins: Sequence[str],
    resend: Resend,
    *,
    depth: int,
    repair: bool = True,
) -> list[Repair]:
    """Compare what this node and a peer hold of each origin; for each origin whose subjects
    differ, ask it (this node itself, or another) to send those subjects again."""
    done: list[Repair] = []
    for origin in origins:
        result = reconcile(states, peer, origin, depth=depth)
        requeued = resend(origin, result.subjects) if repair and result.subjects else 0
        done.append(Repair(result, requeued))
    return done


def answer_resend(
    states: SubjectIndex,
    requeue: Callable[[Sequence[int]], int],
    me: str,
    request: Mapping[str, object],
) -> dict[str, object]:
    """As the origin, answer a request to send subjects again: {"subjects": [ref, …]}."""
    refs = request.get("subjects")
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        return {"error": "subjects: a list of subject references"}
    ids = states.subjects(me, refs)
    return {"subjects": len(ids), "queued": requeue(sorted(ids.values()))}
