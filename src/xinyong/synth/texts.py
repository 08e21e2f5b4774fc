"""Plausible Chinese text for the string and text fields of one record."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from xinyong.domain.catalog import CatalogItem, Category
from xinyong.domain.departments import Department
from xinyong.synth import tables
from xinyong.synth.plans import Plan
from xinyong.synth.values import Value, round_amount

if TYPE_CHECKING:
    from xinyong.synth.world import World

_DIGITS = "零一二三四五六七八九"


def hanzi_number(number: int) -> str:
    """Write 1-199 the way legal citations do: 四十八, 一百二十."""
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (_DIGITS[ones] if ones else "")


class Texts:
    """Plausible Chinese text for the string and text fields of one record."""

    __slots__ = (
        "cited",
        "court",
        "decided",
        "department",
        "fields",
        "item",
        "places",
        "prefix",
        "rng",
        "theme",
        "words",
        "world",
    )

    def __init__(
        self,
        world: World,
        item: CatalogItem,
        department: Department,
        fields: dict[str, Value],
        decided: date,
    ) -> None:
        self.world = world
        self.rng = world.rng
        self.words = tables.texts()
        self.places = tables.places()
        self.item = item
        self.department = department
        self.fields = fields
        self.decided = decided
        self.prefix, self.court = world.documents.prefix(department)
        self.theme = world.theme(item, department)
        self.cited = ""

    def value(self, plan: Plan) -> str:
        """Text of the kind `plan` names."""
        rng = self.rng
        words = self.words
        world = self.world
        text, detail = plan.text, plan.detail
        if text in ("violation", "merit"):
            return self.violation(detail) if text == "violation" else self.merit(detail)
        if text == "uscc":
            return world.organisations.credit_code(individual=detail == "individual")
        if text == "criteria":
            return rng.choice(tables.by_theme(words.criteria, self.theme))
        if text == "commitment_number":
            return f"CN{self.department.region_code[:2]}{self.year()}{rng.randrange(10**6):06d}"
        if text == "reference":
            return self.reference(detail)
        if text == "case":
            return f"（{self.year()}）{self.court_code()}{detail}{rng.randint(1, 30000)}号"
        if text == "patent":
            return self.patent_number()
        if text == "flight":
            return f"{rng.choice(words.airlines)}{rng.randint(100, 9999)}"
        if text == "train":
            return f"{rng.choice('GGGDDCKZT')}{rng.randint(1, 999)}"
        if text == "applications":
            return "、".join(str(rng.randint(30000000, 79999999)) for _ in range(rng.randint(3, 6)))
        if text == "contract":
            return f"{detail}-{self.year()}-{rng.randrange(10**6):06d}"
        if text == "court":
            return self.court_name()
        if text == "obligation":
            amount = round_amount(rng.lognormvariate(math.log(30000), 1.1))
            return rng.choice(words.obligations).format(amount=amount)
        if text == "handling":
            outcome = rng.choice(tables.by_theme(words.outcomes, self.theme))
            return f"依据{self.provision()}的规定，{outcome}。"
        if text == "coercion":
            return f"当事人{self.act()}，经催告后仍未改正，依据{self.provision()}的规定实施。"
        if text == "provision":
            return self.provision()
        if text == "scope":
            return rng.choice(words.social_scopes if detail == "social" else words.business_scopes)
        if text == "commitment":
            return "".join(rng.sample(words.commitments, rng.randint(1, 2)))
        if text == "address":
            return self.address()
        if text == "volunteer_group":
            districts = self.places.districts
            if rng.random() < 0.5:
                return f"{world.places.home_name}{rng.choice(districts)}志愿者协会"
            return f"{rng.choice(districts)}{rng.choice(self.places.streets)}街道志愿服务队"
        if text == "issuer":
            if self.item.category is Category.SELF_DECLARED:
                return rng.choice(words.issuers)
            return self.department.name
        if text == "person":
            return world.people.name()
        if text == "shop":
            return world.organisations.shop_name()
        if text == "company":
            return world.organisations.company_name()
        if text == "project":
            district = rng.choice(self.places.districts)
            if detail == "housing":
                street = rng.choice(self.places.streets)
                return f"{district}{street}{rng.choice(words.estates)}公共租赁住房项目"
            thing = rng.choice(words.project_things)
            return f"{world.places.home_name}{district}{thing}采购项目"
        if text == "number":
            return f"{self.department.region_code}{self.decided.year}{rng.randrange(10**8):08d}"
        if text == "exam":
            return self.enum_choice(words.value_titles) or "国家统一考试"
        if text == "level":
            return self.enum_choice(words.value_scopes) or rng.choice(words.levels)
        if text == "title":
            return self.title(detail)
        if text == "licence":
            name = next(
                (v for k, v in self.fields.items() if k.endswith("_name") and isinstance(v, str)),
                "相关",
            )
            return f"经审查，申请人符合法定条件，准予{name}许可事项，有效期内依法从事相关活动。"
        if text == "law_firm":
            return rng.choice(tables.organisations().law_firms)
        return rng.choice(words.simple_texts.get(text, words.generic))

    def year(self) -> int:
        return self.decided.year - self.rng.choice((0, 0, 1, 2))

    def enum_choice(self, table: Mapping[str, tuple[str, ...]]) -> str | None:
        """The phrase one of this record's enum values calls for, if any."""
        for value in self.fields.values():
            if isinstance(value, str) and value in table:
                return self.rng.choice(table[value])
        return None

    def act(self) -> str:
        found = self.enum_choice({k: (v,) for k, v in self.words.value_acts.items()})
        return found or self.rng.choice(tables.by_theme(self.words.violations, self.theme))

    def law(self) -> str:
        """The one law a record cites, chosen on first use: the conduct and the basis agree."""
        if not self.cited:
            found = self.enum_choice(self.words.value_laws)
            self.cited = found or self.rng.choice(tables.by_theme(self.words.laws, self.theme))
        return self.cited

    def provision(self) -> str:
        law = self.law()
        article = hanzi_number(self.rng.randint(10, 130))
        if self.rng.random() < 0.4:
            return f"{law}第{article}条第{hanzi_number(self.rng.randint(1, 3))}款"
        return f"{law}第{article}条"

    def reference(self, series: str) -> str:
        """The number of an earlier document this record rests on."""
        rng = self.rng
        year = self.year()
        if self.court or (series == "judgment" and rng.random() < 0.5):
            return f"（{year}）{self.court_code()}民初{rng.randint(1, 40000)}号"
        series = "决" if series == "judgment" else series
        return f"{self.prefix}{series}〔{year}〕{rng.randint(1, 3000)}号"

    def court_code(self) -> str:
        region = self.department.region_code if self.court else f"{self.world.places.home}0105"
        province = self.places.province_short.get(region[:2], "")
        local = region[2:6] if not region.endswith("0000") else self.rng.choice(("01", "02", "03"))
        return f"{province}{local}"

    def court_name(self) -> str:
        if self.court:
            return self.department.name
        district = self.rng.choice(self.places.districts)
        return f"{self.world.places.home_name}{district}人民法院"

    def patent_number(self) -> str:
        digits = f"{self.year()}{self.rng.choice('123')}{self.rng.randrange(10**7):07d}"
        weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        return f"ZL{digits}.{'X' if check == 10 else check}"

    def violation(self, detail: str) -> str:
        act = self.act()
        if detail != "long":
            return act
        where = f"在{self.address()}" if self.rng.random() < 0.4 else ""
        return f"经查，当事人{where}{act}，违反了{self.provision()}的规定。"

    def merit(self, detail: str) -> str:
        deed = self.rng.choice(tables.by_theme(self.words.merits, self.theme))
        if detail != "long":
            return deed
        return f"当事人{deed}，{self.rng.choice(self.words.conclusions)}"

    def address(self) -> str:
        rng = self.rng
        road = f"{rng.choice(self.places.roads)}{rng.randint(1, 300)}号"
        return f"{self.world.places.home_name}{rng.choice(self.places.districts)}{road}"

    def title(self, kind: str) -> str:
        """A certificate, licence, award or honour name that fits the record's other fields."""
        rng = self.rng
        found = self.enum_choice(self.words.value_titles)
        if found is None:
            if kind:
                titles = self.words.titles
                found = rng.choice(titles.get(f"{kind}_{self.theme}", titles[kind]))
            else:
                found = self.item.name_zh.split("（")[0].removesuffix("信息")
        level = next((v for v in self.fields.values() if v in self.words.level_values), None)
        if level == "national":
            return "全国" + found
        if level in ("provincial", "municipal"):
            return self.world.places.home_name + found
        if level == "district":
            return rng.choice(self.places.districts) + found
        return found
