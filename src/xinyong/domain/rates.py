"""Abuse limits: how often a client (an address) or a key may try an action, and the counting.

The figures are policy (`policy/rates.toml`). Counting is a token bucket per (action, who): a
bucket holds up to `requests` tokens and refills at `requests / seconds` tokens a second; each
attempt takes one. A full bucket lets a burst of `requests` through at once, and a steady caller
gets `requests` every `seconds`. Time comes in as an argument (seconds on any monotonic clock).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from xinyong.domain.errors import CatalogError, TooManyAttempts


class Action(StrEnum):
    """What is limited."""

    LOGIN = "login"
    REGISTRATION = "registration"
    #: A bearer token that authenticates nobody (unknown, revoked or expired key or session).
    KEY_FAILURE = "key_failure"
    #: A call refused because its key (or session) lacks the scope the route or page needs:
    #: each is audited until the caller has used these up, then a run of them is audited once.
    SCOPE_REFUSAL = "scope_refusal"
    CHECK = "check"
    SCREENING = "screening"
    #: A refresh of an API token (a stolen refresh token is tried no faster than this).
    REFRESH = "refresh"
    #: A printed report's number and verification code looked up on the public page.
    REPORT_VERIFICATION = "report_verification"


class Who(StrEnum):
    """Whom a limit counts: the client's address, or the key (or person) calling."""

    CLIENT = "client"
    KEY = "key"
    #: The server itself: too much of this work is running at once (never in the policy file).
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `requests` attempts in a burst, refilled over `seconds`."""

    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True, slots=True)
class RateRules:
    """The `rates.toml` figures: a limit per action and per kind of caller, and how many
    callers the counters remember before the idle ones are forgotten."""

    limits: Mapping[tuple[Action, Who], Limit]
    max_tracked: int

    def limit(self, action: Action, who: Who) -> Limit | None:
        return self.limits.get((action, who))

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rates.toml") -> RateRules:
        limits: dict[tuple[Action, Who], Limit] = {}
        for action in Action:
            section = data.get(action.value)
            if section is None:
                continue  # an action the deployment does not limit
            if not isinstance(section, Mapping):
                raise CatalogError(file, action.value, "-", "must be a table")
            for key, raw in section.items():
                if key not in (Who.CLIENT.value, Who.KEY.value):
                    raise CatalogError(file, action.value, key, "must be client or key")
                limits[(action, Who(key))] = _limit(raw, file, f"{action.value}.{key}")
        max_tracked = data.get("max_tracked", 100_000)
        if not isinstance(max_tracked, int) or isinstance(max_tracked, bool) or max_tracked < 1:
            raise CatalogError(file, "max_tracked", "-", "must be a whole number ≥ 1")
        return cls(limits, max_tracked)

    @classmethod
    def unlimited(cls) -> RateRules:
        return cls({}, 1)


def _limit(raw: Any, file: str, where: str) -> Limit:
    if not isinstance(raw, Mapping):
        raise CatalogError(file, where, "-", "must be { requests = N, seconds = S }")
    requests, seconds = raw.get("requests"), raw.get("seconds")
    if not isinstance(requests, int) or isinstance(requests, bool) or requests < 1:
        raise CatalogError(file, where, "requests", "must be a whole number ≥ 1")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
        raise CatalogError(file, where, "seconds", "must be a number > 0")
    return Limit(requests, float(seconds))


_FROM = {Who.CLIENT: "from this address", Who.KEY: "by this caller", Who.SERVER: "at once"}


def _whole_seconds(wait: float) -> int:
    """A wait in whole seconds for `Retry-After`: at least 1, rounding up (but not a float's
    last-digit error up to a second more)."""
    return max(1, math.ceil(wait - 1e-6))


class RateLimited(TooManyAttempts):
    """An attempt over a limit: refused without being tried; `retry_after` whole seconds until
    the next attempt would be let through."""

    title = "Too many requests"

    def __init__(self, action: Action, who: Who, retry_after: int, *, first: bool = True) -> None:
        super().__init__(
            f"too many {action.value.replace('_', ' ')} attempts {_FROM[who]};"
            f" try again in {retry_after} s"
        )
        self.action = action
        self.who = who
        self.retry_after = retry_after
        #: Whether this refusal starts a run of them (a run is reported once, not per attempt).
        self.first = first


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    #: Whether the last attempt was refused: the first refusal of a run is the one reported.
    refusing: bool = False


class RateCounter:
    """Token buckets for every (action, who, caller) in this process. Thread-safe."""

    def __init__(self, rules: RateRules) -> None:
        self.rules = rules
        self._buckets: dict[tuple[Action, Who, str], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, action: Action, who: Who, caller: str, *, now: float) -> None:
        """Take one token for `caller`, or raise RateLimited (an action not limited for this
        kind of caller is always let through)."""
        limit = self.rules.limit(action, who)
        if limit is None:
            return
        with self._lock:
            bucket = self._refilled(action, who, caller, limit, now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                bucket.refusing = False
                return
            first = not bucket.refusing
            bucket.refusing = True
            wait = (1.0 - bucket.tokens) / limit.per_second
        raise RateLimited(action, who, _whole_seconds(wait), first=first)

    def note(self, action: Action, who: Who, caller: str, *, now: float) -> int | None:
        """Count a failure (a wrong key, say) without refusing it; return the seconds until the
        caller may try again if that emptied its bucket, else None."""
        limit = self.rules.limit(action, who)
        if limit is None:
            return None
        with self._lock:
            bucket = self._refilled(action, who, caller, limit, now)
            bucket.tokens = max(bucket.tokens - 1.0, 0.0)
            if bucket.tokens >= 1.0:
                return None
            return _whole_seconds((1.0 - bucket.tokens) / limit.per_second)

    def blocked(self, action: Action, who: Who, caller: str, *, now: float) -> int | None:
        """Seconds until `caller` may try `action` again when its bucket is empty, else None
        (nothing is taken: failures are what `note` counts)."""
        limit = self.rules.limit(action, who)
        if limit is None:
            return None
        with self._lock:
            bucket = self._buckets.get((action, who, caller))
            if bucket is None:
                return None
            refill = (now - bucket.at) * limit.per_second
            tokens = min(float(limit.requests), bucket.tokens + refill)
            if tokens >= 1.0:
                return None
            return _whole_seconds((1.0 - tokens) / limit.per_second)

    def _refilled(self, action: Action, who: Who, caller: str, limit: Limit, now: float) -> _Bucket:
        slot = (action, who, caller)
        bucket = self._buckets.get(slot)
        if bucket is None:
            if len(self._buckets) >= self.rules.max_tracked:
                self._forget_idle(now)
            bucket = self._buckets[slot] = _Bucket(float(limit.requests), now)
            return bucket
        if now > bucket.at:
            bucket.tokens = min(
                float(limit.requests), bucket.tokens + (now - bucket.at) * limit.per_second
            )
            bucket.at = now
        return bucket

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets that have refilled (forgetting them changes nothing); if that frees
        too little, the oldest half: an attacker cycling addresses costs memory, never a crash."""
        full = [
            slot
            for slot, b in self._buckets.items()
            if (limit := self.rules.limit(slot[0], slot[1])) is None
            or b.tokens + (now - b.at) * limit.per_second >= limit.requests
        ]
        for slot in full:
            del self._buckets[slot]
        if len(self._buckets) >= self.rules.max_tracked:
            for slot in list(self._buckets)[: len(self._buckets) // 2 + 1]:
                del self._buckets[slot]

    def __len__(self) -> int:
        return len(self._buckets)
