"""Synthetic population: departments' batch files of realistic records for demos and load tests."""

from __future__ import annotations

import csv
import json
import math
import random
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import cache
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

from stdnum import numdb
from stdnum.cn import ric, uscc

from xinyong.domain.calendar import add_months
from xinyong.domain.catalog import (
    COMMON_FIELD_ORDER,
    Catalog,
    CatalogItem,
    Category,
    DataItem,
    DisplayRule,
    FieldType,
    Nature,
    Severity,
    SeverityRule,
    SubjectType,
)
from xinyong.domain.departments import Department
from xinyong.domain.periods import assess
from xinyong.domain.policy import Policy

BatchFormat = Literal["csv", "jsonl"]

#: How often, in persons, the progress callback hears from a run.
PROGRESS_STEP = 1000
#: The catalog item of the court's list of dishonest judgment debtors, when the catalog has it.
DEBTOR_ITEM = "JUD-DEBTOR-01"


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What one synthetic run wrote: how many persons, organisations and records, and where.

    `records` counts every row written, the deliberate identity conflicts included.
    """

    persons: int
    organisations: int
    records: int
    files: list[Path]
    conflicts: int
    records_by_item: dict[str, int]
    records_by_department: dict[str, int]


def write_population(
    policy: Policy,
    *,
    persons: int,
    out_dir: Path,
    seed: int = 2016,
    today: date,
    conflicts: int | None = None,
    progress: Callable[[int], None] | None = None,
    format: BatchFormat = "csv",
) -> SynthSummary:
    """Write a synthetic population as one batch file per department, every row valid on `today`.

    Persons are generated one at a time and their rows streamed to the files, so memory stays
    flat apart from the set of citizen ID numbers already handed out.

    Args:
        persons: how many persons to invent; organisations come on top (one per ten persons).
        seed: the same seed, policy and day give byte-identical files.
        conflicts: rows that reuse an already used citizen ID number, with a slightly different
            name and a birth date that disagrees with the number, in a department file that sorts
            after the files holding the person's true rows; default one per 5 000 persons.
        progress: called with the number of persons done, every `PROGRESS_STEP` and at the end.
        format: `csv` (header = common fields + the department's data fields) or `jsonl`.
    """
    if persons < 0:
        raise ValueError("persons must not be negative")
    wanted = max(1, persons // 5000) if conflicts is None else max(0, conflicts)
    if persons == 0:
        wanted = 0
    out_dir.mkdir(parents=True, exist_ok=True)
    world = _World(policy, random.Random(seed), today)
    with _Batches(policy.departments, policy.catalog, out_dir, format) as batches:
        schedule = [(k + 1) * persons // (wanted + 1) for k in range(wanted)]
        due = made = organisations = 0
        last: tuple[_Subject, frozenset[str]] | None = None
        for index in range(persons):
            while due < len(schedule) and schedule[due] <= index:
                due += 1
            person = world.person()
            used = batches.write_all(world.person_records(person))
            if used:
                last = (person, used)
                if made < due and batches.write(*world.conflict(person, used)):
                    made += 1
            if world.organisation_offers and (index + 1) % _PERSONS_PER_ORGANISATION == 0:
                organisations += 1
                batches.write_all(world.organisation_records(world.organisation()))
            if progress is not None and (index + 1) % PROGRESS_STEP == 0:
                progress(index + 1)
        while last is not None and made < wanted and batches.write(*world.conflict(*last)):
            made += 1
        if progress is not None and persons % PROGRESS_STEP:
            progress(persons)
    return SynthSummary(
        persons=persons,
        organisations=organisations,
        records=sum(batches.by_department.values()),
        files=batches.paths,
        conflicts=made,
        records_by_item=dict(sorted(batches.by_item.items())),
        records_by_department=dict(sorted(batches.by_department.items())),
    )


# -- the figures that shape the population -------------------------------------------------------

_Value = str | int | bool
_Row = dict[str, _Value]
_T = TypeVar("_T")

_WINDOW_MONTHS = 48  # decisions are spread over the four years before `today`
_DEBTOR_SHARE = 0.025
_HOME_PROVINCE_SHARE = 0.35  # born where the departments are
_MINOR_SHARE = 0.03
_PERSONS_PER_ORGANISATION = 10
_SHOWN_SHARE = 0.85  # records whose display period has not ended on `today`
_DEBTOR_SHOWN_SHARE = 0.97
_OPTIONAL_SHARE = 0.75

# Records per person, per minor and per organisation: (how many, weight).
_PERSON_RECORDS = ((0, 30), (1, 27), (2, 20), (3, 12), (4, 7), (5, 4))
_MINOR_RECORDS = ((0, 60), (1, 32), (2, 8))
_ORGANISATION_RECORDS = ((0, 20), (1, 35), (2, 25), (3, 12), (4, 8))
# Adult ages (first, last, weight): a rough population pyramid.
_AGE_BANDS = (
    (18, 24, 9), (25, 34, 19), (35, 44, 18), (45, 54, 19), (55, 64, 17), (65, 74, 12), (75, 85, 6),
)  # fmt: skip

# How common a record of each (category, nature) is; items sharing a key share its weight.
_ITEM_WEIGHTS: dict[tuple[Category, Nature], float] = {
    (Category.QUALIFICATION, Nature.NEUTRAL): 3.0,
    (Category.QUALIFICATION, Nature.POSITIVE): 3.0,
    (Category.ADMINISTRATIVE, Nature.NEUTRAL): 3.0,
    (Category.ADMINISTRATIVE, Nature.POSITIVE): 1.5,
    (Category.HONOUR, Nature.POSITIVE): 1.2,
    (Category.REGISTRATION, Nature.NEUTRAL): 1.0,
    (Category.COMMITMENT, Nature.NEUTRAL): 1.5,
    (Category.COMMITMENT, Nature.POSITIVE): 1.0,
    (Category.EVALUATION, Nature.POSITIVE): 1.0,
    (Category.EVALUATION, Nature.NEUTRAL): 1.0,
    (Category.CONTRACT_PERFORMANCE, Nature.POSITIVE): 0.6,
    (Category.SELF_DECLARED, Nature.NEUTRAL): 0.5,
    (Category.SELF_DECLARED, Nature.POSITIVE): 0.5,
    (Category.ADMINISTRATIVE, Nature.NEGATIVE): 2.2,
    (Category.JUDICIAL, Nature.NEGATIVE): 0.5,
    (Category.SERIOUS_UNTRUSTWORTHY, Nature.NEGATIVE): 0.12,
    (Category.ABNORMAL_OPERATION, Nature.NEGATIVE): 0.3,
    (Category.CONTRACT_PERFORMANCE, Nature.NEGATIVE): 0.3,
    (Category.COMMITMENT, Nature.NEGATIVE): 0.3,
    (Category.SOCIAL_INSURANCE_ARREARS, Nature.NEGATIVE): 0.3,
    (Category.INTELLECTUAL_PROPERTY, Nature.NEGATIVE): 0.2,
    (Category.EVALUATION, Nature.NEGATIVE): 0.2,
}
_OTHER_WEIGHT = {Nature.POSITIVE: 0.8, Nature.NEUTRAL: 0.8, Nature.NEGATIVE: 0.3}
_MINOR_NEGATIVE_FACTOR = 0.1
# What a person may have records of before the age of majority: awards, penalties, volunteering.
_YOUTH_CATEGORIES = frozenset({Category.HONOUR, Category.ADMINISTRATIVE, Category.SELF_DECLARED})
_SEVERITY_SPREAD = ((Severity.MINOR, 42), (Severity.GENERAL, 45), (Severity.SERIOUS, 13))

# Enum values whose frequency is obvious (default weight 1).
_ENUM_WEIGHTS = {
    "fine": 10.0, "warning": 6.0, "criticism": 2.0, "confiscation": 1.5, "licence_suspension": 1.0,
    "detention": 0.3, "licence_revocation": 0.3, "practice_ban": 0.2, "closure": 0.2,
    "ordinary": 6.0, "simplified": 4.0,
    "national": 0.5, "provincial": 1.5, "municipal": 3.0, "district": 4.0,
    "A": 3.0, "B": 4.0, "M": 1.0, "C": 2.0, "D": 0.5,
    "competent": 10.0, "basically_competent": 1.0, "incompetent": 0.3,
    "in_business": 8.0, "deregistered": 1.0, "business_licence_revoked": 0.3, "moved_out": 0.5,
    "practising": 6.0, "not_practising": 1.0, "suspended": 0.3, "cancelled": 0.3,
    "limited_liability_company": 8.0, "wages": 6.0, "not_performed": 3.0,
}  # fmt: skip
_MOSTLY_TRUE = ("perform", "fulfil", "kept", "comply", "verified", "履行", "守诺", "践诺", "核验")
_GENERIC_WORDS = frozenset({"amount", "months", "days", "date", "number", "count", "type", "of"})
# Money: (words in the field's name or label, median yuan, spread); the first match wins.
_MONEY_SCALES = (
    (("unperformed", "未履行", "debt", "标的", "欠款", "owed"), 30000.0, 1.1),
    (("principal", "本金"), 8000.0, 0.6),
    (("contract", "合同"), 500000.0, 1.0),
    (("obtained", "骗取"), 12000.0, 1.0),
    (("拖欠工资",), 200000.0, 0.9),
    (("arrear", "欠缴", "欠费"), 6000.0, 1.0),
    (("income", "收入", "salary", "工资"), 150000.0, 0.6),
    (("deposit", "存款", "asset", "资产", "capital", "资本"), 1000000.0, 1.0),
    (("tax", "税"), 3000.0, 1.2),
    (("fine", "罚款", "penalty", "confisc", "没收", "违法所得"), 800.0, 1.4),
)
# Whole numbers: (words in the field's name or label, range); the first match wins.
_INTEGER_SPANS = (
    (("hour", "时长", "小时"), (10, 600)),
    (("overdue", "逾期"), (30, 300)),
    (("day", "日数", "天数"), (1, 15)),
    (("month", "月数", "（月）"), (1, 24)),
    (("score", "point", "分数", "得分"), (60, 100)),
    (("application", "申请件数"), (5, 99)),
    (("worker", "人数"), (3, 60)),
    (("donation", "献血"), (2, 40)),
    (("count", "times", "次数", "number_of"), (1, 5)),
)
# Validity terms in years by category; 0 means no end date (valid until revoked).
_TERMS: dict[Category, tuple[tuple[int, float], ...]] = {
    Category.QUALIFICATION: ((0, 40), (5, 60)),
    Category.ADMINISTRATIVE: ((0, 15), (3, 30), (5, 40), (6, 15)),
    Category.HONOUR: ((0, 70), (3, 30)),
    Category.COMMITMENT: ((1, 40), (2, 30), (3, 30)),
    Category.EVALUATION: ((1, 100),),
    Category.REGISTRATION: ((0, 100),),
    Category.SELF_DECLARED: ((0, 60), (1, 20), (3, 20)),
}
_DEFAULT_TERMS = ((0, 50), (1, 10), (3, 20), (5, 20))

# -- places and names ----------------------------------------------------------------------------

# Rough population by province (millions), for where persons were born.
_PROVINCE_WEIGHTS = {
    "11": 22, "12": 14, "13": 75, "14": 35, "15": 24, "21": 42, "22": 24, "23": 31, "31": 25,
    "32": 85, "33": 65, "34": 61, "35": 42, "36": 45, "37": 102, "41": 99, "42": 58, "43": 66,
    "44": 127, "45": 50, "46": 10, "50": 32, "51": 84, "52": 39, "53": 47, "54": 4, "61": 40,
    "62": 25, "63": 6, "64": 7, "65": 26,
}  # fmt: skip
_PROVINCE_SHORT = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip
# Surnames by rough frequency (per mille), then a few compound ones.
_SURNAMES = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 23), ("黄", 22),
    ("周", 21), ("吴", 20), ("徐", 17), ("孙", 15), ("胡", 13), ("朱", 13), ("高", 12), ("林", 12),
    ("何", 12), ("郭", 11), ("马", 11), ("罗", 9), ("梁", 8), ("宋", 8), ("郑", 8), ("谢", 7),
    ("韩", 7), ("唐", 7), ("冯", 7), ("于", 6), ("董", 6), ("萧", 6), ("程", 5), ("曹", 5),
    ("袁", 5), ("邓", 5), ("许", 5), ("傅", 5), ("沈", 5), ("曾", 5), ("彭", 5), ("吕", 5),
    ("苏", 5), ("卢", 5), ("蒋", 5), ("蔡", 5), ("贾", 4), ("丁", 4), ("魏", 4), ("薛", 4),
    ("叶", 4), ("阎", 4), ("余", 4), ("潘", 4), ("杜", 4), ("戴", 3), ("夏", 3), ("钟", 3),
    ("汪", 3), ("田", 3), ("任", 3), ("姜", 3), ("范", 3), ("方", 3), ("石", 3), ("姚", 3),
    ("谭", 3), ("廖", 3), ("邹", 3), ("熊", 3), ("金", 3), ("陆", 3), ("郝", 3), ("孔", 3),
    ("白", 3), ("崔", 3), ("康", 3), ("毛", 3), ("邱", 3), ("秦", 3), ("江", 3), ("史", 3),
    ("顾", 3), ("侯", 3), ("邵", 3), ("孟", 3), ("龙", 3), ("万", 3), ("段", 3), ("雷", 3),
    ("钱", 3), ("汤", 3), ("尹", 3), ("黎", 3), ("易", 3), ("常", 3), ("武", 3), ("乔", 3),
    ("贺", 3), ("赖", 3), ("龚", 3), ("文", 3),
    ("欧阳", 0.6), ("司马", 0.1), ("诸葛", 0.1), ("上官", 0.1), ("司徒", 0.1), ("东方", 0.1),
    ("慕容", 0.05), ("皇甫", 0.05),
)  # fmt: skip
_MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯"
    "健俊帆帅旭宁龙林阳成建志海峰亮东毅晨博彬锋哲豪翔瑞泽轩昊"
)
_FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲燕婷雪琳晶颖倩欣怡佳梅兰琴云莉萍红慧洁悦媛思雨涵诗梦蕾瑶璐萱妍"
_NEUTRAL_CHARS = "子一晓嘉心天春晨安乐新永明文宇清和青家"
_OLD_MALE_NAMES = ("建国", "国强", "建华", "国庆", "卫东", "志强", "振华", "德明", "树林", "长江")
_OLD_FEMALE_NAMES = ("秀英", "桂英", "淑珍", "玉兰", "凤英", "秀兰", "桂兰", "淑华", "玉梅", "桂芳")
# Uyghur-style names: given name · father's name, joined by the middle dot.
_MINORITY_PARTS = (
    "买买提", "艾力", "阿不都", "吐尔逊", "艾尔肯", "努尔", "热合曼", "阿依古丽", "古丽娜尔",
    "帕提古丽", "迪丽娜尔", "麦尔丹", "热依拉", "依明", "库尔班", "阿迪力", "米热古丽",
)  # fmt: skip
# Characters a typist confuses, for the deliberate identity conflicts.
_LOOK_ALIKE = {
    "伟": "玮", "玲": "琳", "明": "铭", "华": "骅", "军": "君", "静": "靖", "丽": "莉", "杰": "洁",
    "涛": "滔", "斌": "彬", "芳": "方", "敏": "民", "娜": "那", "强": "蔷", "平": "萍", "红": "宏",
    "云": "芸", "峰": "锋", "刚": "钢", "英": "瑛", "建": "健", "国": "帼", "文": "雯", "林": "霖",
    "晓": "小", "婷": "亭", "燕": "艳", "鹏": "朋", "宇": "雨", "丹": "旦", "买": "麦", "力": "丽",
}  # fmt: skip
_BRANDS = (
    "华信", "中科", "金辉", "恒通", "瑞丰", "鼎盛", "博远", "新元", "宏达", "天成", "联创", "卓越",
    "启明", "明德", "嘉禾", "永泰", "盛世", "远航", "九州", "汇通", "京华", "万象", "鑫源", "同创",
    "锦程", "正道", "安和", "德诚", "合众", "百川",
)  # fmt: skip
_TRADES = (
    "科技", "商贸", "建筑工程", "餐饮管理", "物流", "文化传媒", "教育咨询", "医药", "信息技术",
    "房地产经纪", "食品", "汽车服务", "环保科技", "装饰工程", "劳务服务", "旅行社", "物业管理",
    "广告",
)  # fmt: skip
_SHOPS = (
    "便利店", "餐馆", "理发店", "五金店", "水果店", "服装店", "汽车修理部", "小吃店", "烟酒店",
)  # fmt: skip
_COMPANY_FORMS = (("有限公司", 80), ("有限责任公司", 12), ("股份有限公司", 3))
_DISTRICTS = (
    "东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "昌平区", "大兴区",
    "顺义区", "房山区", "门头沟区",
)  # fmt: skip
_ROADS = (
    "建国路", "朝阳北路", "中关村大街", "学院路", "西直门外大街", "广安门内大街", "丰台北路",
    "京顺路", "安立路", "望京街", "回龙观西大街", "通惠河北路", "黄村西大街", "双桥路",
)  # fmt: skip
_STREETS = ("建国门", "望京", "中关村", "学院路", "回龙观", "亦庄", "金融街", "天通苑")

# -- what records say ----------------------------------------------------------------------------

# Themes from words in an item's name; otherwise the department's kind decides.
_ITEM_THEMES = (
    (("航空", "民航"), "aviation"), (("铁路", "火车"), "railway"), (("税",), "tax"),
    (("考试", "助学贷款"), "education"), (("社会保险",), "social_security"),
    (("农民工",), "human_resources"), (("专利", "商标", "知识产权"), "intellectual_property"),
    (("见义勇为",), "bravery"), (("志愿",), "volunteer"), (("诚信",), "integrity"),
    (("政府采购",), "finance"), (("租赁住房",), "housing"),
)  # fmt: skip
# What a person or organisation did, for records whose enum values say nothing more specific.
_VIOLATIONS = {
    "market_regulation": (
        "销售超过保质期的食品", "未按规定公示营业执照信息", "超出核准登记的经营范围从事经营活动",
        "发布虚假广告", "销售不合格产品", "未按规定明码标价", "使用未经检定的计量器具",
        "未取得食品经营许可从事食品经营活动",
    ),
    "transport": (
        "驾驶机动车超速行驶", "未取得道路运输经营许可擅自从事道路客运经营", "出租汽车驾驶员拒载",
        "货运车辆超限运输", "未取得从业资格证从事网约车营运",
    ),
    "tax": (
        "未按照规定期限办理纳税申报", "丢失发票未按规定报告", "虚开增值税普通发票",
        "未按规定保管账簿和记账凭证", "采取隐瞒收入方式少缴税款",
    ),
    "ecology": ("违规排放餐饮油烟", "擅自倾倒建筑垃圾", "露天焚烧垃圾", "夜间违规施工产生噪声污染"),
    "public_security": (
        "扰乱公共秩序", "在公共场所寻衅滋事", "违反规定饲养烈性犬", "故意损毁公私财物",
        "非法携带管制器具",
    ),
    "housing": (
        "未取得施工许可证擅自施工", "擅自搭建违法建筑", "未如实告知房屋权属信息",
        "擅自改变房屋用途",
    ),
    "culture_tourism": (
        "导游私自承揽导游业务", "擅自变更旅游行程", "诱导旅游者购物", "网吧接纳未成年人上网",
    ),
    "emergency": ("未按规定进行安全生产教育培训", "特种作业人员未持证上岗", "未及时消除事故隐患"),
    "education": ("在国家教育考试中违反考场纪律", "违规举办学科类校外培训"),
    "human_resources": (
        "未依法与劳动者订立书面劳动合同", "拖欠劳动者工资", "未按规定为职工缴纳社会保险费",
    ),
    "social_security": ("冒领社会保险待遇", "未按规定申报缴纳社会保险费"),
    "health": (
        "未取得医师执业证书从事诊疗活动", "违规开具处方", "超出登记的诊疗科目范围开展诊疗活动",
    ),
    "justice": ("违规收取当事人费用", "同时在两个律师事务所执业", "泄露当事人商业秘密"),
    "finance": ("未按规定进行会计核算", "伪造、变造会计凭证", "政府采购活动中提供虚假材料"),
    "civil_affairs": ("未按规定报送年度工作报告", "超出章程规定的宗旨和业务范围开展活动"),
    "intellectual_property": ("假冒他人专利", "未经许可使用他人注册商标"),
    "aviation": ("在航班上吸烟", "在航班上扰乱客舱秩序"),
    "railway": ("在动车组列车上吸烟", "扰乱铁路站车运输秩序"),
    "": ("未按规定履行法定义务", "提供虚假材料申请行政许可", "违反有关法律法规规定从事经营活动"),
}  # fmt: skip
# What a string or text field holds, by words in its name or label; the first match wins.
# "conduct" is what the subject did: a violation in a negative item, a merit otherwise.
_TEXT_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("uscc", "credit_code", "信用代码"), "uscc"),
    (("criteria", "标准文件"), "criteria"),
    (("承诺书", "commitment_ref"), "commitment_number"),
    (("文号", "reference"), "reference"),
    (("case_number", "case_no", "案号"), "case"),
    (("patent", "专利号"), "patent"),
    (("flight", "航班"), "flight"),
    (("train", "车次"), "train"),
    (("申请号", "application_number"), "applications"),
    (("contract", "lease", "合同编号"), "contract"),
    (("court", "法院"), "court"),
    (("obligation", "义务"), "obligation"),
    (("handling", "处理处罚"), "handling"),
    (("理由和依据",), "coercion"),
    (("provision", "basis", "依据", "条款"), "provision"),
    (("scope", "经营范围", "业务范围"), "scope"),
    (("commitment", "承诺内容"), "commitment"),
    (("matter", "事项"), "matter"),
    (("removal", "移出", "restor", "恢复"), "removal"),
    (("violation", "fact", "offence", "misconduct", "违法", "事实", "经过"), "conduct"),
    (("reason", "ground", "cause", "deed", "description"), "conduct"),
    (("事迹", "事由", "原因", "理由"), "conduct"),
    (("address", "place", "location", "地址", "地点", "住所", "场所"), "address"),
    (("law_firm", "律师事务所", "执业机构"), "law_firm"),
    (("school", "学校"), "school"),
    (("volunteer", "志愿服务组织"), "volunteer_group"),
    (("supervis", "主管"), "supervisor"),
    (("issuing", "issuer", "authority", "发证", "机关", "批准"), "issuer"),
    (("representative", "contact", "responsible", "代表人", "负责人", "联系人"), "person"),
    (("business_name", "个体工商户名称", "字号"), "shop"),
    (("debtor_name", "organisation", "employer", "company", "enterprise"), "company"),
    (("单位", "企业"), "company"),
    (("project", "项目"), "project"),
    (("product", "产品"), "product"),
    (("number", "_no", "code", "编号", "证号", "号码", "代码"), "number"),
    (("exam", "考试"), "exam"),
    (("level", "grade", "等级", "级别", "类别"), "level"),
    (("name", "title", "名称", "称号", "designation"), "title"),
    (("licen", "许可"), "licence"),
    (("content", "description", "内容", "情况", "说明"), "conduct"),
    (("remark", "note", "备注"), "remark"),
)  # fmt: skip
# Enum values (in any catalog item) that name the conduct itself.
_VALUE_ACTS = {
    "annual_report_not_filed": "未按规定期限报送、公示年度报告",
    "information_not_disclosed_on_time": "未在责令期限内公示有关信息",
    "false_disclosure": "公示信息隐瞒真实情况、弄虚作假",
    "unreachable_at_registered_address": "通过登记的住所无法联系",
    "false_annual_report": "年度报告隐瞒真实情况、弄虚作假",
    "unreachable_at_place_of_business": "通过登记的经营场所无法联系",
    "false_information": "提供虚假登记材料",
    "no_activity_for_a_year": "登记后一年以上未开展活动",
    "disciplinary_breach": "在考试中违反考场纪律",
    "cheating": "在考试中携带作弊器材作弊",
    "impersonation": "由他人冒名代替参加考试",
    "organised_cheating": "组织团伙作弊",
    "false_commitment": "作出虚假信用承诺",
    "not_fulfilled": "未履行信用承诺",
    "fulfilled_late": "逾期履行信用承诺",
    "refused_to_sign": "中标后无正当理由拒不签订政府采购合同",
    "failed_to_deliver": "未按合同约定交付货物",
    "substandard_performance": "履约质量不符合合同约定",
    "unauthorised_subcontracting": "擅自将政府采购合同转包",
    "terminated_for_breach": "因严重违约被解除政府采购合同",
    "sublet_or_lent": "将承租的公共租赁住房转借、转租",
    "changed_use": "擅自改变公共租赁住房用途",
    "left_vacant_six_months": "无正当理由连续六个月以上闲置公共租赁住房",
    "rent_arrears_six_months": "累计六个月以上拖欠公共租赁住房租金",
    "obtained_by_deception": "以欺骗手段承租公共租赁住房",
    "fabricated_or_plagiarised": "提交编造、抄袭的专利申请",
    "split_or_duplicated": "故意将相关联的专利申请分散提交",
    "no_real_inventive_activity": "提交无实际研发活动的专利申请",
    "agency_assisted": "委托代理机构提交非正常专利申请",
    "hoarding_without_intent_to_use": "不以使用为目的大量申请注册商标",
    "squatting_on_prior_rights": "恶意抢注他人在先权利商标",
    "copying_well_known_marks": "复制、摹仿他人驰名商标申请注册",
    "false_application_materials": "提交虚假商标申请材料",
    "able_but_refuses": "有履行能力而拒不履行生效法律文书确定的义务",
    "obstructs_enforcement": "以暴力、威胁方法妨碍、抗拒执行",
    "evades_enforcement": "以隐匿、转移财产等方法规避执行",
    "violates_property_reporting": "违反财产报告制度",
    "violates_consumption_restriction": "违反限制消费令",
    "breaks_settlement_agreement": "无正当理由拒不履行执行和解协议",
    "forged_documents": "伪造证明材料骗取社会保险待遇",
    "false_employment": "虚构劳动关系骗取社会保险待遇",
    "concealed_death_of_pensioner": "隐瞒领取养老金人员死亡信息冒领养老金",
    "false_identity": "冒用他人身份骗取社会保险待遇",
    "other_deception": "采取欺诈手段骗取社会保险待遇",
    "false_terror_information": "编造、故意传播虚假恐怖信息",
    "violence_against_crew": "在航空器内殴打机组人员",
    "occupying_aircraft_or_runway": "强占航空器、跑道",
    "forcing_cockpit_or_emergency_exit": "强行冲闯驾驶舱、擅自打开应急舱门",
    "smoking_on_board": "在航空器内吸烟",
    "carrying_prohibited_items": "随身携带违禁物品乘机",
    "disrupting_order_endangering_safety": "扰乱铁路站车运输秩序且危及铁路安全",
    "violence_against_railway_staff": "殴打铁路工作人员",
    "smoking_on_emu_train": "在动车组列车上吸烟",
    "ticket_touting_or_forgery": "倒卖、伪造火车票",
    "misuse_of_concession_ticket": "冒用优惠身份购买火车票",
    "fare_evasion_refusing_to_pay": "无票乘车且拒不补票",
    "tax_evasion": "采取隐匿收入、虚假申报等手段逃避缴纳税款",
    "evading_recovery_of_arrears": "欠缴税款并转移、隐匿财产",
    "export_rebate_fraud": "骗取出口退税",
    "tax_resistance": "以暴力、威胁方法拒不缴纳税款",
    "false_vat_invoices": "虚开增值税专用发票",
    "false_ordinary_invoices": "虚开普通发票",
    "forged_invoices": "伪造、变造发票",
    "absconding_unregistered": "走逃（失联）",
    "food_drug_special_equipment_safety": "在食品药品和特种设备安全领域实施严重违法行为",
    "product_quality": "生产、销售严重不合格产品",
    "fair_competition": "实施严重破坏公平竞争秩序的违法行为",
    "false_registration": "提交虚假材料骗取市场主体登记",
    "annual_report_abnormal_three_years": "被列入经营异常名录满三年仍未履行公示义务",
    "refusal_to_perform_decision": "拒不履行行政处罚决定",
    "refused_after_order_large_amount": "经责令后仍拒不支付数额较大的农民工工资",
    "caused_mass_incident": "拖欠农民工工资引发群体性事件",
    "repeat_arrears": "一年内多次拖欠农民工工资",
    "lawyer": "违规收取当事人费用",
    "teacher": "违规组织有偿补课",
    "physician": "违规开具处方",
    "licensed_pharmacist": "未凭处方销售处方药",
    "certified_tax_agent": "协助委托人虚假申报纳税",
    "registered_fire_engineer": "在虚假的消防技术服务文件上签名",
    "certified_public_accountant": "出具不实审计报告",
    "real_estate_agent": "发布虚假房源信息",
    "tour_guide": "诱导、强迫旅游者购物",
}
# Enum values that decide what a name or title field says.
_VALUE_TITLES = {
    "lawyer": ("律师执业证",),
    "teacher": ("教师资格证书",),
    "physician": ("医师执业证书", "医师资格证书"),
    "licensed_pharmacist": ("执业药师注册证",),
    "certified_tax_agent": ("税务师职业资格证书",),
    "registered_fire_engineer": ("注册消防工程师资格证书",),
    "certified_public_accountant": ("注册会计师证书",),
    "real_estate_agent": ("房地产经纪人职业资格证书", "房地产经纪人协理职业资格证书"),
    "tour_guide": ("导游证",),
    "college_entrance": ("普通高等学校招生全国统一考试",),
    "postgraduate_entrance": ("全国硕士研究生招生考试",),
    "higher_education_self_study": ("高等教育自学考试",),
    "adult_college_entrance": ("成人高等学校招生全国统一考试",),
    "other_national": ("全国大学英语四、六级考试", "全国计算机等级考试", "中小学教师资格考试"),
    "helping_others": ("助人为乐模范",),
    "bravery": ("见义勇为模范",),
    "honesty_and_trustworthiness": ("诚实守信模范",),
    "dedication_to_work": ("敬业奉献模范",),
    "filial_piety_and_family": ("孝老爱亲模范",),
    "academic_degree": ("工学学士学位", "管理学硕士学位", "法学学士学位", "医学学士学位"),
    "skill_certificate": (
        "电工职业技能等级证书（高级工）",
        "中式烹调师职业技能等级证书",
        "育婴员职业技能等级证书",
    ),
}
# Enum values that decide what a level or class field says.
_VALUE_SCOPES = {
    "lawyer": ("专职律师", "兼职律师", "公职律师"),
    "teacher": ("高级中学教师资格", "初级中学教师资格", "小学教师资格", "幼儿园教师资格"),
    "physician": ("临床类别", "口腔类别", "中医类别", "公共卫生类别"),
    "licensed_pharmacist": ("药学类", "中药学类"),
    "certified_tax_agent": ("税务师",),
    "registered_fire_engineer": ("一级", "二级"),
    "certified_public_accountant": ("执业会员", "非执业会员"),
    "real_estate_agent": ("房地产经纪人", "房地产经纪人协理"),
    "tour_guide": ("初级", "中级", "高级"),
}
_LEVEL_VALUES = ("national", "provincial", "municipal", "district")
# Enum values that decide which law a record cites.
_VALUE_LAWS = {
    "lawyer": ("《中华人民共和国律师法》",),
    "teacher": ("《中华人民共和国教师法》",),
    "physician": ("《中华人民共和国医师法》",),
    "licensed_pharmacist": ("《中华人民共和国药品管理法》",),
    "certified_tax_agent": ("《税务师职业资格制度暂行规定》",),
    "registered_fire_engineer": ("《中华人民共和国消防法》",),
    "certified_public_accountant": ("《中华人民共和国注册会计师法》",),
    "real_estate_agent": ("《房地产经纪管理办法》",),
    "tour_guide": ("《中华人民共和国旅游法》",),
}
_LAWS = {
    "market_regulation": (
        "《中华人民共和国食品安全法》", "《中华人民共和国产品质量法》", "《中华人民共和国广告法》",
        "《中华人民共和国价格法》", "《中华人民共和国计量法》",
    ),
    "transport": (
        "《中华人民共和国道路交通安全法》", "《中华人民共和国道路运输条例》",
        "《网络预约出租汽车经营服务管理暂行办法》",
    ),
    "tax": ("《中华人民共和国税收征收管理法》", "《中华人民共和国发票管理办法》"),
    "ecology": ("《中华人民共和国大气污染防治法》", "《中华人民共和国噪声污染防治法》"),
    "public_security": ("《中华人民共和国治安管理处罚法》",),
    "housing": (
        "《中华人民共和国建筑法》", "《中华人民共和国城乡规划法》", "《公共租赁住房管理办法》",
    ),
    "culture_tourism": ("《中华人民共和国旅游法》", "《导游管理办法》"),
    "emergency": ("《中华人民共和国安全生产法》",),
    "education": ("《国家教育考试违规处理办法》", "《中华人民共和国教育法》"),
    "human_resources": (
        "《中华人民共和国劳动合同法》", "《保障农民工工资支付条例》",
        "《中华人民共和国社会保险法》",
    ),
    "social_security": ("《中华人民共和国社会保险法》",),
    "health": ("《中华人民共和国医师法》", "《中华人民共和国药品管理法》", "《医疗机构管理条例》"),
    "justice": ("《中华人民共和国律师法》", "《律师执业管理办法》"),
    "finance": ("《中华人民共和国政府采购法》", "《中华人民共和国会计法》"),
    "civil_affairs": ("《社会组织登记管理条例》", "《社会团体登记管理条例》"),
    "intellectual_property": ("《中华人民共和国专利法》", "《中华人民共和国商标法》"),
    "aviation": ("《中华人民共和国民用航空安全保卫条例》", "《中华人民共和国治安管理处罚法》"),
    "railway": ("《铁路安全管理条例》",),
    "court": (
        "《中华人民共和国民事诉讼法》", "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
    ),
    "": ("《中华人民共和国行政处罚法》", "《中华人民共和国行政许可法》"),
}  # fmt: skip
_MERITS = {
    "bravery": (
        "奋不顾身跳入河中救起落水儿童", "勇斗持刀歹徒，协助公安机关抓获犯罪嫌疑人",
        "冲入火场救出被困老人", "在交通事故现场及时救助受伤群众",
    ),
    "volunteer": (
        "长期参加社区志愿服务，累计服务时长位居前列",
        "在重大活动中担任志愿者，服务保障工作表现突出",
        "常年为孤寡老人提供上门服务",
    ),
    "integrity": (
        "拾金不昧，将拾到的现金如数归还失主", "诚信经营，连续三年无违法违规记录",
        "主动履行合同义务，诚信事迹被媒体广泛报道",
    ),
    "": (
        "在社区志愿服务中表现突出", "积极参加无偿献血", "在防汛抢险工作中作出突出贡献",
        "在本职岗位上成绩显著", "积极参与扶贫帮困和公益活动", "诚信经营，连续三年无违法违规记录",
    ),
}  # fmt: skip
_CONCLUSIONS = (
    "经核查，相关情况属实。", "当事人已按要求提交相关材料。", "相关事项已依法办理完毕。",
    "当事人对认定事实无异议。", "已按规定予以登记并告知当事人。",
)  # fmt: skip
_OBLIGATIONS = (
    "支付货款人民币{amount}元及逾期付款利息", "偿还借款本金人民币{amount}元及利息",
    "支付劳动报酬人民币{amount}元", "支付拖欠租金人民币{amount}元", "赔偿经济损失人民币{amount}元",
)  # fmt: skip
_OUTCOMES = {
    "tax": (
        "追缴税款、滞纳金，并处少缴税款一倍的罚款", "追缴税款并处少缴税款百分之五十的罚款",
        "移送公安机关依法追究刑事责任",
    ),
    "": ("责令限期改正，并处罚款", "没收违法所得，并处罚款", "依法予以处理"),
}  # fmt: skip
_COMMITMENTS = (
    "本人承诺所提交的申请材料真实、合法、有效，如有虚假，愿意承担相应法律责任。",
    "本人承诺严格遵守有关法律法规，依法诚信从业，自愿接受社会监督。",
    "本人承诺已纠正失信行为并履行相关义务，如违反承诺，自愿接受相应惩戒。",
)
_MATTERS = (
    "申请行政许可", "申请财政补贴资金", "参加政府采购活动", "申请信用修复", "申报职称评审",
    "办理个体工商户登记", "申请公共租赁住房",
)  # fmt: skip
_REMOVALS = (
    "已补报未报年份的年度报告并公示", "已更正公示信息", "通过登记的住所可以重新取得联系",
    "依法履行相关义务后申请移出",
)  # fmt: skip
_SCOPES_TEXT = (
    "技术开发、技术咨询、技术服务；软件开发；计算机系统服务。",
    "销售食品、日用品、五金交电；餐饮服务。",
    "普通货运；仓储服务（不含危险化学品）；装卸搬运。",
    "组织文化艺术交流活动；设计、制作、代理、发布广告。",
    "物业管理；停车场服务；家政服务。",
    "建设工程施工；住宅室内装饰装修；建筑材料销售。",
)
_SOCIAL_SCOPES = (
    "开展公益慈善、志愿服务活动。", "组织学术交流、业务培训、咨询服务。",
    "为社区居民提供养老、助残服务。",
)  # fmt: skip
_TITLES = {
    "licence_person": (
        "出租汽车驾驶员从业资格证", "道路运输从业人员从业资格证", "特种作业操作证", "保安员证",
        "建筑施工特种作业操作资格证", "食品经营许可证",
    ),
    "licence_organisation": (
        "食品经营许可证", "道路运输经营许可证", "医疗机构执业许可证", "人力资源服务许可证",
        "旅行社业务经营许可证", "建筑业企业资质证书", "安全生产许可证", "代理记账许可证",
    ),
    "award": (
        "先进工作者", "见义勇为先进个人", "优秀教师", "三八红旗手", "劳动模范", "优秀志愿者",
    ),
    "honour": ("优秀志愿者", "五星级志愿者", "道德模范", "诚信之星", "诚信示范个人"),
    "honour_volunteer": ("优秀志愿者", "五星级志愿者", "优秀志愿服务项目负责人"),
    "honour_integrity": ("诚信之星", "诚信示范个人", "守信激励对象"),
    "honour_bravery": ("见义勇为先进个人", "见义勇为英雄"),
    "qualification": (
        "医师执业证书", "教师资格证书", "律师执业证", "注册会计师证书", "导游证", "执业药师注册证",
    ),
}  # fmt: skip
_LEVELS = ("A级", "B级", "优秀", "良好", "合格")
_GENERIC_KINDS = ("综合类", "一般类", "甲类", "乙类", "其他")
_SCHOOLS = (
    "北京工业大学", "首都师范大学", "北京联合大学", "北京信息科技大学", "首都经济贸易大学",
    "北京建筑大学", "北京石油化工学院", "北京农学院",
)  # fmt: skip
_SUPERVISORS = (
    "北京市民政局", "北京市教育委员会", "北京市科学技术委员会", "北京市文化和旅游局",
    "北京市卫生健康委员会", "北京市体育局",
)  # fmt: skip
_ISSUERS = (
    "北京市人力资源和社会保障局", "北京市教育委员会", "中国注册会计师协会", "北京工业大学",
    "首都师范大学", "北京市职业技能鉴定管理中心",
)  # fmt: skip
_CRITERIA = {
    "justice": ("《律师事务所年度检查考核办法》", "《北京市律师执业年度考核办法》"),
    "tax": ("《纳税信用管理办法》", "《纳税信用评价指标和评价方式》"),
    "": ("《公共信用信息评价标准》",),
}
_PROJECT_THINGS = (
    "办公设备", "物业服务", "信息化系统运维", "校园食堂食材", "道路保洁服务", "医疗设备",
)  # fmt: skip
_ESTATES = ("青年公寓", "馨园", "家园", "嘉园", "雅苑")
_PRODUCTS = ("LED照明灯具", "电动自行车控制器", "儿童安全座椅", "保温杯", "空气净化器", "智能门锁")
_SIMPLE_TEXTS: dict[str, tuple[str, ...]] = {
    "matter": _MATTERS,
    "removal": _REMOVALS,
    "law_firm": tuple(f"北京市{brand}律师事务所" for brand in _BRANDS),
    "school": _SCHOOLS,
    "supervisor": _SUPERVISORS,
    "product": _PRODUCTS,
    "remark": ("无", "已告知当事人", "按期办结"),
}
_AIRLINES = ("CA", "MU", "CZ", "HU", "3U", "ZH", "MF", "HO")
_DEPARTMENT_SHORT = {
    "market_regulation": "市监", "tax": "税", "transport": "交", "public_security": "公",
    "housing": "建", "culture_tourism": "文旅", "emergency": "应急", "ecology": "环",
    "education": "教", "health": "卫", "human_resources": "人社", "justice": "司", "finance": "财",
    "civil_affairs": "民", "natural_resources": "规自", "agriculture": "农",
    "medical_insurance": "医保", "intellectual_property": "知", "customs": "关", "statistics": "统",
    "water": "水", "commerce": "商", "development_reform": "发改", "social_security": "社保",
    "railway": "铁", "credit_centre": "信",
}  # fmt: skip
_SERIES = {
    Category.REGISTRATION: "登",
    Category.JUDICIAL: "执",
    Category.QUALIFICATION: "证",
    Category.ABNORMAL_OPERATION: "异",
    Category.SERIOUS_UNTRUSTWORTHY: "失信",
    Category.CONTRACT_PERFORMANCE: "约",
    Category.COMMITMENT: "诺",
    Category.EVALUATION: "评",
    Category.HONOUR: "表",
    Category.SELF_DECLARED: "报",
    Category.INTELLECTUAL_PROPERTY: "知",
    Category.SOCIAL_INSURANCE_ARREARS: "欠",
}
_NAME_SERIES = (
    ("强制", "强"), ("处罚", "罚"), ("考试", "考"), ("许可", "许"), ("奖励", "奖"), ("确认", "认"),
    ("登记", "登"), ("承诺", "诺"), ("异常", "异"), ("失信", "失信"), ("违约", "约"),
    ("评价", "评"), ("考核", "评"), ("表彰", "表"),
)  # fmt: skip
_NAME_SUFFIXES = ("管理局", "委员会", "办公室", "中心", "总队", "支队", "局", "委", "厅")
_COURT_SHORT = (
    ("高级", "高"), ("第一中级", "一中"), ("第二中级", "二中"), ("第三中级", "三中"),
    ("第四中级", "四中"), ("中级", "中"), ("知识产权", "知"), ("互联网", "互"), ("铁路", "铁"),
)  # fmt: skip


# -- subjects, offers and weighted draws ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Subject:
    """A made-up person (citizen ID number) or organisation (unified social credit code)."""

    number: str
    name: str
    region: str
    birth: date | None = None
    minor: bool = False
    age: int = 0


@dataclass(frozen=True, slots=True)
class _Offer:
    """A catalog item, the departments that may provide it, and how common its records are."""

    item: CatalogItem
    departments: tuple[Department, ...]
    weight: float


class _Draw(Generic[_T]):
    """A weighted choice prepared once and drawn many times."""

    __slots__ = ("cum", "options", "total")

    def __init__(self, pairs: Sequence[tuple[_T, float]]) -> None:
        self.options = [option for option, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> _T:
        return self.options[bisect(self.cum, rng.random() * self.total)]


@dataclass(frozen=True, slots=True)
class _County:
    """A county-level region code and the years it was issued (first, last) in citizen numbers."""

    code: str
    spans: tuple[tuple[int, int], ...]
    name: str

    def issued_in(self, year: int) -> bool:
        return any(first <= year <= last for first, last in self.spans)


def _spans(county: str) -> tuple[tuple[int, int], ...]:
    """Years a county code was in use, read the way stdnum.cn.ric.get_birth_place reads them."""
    spans: list[tuple[int, int]] = []
    for entry in county.split(","):
        if not entry.startswith("["):
            return ((0, 9999),)
        years, _, _ = entry[1:].partition("]")
        first, _, last = years.partition("-")
        spans.append((int(first) if first else 0, int(last) if last else 9999))
    return tuple(spans)


@cache
def _counties() -> dict[str, tuple[_County, ...]]:
    """County-level region codes by province, from python-stdnum's table of region codes."""
    out: dict[str, tuple[_County, ...]] = {}
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high or low not in _PROVINCE_WEIGHTS:
            continue
        found: dict[str, str] = {}
        for c_length, c_low, c_high, c_props, _ in children:
            if (
                c_length == 4
                and c_low == c_high
                and not c_low.endswith("00")
                and "county" in c_props
            ):
                found[low + c_low] = c_props["county"]
        out[low] = tuple(
            _County(code, _spans(name), name.rpartition("]")[2])
            for code, name in sorted(found.items())
        )
    return out


@cache
def _province_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for length, low, _high, props, _children in numdb.get("cn/loc").prefixes:
        if length == 2 and "province" in props:
            names[low] = props["province"]
    return names


def _gb11714_check(code: str) -> str:
    """Check character of an 8-digit organisation code (GB 11714)."""
    total = sum(int(ch) * w for ch, w in zip(code, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _has(hint: str, *words: str) -> bool:
    return any(word in hint for word in words)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one data item of one catalog item is filled, read once from its name and label."""

    share: float  # how often the field is filled when it is optional
    dated: bool  # follows the decision date: a date, or a year
    likely: float  # chance a boolean is true
    span: tuple[int, int]  # whole numbers
    scale: tuple[float, float]  # amounts: median and spread of a lognormal
    hours: bool  # a decimal number of hours
    when: str  # dates: end, happened, effective, deadline, start, before
    month: bool  # dates: the first day of a month
    text: str  # texts: the kind of text (see _Texts.value)
    detail: str = ""
    lag: int = 1  # years: how many years before the decision (an annual assessment: the last one)
    weights: tuple[float, ...] = ()  # enums: cumulative weights of the values
    trigger: str = ""  # filled only when one of the record's enum values mentions this word


@dataclass(frozen=True, slots=True)
class _Recipe:
    """How records of one catalog item are made: each field's plan and the order of the fields."""

    plans: Mapping[str, _Plan]
    early: tuple[DataItem, ...]  # decide the severity class, enums first
    late: tuple[DataItem, ...]  # texts, dates and years: after the decision date


def _recipe(item: CatalogItem) -> _Recipe:
    plans = {spec.name: _plan(item, spec) for spec in item.fields}
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
    return _Recipe(plans, early, late)


def _plan(item: CatalogItem, spec: DataItem) -> _Plan:
    """Decide from the field's name and label what its values look like."""
    hint = f"{spec.name} {spec.label_zh}".lower()
    share = _OPTIONAL_SHARE
    if "时填写" in spec.label_zh:
        share = 0.3
    elif _has(hint, "removal", "restored", "移出", "恢复"):
        share = 0.2
    year = spec.type is FieldType.INTEGER and _has(hint, "year", "年度")
    span = next((span for words, span in _INTEGER_SPANS if _has(hint, *words)), (1, 10))
    scale = next(((m, s) for words, m, s in _MONEY_SCALES if _has(hint, *words)), (2000.0, 1.3))
    if spec.name.endswith("_end"):
        when = "end"
    elif _has(hint, "effective", "生效"):
        when = "effective"
    elif _has(hint, "removal", "restored", "移出", "恢复"):
        when = "happened"
    elif _has(hint, "deadline", "until", "expir", "due", "ends", "截止", "届满", "到期", "期限"):
        when = "deadline"
    elif _has(hint, "start", "from", "起始"):
        when = "start"
    else:
        when = "before"
    text, detail = _text_kind(item, spec, hint)
    weights = [_ENUM_WEIGHTS.get(value, 1.0) for value in spec.values]
    return _Plan(
        weights=tuple(sum(weights[: i + 1]) for i in range(len(weights))),
        lag=0 if _has(hint, "award", "表彰", "评选") else 1,
        trigger=_trigger(item, spec),
        share=share,
        dated=spec.type is FieldType.DATE or year,
        likely=0.85 if _has(hint, *_MOSTLY_TRUE) else 0.5,
        span=span,
        scale=scale,
        hours=_has(hint, "hour", "时长", "小时"),
        when=when,
        month="月份" in spec.label_zh,
        text=text,
        detail=detail,
    )


def _text_kind(item: CatalogItem, spec: DataItem, hint: str) -> tuple[str, str]:
    """What a text field holds, from words in its name and label (the first rule that fits)."""
    long = spec.type is FieldType.TEXT
    kind = next((kind for words, kind in _TEXT_KINDS if _has(hint, *words)), "")
    kind = kind or ("conduct" if long else "generic")
    detail = ""
    if kind == "conduct":
        kind = "violation" if item.nature is Nature.NEGATIVE else "merit"
        detail = "long" if long else ""
    elif kind == "uscc":
        detail = "individual" if "个体" in hint else ""
    elif kind == "reference":
        detail = "judgment" if "判决" in hint else "罚" if _has(hint, "处罚", "penalty") else "决"
        detail = "异" if "列入" in hint else detail
    elif kind == "case":
        detail = "刑初" if _has(hint, "刑事", "criminal") else "执" if "执行" in hint else "民初"
    elif kind == "contract":
        detail = "ZXDK" if "loan" in hint else "GZ" if "lease" in hint else "HT"
    elif kind == "scope":
        detail = "social" if "业务范围" in hint else ""
    elif kind == "project":
        detail = "housing" if _has(hint, "租赁", "住房") else ""
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
    values = [value for other in item.fields for value in other.values if other is not spec]
    for word in spec.name.split("_"):
        if word not in _GENERIC_WORDS and any(word in value for value in values):
            return word
    return ""


def _title_kind(hint: str, item: CatalogItem) -> str:
    if _has(hint, "licen", "许可"):
        organisation = item.subject_type is SubjectType.ORGANISATION
        return "licence_organisation" if organisation else "licence_person"
    if _has(hint, "award", "奖"):
        return "award"
    if _has(hint, "honour", "称号", "designation", "表彰"):
        return "honour"
    if _has(hint, "qualification", "资格", "certificate", "资质", "证书"):
        return "qualification"
    return ""


# -- the generator -------------------------------------------------------------------------------


class _World:
    """Invents persons, organisations and their records from whatever catalog the policy holds."""

    def __init__(self, policy: Policy, rng: random.Random, today: date) -> None:
        self.policy = policy
        self.rng = rng
        self.today = today
        self.periods = policy.periods
        self.majority = policy.periods.age_of_majority
        self.window_start = add_months(today, -_WINDOW_MONTHS)
        self.used_numbers: set[int] = set()
        self.code_count = 0
        self.code_offset = rng.randrange(10**8)
        self.consent_count = 0
        self.doc_counters: dict[tuple[str, int], int] = {}
        self.doc_prefixes: dict[str, tuple[str, bool]] = {}
        self._county_cache: dict[tuple[str, int], tuple[str, ...]] = {}
        self._pools: dict[tuple[bool, int], _Draw[_Offer]] = {}
        self._recipes: dict[str, _Recipe] = {}
        self._themes: dict[tuple[str, str], str] = {}

        providers: dict[str, list[Department]] = {}
        for department in policy.departments:
            for code in sorted(department.items):
                providers.setdefault(code, []).append(department)
        items = sorted(policy.catalog.items.values(), key=lambda item: item.code)
        offered = [item for item in items if providers.get(item.code)]
        sharing = Counter(
            (i.subject_type, i.category, i.nature) for i in offered if i.code != DEBTOR_ITEM
        )
        self.person_offers: list[_Offer] = []
        self.organisation_offers: list[_Offer] = []
        self.debtor: _Offer | None = None
        for item in offered:
            departments = tuple(providers[item.code])
            if item.code == DEBTOR_ITEM and item.subject_type is SubjectType.PERSON:
                self.debtor = _Offer(item, departments, 1.0)
                continue
            base = _ITEM_WEIGHTS.get((item.category, item.nature), _OTHER_WEIGHT[item.nature])
            weight = base / sharing[(item.subject_type, item.category, item.nature)]
            offers = (
                self.person_offers
                if item.subject_type is SubjectType.PERSON
                else self.organisation_offers
            )
            offers.append(_Offer(item, departments, weight))
        self.age_cap = max((o.item.min_subject_age or 0 for o in self.person_offers), default=0)
        self.organisation_pool = _Draw([(o, o.weight) for o in self.organisation_offers])

        home = Counter(d.region_code[:2] for d in policy.departments).most_common(1)
        self.home = home[0][0] if home and home[0][0] in _PROVINCE_WEIGHTS else "11"
        others = {code: float(w) for code, w in _PROVINCE_WEIGHTS.items() if code != self.home}
        share = sum(others.values()) * _HOME_PROVINCE_SHARE / (1 - _HOME_PROVINCE_SHARE)
        self.home_name = _province_names().get(self.home, "")
        self.provinces = _Draw([(self.home, share), *others.items()])
        self.surnames = _Draw(_SURNAMES)
        self.ages = _Draw([(band, float(band[2])) for band in _AGE_BANDS])
        self.person_counts = _Draw(_PERSON_RECORDS)
        self.minor_counts = _Draw(_MINOR_RECORDS)
        self.organisation_counts = _Draw(_ORGANISATION_RECORDS)
        self.severities = _Draw(_SEVERITY_SPREAD)
        self.forms = _Draw(_COMPANY_FORMS)
        self.terms = {category: _Draw(pairs) for category, pairs in _TERMS.items()}
        self.default_terms = _Draw(_DEFAULT_TERMS)

    # -- subjects -------------------------------------------------------------------------------

    def person(self) -> _Subject:
        """Invent one person with a valid, unused citizen ID number and a plausible name."""
        rng = self.rng
        minor_ages = range(min(16, self.majority), self.majority)
        if minor_ages and rng.random() < _MINOR_SHARE:
            age = rng.choice(minor_ages)
        else:
            first, last, _ = self.ages(rng)
            age = rng.randint(first, last)
        latest = add_months(self.today, -12 * age)
        earliest = add_months(self.today, -12 * (age + 1)) + timedelta(days=1)
        born = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
        male = rng.random() < 0.5
        while True:
            region = self._county(self.provinces(rng), born.year)
            for _ in range(8):
                sequence = rng.randrange(0, 500) * 2 + 1 if male else rng.randrange(1, 500) * 2
                body = f"{region}{born:%Y%m%d}{sequence:03d}"
                if int(body) not in self.used_numbers:
                    self.used_numbers.add(int(body))
                    name = self._person_name(male=male, born=born, region=region)
                    number = body + ric.calc_check_digit(body + "0")
                    return _Subject(number, name, region, born, age < self.majority, age)

    def _county(self, province: str, year: int) -> str:
        key = (province, year)
        codes = self._county_cache.get(key)
        if codes is None:
            codes = tuple(c.code for c in _counties().get(province, ()) if c.issued_in(year))
            if not codes:  # a province founded after the birth year: fall back to the home one
                codes = tuple(c.code for c in _counties()[self.home] if c.issued_in(year))
            self._county_cache[key] = codes
        return self.rng.choice(codes)

    def _person_name(self, *, male: bool, born: date, region: str) -> str:
        rng = self.rng
        if rng.random() < (0.4 if region.startswith("65") else 0.004):
            first, second = rng.sample(_MINORITY_PARTS, 2)
            return f"{first}·{second}"
        surname = self.surnames(rng)
        if born.year < 1965 and rng.random() < 0.25:
            return surname + rng.choice(_OLD_MALE_NAMES if male else _OLD_FEMALE_NAMES)
        own = _MALE_CHARS if male else _FEMALE_CHARS
        given = rng.choice(own if rng.random() < 0.7 else _NEUTRAL_CHARS)
        if rng.random() < 0.68:
            given += rng.choice(own)
        return surname + given

    def person_name(self) -> str:
        """A name for someone named inside a record (a legal representative, say)."""
        return self._person_name(male=self.rng.random() < 0.6, born=self.today, region="11")

    def credit_code(self, *, individual: bool, region: str | None = None) -> str:
        """A valid unified social credit code, unique because it comes from a counter."""
        self.code_count += 1
        # an affine bijection on 8 digits keeps codes unique without remembering them
        serial = f"{(self.code_count * 7_777_777 + self.code_offset) % 10**8:08d}"
        region = region or self._county(self.home, self.today.year)
        body = f"{'92' if individual else '91'}{region}{serial}{_gb11714_check(serial)}"
        return body + uscc.calc_check_digit(body)

    def shop_name(self, region: str | None = None) -> str:
        """An individual business's name: the place it is registered, a brand and the trade."""
        rng = self.rng
        region = region or self._county(self.home, self.today.year)
        county = next((c.name for c in _counties().get(region[:2], ()) if c.code == region), "")
        place = _province_names().get(region[:2], "") + county
        return f"{place}{rng.choice(_BRANDS)}{rng.choice(_SHOPS)}"

    def company_name(self, province: str | None = None) -> str:
        place = _province_names().get(province or self.home, "")
        place = place.removesuffix("市").removesuffix("省")
        return place + self.rng.choice(_BRANDS) + self.rng.choice(_TRADES) + self.forms(self.rng)

    def organisation(self) -> _Subject:
        """Invent one organisation with a valid, unique credit code and a plausible name."""
        rng = self.rng
        province = self.home if rng.random() < 0.75 else self.provinces(rng)
        region = self._county(province, self.today.year)
        if rng.random() < 0.15:
            code = self.credit_code(individual=True, region=region)
            return _Subject(code, self.shop_name(region), region)
        code = self.credit_code(individual=False, region=region)
        return _Subject(code, self.company_name(province), region)

    # -- records --------------------------------------------------------------------------------

    def person_records(self, person: _Subject) -> Iterator[tuple[Department, _Row]]:
        """Yield the records of one person: mostly 0-2, a share of them court-listed debtors."""
        rng = self.rng
        count = (self.minor_counts if person.minor else self.person_counts)(rng)
        pool = self._pool(person)
        if pool.total > 0:
            for _ in range(count):
                made = self.record(person, pool(rng))
                if made is not None:
                    yield made
        if self.debtor is not None and not person.minor and rng.random() < _DEBTOR_SHARE:
            made = self.record(person, self.debtor, shown=_DEBTOR_SHOWN_SHARE)
            if made is not None:
                yield made

    def organisation_records(self, organisation: _Subject) -> Iterator[tuple[Department, _Row]]:
        """Yield the records of one organisation."""
        for _ in range(self.organisation_counts(self.rng)):
            made = self.record(organisation, self.organisation_pool(self.rng))
            if made is not None:
                yield made

    def _pool(self, person: _Subject) -> _Draw[_Offer]:
        key = (person.minor, min(person.age, self.age_cap))
        pool = self._pools.get(key)
        if pool is None:
            pairs: list[tuple[_Offer, float]] = []
            for offer in self.person_offers:
                item = offer.item
                if item.min_subject_age is not None and (
                    person.minor or item.min_subject_age > key[1]
                ):
                    continue  # minors never get items that have an age threshold
                weight = offer.weight
                if person.minor:
                    if not self._for_youth(item):
                        continue  # no licences, lists, contracts or declared income before 18
                    if item.nature is Nature.NEGATIVE:
                        weight *= _MINOR_NEGATIVE_FACTOR
                pairs.append((offer, weight))
            pool = self._pools[key] = _Draw(pairs)
        return pool

    @staticmethod
    def _for_youth(item: CatalogItem) -> bool:
        """Whether a person may have a record of the item before the age of majority."""
        return (
            item.category in _YOUTH_CATEGORIES
            and item.nature is not Nature.NEUTRAL
            and not item.needs_consent
            and item.min_subject_age is None
        )

    def conflict(
        self, person: _Subject, used: frozenset[str]
    ) -> tuple[Department, _Row] | tuple[None, None]:
        """Reuse `person`'s number in another department, with the name and birth date off."""
        rng = self.rng
        offers = self._pool(person).options
        # A file that sorts after every file holding the true rows (or the last of them, where the
        # row lands after them): ingesting files in name order then holds exactly this row.
        last = max(used)
        later = [(o, d) for o in offers for d in o.departments if d.code > last]
        same = [(o, d) for o in offers for d in o.departments if d.code == last]
        candidates = later or same
        for _ in range(8 if candidates else 0):
            offer, department = rng.choice(candidates)
            made = self.record(
                person,
                offer,
                department=department,
                name=_misspelt(person.name, rng),
                birth=_misdated(person.birth or self.today, self.today, rng),
            )
            if made is not None:
                return made
        return None, None

    def record(
        self,
        subject: _Subject,
        offer: _Offer,
        *,
        shown: float = _SHOWN_SHARE,
        department: Department | None = None,
        name: str | None = None,
        birth: date | None = None,
    ) -> tuple[Department, _Row] | None:
        """Make one valid record of `offer` about `subject`, or None if the subject is too young."""
        rng = self.rng
        item = offer.item
        today = self.today
        earliest = self.window_start
        if subject.birth is not None:
            floor = item.min_subject_age
            if floor is None:
                floor = 16 if self._for_youth(item) else self.majority
            earliest = max(earliest, add_months(subject.birth, 12 * floor))
        if earliest > today:
            return None
        department = department or self._department(offer, subject)

        target: Severity | None = None
        if item.nature is Nature.NEGATIVE:
            target = self.severities(rng)
            if subject.minor and target is Severity.SERIOUS:
                target = Severity.GENERAL
        texts = _Texts(self, item, department, {}, today)
        fields, severity = self._severe_fields(item, target, texts)
        keep = min(item.retention_years, self.periods.max_retention_years)
        valid_from: date | None = None
        valid_until: date | None = None
        if item.display_rule is DisplayRule.VALIDITY:
            years = self.terms.get(item.category, self.default_terms)(rng)
            if years and rng.random() < shown:  # mostly still valid on `today`
                earliest = max(earliest, add_months(today, -12 * years) + timedelta(days=1))
            decided = valid_from = self._day_between(earliest, today)
            if years:
                valid_until = add_months(decided, 12 * years) - timedelta(days=1)
        else:
            months = item.display_months
            if item.display_rule is DisplayRule.SEVERITY and severity is not None:
                months = self.periods.classes[severity].display_months
            decided = self._decision_date(earliest, months, keep, shown)
        texts.decided = decided
        self._fill(self.recipe(item), texts)
        assessed = assess(
            item, fields, decision_date=decided, valid_until=valid_until, policy=self.periods
        )
        if assessed.retention_ends is not None and assessed.retention_ends <= today:
            # nothing lawful to keep: make it a recent decision that is still shown
            decided = today - timedelta(days=rng.randrange(min(30, (today - earliest).days) + 1))
            if valid_until is not None:
                valid_from = decided
                valid_until = today + timedelta(days=rng.randint(30, 1000))
            texts.decided = decided
            self._fill(self.recipe(item), texts, again=True)

        stated = birth
        if stated is None and subject.birth is not None:
            court = "法院" in department.name
            stated = subject.birth if court or rng.random() < 0.2 else None
        consent = ""
        if item.needs_consent:
            self.consent_count += 1
            consent = f"SQ{decided:%Y%m%d}{self.consent_count:07d}"
        common: dict[str, _Value | None] = {
            "item": item.code,
            "document_number": self._document_number(department, item, decided),
            "subject_id": subject.number,
            "subject_name": name or subject.name,
            "birth_date": stated.isoformat() if stated else None,
            "decision_date": decided.isoformat(),
            "authority_name": department.name,
            "authority_uscc": department.uscc,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_until": valid_until.isoformat() if valid_until else None,
            "consent_reference": consent or None,
        }
        row: _Row = {key: value for key, value in common.items() if value is not None}
        for spec in item.fields:
            if spec.name in fields:
                row[spec.name] = fields[spec.name]
        return department, row

    def _department(self, offer: _Offer, subject: _Subject) -> Department:
        """Pick a provider of the item, often the local one (the district court of the district)."""
        departments = offer.departments
        if len(departments) > 1 and self.rng.random() < 0.5:
            local = [d for d in departments if d.region_code == subject.region]
            if local:
                return self.rng.choice(local)
        return self.rng.choice(departments)

    def _decision_date(self, earliest: date, months: int | None, keep: int, shown: float) -> date:
        """A decision date still within retention; displayed on `today` with probability `shown`."""
        today = self.today
        if months is not None and self.rng.random() >= shown:
            latest = add_months(today, -months) - timedelta(days=1)
            start = max(earliest, add_months(today, -(months + 12 * keep)) + timedelta(days=7))
            if start <= latest:
                return self._day_between(start, latest)
        start = earliest
        if months is not None:
            start = min(today, max(earliest, add_months(today, -months) + timedelta(days=1)))
        return self._day_between(start, today)

    def _day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    # -- document numbers -----------------------------------------------------------------------

    def _document_number(self, department: Department, item: CatalogItem, decided: date) -> str:
        """A document number in the department's style, unique within the department."""
        prefix, court = self.document_prefix(department)
        key = (department.code, decided.year)
        serial = self.doc_counters[key] = self.doc_counters.get(key, 0) + 1
        if court:
            series = "执" if item.nature is Nature.NEGATIVE else "民"
            if "刑事" in item.name_zh:
                series = "刑"
            return f"{prefix}{series}字〔{decided.year}〕第{serial:05d}号"
        return f"{prefix}{self._series(item)}〔{decided.year}〕{serial}号"

    @staticmethod
    def _series(item: CatalogItem) -> str:
        """The document series an item's decisions are numbered in (罚 for penalties, …)."""
        found = next((series for word, series in _NAME_SERIES if word in item.name_zh), None)
        if found is not None:
            return found
        if item.category is Category.ADMINISTRATIVE:
            return "罚" if item.nature is Nature.NEGATIVE else "许"
        if item.category is Category.INTELLECTUAL_PROPERTY and item.nature is Nature.NEGATIVE:
            return "罚"
        return _SERIES.get(item.category, "")

    def document_prefix(self, department: Department) -> tuple[str, bool]:
        """The department's abbreviation (京朝 for a Chaoyang court), and whether it is a court."""
        known = self.doc_prefixes.get(department.code)
        if known is not None:
            return known
        rest = department.name.removeprefix(_province_names().get(department.region_code[:2], ""))
        local = ""
        for marker in ("区", "县"):
            head, found, tail = rest.partition(marker)
            if found and 1 <= len(head) <= 4 and not head.startswith("第"):
                local, rest = head[0], tail
                break
        court = "法院" in department.name
        if court:
            short = local or next((s for word, s in _COURT_SHORT if word in rest), rest[:1])
        else:
            short = _DEPARTMENT_SHORT.get(department.kind, "")
            if not short:
                for suffix in _NAME_SUFFIXES:
                    if rest.endswith(suffix) and len(rest) > len(suffix):
                        rest = rest[: -len(suffix)]
                        break
                short = rest[:2]
            short = local + short
        prefix = _PROVINCE_SHORT.get(department.region_code[:2], "") + short
        self.doc_prefixes[department.code] = (prefix, court)
        return prefix, court

    # -- data items -----------------------------------------------------------------------------

    def recipe(self, item: CatalogItem) -> _Recipe:
        found = self._recipes.get(item.code)
        if found is None:
            found = self._recipes[item.code] = _recipe(item)
        return found

    def theme(self, item: CatalogItem, department: Department) -> str:
        """What a record is about, for its wording: from the item's name, else the department."""
        key = (item.code, department.code)
        found = self._themes.get(key)
        if found is None:
            found = next((t for words, t in _ITEM_THEMES if _has(item.name_zh, *words)), "")
            if not found:
                found = "court" if "法院" in department.name else department.kind
            self._themes[key] = found
        return found

    def _severe_fields(
        self, item: CatalogItem, target: Severity | None, texts: _Texts
    ) -> tuple[dict[str, _Value], Severity | None]:
        """Values of the fields that decide severity, aiming at the target severity class."""
        recipe = self.recipe(item)
        rules = item.severity_rules
        aims = [r for r in rules if r.severity is target] if target is not None else []
        if target is not None and target is not item.default_severity and not aims:
            target = item.default_severity
        fields: dict[str, _Value] = {}
        severity: Severity | None = None
        for _ in range(16):
            forced: dict[str, _Value] = {}
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
        self, recipe: _Recipe, forced: Mapping[str, _Value], texts: _Texts
    ) -> dict[str, _Value]:
        """Generate the fields that come first, enums first: a fine amount only goes with a fine."""
        rng = self.rng
        fields: dict[str, _Value] = {}
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

    def _fill(self, recipe: _Recipe, texts: _Texts, *, again: bool = False) -> None:
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

    def _value(self, spec: DataItem, plan: _Plan, texts: _Texts) -> _Value | None:
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

    def _integer(self, spec: DataItem, plan: _Plan, decided: date) -> int:
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

    def _amount(self, spec: DataItem, plan: _Plan, above: Decimal | None = None) -> str | None:
        """An amount in the field's range: mostly modest, a few large (a lognormal spread)."""
        rng = self.rng
        if above is None and spec.type is FieldType.DECIMAL and plan.hours:
            hours = Decimal(str(round(rng.lognormvariate(math.log(120), 0.9), 1)))
            if spec.maximum is not None:
                hours = min(hours, spec.maximum)
            return self._number_text(spec, max(hours, spec.minimum or Decimal(0)))
        if above is None and spec.maximum is not None and spec.maximum <= 1000:
            low = spec.minimum or Decimal(0)
            share = Decimal(rng.randrange(1001)) / 1000
            return self._number_text(
                spec, (low + (spec.maximum - low) * share).quantize(Decimal("0.1"))
            )
        median, spread = plan.scale
        for _ in range(6):
            if above is None:
                amount = _round_amount(rng.lognormvariate(math.log(median), spread))
            else:
                amount = max(above, _round_amount(float(above) * (1 + rng.expovariate(2.5))))
            if spec.minimum is not None and amount < spec.minimum:
                continue
            if spec.maximum is not None and amount > spec.maximum:
                continue
            return self._number_text(spec, amount)
        low = max(spec.minimum or Decimal(0), above or Decimal(0))
        high = spec.maximum if spec.maximum is not None else low + Decimal(10000)
        if low > high:
            return None
        return self._number_text(spec, low + (high - low) * Decimal(rng.randrange(101)) / 100)

    @staticmethod
    def _number_text(spec: DataItem, number: Decimal) -> str:
        if spec.type is FieldType.MONEY:
            return str(number.quantize(Decimal("0.01")))
        return f"{number:f}"

    def _date(self, spec: DataItem, plan: _Plan, texts: _Texts) -> date:
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

    def _satisfying(self, item: CatalogItem, spec: DataItem, rule: SeverityRule) -> _Value | None:
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
            chosen = rng.choices(options, [_ENUM_WEIGHTS.get(str(o), 1.0) for o in options])[0]
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
        return self._number_text(spec, number.quantize(Decimal("0.01")))


def _canonical(spec: DataItem, raw: object) -> _Value | None:
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


def _round_amount(raw: float) -> Decimal:
    """Round an amount the way decisions state them: to 10, 100 or 1 000 yuan by size."""
    step = 10 if raw < 1000 else 100 if raw < 10000 else 1000
    return Decimal(max(step, math.ceil(raw / step) * step))


def _misspelt(name: str, rng: random.Random) -> str:
    """Change one character of a name, the way a typist would (a look-alike if there is one)."""
    places = [i for i, ch in enumerate(name) if ch != "·"]
    index = rng.choice([i for i in places if i > 0] or places)
    old = name[index]
    new = _LOOK_ALIKE.get(old) or rng.choice([c for c in _MALE_CHARS + _FEMALE_CHARS if c != old])
    return name[:index] + new + name[index + 1 :]


def _misdated(born: date, today: date, rng: random.Random) -> date:
    """A birth date a typist might state instead of `born`: a day, a month or a year off."""
    candidates = []
    for shift in (1, -1):
        candidates += [
            born + timedelta(days=shift),
            add_months(born, shift),
            add_months(born, 12 * shift),
        ]
    if born.day <= 12 and born.month != born.day:  # month and day swapped
        candidates.append(date(born.year, born.day, born.month))
    return rng.choice([d for d in candidates if d != born and d <= today])


_DIGITS = "零一二三四五六七八九"


def _hanzi_number(number: int) -> str:
    """Write 1-199 the way legal citations do: 四十八, 一百二十."""
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (_DIGITS[ones] if ones else "")


class _Texts:
    """Plausible Chinese text for the string and text fields of one record."""

    __slots__ = (
        "cited",
        "court",
        "decided",
        "department",
        "fields",
        "item",
        "prefix",
        "rng",
        "theme",
        "world",
    )

    def __init__(
        self,
        world: _World,
        item: CatalogItem,
        department: Department,
        fields: dict[str, _Value],
        decided: date,
    ) -> None:
        self.world = world
        self.rng = world.rng
        self.item = item
        self.department = department
        self.fields = fields
        self.decided = decided
        self.prefix, self.court = world.document_prefix(department)
        self.theme = world.theme(item, department)
        self.cited = ""

    def value(self, plan: _Plan) -> str:
        """Text of the kind `plan` names."""
        rng = self.rng
        text, detail = plan.text, plan.detail
        if text in ("violation", "merit"):
            return self.violation(detail) if text == "violation" else self.merit(detail)
        if text == "uscc":
            return self.world.credit_code(individual=detail == "individual")
        if text == "criteria":
            return rng.choice(_CRITERIA.get(self.theme, _CRITERIA[""]))
        if text == "commitment_number":
            return f"CN{self.department.region_code[:2]}{self.year()}{rng.randrange(10**6):06d}"
        if text == "reference":
            return self.reference(detail)
        if text == "case":
            return f"（{self.year()}）{self.court_code()}{detail}{rng.randint(1, 30000)}号"
        if text == "patent":
            return self.patent_number()
        if text == "flight":
            return f"{rng.choice(_AIRLINES)}{rng.randint(100, 9999)}"
        if text == "train":
            return f"{rng.choice('GGGDDCKZT')}{rng.randint(1, 999)}"
        if text == "applications":
            return "、".join(str(rng.randint(30000000, 79999999)) for _ in range(rng.randint(3, 6)))
        if text == "contract":
            return f"{detail}-{self.year()}-{rng.randrange(10**6):06d}"
        if text == "court":
            return self.court_name()
        if text == "obligation":
            amount = _round_amount(rng.lognormvariate(math.log(30000), 1.1))
            return rng.choice(_OBLIGATIONS).format(amount=amount)
        if text == "handling":
            outcome = rng.choice(_OUTCOMES.get(self.theme, _OUTCOMES[""]))
            return f"依据{self.provision()}的规定，{outcome}。"
        if text == "coercion":
            return f"当事人{self.act()}，经催告后仍未改正，依据{self.provision()}的规定实施。"
        if text == "provision":
            return self.provision()
        if text == "scope":
            return rng.choice(_SOCIAL_SCOPES if detail == "social" else _SCOPES_TEXT)
        if text == "commitment":
            return "".join(rng.sample(_COMMITMENTS, rng.randint(1, 2)))
        if text == "address":
            return self.address()
        if text == "volunteer_group":
            if rng.random() < 0.5:
                return f"{self.world.home_name}{rng.choice(_DISTRICTS)}志愿者协会"
            return f"{rng.choice(_DISTRICTS)}{rng.choice(_STREETS)}街道志愿服务队"
        if text == "issuer":
            if self.item.category is Category.SELF_DECLARED:
                return rng.choice(_ISSUERS)
            return self.department.name
        if text == "person":
            return self.world.person_name()
        if text == "shop":
            return self.world.shop_name()
        if text == "company":
            return self.world.company_name()
        if text == "project":
            district = rng.choice(_DISTRICTS)
            if detail == "housing":
                return f"{district}{rng.choice(_STREETS)}{rng.choice(_ESTATES)}公共租赁住房项目"
            return f"{self.world.home_name}{district}{rng.choice(_PROJECT_THINGS)}采购项目"
        if text == "number":
            return f"{self.department.region_code}{self.decided.year}{rng.randrange(10**8):08d}"
        if text == "exam":
            return self.enum_choice(_VALUE_TITLES) or "国家统一考试"
        if text == "level":
            return self.enum_choice(_VALUE_SCOPES) or rng.choice(_LEVELS)
        if text == "title":
            return self.title(detail)
        if text == "licence":
            name = next(
                (v for k, v in self.fields.items() if k.endswith("_name") and isinstance(v, str)),
                "相关",
            )
            return f"经审查，申请人符合法定条件，准予{name}许可事项，有效期内依法从事相关活动。"
        return rng.choice(_SIMPLE_TEXTS.get(text, _GENERIC_KINDS))

    def year(self) -> int:
        return self.decided.year - self.rng.choice((0, 0, 1, 2))

    def enum_choice(self, table: Mapping[str, tuple[str, ...]]) -> str | None:
        """The phrase one of this record's enum values calls for, if any."""
        for value in self.fields.values():
            if isinstance(value, str) and value in table:
                return self.rng.choice(table[value])
        return None

    def act(self) -> str:
        found = self.enum_choice({k: (v,) for k, v in _VALUE_ACTS.items()})
        return found or self.rng.choice(_VIOLATIONS.get(self.theme, _VIOLATIONS[""]))

    def law(self) -> str:
        """The one law a record cites, chosen on first use: the conduct and the basis agree."""
        if not self.cited:
            found = self.enum_choice(_VALUE_LAWS)
            self.cited = found or self.rng.choice(_LAWS.get(self.theme, _LAWS[""]))
        return self.cited

    def provision(self) -> str:
        law = self.law()
        article = _hanzi_number(self.rng.randint(10, 130))
        if self.rng.random() < 0.4:
            return f"{law}第{article}条第{_hanzi_number(self.rng.randint(1, 3))}款"
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
        region = self.department.region_code if self.court else f"{self.world.home}0105"
        province = _PROVINCE_SHORT.get(region[:2], "")
        local = region[2:6] if not region.endswith("0000") else self.rng.choice(("01", "02", "03"))
        return f"{province}{local}"

    def court_name(self) -> str:
        if self.court:
            return self.department.name
        return f"{self.world.home_name}{self.rng.choice(_DISTRICTS)}人民法院"

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
        deed = self.rng.choice(_MERITS.get(self.theme, _MERITS[""]))
        if detail != "long":
            return deed
        return f"当事人{deed}，{self.rng.choice(_CONCLUSIONS)}"

    def address(self) -> str:
        rng = self.rng
        road = f"{rng.choice(_ROADS)}{rng.randint(1, 300)}号"
        return f"{self.world.home_name}{rng.choice(_DISTRICTS)}{road}"

    def title(self, kind: str) -> str:
        """A certificate, licence, award or honour name that fits the record's other fields."""
        rng = self.rng
        found = self.enum_choice(_VALUE_TITLES)
        if found is None:
            if kind:
                found = rng.choice(_TITLES.get(f"{kind}_{self.theme}", _TITLES[kind]))
            else:
                found = self.item.name_zh.split("（")[0].removesuffix("信息")
        level = next((v for v in self.fields.values() if v in _LEVEL_VALUES), None)
        if level == "national":
            return "全国" + found
        if level in ("provincial", "municipal"):
            return self.world.home_name + found
        if level == "district":
            return rng.choice(_DISTRICTS) + found
        return found


class _Batches:
    """The open batch files, one per department, and the counts of what went into them."""

    def __init__(
        self, departments: Sequence[Department], catalog: Catalog, out_dir: Path, fmt: BatchFormat
    ) -> None:
        self.format = fmt
        self.out_dir = out_dir
        self.stack = ExitStack()
        self.paths: list[Path] = []
        self.handles: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}  # csv writers (the type is private to _csv)
        self.by_item: Counter[str] = Counter()
        self.by_department: Counter[str] = Counter()
        self.departments = [d for d in departments if d.items]
        self.columns: dict[str, list[str]] = {}
        self.positions: dict[str, dict[str, int]] = {}
        common = list(COMMON_FIELD_ORDER)
        for department in self.departments:
            names = list(common)
            for code in sorted(department.items):
                item = catalog.get(code)
                for spec in item.fields if item is not None else ():
                    if spec.name not in names:
                        names.append(spec.name)
            self.columns[department.code] = names
            self.positions[department.code] = {name: i for i, name in enumerate(names)}

    def __enter__(self) -> _Batches:
        for department in self.departments:
            path = self.out_dir / f"{department.code}.{self.format}"
            handle = self.stack.enter_context(path.open("w", encoding="utf-8", newline=""))
            self.handles[department.code] = handle
            self.paths.append(path)
            if self.format == "csv":
                writer = csv.writer(handle)
                writer.writerow(self.columns[department.code])
                self.writers[department.code] = writer
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def write(self, department: Department | None, row: _Row | None) -> bool:
        """Append one row to the department's file; False if there is nothing to write."""
        if department is None or row is None:
            return False
        if self.format == "csv":
            # a row holds its item's fields only, and the header has every item's fields
            index = self.positions[department.code]
            cells: list[object] = [""] * len(index)
            for name, value in row.items():
                cells[index[name]] = (
                    ("true" if value else "false") if value is True or value is False else value
                )
            self.writers[department.code].writerow(cells)
        else:
            self.handles[department.code].write(json.dumps(row, ensure_ascii=False) + "\n")
        self.by_item[str(row["item"])] += 1
        self.by_department[department.code] += 1
        return True

    def write_all(self, records: Iterator[tuple[Department, _Row]]) -> frozenset[str]:
        """Write a subject's records; return the codes of the departments that got one."""
        used: set[str] = set()
        for department, row in records:
            self.write(department, row)
            used.add(department.code)
        return frozenset(used)
