"""Why a batch's row was refused, and what a court list row's reviewer is warned of, told in the
page's language.

The record gate speaks English to callers of the API (`domain/records.py validate_row`, the
catalog's field types, the file readers), and gives each reason a stable code with its parts
(`domain/reasons.py`, stored beside the English in `batch_rejects`); the console's batch page and
its error report speak the reader's language. Each code has a marked text here (`TOLD`: Chinese,
with its English in the catalog), so rewording the gate's English changes nothing here; its parts
(a count, a date, an item's code) are carried over, never an ID number. A reason without a code
(refused before reasons had codes) is told in English as it is (on an English page) or by a
general sentence (on a Chinese page): a page never shows two languages. The field stays as sent
(it is the column's name in the department's file, a machine-readable code).

The court's published list (`domain/court_list.py`) flags what disagrees between a row's case
number, court and area, and between the row and each person it may be (`FLAGS`, told by
`flag_in_words`); places and names are carried over as the court wrote them.
"""

from __future__ import annotations

import re

from xinyong.domain.errors import FieldProblem
from xinyong.web import i18n


def _(text: str) -> str:
    """Mark a text for the catalog; it is translated when told (`reason_in_words`)."""
    return text


#: What a page says of a reason no pattern below knows.
FALLBACK = _("内容不符合要求，请对照信息目录核对。")

#: The text to tell for each code of domain/reasons.py WORDS; its parts (named as in WORDS) are
#: carried into the text, and a part named `inner` is itself a code, told by this same table.
TOLD: dict[str, str] = {
    # Every field
    "required": _("必填，不能为空。"),
    "not_text": _("应为文本。"),
    "too_long": _("长度为 %(count)s 个字符，最多允许 %(limit)s 个。"),
    "control_characters": _("含有控制字符，文本中不能有控制字符。"),
    "control_character_in_file": _("含有控制字符，文本中不能有控制字符。"),
    # The item and the department's mandate
    "unknown_item": _("不是信息目录 %(version)s 中的信息项。"),
    "catalog_not_in_force": _(
        "信息目录 %(version)s 自 %(day)s 起施行，此前不接收按该目录报送的信息。"
    ),
    "item_not_mandated": _("部门 %(department)s 无权报送信息项 %(item)s。"),
    "outside_region": _(
        "信息项 %(item)s 是地区 %(region)s 的地方信息项，部门 %(department)s 不在该地区，无权报送。"
    ),
    "banned_field": _("属于法律禁止采集的信息，不得报送。"),
    "not_a_data_item": _("不是信息项 %(item)s 的数据项。"),
    "not_own_authority": _("作出决定的机关不是本部门，也不是本部门登记代为报送的机关。"),
    # Dates
    "future_date": _("%(day)s 是将来的日期。"),
    "before_valid_from": _("早于有效期起始日期（valid_from）。"),
    "not_a_date": _("应为日期，格式为 YYYY-MM-DD。"),
    "date_out_of_range": _("应在 %(first)s 年至 %(last)s 年之间。"),
    "retention_ended": _("这条记录的保存期限已于 %(day)s 届满，依法不得再保存。"),
    "under_age": _("作出决定之日当事人 %(age)s 岁；信息项 %(item)s 适用于 %(minimum)s 岁以上。"),
    # Identifiers (`inner` is the identifier's own reason)
    "invalid_citizen_id": _("不是有效的公民身份号码：%(inner)s"),
    "invalid_credit_code": _("不是有效的统一社会信用代码：%(inner)s"),
    "id_length": _("应为 18 位，实为 %(count)s 位。"),
    "id_digits": _("前 17 位应为数字，第 %(position)s 位不是。"),
    "id_check_character_kind": _("校验码不正确。"),
    "id_check_character": _("校验码不正确。"),
    "id_birth_date": _("其中的出生日期不是有效日期。"),
    "id_birth_in_future": _("其中的出生日期晚于今天。"),
    "id_birth_too_early": _("其中的出生日期早于 %(years)s 年前。"),
    "code_character": _("第 %(position)s 位是统一社会信用代码不使用的字符。"),
    "code_region_digits": _("第 3–8 位（行政区划码）应为数字。"),
    "code_authority": _("第 1 位的登记管理部门代码未经分配。"),
    "code_organisation_type": _("第 2 位的机构类别与登记管理部门不符。"),
    "code_region": _("第 3–8 位的行政区划码不存在。"),
    "code_check_character": _("校验码不正确。"),
    # A field's type (the catalog)
    "not_one_of": _("应为以下取值之一：%(values)s。"),
    "not_boolean": _("应为 true 或 false。"),
    "not_a_number": _("应为数字。"),
    "not_finite": _("应为有限的数字。"),
    "too_large": _("数值过大：整数部分最多 %(count)s 位。"),
    "not_whole": _("应为整数。"),
    "too_many_decimals": _("最多保留两位小数。"),
    "below_minimum": _("不能小于 %(minimum)s。"),
    "above_maximum": _("不能大于 %(maximum)s。"),
    # The file's rows
    "cell_count": _("这一行有 %(count)s 个单元格，表头有 %(width)s 个。"),
    "not_json": _("不是有效的 JSON。"),
    "not_object": _("应为 JSON 对象。"),
    "not_checked": _("这一行无法校验，请联系信用中心。"),
    "duplicate_in_batch": _(
        "与第%(first)s行为同一份文书，已按第%(first)s行入库；修改后的版本请另行分批报送。"
    ),
}


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


def reason_in_words(problem: FieldProblem) -> str:
    """A refused row's reason in the current language, told by its code (never by matching its
    English), never with an ID number. A reason without a code this table knows (refused before
    reasons had codes) is told in English as it is, or by `FALLBACK` on any other page."""
    if problem.code not in TOLD:
        return i18n.told_by((), problem.reason, FALLBACK)
    return _by_code(problem.code, dict(problem.parts))


def _by_code(code: str, parts: dict[str, str]) -> str:
    if "inner" in parts:
        own = {name: value for name, value in parts.items() if name != "inner"}
        inner = TOLD.get(parts["inner"])
        told = _by_code(parts["inner"], own) if inner else i18n.gettext(FALLBACK)
        parts = {**own, "inner": told.rstrip("。.")}
    else:
        parts = {name: i18n.redact(value) for name, value in parts.items()}
    return i18n.gettext(TOLD[code]) % parts


def flag_in_words(flag: str) -> str:
    """What a court list row is flagged for, in the current language."""
    return i18n.told_by(FLAGS, flag, OTHER_FLAG)
