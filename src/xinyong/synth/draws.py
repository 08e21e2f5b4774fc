"""Weighted choices, prepared once and drawn many times from the generator's random stream."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from typing import Generic, TypeVar

_T = TypeVar("_T")


class Draw(Generic[_T]):
    """A weighted choice prepared once and drawn many times."""

    __slots__ = ("cum", "options", "total")

    def __init__(self, pairs: Sequence[tuple[_T, float]]) -> None:
        self.options = [option for option, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> _T:
        return self.options[bisect(self.cum, rng.random() * self.total)]
