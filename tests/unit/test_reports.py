"""The person's own report as HTML and PDF: every section, the badges, the archive, the log."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from xinyong.services.documents import PdfUnavailable
from xinyong.services.report_render import render_report_html, render_report_pdf, report_number
from xinyong.services.reports import (
    ReportCase,
    ReportData,
    ReportEntry,
    ReportMeasure,
    ReportQuery,
    ReportRecord,
)

MASKED_NUMBER = "1101051949****002X"
#: 01:30 UTC on 28 November is 09:30 the same day in China.
GENERATED = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)

#: WeasyPrint warns at import when libharfbuzz-subset is missing (as in test_documents.py).
HARFBUZZ_SUBSET_WARNING = "ignore:HarfBuzz-Subset will be required:DeprecationWarning"

SECTION_HEADINGS = (
    "一、基本信息",
    "二、行政管理信息",
    "三、名单信息",
    "四、联合奖惩措施",
    "五、守信激励",
    "六、异议与信用修复",
    "七、查询记录",
    "八、说明",
    "九、本人档案",
)
OBJECTION_BADGE = "异议处理中 · under objection"


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
        "summary": "销售过期食品，罚款人民币五千元",
    }
    values.update(overrides)
    return ReportRecord(**values)  # type: ignore[arg-type]


RECORDS = (
    make_record(id=1, under_objection=True, summary="未按规定公示食品经营许可证"),
    make_record(
        id=2,
        document_number="京朝市监罚〔2026〕205号",
        decision_date=date(2026, 5, 20),
        summary="虚假宣传 <script>alert('x')</script>",
    ),
    make_record(
        id=3,
        item_code="JUD-ENFORCE",
        item_name_zh="被执行人信息",
        item_name_en="Judgment debtor",
        category="judicial",
        category_name_zh="司法裁判及执行信息",
        department_name="北京市朝阳区人民法院",
        document_number="（2026）京0105执1234号",
        decision_date=date(2026, 1, 15),
        severity=None,
        shown_until=None,
        repair_from=None,
        summary="执行标的人民币三万元",
    ),
    make_record(
        id=4,
        item_code="HON-VOLUNTEER",
        item_name_zh="优秀志愿者表彰",
        item_name_en="Outstanding volunteer award",
        category="honour",
        category_name_zh="诚实守信相关荣誉信息",
        nature="positive",
        department_name="北京市朝阳区民政局",
        document_number="朝民表〔2026〕3号",
        severity=None,
        repair_from=None,
        summary="2025年度优秀志愿者",
    ),
    make_record(
        id=7,
        document_number="京朝市监罚〔2021〕77号",
        decision_date=date(2021, 4, 1),
        status="expired",
        shown_until=date(2022, 4, 1),
        archived=True,
        summary="ARCHIVED-ONLY 占道经营",
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
        filed_on=date(2025, 7, 1),
        due=date(2025, 7, 15),
        outcome="repaired",
        reasons="已缴清税款和罚款，作出信用承诺",
    ),
)

QUERIES = (
    ReportQuery(
        at=datetime(2026, 11, 27, 16, 5, tzinfo=UTC),  # 00:05 on 28 November in China
        who="北京市朝阳区财政局",
        kind="screening",
        purpose="政府采购供应商资格审查",
        authority="《政府采购法》第二十二条",
        returned="名单 TEST-FOOD 在列",
    ),
    ReportQuery(
        at=datetime(2026, 10, 3, 2, 0, tzinfo=UTC),
        who="某信用服务有限公司",
        kind="agency",
        purpose="租房信用核验",
        authority="本人授权 A-2026-0031",
        returned="无记录",
    ),
)

OMITTED = (
    "个人的宗教信仰、基因、指纹、血型、疾病和病史信息",
    "未成年人的信息",
)


def make_report(**overrides: object) -> ReportData:
    values: dict[str, object] = {
        "generated_at": GENERATED,
        "name": "张三",
        "masked_number": MASKED_NUMBER,
        "birth_date": date(1949, 12, 31),
        "sex": "female",
        "region": "北京市朝阳区",
        "records": RECORDS,
        "entries": ENTRIES,
        "measures": MEASURES,
        "cases": CASES,
        "queries": QUERIES,
        "omitted": OMITTED,
    }
    values.update(overrides)
    return ReportData(**values)  # type: ignore[arg-type]


def section(html: str, section_id: str) -> str:
    """Return the HTML of one `<section id=...>`."""
    found = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', html, re.DOTALL)
    assert found is not None, f"no section {section_id}"
    return found.group(1)


def block(html: str, anchor: str) -> str:
    """Return one record's table, found by its id."""
    found = re.search(rf'<table class="record" id="{anchor}">(.*?)</table>', html, re.DOTALL)
    assert found is not None, f"no record block {anchor}"
    return found.group(1)


@pytest.fixture(scope="module")
def html() -> str:
    return render_report_html(make_report())


def test_report_has_every_section_heading_in_order(html: str) -> None:
    positions = [html.index(heading) for heading in SECTION_HEADINGS]

    assert positions == sorted(positions)
    assert "<title>个人公共信用信息报告" in html
    assert "Records by catalog category" in html
    assert "Your archive (not shown to anyone else)" in html


