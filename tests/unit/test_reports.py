"""The person's own report as HTML and PDF: the standard's layout, every section in words, one
language at a time, the archive, the query log and the verification code on every page."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from xinyong.domain.reports import ReportChannel
from xinyong.services.documents import PdfUnavailable
from xinyong.services.report_data import (
    CATEGORY_NAMES,
    ReportCase,
    ReportCategory,
    ReportData,
    ReportEntry,
    ReportExtension,
    ReportMeasure,
    ReportQuery,
    ReportRecord,
    ReportReview,
    ReportTerms,
    report_dict,
)
from xinyong.services.report_render import TERMS as TERMS_OF_CODES
from xinyong.services.report_render import render_report_html, render_report_pdf, report_number
from xinyong.services.report_words import QueryWords, ReportField
from xinyong.web import i18n
from xinyong.web.portal import words

MASKED_NUMBER = "1101051949****002X"
#: 01:30 UTC on 28 November is 09:30 the same day in China.
GENERATED = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)

#: WeasyPrint warns at import when libharfbuzz-subset is missing (as in test_documents.py).
HARFBUZZ_SUBSET_WARNING = "ignore:HarfBuzz-Subset will be required:DeprecationWarning"

NUMBER = "GR20261128093000A1B2C3"
CODE = "ABCD-EFGH-JKLM-NPQR"
CHANNEL = ReportChannel(
    issuer_zh="某市公共信用信息平台",
    issuer_en="the city's public credit information platform",
    portal="https://credit.example.cn/portal/",
    verify_url="https://credit.example.cn/public/reports/{number}?code={code}",
    counter_zh="某市信用中心服务窗口（市民中心二楼）",
    counter_en="the city credit centre's counter (civic centre, 2nd floor)",
    hours_zh="工作日 9:00—17:00",
    hours_en="working days 9:00-17:00",
    phone="12345",
    query_log="https://credit.example.cn/portal/me/queries",
    query_lines=50,
)
TERMS = ReportTerms(
    centre_check_working_days=1,
    source_decide_working_days=2,
    extension_working_days=3,
    repair_accept_working_days=3,
    repair_feedback_working_days=10,
)
CATEGORIES = tuple(
    ReportCategory(code, *CATEGORY_NAMES[code])
    for code in ("registration", "judicial", "administrative", "honour")
)

SECTION_HEADINGS = (
    "一、身份信息",
    "二、司法判决及执行信息",
    "三、行政管理信息",
    "四、诚实守信相关荣誉信息",
    "五、名单信息",
    "六、适用中的联合奖惩措施",
    "七、异议与信用修复",
    "八、查询记录",
    "九、说明",
    "附：本人档案",
)
OBJECTION_BADGE = "异议处理中"


def make_record(**overrides: object) -> ReportRecord:
    values: dict[str, object] = {
        "id": 1,
        "item_code": "ADM-PENALTY",
        "item_name_zh": "行政处罚",
        "item_name_en": "Administrative penalty",
        "category": "administrative",
        "category_name_zh": "行政管理信息",
        "nature": "negative",
        "department_name": "北京市朝阳区市场监督管理局",
        "document_number": "京朝市监罚〔2026〕101号",
        "decision_date": date(2026, 3, 2),
        "status": "active",
        "severity": "general",
        "shown_until": date(2027, 3, 2),
        "repair_from": date(2026, 6, 2),
        "under_objection": False,
        "archived": False,
        "summary": "处罚类别：罚款",
        "category_name_en": "Administrative management",
        "fields": (
            ReportField("处罚类别", "Kind of penalty", "罚款", "fine"),
            ReportField(
                "违法行为类型及事实", "Violation and facts", "销售过期食品", "expired food"
            ),
            ReportField("罚款金额（元）", "Fine (yuan)", "5,000.00 元", "CNY 5,000.00"),
        ),
    }
    values.update(overrides)
    return ReportRecord(**values)  # type: ignore[arg-type]


RECORDS = (
    make_record(id=1, under_objection=True),
    make_record(
        id=2,
        document_number="京朝市监罚〔2026〕205号",
        decision_date=date(2026, 5, 20),
        fields=(
            ReportField("违法行为类型及事实", "Violation", "虚假宣传 <script>x</script>", "x"),
        ),
    ),
    make_record(
        id=3,
        item_code="JUD-ENFORCE",
        item_name_zh="被执行人信息",
        item_name_en="Judgment debtor",
        category="judicial",
        category_name_zh="司法判决及执行信息",
        category_name_en="Court judgments and enforcement",
        department_name="北京市朝阳区人民法院",
        document_number="（2026）京0105执1234号",
        decision_date=date(2026, 1, 15),
        severity=None,
        shown_until=None,
        repair_from=None,
        fields=(
            ReportField("执行案号", "Enforcement case no.", "（2026）京0105执1234号", "same"),
            ReportField("被执行人的履行情况", "Performance", "全部未履行", "not performed"),
        ),
    ),
    make_record(
        id=4,
        item_code="HON-VOLUNTEER",
        item_name_zh="优秀志愿者表彰",
        item_name_en="Outstanding volunteer award",
        category="honour",
        category_name_zh="诚实守信相关荣誉信息",
        category_name_en="Honours for trustworthiness",
        nature="positive",
        department_name="北京市朝阳区民政局",
        document_number="朝民表〔2026〕3号",
        severity=None,
        repair_from=None,
        fields=(ReportField("表彰名称", "Honour", "2025年度优秀志愿者", "volunteer of 2025"),),
    ),
    make_record(
        id=7,
        document_number="京朝市监罚〔2021〕77号",
        decision_date=date(2021, 4, 1),
        status="expired",
        shown_until=date(2022, 4, 1),
        archived=True,
        fields=(ReportField("违法行为类型及事实", "Violation", "ARCHIVED-ONLY 占道经营", "x"),),
    ),
)

ENTRIES = (
    ReportEntry(
        id=21,
        list_code="TEST-FOOD",
        list_name_zh="食品安全领域严重失信人员名单",
        list_name_en="Serious violators of food safety",
        kind="serious_untrustworthy",
        state="published",
        decided_on=date(2026, 6, 1),
        ends_on=date(2029, 6, 1),
        exited_on=None,
        exit_ground=None,
        under_objection=True,
        in_force=True,
    ),
    ReportEntry(
        id=22,
        list_code="TEST-TAX",
        list_name_zh="重大税收违法失信主体",
        list_name_en="Major tax violators",
        kind="serious_untrustworthy",
        state="exited",
        decided_on=date(2023, 2, 1),
        ends_on=date(2026, 2, 1),
        exited_on=date(2025, 8, 1),
        exit_ground="repair",
        under_objection=False,
        in_force=False,
    ),
    ReportEntry(
        id=23,
        list_code="TEST-VOLUNTEER",
        list_name_zh="优秀志愿者守信激励名单",
        list_name_en="Good credit: outstanding volunteers",
        kind="good_credit",
        state="published",
        decided_on=date(2026, 1, 10),
        ends_on=None,
        exited_on=None,
        exit_ground=None,
        under_objection=False,
        in_force=True,
    ),
)

MEASURES = (
    ReportMeasure(
        code="M-PERMIT-BAR",
        name_zh="五年内不得申请食品生产经营许可",
        name_en="No food trading permit for five years",
        category="rights_reducing",
        matters=("申请行政许可",),
        entry_id=21,
        via_role=None,
    ),
    ReportMeasure(
        code="M-PROCUREMENT",
        name_zh="限制参加政府采购活动",
        name_en="No government procurement",
        category="rights_reducing",
        matters=("参加政府采购活动",),
        entry_id=21,
        via_role="legal_representative",
    ),
)

CASES = (
    ReportCase(
        kind="objection",
        id=31,
        about="record 1",
        status="forwarded",
        record_id=1,
        filed_on=date(2026, 11, 20),
        due=date(2026, 11, 27),
        outcome=None,
        reasons=None,
    ),
    ReportCase(
        kind="repair",
        id=32,
        about="list entry 22",
        status="repaired",
        entry_id=22,
        filed_on=date(2025, 7, 1),
        due=date(2025, 7, 15),
        outcome="repaired",
        reasons="已缴清税款和罚款，作出信用承诺",
    ),
)

QUERIES = (
    ReportQuery(
        at=datetime(2026, 11, 27, 16, 5, 7, 123456, tzinfo=UTC),  # 00:05 on 28 November in China
        who="北京市朝阳区财政局",
        kind="screening",
        purpose="government_procurement",
        authority="measure registry screening: government_procurement",
        returned="M-PROCUREMENT@21",
        words=QueryWords(
            "北京市朝阳区财政局",
            "北京市朝阳区财政局",
            "办理“参加政府采购活动”前核查",
            "a check before: government procurement",
            "依联合奖惩措施清单核查",
            "the measure registry",
            "适用措施：限制参加政府采购活动（名单 #21）",
            "measures: No government procurement (list entry #21)",
        ),
    ),
    ReportQuery(
        at=datetime(2026, 10, 3, 2, 0, tzinfo=UTC),
        who="贵州省某银行",
        kind="agency",
        purpose="loan_approval",
        authority="authorisation 31",
        returned="record@1",
        words=QueryWords(
            "贵州省某银行",
            "贵州省某银行",
            "贷款审批",
            "loan approval",
            "经您授权（授权编号 31）",
            "your authorisation no. 31",
            "信用记录 #1",
            "records #1",
        ),
    ),
    ReportQuery(
        at=datetime(2026, 9, 1, 2, 0, tzinfo=UTC),
        who="account:1",
        kind="report",
        purpose="own report",
        authority="the person's own",
        returned="report",
        words=QueryWords(
            "本人查询",
            "you",
            "查看本人信用报告",
            "reading your own report",
            "本人",
            "your own right of access",
            "本报告",
            "this report",
        ),
    ),
)

OMITTED = (
    ("个人的宗教信仰、基因、指纹、血型、疾病和病史信息", "religion, genes and health"),
    ("未成年人的信息", "anything about minors"),
)


def make_report(**overrides: object) -> ReportData:
    values: dict[str, object] = {
        "generated_at": GENERATED,
        "name": "张三",
        "masked_number": MASKED_NUMBER,
        "birth_year": 1949,
        "sex": "female",
        "region": "北京市朝阳区",
        "records": RECORDS,
        "entries": ENTRIES,
        "measures": MEASURES,
        "cases": CASES,
        "queries": QUERIES,
        "omitted": OMITTED,
        "number": NUMBER,
        "verification_code": CODE,
        "channel": CHANNEL,
        "terms": TERMS,
        "categories": CATEGORIES,
    }
    values.update(overrides)
    return ReportData(**values)  # type: ignore[arg-type]


def section(html: str, section_id: str) -> str:
    """Return the HTML of one section: from its heading `<h2 id=...>` to the next heading."""
    found = re.search(
        rf'<h2 id="{section_id}"[^>]*>(.*?)(?=<h2 |<p class="closing")', html, re.DOTALL
    )
    assert found is not None, f"no section {section_id}"
    return found.group(1)


def block(html: str, anchor: str) -> str:
    """Return one record's block, found by its id: its heading line to its last line."""
    found = re.search(
        rf'<p class="record-head" id="{anchor}">(.*?class="[^"]*record-end[^"]*">.*?</p>)',
        html,
        re.DOTALL,
    )
    assert found is not None, f"no record block {anchor}"
    return found.group(1)


