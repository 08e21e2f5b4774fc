"""How each data item of a catalog item is filled, decided once from its name and label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xinyong.domain.catalog import CatalogItem, DataItem, FieldType, Nature, SubjectType
from xinyong.synth import tables


def has(hint: str, *words: str) -> bool:
    return any(word in hint for word in words)


@dataclass(frozen=True, slots=True)
class Plan:
    """How one data item of one catalog item is filled, read once from its name and label."""

    share: float  # how often the field is filled when it is optional
    dated: bool  # follows the decision date: a date, or a year
    likely: float  # chance a boolean is true
    span: tuple[int, int]  # whole numbers
    scale: tuple[float, float]  # amounts: median and spread of a lognormal
    hours: bool  # a decimal number of hours
    when: str  # dates: end, happened, effective, deadline, start, before
    month: bool  # dates: the first day of a month
    text: str  # texts: the kind of text (see texts.Texts.value)
    detail: str = ""
    lag: int = 1  # years: how many years before the decision (an annual assessment: the last one)
    weights: tuple[float, ...] = ()  # enums: cumulative weights of the values
    trigger: str = ""  # filled only when one of the record's enum values mentions this word


@dataclass(frozen=True, slots=True)
class Recipe:
    """How records of one catalog item are made: each field's plan and the order of the fields."""

    plans: Mapping[str, Plan]
    early: tuple[DataItem, ...]  # decide the severity class, enums first
    late: tuple[DataItem, ...]  # texts, dates and years: after the decision date


def recipe(item: CatalogItem) -> Recipe:
    plans = {spec.name: plan(item, spec) for spec in item.fields}
    deciding = {rule.field for rule in item.severity_rules}
    late = tuple(
        spec
        for spec in item.fields
        if spec.name not in deciding
        and (plans[spec.name].dated or spec.type in (FieldType.STRING, FieldType.TEXT))
    )
    early = tuple(
        sorted(
            (spec for spec in item.fields if spec not in late),
            key=lambda spec: spec.type is not FieldType.ENUM,
        )
    )
    return Recipe(plans, early, late)


def plan(item: CatalogItem, spec: DataItem) -> Plan:
    """Decide from the field's name and label what its values look like."""
    figures = tables.figures()
    hint = f"{spec.name} {spec.label_zh}".lower()
    share = figures.optional_share
    if "时填写" in spec.label_zh:
        share = 0.3
    elif has(hint, "removal", "restored", "移出", "恢复"):
        share = 0.2
    year = spec.type is FieldType.INTEGER and has(hint, "year", "年度")
    span = next((span for words, span in figures.integer_spans if has(hint, *words)), (1, 10))
    scale = next(
        ((m, s) for words, m, s in figures.money_scales if has(hint, *words)), (2000.0, 1.3)
    )
    if spec.name.endswith("_end"):
        when = "end"
    elif has(hint, "effective", "生效"):
        when = "effective"
    elif has(hint, "removal", "restored", "移出", "恢复"):
        when = "happened"
    elif has(hint, "deadline", "until", "expir", "due", "ends", "截止", "届满", "到期", "期限"):
        when = "deadline"
    elif has(hint, "start", "from", "起始"):
        when = "start"
    else:
        when = "before"
    text, detail = _text_kind(item, spec, hint)
    weights = [figures.enum_weights.get(value, 1.0) for value in spec.values]
    return Plan(
        weights=tuple(sum(weights[: i + 1]) for i in range(len(weights))),
        lag=0 if has(hint, "award", "表彰", "评选") else 1,
        trigger=_trigger(item, spec),
        share=share,
        dated=spec.type is FieldType.DATE or year,
        likely=0.85 if has(hint, *figures.mostly_true) else 0.5,
        span=span,
        scale=scale,
        hours=has(hint, "hour", "时长", "小时"),
        when=when,
        month="月份" in spec.label_zh,
        text=text,
        detail=detail,
    )


def _text_kind(item: CatalogItem, spec: DataItem, hint: str) -> tuple[str, str]:
    """What a text field holds, from words in its name and label (the first rule that fits)."""
    long = spec.type is FieldType.TEXT
    kind = next((kind for words, kind in tables.texts().text_kinds if has(hint, *words)), "")
    kind = kind or ("conduct" if long else "generic")
    detail = ""
    if kind == "conduct":
        kind = "violation" if item.nature is Nature.NEGATIVE else "merit"
        detail = "long" if long else ""
    elif kind == "uscc":
        detail = "individual" if "个体" in hint else ""
    elif kind == "reference":
        detail = "judgment" if "判决" in hint else "罚" if has(hint, "处罚", "penalty") else "决"
        detail = "异" if "列入" in hint else detail
    elif kind == "case":
        detail = "刑初" if has(hint, "刑事", "criminal") else "执" if "执行" in hint else "民初"
    elif kind == "contract":
        detail = "ZXDK" if "loan" in hint else "GZ" if "lease" in hint else "HT"
    elif kind == "scope":
        detail = "social" if "业务范围" in hint else ""
    elif kind == "project":
        detail = "housing" if has(hint, "租赁", "住房") else ""
    elif kind == "title":
        detail = _title_kind(hint, item)
    return kind, detail


def _trigger(item: CatalogItem, spec: DataItem) -> str:
    """A word of the field's name that an enum value of the item also uses, if there is one.

    `fine_amount` belongs with penalty_type `fine`, `suspension_months` with sanction
    `practice_suspension`, `term_months` with `fixed_term_imprisonment`.
    """
    if spec.required or spec.type in (FieldType.ENUM, FieldType.STRING, FieldType.TEXT):
        return ""
    generic = tables.figures().generic_words
    values = [value for other in item.fields for value in other.values if other is not spec]
    for word in spec.name.split("_"):
        if word not in generic and any(word in value for value in values):
            return word
    return ""


def _title_kind(hint: str, item: CatalogItem) -> str:
    if has(hint, "licen", "许可"):
        organisation = item.subject_type is SubjectType.ORGANISATION
        return "licence_organisation" if organisation else "licence_person"
    if has(hint, "award", "奖"):
        return "award"
    if has(hint, "honour", "称号", "designation", "表彰"):
        return "honour"
    if has(hint, "qualification", "资格", "certificate", "资质", "证书"):
        return "qualification"
    return ""
