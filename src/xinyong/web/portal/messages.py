"""Domain errors a person or a visitor can meet, told in the page's language.

The rules speak English to callers of the API (`exc.detail`); a page speaks the reader's language.
Each message a person can meet has a pattern here and a marked text (Chinese, with its English in
the catalog); its parts (a date, a number of days) are carried over, never an identifier. A
message without a pattern is told in English as it is (on an English page) or by a general
sentence (on a Chinese page): a page never shows two languages.
"""

from __future__ import annotations

import re
from datetime import date

from xinyong.domain.errors import DomainError
from xinyong.web import i18n


def _(text: str) -> str:
    """Mark a text for the catalog; it is translated when told (`told`)."""
    return text


#: What a page says when no pattern below knows the error.
FALLBACK = _("操作未能完成，请检查填写的内容后重试。")

#: (pattern of the English detail, the text to tell); named groups are carried into the text.
RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        # Logging in and registering
        (
            r"^the username, password or code is wrong",
            _("用户名、密码或动态码不正确，或账户已停用。"),
        ),
        (
            r"^too many wrong passwords.* in (?P<minutes>\d+) minutes",
            _("密码错误次数过多，请 %(minutes)s 分钟后再试。"),
        ),
        (
            r"^the number or password is wrong.* in (?P<minutes>\d+) minutes",
            _(
                "身份号码或密码不正确，或账户已停用，或从这里输错密码的次数过多："
                "请核对后重试，或 %(minutes)s 分钟后再试。"
            ),
        ),
        (
            r"^too many [\w ]+ attempts [\w ]+; try again in (?P<seconds>\d+) s",
            _("尝试次数过多，请 %(seconds)s 秒后再试。"),
        ),
        (
            r"^registration (?P<id>\d+) waits for real-name verification.* by (?P<day>[\d-]+)$",
            _(
                "您的注册（编号 %(id)s）正在等待实名核验：请在 %(day)s 前携带居民身份证"
                "到信用中心服务窗口办理。"
            ),
        ),
        (
            r"^registration (?P<id>\d+) was refused: (?P<reasons>.*)$",
            _("您的注册（编号 %(id)s）未通过实名核验：%(reasons)s"),
        ),
        (r"^number: not a valid citizen ID number", _("公民身份号码不正确，请核对后重新填写。")),
        (r"^name: ", _("请填写居民身份证上的姓名。")),
        (r"^phone: ", _("请填写 11 位手机号码。")),
        (
            r"^(?:new_)?password: at least (?P<count>\d+) characters",
            _("密码至少需要 %(count)s 个字符。"),
        ),
        (
            r"^(?:new_)?password: must not contain your ID number",
            _("密码不能包含您的身份号码或其中的出生日期、末几位。"),
        ),
        (
            r"^(?:new_)?password: must not contain your name",
            _("密码不能包含您的姓名（包括拼音）。"),
        ),
        (
            r"^(?:new_)?password: is one of the most common",
            _("这是泄露数据中最常见的密码之一，请换一个。"),
        ),
        (r"^(?:new_)?password: is a run of", _("密码不能是重复、连续或键盘上相邻的字符。")),
        (r"^(?:new_)?password: too easy to guess", _("密码太容易被猜到，请使用更长的短语。")),
        (r"^current_password: ", _("当前密码不正确。")),
        # Objections and evidence
        (r"^ground: ", _("请选择异议理由类别。")),
        (r"^reasons: ", _("请写明理由。")),
        (r"^record \d+ does not exist", _("找不到这条记录。")),
        (r"^list entry \d+ does not exist", _("找不到这条名单信息。")),
        (r"^objection \d+ does not exist", _("找不到这件异议。")),
        (r"^repair \d+ does not exist", _("找不到这件修复申请。")),
        (r"^\w+ \d+ is decided: it takes no more evidence", _("这件已经办结，不能再上传材料。")),
        # The clock stopped for testing or expert review (the consoles)
        (r"^kind: must be one of testing", _("请选择检验检测或者专家评审。")),
        (
            r"^objection \d+ is paused",
            _("这件异议的期限正在暂停：请在检验检测或专家评审结束后先恢复计算期限。"),
        ),
        (r"^objection \d+ is not paused", _("这件异议的期限没有暂停。")),
        (r"^objection \d+ is \w+; no deadline runs", _("这件异议没有正在计算的期限。")),
        # A decision taken to reconsideration or to court (the centre's console)
        (r"^kind: must be one of reconsideration", _("请选择行政复议或者行政诉讼。")),
        (r"^reference: a case number, not an ID", _("案号中不能填写身份号码。")),
        (r"^reference: at most (?P<count>\d+) characters", _("案号不能超过 %(count)s 个字符。")),
        (r"^reference: ", _("请填写复议机关或者法院给出的案号。")),
        (
            r"^objection \d+ is \w+; only a decided one is challenged",
            _("这件异议尚未办结，不能登记复议或诉讼。"),
        ),
        (r"^file: larger than", _("文件太大：每个文件不超过 5 MB。")),
        (r"^file: empty", _("文件是空的，请重新选择。")),
        (r"^file: not a PDF, JPEG or PNG", _("只接受 PDF、JPEG 或 PNG 格式的文件。")),
        (r"^file: ", _("请选择要上传的文件。")),
        # Batch files (services/batchfiles.py check_body: nothing is stored)
        (
            r"^header: no column (?P<columns>[\w, ]+) \(every row needs \w+\);"
            r" no catalog (?P<version>\S+) field is called (?P<names>.+); nothing was stored",
            _(
                "表头缺少每一行都需要的列：%(columns)s；目录 %(version)s 中也没有这些列："
                "%(names)s。未保存任何内容。"
            ),
        ),
        (
            r"^header: no column (?P<columns>[\w, ]+) \(every row needs",
            _("表头缺少每一行都需要的列：%(columns)s。未保存任何内容。"),
        ),
        (
            r"^header: no catalog (?P<version>\S+) field is called (?P<names>.+); nothing was",
            _("目录 %(version)s 中没有这些列：%(names)s。未保存任何内容。"),
        ),
        (r"^header: a blank or repeated", _("表头中有空白或重复的列名。未保存任何内容。")),
        (r"^header: cannot be read", _("无法读取表头。未保存任何内容。")),
        (
            r"^body: not UTF-8 text near line (?P<line>\d+)",
            _("文件不是 UTF-8 编码的文本（约第 %(line)s 行）。未保存任何内容。"),
        ),
        (r"^body: (empty|no rows)", _("文件中没有数据行。")),
        # Checks and their feedback (the department console)
        (
            r"^subject: not a (citizen ID number or credit code|valid citizen ID number)",
            _("这不是有效的公民身份号码或统一社会信用代码，请核对后重新输入。"),
        ),
        (
            r"^reason: say why a measure that applies was not applied",
            _("请写明适用的措施未实施的原因。"),
        ),
        # Repairs
        (
            r"^repair may be applied for from (?P<day>[\d-]+)",
            _("最短公示期届满后方可申请信用修复：%(day)s 起可以申请。"),
        ),
        (r"^this is a court's finding", _("这是人民法院作出的认定，请向作出认定的法院申请。")),
        (r"is not negative information", _("这条记录不是失信信息，无需修复。")),
        (r"^record \d+ is \w+: nothing to repair", _("这条记录已不在公示中，无需修复。")),
        (
            r"^a repair application for record \d+ is already open",
            _("这条记录已有修复申请在办理中。"),
        ),
        (
            r"^repair application (?P<id>\d+) for record \d+ lacks materials",
            _("这条记录已有修复申请（%(id)s）尚缺材料，请在该申请中补充，无需重新申请。"),
        ),
        (
            r"^repair \d+ is \w+; only an application that lacks materials is supplied",
            _("这份申请不缺材料，无需补充。"),
        ),
        (
            r"cannot be repaired under (?P<basis>.+) \(",
            _("依照%(basis)s的规定，这条信息不能修复。"),
        ),
        (r"^commitment: ", _("请填写信用承诺书。")),
        (r"^record_id: ", _("请选择要修复的记录。")),
        # Lists: defence and refusal
        (r"^defence: ", _("请填写陈述申辩的内容。")),
        (
            r"^the defence window closed on (?P<day>[\d-]+)",
            _("陈述申辩期限已于 %(day)s 届满。"),
        ),
        (r"^cannot record a defence", _("这项名单认定现在不在陈述申辩阶段。")),
        (r"is not an entry its subject may refuse", _("这类名单信息不能由本人拒绝。")),
        (r"^cannot end a listing", _("这条名单信息已经移出，无需再拒绝。")),
        # Lists: a department's procedure (the console)
        (r"^[\w-]+ is not a published list", _("这类名单依规定不予公示。")),
        (
            r"^this listing's period ended on (?P<day>[\d-]+); it is no longer published",
            _("这条名单信息的期限已于 %(day)s 届满，不再公示。"),
        ),
        (
            r"^the defence window runs to (?P<day>[\d-]+); decide after it",
            _("陈述申辩期限至 %(day)s，期限届满后方可作出认定。"),
        ),
        (r"^cannot [\w ]+ a listing that is \w+", _("这条名单信息已不在这一步骤，请刷新页面。")),
        (
            r"^[A-Z0-9-]+ is decided by [\w ]+, whose own documents are served",
            _("这类名单不由本平台认定，以作出认定的机关的文书为准，本平台不出具告知书或决定书。"),
        ),
        # Authorisations
        (r"^grantee: ", _("请选择被授权的机构。")),
        (r"^purpose: ", _("请从列表中选择授权用途。")),
        (r"^scope: ", _("请选择授权范围。")),
        (r"^expires_on: is in the past", _("授权截止日期不能早于今天。")),
        (r"^expires_on: choose", _("请填写授权截止日期。")),
        (
            r"^expires_on: at most (?P<count>\d+) months ahead \((?P<day>[\d-]+)\)",
            _("授权期限最长 %(count)s 个月，截止日期最晚为 %(day)s。"),
        ),
        (r"^authorisation \d+ is revoked already", _("这项授权已经撤销。")),
        (r"^authorisation \d+ does not exist", _("找不到这项授权。")),
        # The public: search and tip-offs
        (r"^q: at most", _("搜索内容太长。")),
        (
            r"^q: a masked number",
            _(
                "请按公示的形式输入身份号码：前 10 位、4 个星号和后 4 位，"
                "例如“1101051949****002X”。"
            ),
        ),
        (
            r"^q: a name and an ID number together",
            _("姓名和身份号码请分开查询：只输入其中之一（身份号码按公示形式查询）。"),
        ),
        (r"^q: ", _("身份号码或统一社会信用代码不正确。")),
        (r"^region: ", _("请从列表中选择地区。")),
        (r"^category: ", _("请从列表中选择信息类别。")),
        (r"^list_type: ", _("请从列表中选择名单。")),
        (r"^topic: ", _("请选择举报事项。")),
        (r"^subject_name: at most", _("名称太长。")),
        (r"^subject_name: ", _("请填写被举报的个人或单位名称。")),
        (
            r"^subject_number: ",
            _("身份号码或统一社会信用代码不正确；不清楚可以不填。"),
        ),
        (r"^account: at most (?P<count>\d+)", _("情况说明不能超过 %(count)s 个字。")),
        (r"^account: ", _("请写明发生了什么。")),
        (r"^contact: ", _("联系方式太长。")),
        # The court's published list (the centre's review)
        (r"^court candidate \d+ was decided already", _("这条法院名单记录已经核对过了。")),
        (r"^subject_id: ", _("请从可能的人员中选择一人。")),
        # Listing proposals (the consoles)
        (
            r"^[A-Z0-9-]+ \(\w+\) is not competent to propose (?P<list>[A-Z0-9-]+);",
            _("本部门无权提出列入 %(list)s 的建议：该名单只由其主管部门提出。"),
        ),
        (
            r"^basis_records: record (?P<id>\d+) is of \w+ severity; (?P<list>[A-Z0-9-]+) rests",
            _("记录 %(id)s 的严重程度不够：%(list)s 只能依据达到其严重程度要求的记录提出。"),
        ),
        (
            r"^basis_records: record (?P<id>\d+) is named twice",
            _("记录 %(id)s 填写了两次：每条记录只需填写一次。"),
        ),
        (
            r"^list_type: this subject already has open entry (?P<id>\d+) on (?P<list>[A-Z0-9-]+);",
            _(
                "该当事人在 %(list)s 上已有未结束的列入程序（编号 %(id)s）：在其撤回或结束之前，"
                "不能再次提出。"
            ),
        ),
        (r"^too many tip-offs", _("今天从这里提交的举报已达上限，请明天再试。")),
        (r"takes no tip-offs", _("本平台暂不受理举报。")),
    )
)