@pytest.fixture(scope="module")
def html() -> str:
    return render_report_html(make_report())


@pytest.fixture(scope="module")
def english() -> str:
    return render_report_html(make_report(), lang="en")


def test_report_follows_the_standard_layout_in_order(html: str) -> None:
    positions = [html.index(heading) for heading in SECTION_HEADINGS]

    assert positions == sorted(positions)
    assert "<title>个人公共信用信息报告" in html
    assert html.index('id="title-block"') < html.index('id="identity"')
    assert html.index('id="verify"') < html.index('id="archive"')


def test_title_block_shows_number_code_issuer_and_beijing_time(html: str) -> None:
    title = html[html.index('id="title-block"') : html.index('id="identity"')]

    assert report_number(make_report()) == NUMBER
    for text in (NUMBER, CODE, "某市公共信用信息平台", "2026年11月28日 09:30", "北京时间"):
        assert text in title


def test_every_page_footer_carries_the_number_and_the_verification_code(html: str) -> None:
    footer = re.search(r'data-footer="([^"]*)"', html)

    assert footer is not None
    assert footer.group(1) == f"报告编号 {NUMBER} · 验证码 {CODE}"
    assert "string(footer)" in html  # the footer of every page prints it


def test_identity_shows_the_birth_year_only_as_the_masking_statement_says(html: str) -> None:
    identity = section(html, "identity")

    assert "张三" in identity
    assert MASKED_NUMBER in identity
    assert "1949年" in identity
    assert "12-31" not in html
    assert "12月31日" not in html
    assert "出生日期只显示年份" in identity
    assert "隐去出生月、日" in identity


