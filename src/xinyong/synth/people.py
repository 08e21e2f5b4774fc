"""Made-up persons: a valid, unused citizen ID number, a birth date and a plausible name."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import ric

from xinyong.domain.calendar import add_months
from xinyong.synth import tables
from xinyong.synth.draws import Draw
from xinyong.synth.places import Places


@dataclass(frozen=True, slots=True)
class Subject:
    """A made-up person (citizen ID number) or organisation (unified social credit code)."""

    number: str
    name: str
    region: str
    birth: date | None = None
    minor: bool = False
    age: int = 0


class People:
    """Invents persons born in the provinces by population, aged by a rough pyramid."""

    def __init__(self, rng: random.Random, today: date, majority: int, places: Places) -> None:
        self.rng = rng
        self.today = today
        self.majority = majority
        self.places = places
        self.names = tables.names()
        self.used_numbers: set[int] = set()
        self.surnames = Draw(self.names.surnames)
        self.ages = Draw([(band, float(band[2])) for band in tables.figures().age_bands])

    def person(self) -> Subject:
        """Invent one person with a valid, unused citizen ID number and a plausible name."""
        rng = self.rng
        minor_ages = range(min(16, self.majority), self.majority)
        if minor_ages and rng.random() < tables.figures().minor_share:
            age = rng.choice(minor_ages)
        else:
            first, last, _ = self.ages(rng)
            age = rng.randint(first, last)
        latest = add_months(self.today, -12 * age)
        earliest = add_months(self.today, -12 * (age + 1)) + timedelta(days=1)
        born = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
        male = rng.random() < 0.5
        while True:
            region = self.places.county(self.places.provinces(rng), born.year)
            for _ in range(8):
                sequence = rng.randrange(0, 500) * 2 + 1 if male else rng.randrange(1, 500) * 2
                body = f"{region}{born:%Y%m%d}{sequence:03d}"
                if int(body) not in self.used_numbers:
                    self.used_numbers.add(int(body))
                    name = self._name(male=male, born=born, region=region)
                    number = body + ric.calc_check_digit(body + "0")
                    return Subject(number, name, region, born, age < self.majority, age)

    def _name(self, *, male: bool, born: date, region: str) -> str:
        rng = self.rng
        words = self.names
        if rng.random() < (0.4 if region.startswith("65") else 0.004):
            first, second = rng.sample(words.minority_parts, 2)
            return f"{first}·{second}"
        surname = self.surnames(rng)
        if born.year < 1965 and rng.random() < 0.25:
            return surname + rng.choice(words.old_male_names if male else words.old_female_names)
        own = words.male_chars if male else words.female_chars
        given = rng.choice(own if rng.random() < 0.7 else words.neutral_chars)
        if rng.random() < 0.68:
            given += rng.choice(own)
        return surname + given

    def name(self) -> str:
        """A name for someone named inside a record (a legal representative, say)."""
        return self._name(male=self.rng.random() < 0.6, born=self.today, region="11")


def misspelt(name: str, rng: random.Random) -> str:
    """Change one character of a name, the way a typist would (a look-alike if there is one)."""
    words = tables.names()
    places = [i for i, ch in enumerate(name) if ch != "·"]
    index = rng.choice([i for i in places if i > 0] or places)
    old = name[index]
    new = words.look_alike.get(old) or rng.choice(
        [c for c in words.male_chars + words.female_chars if c != old]
    )
    return name[:index] + new + name[index + 1 :]


def misdated(born: date, today: date, rng: random.Random) -> date:
    """A birth date a typist might state instead of `born`: a day, a month or a year off."""
    candidates = []
    for shift in (1, -1):
        candidates += [
            born + timedelta(days=shift),
            add_months(born, shift),
            add_months(born, 12 * shift),
        ]
    if born.day <= 12 and born.month != born.day:  # month and day swapped
        candidates.append(date(born.year, born.day, born.month))
    return rng.choice([d for d in candidates if d != born and d <= today])
