"""Why a batch's row was refused, and what a court list row's reviewer is warned of, told in the
page's language.

The record gate speaks English to callers of the API (`domain/records.py validate_row`, the
catalog's field types, the file readers); the console's batch page and its error report speak
the reader's language. Each reason has a pattern here and a marked text (Chinese, with its English
in the catalog); its parts (a count, a date, an item's code) are carried over, never an ID number.
A reason no pattern knows is told in English as it is (on an English page) or by a general
sentence (on a Chinese page): a page never shows two languages. The field stays as sent (it is
the column's name in the department's file, a machine-readable code).

The court's published list (`domain/court_list.py`) flags what disagrees between a row's case
number, court and area, and between the row and each person it may be (`FLAGS`, told by
`flag_in_words`); places and names are carried over as the court wrote them.
"""

from __future__ import annotations

import re

from xinyong.domain.identifiers import redact_id_numbers
from xinyong.web import i18n


def _(text: str) -> str:
    """Mark a text for the catalog; it is translated when told (`reason_in_words`)."""
    return text


#: What a page says of a reason no pattern below knows.
FALLBACK = _("内容不符合要求，请对照信息目录核对。")

#: (pattern of the English reason, the text to tell); named groups are carried into the text,
#: and a group named `inner` is itself a reason, told by these same rules.
RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        # Every field
        (r"^is required$", _("必填，不能为空。")),
        (r"^must be text$", _("应为文本。")),
        (
            r"^is (?P<count>\d+) characters long; at most (?P<limit>\d+) are allowed$",
            _("长度为 %(count)s 个字符，最多允许 %(limit)s 个。"),
        ),
        (r"^contains (a )?control character", _("含有控制字符，文本中不能有控制字符。")),
        # The item and the department's mandate
        (
            r"^is not an item of catalog (?P<version>\S+)$",
            _("不是信息目录 %(version)s 中的信息项。"),
        ),
        (
            r"^department (?P<department>\S+) may not provide (?P<item>\S+)$",
            _("部门 %(department)s 无权报送信息项 %(item)s。"),
        ),
        (r"may never be collected \(statutory ban\)$", _("属于法律禁止采集的信息，不得报送。")),
        (r"^is not a data item of (?P<item>\S+)$", _("不是信息项 %(item)s 的数据项。")),
        (
            r"^the deciding authority is not ",
            _("作出决定的机关不是本部门，也不是本部门登记代为报送的机关。"),
        ),
        # Dates
        (r"^(?P<day>\d{4}-\d{2}-\d{2}) is in the future$", _("%(day)s 是将来的日期。")),
        (r"^is before valid_from$", _("早于有效期起始日期（valid_from）。")),
        (r"^must be a date as YYYY-MM-DD$", _("应为日期，格式为 YYYY-MM-DD。")),
        (
            r"^must fall within (?P<first>\d{4})-(?P<last>\d{4})$",
            _("应在 %(first)s 年至 %(last)s 年之间。"),
        ),
        (
            r"^the record's retention period ended on (?P<day>[\d-]+)",
            _("这条记录的保存期限已于 %(day)s 届满，依法不得再保存。"),
        ),
        (
            r"^the subject was (?P<age>\d+) on the decision date; (?P<item>\S+) applies from"
            r" (?P<minimum>\d+)$",
            _("作出决定之日当事人 %(age)s 岁；信息项 %(item)s 适用于 %(minimum)s 岁以上。"),
        ),
        # Identifiers (the part after the colon is itself a reason)
        (
            r"^not a valid citizen ID number: (?P<inner>.+)$",
            _("不是有效的公民身份号码：%(inner)s"),
        ),
        (
            r"^not a valid unified social credit code: (?P<inner>.+)$",
            _("不是有效的统一社会信用代码：%(inner)s"),
        ),
        (
            r"^must have 18 characters, has (?P<count>\d+)$",
            _("应为 18 位，实为 %(count)s 位。"),
        ),
        (
            r"^characters 1-17 must be digits; position (?P<position>\d+) is not$",
            _("前 17 位应为数字，第 %(position)s 位不是。"),
        ),
        (r"^check character is .*, the number needs (?P<needed>\w)$", _("校验码不正确。")),
        (r"^check character is .*, the code needs (?P<needed>\w)$", _("校验码不正确。")),
        (r"^birth date \S+ is not a calendar date$", _("其中的出生日期不是有效日期。")),
        (r"^birth date \S+ is in the future$", _("其中的出生日期晚于今天。")),
        (
            r"^birth date \S+ is more than (?P<years>\d+) years ago$",
            _("其中的出生日期早于 %(years)s 年前。"),
        ),
        (
            r"^position (?P<position>\d+) holds a character a credit code never uses$",
            _("第 %(position)s 位是统一社会信用代码不使用的字符。"),
        ),
        (
            r"^positions 3-8 \(the region code\) must be digits$",
            _("第 3–8 位（行政区划码）应为数字。"),
        ),
        (
            r"^registration authority code \w \(position 1\) is not assigned$",
            _("第 1 位的登记管理部门代码未经分配。"),
        ),
        (
            r"^organisation type \w \(position 2\) is not one",
            _("第 2 位的机构类别与登记管理部门不符。"),
        ),
        (
            r"^region code \d+ \(positions 3-8\) is not one that has ever existed$",
            _("第 3–8 位的行政区划码不存在。"),
        ),
        # A field's type (the catalog)
        (r"^must be one of (?P<values>.+)$", _("应为以下取值之一：%(values)s。")),
        (r"^must be true or false$", _("应为 true 或 false。")),
        (r"^must be a number$", _("应为数字。")),
        (r"^must be a finite number$", _("应为有限的数字。")),
        (
            r"^is too large: at most (?P<count>\d+) digits before the point$",
            _("数值过大：整数部分最多 %(count)s 位。"),
        ),
        (r"^must be a whole number$", _("应为整数。")),
        (r"^must have at most two decimal places$", _("最多保留两位小数。")),
        (r"^must be at least (?P<minimum>\S+)$", _("不能小于 %(minimum)s。")),
        (r"^must be at most (?P<maximum>\S+)$", _("不能大于 %(maximum)s。")),
        # The file's rows
        (
            r"^has (?P<count>\d+) cells; the header has (?P<width>\d+)$",
            _("这一行有 %(count)s 个单元格，表头有 %(width)s 个。"),
        ),
        (r"^not valid JSON", _("不是有效的 JSON。")),
        (r"^must be a JSON object$", _("应为 JSON 对象。")),
        (r"^could not be checked", _("这一行无法校验，请联系信用中心。")),
    )
)


