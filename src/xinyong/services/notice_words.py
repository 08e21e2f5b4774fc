"""What a notice in a person's file says, in Chinese or English, from what it records.

A notice (domain/deadlines.py `Notice`) keeps what happened as data: which deadline, how it
changed (`stopped`, `resumed`, `recounted`), the days and why; or which case closed (`closed`:
an identity review found its record another person's). Its words are written here, once for both
languages, so the portal, the printed report and the API say the same thing in the
reader's language. The English sentence is also kept with the notice as its `detail` (the form
every notice had before they kept data), and a notice without data is shown by that sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

#: The deadlines a person is told about, by DeadlineKind value: (Chinese, English).
DEADLINES: Final[Mapping[str, tuple[str, str]]] = {
    "double_publicity": ("公示期限", "double publicity"),
    "withdrawal": ("撤回已撤销信息的期限", "withdrawal"),
    "deletion": ("删除名单信息的期限", "deletion"),
    "objection_check": ("信用中心核查异议的期限", "objection check"),
    "objection_decision": ("认定部门处理异议的期限", "objection decision"),
    "repair_acceptance": ("受理信用修复申请的期限", "repair acceptance"),
    "repair_feedback": ("答复信用修复申请的期限", "repair feedback"),
    "acknowledgement": ("信用服务机构确认更正的期限", "acknowledgement"),
    "defence": ("陈述、申辩期限", "defence"),
}

#: Why a deadline stood still (domain/objections.py PAUSE_KINDS): (Chinese, English).
PAUSES: Final[Mapping[str, tuple[str, str]]] = {
    "testing": ("检验检测", "testing"),
    "expert_review": ("专家评审", "expert review"),
}


#: What a case closed by an identity review's move says (the English sentence, kept as the case's
#: reasons too); `record` and `review` are ids.
CLOSED_REASONS: Final = (
    "record {record} was found to be another person's by identity review {review};"
    " it is no longer in your file, so this case is closed without a decision"
)

#: The cases a person files: (Chinese, English).
CASES: Final[Mapping[str, tuple[str, str]]] = {
    "objection": ("异议", "objection"),
    "repair": ("信用修复申请", "repair"),
}


def say(data: Mapping[str, object] | None, lang: str) -> str | None:
    """The notice recorded as `data`, in `lang` ("zh" or "en"); None when there is no data, or it
    records a change this module has no words for (the caller shows the stored detail)."""
    if not data:
        return None
    change = data.get("change")
    zh = lang == "zh"
    what = _word(DEADLINES, data.get("deadline"), zh)
    if change == "stopped":
        why = _word(PAUSES, data.get("why"), zh)
        on = _day(data.get("on"))
        if zh:
            return f"{what}自 {on} 起因{why}中止计算，{why}所用的工作日不计入期限。"
        return f"{what}: stopped on {on} for {why}; the working days it takes are not counted"
    if change == "resumed":
        why = _word(PAUSES, data.get("why"), zh)
        was, now, days = _day(data.get("from")), _day(data.get("to")), data.get("days")
        if was == now:
            if zh:
                return f"{what}恢复计算，截止日仍为 {now}。"
            return f"{what}: runs again, still {now}"
        if zh:
            return f"{what}恢复计算，由 {was} 改为 {now}：{why}所用的 {days} 个工作日不计入。"
        plural = "s" if days != 1 else ""
        return f"{what}: moved from {was} to {now}; {days} working day{plural} of {why} not counted"
    if change == "recounted":
        was, now = _day(data.get("from")), _day(data.get("to"))
        if was == now:
            if zh:
                return f"{what}现按国家公布的节假日和调休安排计算，截止日仍为 {now}。"
            return f"{what}: {now} is now counted on the official calendar"
        if zh:
            return (
                f"{what}由 {was} 改为 {now}：原按周一至周五计算，"
                "现按国家公布的节假日和调休安排计算。"
            )
        return (
            f"{what}: moved from {was} to {now}; it was counted Monday to Friday and is now"
            " counted on the official calendar"
        )
    if change == "closed":
        case = f"{_word(CASES, data.get('case'), zh)} {data.get('case_id')}"
        record, review = data.get("record"), data.get("review")
        if zh:
            return (
                f"{case}：身份核查 {review} 认定信用记录 {record} 属于他人，"
                "该记录已不在您的档案中，本件不作决定，予以终结。"
            )
        return f"{case}: {CLOSED_REASONS.format(record=record, review=review)}"
    return None


def detail_of(data: Mapping[str, object]) -> str:
    """The English sentence kept with a notice as its detail (and told to departments)."""
    text = say(data, "en")
    if text is None:
        raise ValueError(f"no words for a notice of change {data.get('change')!r}")
    return text


def _word(words: Mapping[str, tuple[str, str]], code: object, zh: bool) -> str:
    """A code in words; a code without words is shown as it is."""
    pair = words.get(str(code))
    if pair is None:
        return str(code).replace("_", " ")
    return pair[0] if zh else pair[1]


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