def test_each_catalog_category_is_a_section_headed_by_its_chinese_name(html: str) -> None:
    def category(code: str) -> str:
        return section(html, f"category-{code}")

    assert '<h2 id="category-judicial" class="category">二、司法判决及执行信息</h2>' in html
    empty = html[html.index('id="empty-categories"') : html.index('id="category-judicial"')]
    assert "下列类别无正在公示的信息：登记注册基本信息。" in empty
    assert 'id="category-registration"' not in html
    assert 'id="record-3"' in category("judicial")
    assert 'id="record-3"' not in category("administrative")
    administrative = category("administrative")
    assert administrative.index('id="record-2"') < administrative.index('id="record-1"')
    assert 'id="record-4"' in category("honour")
    assert "行政管理信息" not in category("judicial")


def test_record_block_labels_every_data_item_and_says_values_in_words(html: str) -> None:
    first = block(html, "record-1")

    for text in (
        "行政处罚",
        "北京市朝阳区市场监督管理局",
        "京朝市监罚〔2026〕101号",
        "2026年3月2日",
        "有效",
        "一般",
        "2027年3月2日",
        "2026年6月2日",
        "处罚类别",
        "罚款",
        "罚款金额（元）",
        "5,000.00 元",
    ):
        assert text in first
    assert "Administrative penalty" not in first
    assert "fine" not in first


