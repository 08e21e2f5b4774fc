"""Values of a record's data items that fit their names, their ranges and the severity rules."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING

from xinyong.domain.catalog import CatalogItem, DataItem, FieldType, Severity, SeverityRule
from xinyong.synth import tables
from xinyong.synth.plans import Plan, Recipe, recipe

if TYPE_CHECKING:
    from xinyong.synth.texts import Texts

Value = str | int | bool


class Values:
    """Fills a record's fields: enums first, then what they call for, then texts and dates."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self._recipes: dict[str, Recipe] = {}

    def recipe(self, item: CatalogItem) -> Recipe:
        found = self._recipes.get(item.code)
        if found is None:
            found = self._recipes[item.code] = recipe(item)
        return found

    def severe_fields(
        self, item: CatalogItem, target: Severity | None, texts: Texts
    ) -> tuple[dict[str, Value], Severity | None]:
        """Values of the fields that decide severity, aiming at the target severity class."""
        recipe = self.recipe(item)
        rules = item.severity_rules
        aims = [r for r in rules if r.severity is target] if target is not None else []
        if target is not None and target is not item.default_severity and not aims:
            target = item.default_severity
        fields: dict[str, Value] = {}
        severity: Severity | None = None
        for _ in range(16):
            forced: dict[str, Value] = {}
            if target is not None and target is not item.default_severity:
                rule = self.rng.choice(aims)
                spec = item.field_named(rule.field)
                value = self._satisfying(item, spec, rule) if spec is not None else None
                if value is not None:
                    forced[rule.field] = value
            fields = self._values(recipe, forced, texts)
            severity = item.severity_of(fields)
            if severity is target:
                break
        return fields, severity

    def _values(
        self, recipe: Recipe, forced: Mapping[str, Value], texts: Texts
    ) -> dict[str, Value]:
        """Generate the fields that come first, enums first: a fine amount only goes with a fine."""
        rng = self.rng
        fields: dict[str, Value] = {}
        texts.fields = fields
        for spec in recipe.early:
            plan = recipe.plans[spec.name]
            if spec.name in forced:
                fields[spec.name] = forced[spec.name]
                continue
            if spec.required:
                wanted = True
            elif plan.trigger:
                wanted = any(isinstance(v, str) and plan.trigger in v for v in fields.values())
            else:
                wanted = rng.random() < plan.share
            if wanted:
                value = self._value(spec, plan, texts)
                if value is not None:
                    fields[spec.name] = value
        return fields

    def fill(self, recipe: Recipe, texts: Texts, *, again: bool = False) -> None:
        """Fill texts, dates and years, which follow the decision date; `again`: only redo those."""
        fields = texts.fields
        for spec in recipe.late:
            plan = recipe.plans[spec.name]
            present = spec.name in fields
            if again and not (present and plan.dated):
                continue
            if present or spec.required or self.rng.random() < plan.share:
                value = self._value(spec, plan, texts)
                if value is not None:
                    fields[spec.name] = value

    def _value(self, spec: DataItem, plan: Plan, texts: Texts) -> Value | None:
        rng = self.rng
        kind = spec.type
        if kind is FieldType.ENUM:
            return rng.choices(spec.values, cum_weights=plan.weights)[0]
        if kind is FieldType.BOOLEAN:
            return rng.random() < plan.likely
        if kind is FieldType.INTEGER:
            return self._integer(spec, plan, texts.decided)
        if kind in (FieldType.MONEY, FieldType.DECIMAL):
            return self._amount(spec, plan)
        if kind is FieldType.DATE:
            return self._date(spec, plan, texts).isoformat()
        limit = spec.max_length if kind is FieldType.STRING else max(spec.max_length, 4000)
        return texts.value(plan)[:limit]

    def _integer(self, spec: DataItem, plan: Plan, decided: date) -> int:
        rng = self.rng
        low, high = plan.span
        if plan.dated:
            low = high = decided.year - (plan.lag if rng.random() < 0.8 else 0)
        if spec.minimum is not None:
            minimum = int(spec.minimum.to_integral_value(ROUND_CEILING))
            low, high = max(low, minimum), max(high, minimum)
        if spec.maximum is not None:
            low, high = min(low, int(spec.maximum)), min(high, int(spec.maximum))
        if high - low > 20:  # skew towards the lower end: most counts are small
            return low + int((high - low) * rng.random() ** 2)
        return rng.randint(low, high)

    def _amount(self, spec: DataItem, plan: Plan, above: Decimal | None = None) -> str | None:
        """An amount in the field's range: mostly modest, a few large (a lognormal spread)."""
        rng = self.rng
        if above is None and spec.type is FieldType.DECIMAL and plan.hours:
            hours = Decimal(str(round(rng.lognormvariate(math.log(120), 0.9), 1)))
            if spec.maximum is not None:
                hours = min(hours, spec.maximum)
            return _number_text(spec, max(hours, spec.minimum or Decimal(0)))
        if above is None and spec.maximum is not None and spec.maximum <= 1000:
            low = spec.minimum or Decimal(0)
            share = Decimal(rng.randrange(1001)) / 1000
            return _number_text(spec, (low + (spec.maximum - low) * share).quantize(Decimal("0.1")))
        median, spread = plan.scale
        for _ in range(6):
            if above is None:
                amount = round_amount(rng.lognormvariate(math.log(median), spread))
            else:
                amount = max(above, round_amount(float(above) * (1 + rng.expovariate(2.5))))
            if spec.minimum is not None and amount < spec.minimum:
                continue
            if spec.maximum is not None and amount > spec.maximum:
                continue
            return _number_text(spec, amount)
        low = max(spec.minimum or Decimal(0), above or Decimal(0))
        high = spec.maximum if spec.maximum is not None else low + Decimal(10000)
        if low > high:
            return None
        return _number_text(spec, low + (high - low) * Decimal(rng.randrange(101)) / 100)

    def _date(self, spec: DataItem, plan: Plan, texts: Texts) -> date:
        """A date that fits its name: events before the decision, deadlines after it."""
        rng = self.rng
        decided = texts.decided
        when = plan.when
        if when == "end":
            start = texts.fields.get(spec.name.removesuffix("_end") + "_start")
            if isinstance(start, str):  # the end of a period that started before the decision
                first = date.fromisoformat(start)
                return first + timedelta(days=rng.randrange(max(1, (decided - first).days)))
            when = "deadline"
        if when in ("happened", "effective"):
            days = rng.randint(10, 30) if when == "effective" else rng.randint(30, 400)
            return min(self.today, decided + timedelta(days=days))
        if when == "deadline":
            return decided + timedelta(days=rng.randint(15, 365))
        days = rng.randint(30, 720) if when == "start" else rng.randint(1, 180)
        day = decided - timedelta(days=days)
        return day.replace(day=1) if plan.month else day

    def _satisfying(self, item: CatalogItem, spec: DataItem, rule: SeverityRule) -> Value | None:
        """A value of `spec` that meets `rule`, or None to let the retry loop find one."""
        rng = self.rng
        op, value = rule.op, rule.value
        if op == "ne":
            return None
        if op in ("eq", "in"):
            options = list(value) if op == "in" and isinstance(value, list) else [value]
            if spec.type is FieldType.ENUM:
                options = [o for o in options if str(o) in spec.values]
            if not options:
                return None
            weights = tables.figures().enum_weights
            chosen = rng.choices(options, [weights.get(str(o), 1.0) for o in options])[0]
            return _canonical(spec, chosen)
        if spec.type not in (FieldType.MONEY, FieldType.DECIMAL, FieldType.INTEGER):
            return None
        threshold = Decimal(str(value))
        if op in ("gt", "gte"):
            floor = threshold + (Decimal("0.01") if op == "gt" else Decimal(0))
            if spec.type is FieldType.INTEGER:
                start = int(floor.to_integral_value(ROUND_CEILING))
                top = int(spec.maximum) if spec.maximum is not None else start + max(5, start // 2)
                return rng.randint(start, top) if top >= start else None
            return self._amount(spec, self.recipe(item).plans[spec.name], above=floor)
        step = Decimal(1) if spec.type is FieldType.INTEGER else Decimal("0.01")
        ceiling = threshold - (step if op == "lt" else Decimal(0))
        if spec.maximum is not None:
            ceiling = min(ceiling, spec.maximum)
        low = spec.minimum if spec.minimum is not None else Decimal(0)
        if ceiling < low:
            return None
        number = low + (ceiling - low) * Decimal(rng.randrange(101)) / 100
        if spec.type is FieldType.INTEGER:
            return int(number)
        return _number_text(spec, number.quantize(Decimal("0.01")))


def _number_text(spec: DataItem, number: Decimal) -> str:
    if spec.type is FieldType.MONEY:
        return str(number.quantize(Decimal("0.01")))
    return f"{number:f}"


def _canonical(spec: DataItem, raw: object) -> Value | None:
    """The value as the catalog gate would canonicalise it (dates are never forced)."""
    if spec.type is FieldType.BOOLEAN:
        return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes", "是")
    if spec.type is FieldType.INTEGER:
        return int(Decimal(str(raw)))
    if spec.type is FieldType.MONEY:
        return str(Decimal(str(raw)).quantize(Decimal("0.01")))
    if spec.type is FieldType.DATE:
        return None
    return str(raw)


def round_amount(raw: float) -> Decimal:
    """Round an amount the way decisions state them: to 10, 100 or 1 000 yuan by size."""
    step = 10 if raw < 1000 else 100 if raw < 10000 else 1000
    return Decimal(max(step, math.ceil(raw / step) * step))
