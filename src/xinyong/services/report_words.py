"""The report in words: data items by the catalog's labels, query log lines as a reader says them.

Codes (an enum value, a matter, a measure, an actor) never reach a printed report as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xinyong.domain.catalog import CatalogItem, DataItem, FieldType
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import NOTHING, REFUSED, ItemKind, QueryEntry, QueryKind


@dataclass(frozen=True, slots=True)
class ReportField:
    """One data item of a record, by the catalog's label, and its value in words."""

    label_zh: str
    label_en: str
    value_zh: str
    value_en: str


@dataclass(frozen=True, slots=True)
class QueryWords:
    """A query log line as a reader says it: who, for what, on what authority, what they got."""

    who_zh: str
    who_en: str
    purpose_zh: str
    purpose_en: str
    authority_zh: str
    authority_en: str
    returned_zh: str
    returned_en: str


def value_words(spec: DataItem | None, value: object) -> tuple[str, str]:
    """A data item's value as a reader says it, in Chinese and English."""
    if spec is None:
        text = str(value)
        return text, text
    if spec.type is FieldType.ENUM:
        return spec.value_label(str(value))
    if spec.type is FieldType.BOOLEAN:
        return ("是", "yes") if value is True else ("否", "no")
    if spec.type is FieldType.DATE:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value), str(value)
        return f"{day.year}年{day.month}月{day.day}日", day.isoformat()
    if spec.type is FieldType.MONEY:
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            return str(value), str(value)
        return f"{amount:,.2f} 元", f"CNY {amount:,.2f}"
    text = str(value)
    return text, text


def labelled_fields(
    item: CatalogItem | None, values: Mapping[str, object]
) -> tuple[ReportField, ...]:
    """Every data item of a record that has a value, in the catalog's order, no ID numbers;
    without its item (a catalog version not held), each by its stored name, as stored."""
    out: list[ReportField] = []
    declared = item.fields if item is not None else ()
    known = {spec.name for spec in declared}
    specs: list[tuple[str, DataItem | None]] = [(spec.name, spec) for spec in declared]
    specs += [(name, None) for name in values if name not in known]
    for name, spec in specs:
        value = values.get(name)
        if value in (None, ""):
            continue
        zh, en = value_words(spec, value)
        out.append(
            ReportField(
                spec.label_zh if spec else name,
                spec.label_en if spec else name,
                redact_id_numbers(zh),
                redact_id_numbers(en),
            )
        )
    return tuple(out)


def summary_line(fields: tuple[ReportField, ...]) -> str:
    """A record's main facts in one line, by the catalog's Chinese labels."""
    parts = [f"{f.label_zh}：{f.value_zh}" for f in fields if len(f.value_zh) < 120]
    return "；".join(parts[:4])


class QueryReader:
    """Says query log lines in words: names for codes, never an account id or actor string."""

    def __init__(
        self, policy: Policy, departments: Mapping[str, str], own_account: int | None
    ) -> None:
        self.policy = policy
        self.departments = departments
        self.own = f"account:{own_account}" if own_account is not None else None

    def words(self, q: QueryEntry) -> QueryWords:
        who_zh, who_en = self._who(q)
        purpose_zh, purpose_en = self._purpose(q)
        authority_zh, authority_en = self._authority(q)
        returned_zh, returned_en = self._returned(q)
        return QueryWords(
            who_zh, who_en, purpose_zh, purpose_en, authority_zh, authority_en,
            returned_zh, returned_en,
        )  # fmt: skip

    def _who(self, q: QueryEntry) -> tuple[str, str]:
        if q.department:
            name = self.departments.get(q.department, q.department)
            return name, name
        if q.kind == QueryKind.REPORT:
            if q.actor == self.own:
                return "本人查询", "you"
            return "您的代理人（依授权委托书）", "your agent (under a power of attorney)"
        return "平台工作人员", "platform staff"

    def _matter(self, code: str) -> tuple[str, str]:
        matter = self.policy.registry.matters.get(code)
        return (matter.name_zh, matter.name_en) if matter else (code, code)

    def _purpose(self, q: QueryEntry) -> tuple[str, str]:
        if q.kind == QueryKind.REPORT:
            return "查看本人信用报告", "reading your own report"
        if q.kind in (QueryKind.CHECK, QueryKind.SCREENING):
            zh, en = self._matter(q.purpose)
            return f"办理“{zh}”前核查", f"a check before: {en}"
        purpose = self.policy.authorisations.purposes.get(q.purpose)
        if purpose is not None:  # a published purpose, by its name
            return purpose.name_zh, purpose.name_en
        return q.purpose, q.purpose  # logged before the vocabulary: the words it was given in

    def _authority(self, q: QueryEntry) -> tuple[str, str]:
        if q.kind == QueryKind.REPORT:
            return "本人", "your own right of access"
        if q.kind in (QueryKind.CHECK, QueryKind.SCREENING):
            return "依联合奖惩措施清单核查", "the measure registry"
        head, _, number = q.authority.partition(" ")
        if head == "authorisation" and number.isdigit():
            return f"经您授权（授权编号 {number}）", f"your authorisation no. {number}"
        if q.kind == QueryKind.AGENCY_REFUSED:
            return "无有效授权", "no live authorisation"
        return q.authority, q.authority

    def _returned(self, q: QueryEntry) -> tuple[str, str]:
        if q.kind == QueryKind.REPORT:
            return "本报告", "this report"
        if q.returned == REFUSED:
            return "已拒绝，未提供任何信息", "refused: nothing was given"
        delivered = q.delivered
        if q.returned == NOTHING or not delivered:
            if q.kind in (QueryKind.CHECK, QueryKind.SCREENING):
                return "无适用的措施", "no measure applied"
            return "无可提供的信息", "nothing to give"
        records = [f"#{d.id}" for d in delivered if d.kind is ItemKind.RECORD and not d.measure]
        entries = [f"#{d.id}" for d in delivered if d.kind is ItemKind.ENTRY and not d.measure]
        measures: list[tuple[str, str]] = []
        for d in delivered:
            if d.measure is None:
                continue
            measure = self.policy.registry.measures.get(d.measure)
            zh, en = (measure.name_zh, measure.name_en) if measure else (d.measure, d.measure)
            measures.append((f"{zh}（名单 #{d.id}）", f"{en} (list entry #{d.id})"))
        zh_parts: list[str] = []
        en_parts: list[str] = []
        if measures:
            zh_parts.append("适用措施：" + "；".join(m[0] for m in measures))
            en_parts.append("measures: " + "; ".join(m[1] for m in measures))
        if records:
            zh_parts.append("信用记录 " + "、".join(records))
            en_parts.append("records " + ", ".join(records))
        if entries:
            zh_parts.append("名单 " + "、".join(entries))
            en_parts.append("list entries " + ", ".join(entries))
        return "；".join(zh_parts), "; ".join(en_parts)