def test_objection_badge_is_next_to_the_record_under_objection_only(html: str) -> None:
    assert OBJECTION_BADGE in block(html, "record-1")
    assert OBJECTION_BADGE not in block(html, "record-2")
    assert OBJECTION_BADGE not in block(html, "record-3")


def test_archived_record_is_only_in_the_archive(html: str) -> None:
    archive = section(html, "archive")

    assert 'id="archived-7"' in archive
    assert "ARCHIVED-ONLY" in archive
    assert html.count("ARCHIVED-ONLY") == 1
    assert 'id="record-7"' not in html
    assert 'id="archived-1"' not in html


def test_list_entries_show_state_dates_and_objection(html: str) -> None:
    lists = section(html, "lists")
    food = re.search(r'<tr id="entry-21">(.*?)</tr>', lists, re.DOTALL)
    tax = re.search(r'<tr id="entry-22">(.*?)</tr>', lists, re.DOTALL)
    assert food is not None
    assert tax is not None

    assert OBJECTION_BADGE in food.group(1)
    assert "在列" in food.group(1)
    assert "2029年6月1日" in food.group(1)
    assert OBJECTION_BADGE not in tax.group(1)
    assert "不在列" in tax.group(1)
    assert "2025年8月1日" in tax.group(1)
    assert "依法完成信用修复" in tax.group(1)


