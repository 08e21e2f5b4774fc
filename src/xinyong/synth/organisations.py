"""Made-up organisations: a valid, unique unified social credit code and a plausible name."""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import uscc

from xinyong.synth import tables
from xinyong.synth.draws import Draw
from xinyong.synth.people import Subject
from xinyong.synth.places import Places, province_names


def gb11714_check(code: str) -> str:
    """Check character of an 8-digit organisation code (GB 11714)."""
    total = sum(int(ch) * w for ch, w in zip(code, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


class Organisations:
    """Invents companies and individual businesses, mostly registered in the home province."""

    def __init__(self, rng: random.Random, today: date, places: Places) -> None:
        self.rng = rng
        self.today = today
        self.places = places
        self.words = tables.organisations()
        self.code_count = 0
        self.code_offset = rng.randrange(10**8)
        self.forms = Draw(self.words.company_forms)

    def credit_code(self, *, individual: bool, region: str | None = None) -> str:
        """A valid unified social credit code, unique because it comes from a counter."""
        self.code_count += 1
        # an affine bijection on 8 digits keeps codes unique without remembering them
        serial = f"{(self.code_count * 7_777_777 + self.code_offset) % 10**8:08d}"
        region = region or self.places.county(self.places.home, self.today.year)
        body = f"{'92' if individual else '91'}{region}{serial}{gb11714_check(serial)}"
        return body + uscc.calc_check_digit(body)

    def shop_name(self, region: str | None = None) -> str:
        """An individual business's name: the place it is registered, a brand and the trade."""
        rng = self.rng
        region = region or self.places.county(self.places.home, self.today.year)
        place = self.places.name_of(region)
        return f"{place}{rng.choice(self.words.brands)}{rng.choice(self.words.shops)}"

    def company_name(self, province: str | None = None) -> str:
        place = province_names().get(province or self.places.home, "")
        place = place.removesuffix("市").removesuffix("省")
        rng = self.rng
        return (
            place + rng.choice(self.words.brands) + rng.choice(self.words.trades) + self.forms(rng)
        )

    def organisation(self) -> Subject:
        """Invent one organisation with a valid, unique credit code and a plausible name."""
        rng = self.rng
        places = self.places
        province = places.home if rng.random() < 0.75 else places.provinces(rng)
        region = places.county(province, self.today.year)
        if rng.random() < 0.15:
            code = self.credit_code(individual=True, region=region)
            return Subject(code, self.shop_name(region), region)
        code = self.credit_code(individual=False, region=region)
        return Subject(code, self.company_name(province), region)
