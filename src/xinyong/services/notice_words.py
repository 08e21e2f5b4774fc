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

#: The deadlines a person is told about, by DeadlineKind value: (Chinese, English). The Chinese
#: names the step; a sentence says "…的期限" or "…的截止日" after it.
DEADLINES: Final[Mapping[str, tuple[str, str]]] = {
    "double_publicity": ("公示", "double publicity"),
    "withdrawal": ("撤回已撤销信息", "withdrawal"),
    "deletion": ("删除名单信息", "deletion"),
    "objection_check": ("信用中心核查异议", "objection check"),
    "objection_decision": ("认定部门处理异议", "objection decision"),
    "repair_acceptance": ("决定是否受理信用修复申请", "repair acceptance"),
    "repair_feedback": ("答复信用修复申请", "repair feedback"),
    "acknowledgement": ("信用服务机构确认更正", "acknowledgement"),
    "defence": ("陈述、申辩", "defence"),
    "public_notice": ("名单公示期内提出异议", "public notice"),
}

#: Why a deadline stood still (domain/objections.py PAUSE_KINDS): (Chinese, English).
PAUSES: Final[Mapping[str, tuple[str, str]]] = {
    "testing": ("检验检测", "testing"),
    "expert_review": ("专家评审", "expert review"),
}

#: The cases a person files: (Chinese, "this case" in Chinese, English).
CASES: Final[Mapping[str, tuple[str, str, str]]] = {
    "objection": ("异议", "本异议", "objection"),
    "repair": ("信用修复申请", "本申请", "repair"),
}


def closed_reasons(record: object, review: object, lang: str, case: object = None) -> str:
    """Why a case about record `record` closed undecided when identity review `review` found the
    record another person's: the case's stored reasons (in Chinese, as a department writes
    them) and the heart of its notice."""
    if lang == "zh":
        this = CASES[str(case)][1] if str(case) in CASES else "本件"
        return (
            f"经第 {review} 号身份核查，第 {record} 号信用记录不属于您本人，已不在您的档案中，"
            f"{this}终止办理。"
        )
    return (
        f"record {record} was found to be another person's by identity review {review};"
        " it is no longer in your file, so this case is closed without a decision"
    )


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
            return f"{what}的期限自 {on} 起因{why}中止计算，{why}所用的工作日不计入期限。"
        return f"{what}: stopped on {on} for {why}; the working days it takes are not counted"
    if change == "resumed":
        why = _word(PAUSES, data.get("why"), zh)
        was, now, days = _day(data.get("from")), _day(data.get("to")), data.get("days")
        if was == now:
            if zh:
                return f"{what}的期限恢复计算，截止日仍为 {now}。"
            return f"{what}: runs again, still {now}"
        if zh:
            return (
                f"{what}的期限恢复计算，截止日由 {was} 顺延至 {now}："
                f"{why}所用的 {days} 个工作日不计入。"
            )
        plural = "s" if days != 1 else ""
        return f"{what}: moved from {was} to {now}; {days} working day{plural} of {why} not counted"
    if change == "recounted":
        was, now = _day(data.get("from")), _day(data.get("to"))
        if was == now:
            if zh:
                return f"{what}的期限现按国家公布的节假日和调休安排计算，截止日仍为 {now}。"
            return f"{what}: {now} is now counted on the official calendar"
        if zh:
            return (
                f"{what}的截止日由 {was} 改为 {now}：原按周一至周五计算，"
                "现按国家公布的节假日和调休安排计算。"
            )
        return (
            f"{what}: moved from {was} to {now}; it was counted Monday to Friday and is now"
            " counted on the official calendar"
        )
    if change == "closed":
        case, number = data.get("case"), data.get("case_id")
        why = closed_reasons(data.get("record"), data.get("review"), lang, case)
        names = CASES.get(str(case))
        if zh:
            return f"第 {number} 号{names[0] if names else case}：{why}"
        return f"{names[2] if names else case} {number}: {why}"
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