def test_measures_name_matters_entry_and_role(html: str) -> None:
    measures = section(html, "measures")

    assert "五年内不得申请食品生产经营许可" in measures
    assert "参加政府采购活动" in measures
    assert "#21 食品安全领域严重失信人员名单" in measures
    assert "法定代表人" in measures
    assert "本人" in measures


def test_cases_show_status_due_date_and_outcome(html: str) -> None:
    cases = section(html, "cases")

    assert "已转认定部门处理" in cases
    assert "2026年11月27日" in cases
    assert "修复成功" in cases
    assert "已缴清税款和罚款" in cases
    assert "信用记录 #1" in cases
    assert "名单 #22" in cases
    assert "record 1" not in cases


EXTENSION = ReportExtension(
    due=date(2026, 12, 2),
    due_official=True,
    reasons="需调取原始执法案卷核对",
    approved_by="北京市市场监督管理局法制处",
    approval_reference="京市监法〔2026〕15号",
)


def test_an_extended_objection_names_its_new_due_date_reasons_and_approval() -> None:
    """The API and the portal told the person why and on whose approval their objection's
    deadline moved; the report they download said only the later date."""
    open_case = dataclasses.replace(CASES[0], due=EXTENSION.due, extension=EXTENSION)
    decided = dataclasses.replace(
        CASES[0], id=33, status="decided", due=None, outcome="reject", reasons="异议不成立"
    )
    decided = dataclasses.replace(
        decided, extension=dataclasses.replace(EXTENSION, due=date(2026, 10, 14))
    )
    data = make_report(cases=(open_case, decided, CASES[1]))
    chinese = section(render_report_html(data), "cases")
    english = section(render_report_html(data, lang="en"), "cases")

    said = re.findall(r'<tr class="extension" id="extension-(\d+)">(.*?)</tr>', chinese, re.DOTALL)
    assert [case for case, _ in said] == ["31", "33"]  # the repair was not extended
    for (_, text), day in zip(said, ("2026年12月2日", "2026年10月14日"), strict=True):
        assert f"认定部门的办理期限经批准延长至{day}" in text
        assert "批准人：北京市市场监督管理局法制处" in text
        assert "批准文号：京市监法〔2026〕15号" in text
        assert "延长理由：需调取原始执法案卷核对" in text
    assert "2026年12月2日 （经批准延长）" in chinese  # beside the due date that runs
    said = re.findall(r'<tr class="extension" id="extension-\d+">(.*?)</tr>', english, re.DOTALL)
    assert len(said) == 2
    assert "deadline was extended with approval to 2026-12-02." in said[0]
    assert "Approved by: 北京市市场监督管理局法制处" in said[0]
    assert "Approval reference: 京市监法〔2026〕15号" in said[0]
    assert "Reasons for the extension: 需调取原始执法案卷核对" in said[0]
    assert "2026-12-02 (extended with approval)" in english
    assert "批准" not in english.replace(EXTENSION.approved_by, "")
    assert 'class="extension"' not in render_report_html(make_report())


def test_an_objection_extended_before_approvals_were_kept_says_they_were_not_recorded() -> None:
    unrecorded = ReportExtension(date(2026, 12, 2), False, None, None, None)
    data = make_report(cases=(dataclasses.replace(CASES[0], extension=unrecorded),))
    chinese = section(render_report_html(data), "cases")
    english = section(render_report_html(data, lang="en"), "cases")

    assert "延长至2026年12月2日 （暂按周一至周五计算）。" in chinese
    assert "批准人和批准文号未予记录" in chinese
    assert "批准人：" not in chinese
    assert "None" not in chinese + english
    assert "who approved it and the reference were not recorded" in english


def test_an_id_number_in_an_extensions_reasons_is_withheld() -> None:
    reasons = "核对当事人 11010519491231002X 的原始案卷"
    extension = dataclasses.replace(EXTENSION, reasons=reasons)
    data = make_report(cases=(dataclasses.replace(CASES[0], extension=extension),))

    chinese, english = render_report_html(data), render_report_html(data, lang="en")

    assert "11010519491231002X" not in chinese + english
    assert "延长理由：核对当事人 〔号码已隐去〕 的原始案卷" in chinese
    assert "Reasons for the extension: 核对当事人 &lt;number withheld&gt; 的原始案卷" in english