def test_title_block_shows_number_platform_and_china_time(html: str) -> None:
    assert report_number(make_report()) in html
    assert report_number(make_report()).startswith("GR20261128093000")
    assert "xinyong 信用平台" in html
    assert "2026年11月28日 09:30" in html
    assert "UTC+8" in html


def test_identity_is_printed_with_the_masked_number_only(html: str) -> None:
    identity = section(html, "identity")

    assert "张三" in identity
    assert MASKED_NUMBER in identity
    assert "1949-12-31" in identity
    assert "女" in identity
    assert "北京市朝阳区" in identity


def test_records_are_grouped_by_category_in_catalog_order(html: str) -> None:
    records = section(html, "records")

    assert records.index("司法裁判及执行信息") < records.index("（2）行政管理信息")
    assert records.index("Court judgments and enforcement") < records.index("诚实守信相关荣誉信息")
    administrative = records[records.index("（2）行政管理信息") : records.index("（3）")]
    assert administrative.index('id="record-2"') < administrative.index('id="record-1"')


def test_record_block_shows_its_details(html: str) -> None:
    first = block(html, "record-1")

    for text in (
        "行政处罚",
        "Administrative penalty",
        "北京市朝阳区市场监督管理局",
        "京朝市监罚〔2026〕101号",
        "2026-03-02",
        "有效",
        "一般",
        "2027-03-02",
        "2026-06-02",
    ):
        assert text in first


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
    assert "in force" in food.group(1)
    assert "2029-06-01" in food.group(1)
    assert OBJECTION_BADGE not in tax.group(1)
    assert "not in force" in tax.group(1)
    assert "2025-08-01" in tax.group(1)
    assert "依法完成信用修复" in tax.group(1)


def test_measures_name_matters_entry_and_role(html: str) -> None:
    measures = section(html, "measures")

    assert "五年内不得申请食品生产经营许可" in measures
    assert "参加政府采购活动" in measures
    assert "#21 食品安全领域严重失信人员名单" in measures
    assert "法定代表人" in measures
    assert "yourself" in measures


def test_positive_items_say_they_may_be_refused(html: str) -> None:
    positive = section(html, "positive")

    assert "优秀志愿者表彰" in positive
    assert "优秀志愿者守信激励名单" in positive
    assert "行政处罚" not in positive
    assert "食品安全领域" not in positive
    assert "你可以拒绝" in positive
    assert "you may refuse" in positive


def test_cases_show_status_due_date_and_outcome(html: str) -> None:
    cases = section(html, "cases")

    assert "已转认定部门处理" in cases
    assert "2026-11-27" in cases
    assert "修复成功" in cases
    assert "已缴清税款和罚款" in cases


def test_query_log_lists_each_query_in_china_time_newest_first(html: str) -> None:
    rows = re.findall(r'<tr class="query">(.*?)</tr>', section(html, "queries"), re.DOTALL)

    assert len(rows) == 2
    assert "2026-11-28 00:05" in rows[0]
    for text in ("北京市朝阳区财政局", "政府采购供应商资格审查", "《政府采购法》第二十二条"):
        assert text in rows[0]
    assert "名单 TEST-FOOD 在列" in rows[0]
    assert "2026-10-03 10:00" in rows[1]
    assert "本人授权 A-2026-0031" in rows[1]


def test_notes_list_what_the_law_omits_and_when_the_report_was_made(html: str) -> None:
    notes = section(html, "notes")

    for omitted in OMITTED:
        assert omitted in notes
    assert "2026年11月28日 09:30" in notes


def test_record_text_is_escaped(html: str) -> None:
    assert "<script>" not in html
    assert "&lt;script&gt;" in block(html, "record-2")


def test_an_id_number_typed_into_a_summary_is_withheld() -> None:
    record = make_record(summary="当事人身份证号 11010519491231002X 张三")

    html = render_report_html(make_report(records=(record,)))

    assert "11010519491231002X" not in html
    assert "number withheld" in html


def test_empty_report_says_none_in_each_section() -> None:
    html = render_report_html(
        make_report(records=(), entries=(), measures=(), cases=(), queries=(), omitted=())
    )

    assert "No record is within its display period." in html
    assert "You are on no list." in html
    assert "No measure applies to you at present." in html
    assert "Nobody has looked at your file" in html


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


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


@pytest.mark.filterwarnings(HARFBUZZ_SUBSET_WARNING)
def test_report_renders_to_pdf(tmp_path: Path) -> None:
    try:
        pdf = render_report_pdf(make_report())
    except PdfUnavailable as exc:
        pytest.skip(f"WeasyPrint cannot load here (see PdfUnavailable): {exc}")

    assert pdf.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return  # poppler-utils is not installed: the bytes are a PDF, its text goes unread
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "under objection" in text
    assert MASKED_NUMBER in text
    assert "Page 1 of" in text
    assert report_number(make_report()) in text
    if _has_cjk_font():
        assert "张三" in text
        assert "异议" in text