def _carried(name: str, value: str) -> str:
    """A part of a message, as the page's language writes it (a date the reader's way)."""
    if name == "day":
        try:
            return i18n.when(date.fromisoformat(value))
        except ValueError:
            return value
    return i18n.redact(value)


def told(exc: DomainError) -> tuple[str | None, str]:
    """(the field the error names, if any; the error in the current language)."""
    detail = exc.detail
    found = re.match(r"^([a-z_]+): ", detail)
    field = found.group(1) if found else None
    return field, i18n.told_by(RULES, detail, FALLBACK, _carried)


#: The materials a repair application may lack (domain/repairs.py repair_eligibility).
MISSING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (
            r"^the minimum display period runs until (?P<day>[\d-]+)",
            _("最短公示期届满（%(day)s）"),
        ),
        (r"^proof that the obligations", _("已履行决定所设义务的证明")),
        (
            r"^a signed credit commitment \(at least (?P<count>\d+)",
            _("签署的信用承诺书（至少 %(count)s 个字）"),
        ),
    )
)


def missing_material(text: str) -> str:
    """What a repair application lacks, in the current language."""
    return i18n.told_by(MISSING, text, OTHER_MATERIAL, _carried)


#: A missing material no pattern knows, on a Chinese page.
OTHER_MATERIAL = _("其他材料（请向办理部门咨询）")