@pytest.mark.parametrize(
    ("vocabulary", "portal"), [("case_status", words.CASE_STATUS), ("outcome", words.OUTCOME)]
)
def test_a_case_closed_as_another_persons_is_told_in_the_portals_words(
    vocabulary: str, portal: dict[str, str]
) -> None:
    zh, en = TERMS_OF_CODES[vocabulary]["not_about_subject"]
    assert zh == portal["not_about_subject"]
    with i18n.use_language("en"):
        assert en == i18n.gettext(portal["not_about_subject"])


def test_objection_and_repair_instructions_give_the_channel_and_working_day_limits(
    html: str,
) -> None:
    cases = section(html, "cases")

    assert "https://credit.example.cn/portal/" in cases
    assert "某市信用中心服务窗口（市民中心二楼）" in cases
    assert "工作日 9:00—17:00" in cases
    assert "12345" in cases
    assert "1 个工作日内核查" in cases
    assert "2 个工作日内作出决定" in cases
    assert "延长 3 个工作日" in cases
    assert "3 个工作日内决定是否受理" in cases
    assert "10 个工作日内反馈结果" in cases


def test_query_log_reads_in_words_in_beijing_time_newest_first(html: str) -> None:
    rows = re.findall(r'<li class="query">(.*?)</li>', section(html, "queries"), re.DOTALL)

    assert len(rows) == 3
    assert "2026年11月28日 00:05" in rows[0]
    for text in ("北京市朝阳区财政局", "参加政府采购活动", "依联合奖惩措施清单核查"):
        assert text in rows[0]
    assert "限制参加政府采购活动（名单 #21）" in rows[0]
    assert "2026年10月3日 10:00" in rows[1]
    for text in ("贵州省某银行", "贷款审批", "经您授权"):
        assert text in rows[1]
    assert "本人查询" in rows[2]
    for raw in ("account:1", "M-PROCUREMENT@21", "authorisation 31", "screening", "123456"):
        assert raw not in section(html, "queries")


def test_notes_state_what_is_omitted_how_to_verify_and_when_it_was_made(html: str) -> None:
    notes = section(html, "notes")

    for chinese, english in OMITTED:
        assert chinese in notes
        assert english not in notes
    assert "2026年11月28日 09:30" in notes
    assert f"https://credit.example.cn/public/reports/{NUMBER}?code={CODE}" in notes
    assert "不显示报告内容" in notes


def test_no_raw_key_enum_value_or_english_label_is_printed_in_chinese(html: str) -> None:
    body = html[html.index("<body") :]

    for raw in ("penalty_type", "fine_amount", "Kind of penalty", "under objection", "female"):
        assert raw not in body
    assert "+00:00" not in body


def test_the_english_report_is_english_only(english: str) -> None:
    assert '<html lang="en">' in english
    assert "<title>Personal Public Credit Information Report" in english
    for text in (
        "1. Identity",
        "2. Court judgments and enforcement",
        "Administrative penalty",
        "Kind of penalty",
        "CNY 5,000.00",
        "under objection",
        "2026-11-28 09:30",
        "Beijing time",
        "your authorisation no. 31",
        "the city credit centre&#39;s counter",
        "Year of birth",
        "anything about minors",
    ):
        assert text in english, text
    for chinese in ("身份信息", "行政处罚", "处罚类别", "异议处理中", "本人查询", "北京时间"):
        assert chinese not in english


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang must be one of zh, en"):
        render_report_html(make_report(), lang="fr")


def test_record_text_is_escaped(html: str) -> None:
    assert "<script>" not in html
    assert "&lt;script&gt;" in block(html, "record-2")