#: What a court list row is flagged for (domain/court_list.py court_flags, match_candidate).
FLAGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (
            r"^the case number names no court this platform can read$",
            _("案号中的法院代字无法识别。"),
        ),
        (
            r"^the case number is from (?P<province>.+), the row's area is (?P<area>.+)$",
            _("案号属于%(province)s，而本行的地区为%(area)s。"),
        ),
        (
            r"^the case number names a court of (?P<places>.+) \(region (?P<region>\d+)\),"
            r" not (?P<court>.+)$",
            _("案号对应%(places)s（区划 %(region)s）的法院，而不是%(court)s。"),
        ),
        (r"^the name differs from the person's$", _("姓名与本平台记载的不一致。")),
        (
            r"^the sex differs from the one the number encodes$",
            _("性别与身份号码所表示的不一致。"),
        ),
        (
            r"^the age (?P<age>\d+) differs from (?P<held>\d+) on the publication date$",
            _("公布的年龄 %(age)s 岁，与按身份号码计算的公布之日年龄 %(held)s 岁不一致。"),
        ),
    )
)

#: What a page says of a flag no pattern above knows.
OTHER_FLAG = _("有不一致之处，请核对原始公布信息。")


def _told(rules: i18n.Rules, text: str, fallback: str) -> str:
    def carry(name: str, value: str) -> str:  # a group named `inner` is itself a reason
        return _told(rules, value, fallback).rstrip("。.") if name == "inner" else value

    return i18n.told_by(rules, text, fallback, lambda n, v: redact_id_numbers(carry(n, v)))


def reason_in_words(reason: str) -> str:
    """A refused row's reason in the current language, never with an ID number."""
    return _told(RULES, reason, FALLBACK)


def flag_in_words(flag: str) -> str:
    """What a court list row is flagged for, in the current language."""
    return _told(FLAGS, flag, OTHER_FLAG)