def test_an_id_number_typed_into_a_field_is_withheld() -> None:
    record = make_record(
        fields=(
            ReportField(
                "违法行为类型及事实",
                "Violation",
                "身份证号 11010519491231002X",
                "身份证号 11010519491231002X",
            ),
        )
    )

    chinese = render_report_html(make_report(records=(record,)))
    english = render_report_html(make_report(records=(record,)), lang="en")

    assert "11010519491231002X" not in chinese + english
    assert "身份证号 〔号码已隐去〕" in block(chinese, "record-1")  # in the report's language
    assert "number withheld" not in chinese
    assert "身份证号 &lt;number withheld&gt;" in block(english, "record-1")


def test_empty_report_says_none_in_each_section() -> None:
    html = render_report_html(
        make_report(records=(), entries=(), measures=(), cases=(), queries=(), omitted=())
    )

    assert "下列类别无正在公示的信息：登记注册基本信息、司法判决及执行信息、行政管理信息" in html
    assert 'class="category"' not in html
    assert "你未被列入任何名单。" in html
    assert "目前没有对你适用的联合奖惩措施。" in html
    assert "保存期内没有查询记录。" in html


def test_a_full_id_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not masked"):
        render_report_html(make_report(masked_number="11010519491231002X"))


def test_a_naive_time_is_refused() -> None:
    naive = datetime(2026, 11, 28, 9, 30)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        render_report_html(make_report(generated_at=naive))
    query = dataclasses.replace(QUERIES[0], at=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        render_report_html(make_report(queries=(query,)))


def test_report_renders_to_pdf_with_the_code_on_every_page(tmp_path: Path) -> None:
    try:
        pdf = render_report_pdf(make_report())
    except PdfUnavailable as exc:
        pytest.skip(f"WeasyPrint cannot load here (see PdfUnavailable): {exc}")

    assert pdf.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("poppler-utils is not installed: the PDF's text cannot be read")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"报告编号 {NUMBER} · 验证码 {CODE}" in page
        assert f"第 {number} 页，共 {len(pages)} 页" in page
    assert "张三" in text
    assert MASKED_NUMBER in text
    # The lists' numbers are printed as text (report.css), each on its item's first line.
    measures = [line.strip() for line in text.splitlines() if "适用事项" in line]
    assert measures
    assert all(re.match(rf"{n}\.\s*\S", line) for n, line in enumerate(measures, start=1))


def test_identity_reviews_show_in_the_cases_section_in_either_language() -> None:
    review = ReportReview(
        id=7,
        kind="subject",
        about_you=False,
        item_name_zh="行政处罚信息",
        item_name_en="Administrative penalty",
        document_number="京市监罚〔2026〕00017号",
        opened_on=date(2026, 11, 20),
        status="open",
        resolution=None,
    )
    data = dataclasses.replace(make_report(), reviews=(review,))
    chinese, english = render_report_html(data), render_report_html(data, lang="en")
    assert "身份核查" in chinese
    assert "重新报送的文书载明为你" in chinese
    assert "核查中" in chinese
    assert "Identity reviews" in english
    assert "resubmitted naming you" in english
    assert "身份核查" not in english
    assert "身份核查" not in render_report_html(make_report())  # no reviews, no section


def test_the_report_as_plain_data_is_what_asdict_gives() -> None:
    """The digest and the JSON report are made of `report_dict`, a faster `asdict`: a report
    registered before keeps its digest."""
    data = make_report()

    assert report_dict(data) == dataclasses.asdict(data)
    assert json.dumps(report_dict(data), default=str, sort_keys=True) == json.dumps(
        dataclasses.asdict(data), default=str, sort_keys=True
    )


def test_a_report_crosses_to_a_print_worker_whole_and_without_a_key() -> None:
    """The print workers make the report's HTML from its data, pickled to them: all of it
    crosses, and nothing in it is a key (the deployment's secret only signs the code)."""
    data = make_report()

    crossed = pickle.loads(pickle.dumps(data))  # noqa: S301 - our own data, in this process

    assert crossed == data
    assert "secret" not in json.dumps(report_dict(data), default=str).lower()
