"""The listing documents: what the prior notice and the decision say, to whom, and as PDF.

Served on Monday 28 September 2026, five working days run to the make-up Saturday 10 October
(the 2026 holiday arrangement, as in test_lists.py).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from xinyong.domain.calendar import Deadline
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict
from xinyong.domain.lists import (
    Decider,
    EntryState,
    ListEntry,
    ListKind,
    ListType,
    PeriodRule,
    SeriousField,
)
from xinyong.domain.measures import Measure, MeasureCategory
from xinyong.services import pdf
from xinyong.services.documents import (
    ListingDocument,
    PdfUnavailable,
    html_to_pdf,
    render_decision_html,
    render_notice_html,
)

FULL_NUMBER = "11010519491231002X"
MASKED_NUMBER = "1101051949****002X"
NOTICE_DAY = date(2026, 9, 28)
DECISION_DAY = date(2026, 10, 12)
ISSUED = datetime(2026, 9, 28, 9, 0, tzinfo=UTC)

#: WeasyPrint warns at import when libharfbuzz-subset is missing (it falls back to fontTools);
#: CI installs libharfbuzz-subset0, a bare developer machine may not. Nothing else is ignored.
HARFBUZZ_SUBSET_WARNING = "ignore:HarfBuzz-Subset will be required:DeprecationWarning"

LIST_TYPE = ListType(
    code="TEST-FOOD",
    name_zh="食品安全领域严重失信人员名单",
    name_en="Serious violators of food safety",
    kind=ListKind.SERIOUS_UNTRUSTWORTHY,
    subject_type=SubjectType.PERSON,
    legal_basis=(
        "《中华人民共和国食品安全法》第一百三十五条",
        "《市场监督管理严重违法失信名单管理办法》第七条",
    ),
    criteria=("因食品违法行为受到较重行政处罚的个人",),
    decided_by=Decider.PLATFORM,
    period_rule=PeriodRule.FIXED,
    exit_grounds=("expiry", "repair", "revocation"),
    remedies=("对列入决定依法申请行政复议或者提起行政诉讼",),
    serious_field=SeriousField.HEALTH_AND_SAFETY,
    period_months=36,
    defence_working_days=5,
)

PERMIT_BAR = Measure(
    code="M-PERMIT-BAR",
    name_zh="五年内不得申请食品生产经营许可",
    name_en="No food trading permit for five years",
    category=MeasureCategory.RIGHTS_REDUCING,
    legal_basis=("《中华人民共和国食品安全法》第一百三十五条第一款",),
    implementing_unit="市场监督管理部门",
    triggers=frozenset({"TEST-FOOD"}),
    matters=frozenset({"administrative_permit"}),
)
SUBSIDY_BAR = Measure(
    code="M-SUBSIDY-BAR",
    name_zh="限制申请财政补助、补贴资金",
    name_en="No fiscal subsidies",
    category=MeasureCategory.RIGHTS_REDUCING,
    legal_basis=("《国务院关于建立完善守信联合激励和失信联合惩戒制度的指导意见》（九）",),
    implementing_unit="财政部门",
    triggers=frozenset({"TEST-FOOD"}),
    matters=frozenset({"fiscal_subsidy"}),
)


def make_entry(list_type: ListType = LIST_TYPE, **overrides: Any) -> ListEntry:
    """A saved proposal on `list_type`, resting on records 101 and 102."""
    args: dict[str, Any] = {
        "id": 42,
        "list_type": list_type,
        "subject_id": 7,
        "state": EntryState.PROPOSED,
        "proposed_by": "staff-12",
        "grounds": "因销售有毒有害食品被吊销食品经营许可证",
        "basis_records": (101, 102),
    }
    args.update(overrides)
    return ListEntry(**args)


def noticed(list_type: ListType = LIST_TYPE, **overrides: Any) -> ListEntry:
    entry = make_entry(list_type, **overrides)
    entry.serve_notice(on=NOTICE_DAY)
    return entry


def decided(list_type: ListType = LIST_TYPE, **overrides: Any) -> ListEntry:
    entry = noticed(list_type, **overrides)
    entry.decide(reasons="经审查，当事人符合列入标准，且未在期限内陈述申辩", on=DECISION_DAY)
    return entry


def make_doc(entry: ListEntry, **overrides: Any) -> ListingDocument:
    args: dict[str, Any] = {
        "entry": entry,
        "subject_name": "张三",
        "subject_number": FULL_NUMBER,
        "proposer": "某市市场监督管理局",
        "measures": (PERMIT_BAR, SUBSIDY_BAR),
        "issued_at": ISSUED,
        "repair_after_months": 12,
    }
    args.update(overrides)
    return ListingDocument(**args)


# -- the prior notice and the repair notice served with it -------------------------------------


def test_notice_states_grounds_basis_criteria_records_and_consequences() -> None:
    html = render_notice_html(make_doc(noticed()))

    assert "因销售有毒有害食品被吊销食品经营许可证" in html
    for basis in LIST_TYPE.legal_basis:
        assert basis in html
    assert "因食品违法行为受到较重行政处罚的个人" in html
    assert "#101" in html
    assert "#102" in html
    for measure in (PERMIT_BAR, SUBSIDY_BAR):
        assert measure.name_zh in html
        assert measure.name_en in html
        assert measure.legal_basis[0] in html
    assert "36 个月" in html
    assert "某市市场监督管理局" in html


def test_notice_gives_the_defence_deadline_in_working_days_and_how_to_use_it() -> None:
    html = render_notice_html(make_doc(noticed()))

    assert "2026年10月10日 (2026-10-10)" in html
    assert "5 个工作日" in html
    assert "陈述、申辩" in html
    assert "异议" in html
    assert "对列入决定依法申请行政复议或者提起行政诉讼" in html
    assert "尚未公布" not in html


def test_notice_says_when_the_deadline_was_counted_monday_to_friday() -> None:
    entry = noticed()
    entry.defence_deadline = Deadline(date(2026, 10, 9), official=False)

    html = render_notice_html(make_doc(entry))

    assert "2026-10-09" in html
    assert "尚未公布，期限暂按周一至周五计算" in html
    assert "counted Monday to Friday" in html


def test_notice_carries_the_repair_notice_with_exit_grounds_and_from_when() -> None:
    html = render_notice_html(make_doc(noticed()))

    assert "信用修复告知书" in html
    assert "满 12 个月" in html
    assert "列入期限届满" in html
    assert "依法完成信用修复" in html
    assert "据以列入的决定被撤销或者变更" in html


def test_repair_notice_says_when_repair_does_not_end_the_listing() -> None:
    no_repair = dataclasses.replace(LIST_TYPE, exit_grounds=("expiry", "revocation"))

    html = render_notice_html(make_doc(noticed(no_repair)))

    assert "未将信用修复规定为移出情形" in html
    assert "满 12 个月" not in html


@pytest.mark.parametrize("state", [EntryState.PROPOSED, EntryState.WITHDRAWN])
def test_notice_is_refused_for_a_listing_not_served_or_withdrawn(state: EntryState) -> None:
    entry = make_entry(state=state)

    with pytest.raises(Conflict, match=state.value):
        render_notice_html(make_doc(entry))


# -- the decision ------------------------------------------------------------------------------


def test_decision_states_reasons_period_exit_grounds_remedies_and_publication() -> None:
    html = render_decision_html(make_doc(decided()))

    assert "经审查，当事人符合列入标准，且未在期限内陈述申辩" in html
    assert "2026年10月12日 (2026-10-12)" in html
    assert "2029年10月12日 (2029-10-12)" in html
    assert "对列入决定依法申请行政复议或者提起行政诉讼" in html
    assert "本决定将依法向社会公示" in html
    assert "列入期限届满" in html
    assert "2027-10-12" in html  # repair from: twelve months after the decision
    for basis in LIST_TYPE.legal_basis:
        assert basis in html
    assert PERMIT_BAR.name_zh in html


def test_decision_of_a_published_listing_gives_the_publication_day() -> None:
    entry = decided()
    entry.publish(on=date(2026, 10, 13))

    html = render_decision_html(make_doc(entry))

    assert "已于 2026年10月13日 (2026-10-13) 依法向社会公示" in html


def test_decision_without_a_period_names_the_exit_grounds_instead() -> None:
    until_exit = dataclasses.replace(
        LIST_TYPE, period_rule=PeriodRule.UNTIL_EXIT, period_months=None
    )

    html = render_decision_html(make_doc(decided(until_exit)))

    assert "无固定期限，至出现下列移出情形之一时移出" in html
    assert "until an exit ground arises" in html


def test_decision_of_an_unpublished_list_says_it_is_not_published() -> None:
    key = dataclasses.replace(
        LIST_TYPE, kind=ListKind.KEY_SUPERVISION, serious_field=None, published=False
    )

    html = render_decision_html(make_doc(decided(key)))

    assert "本决定不予公示" in html
    assert "本决定将依法向社会公示" not in html


def test_decision_of_an_exited_listing_says_when_and_why_it_ended() -> None:
    entry = decided()
    entry.exit(ground="revocation", on=date(2026, 12, 1))

    html = render_decision_html(make_doc(entry))

    assert "已于 2026年12月1日 (2026-12-01) 移出名单" in html


def test_an_exit_ground_without_a_label_is_printed_as_its_code() -> None:
    odd = dataclasses.replace(LIST_TYPE, exit_grounds=("expiry", "pardon_by_lottery"))

    assert "pardon_by_lottery" in render_decision_html(make_doc(decided(odd)))


@pytest.mark.parametrize("state", [EntryState.PROPOSED, EntryState.NOTICED])
def test_decision_is_refused_before_the_listing_is_decided(state: EntryState) -> None:
    entry = noticed() if state is EntryState.NOTICED else make_entry()

    with pytest.raises(Conflict, match="decided, published or exited"):
        render_decision_html(make_doc(entry))


def test_a_court_decided_listing_gets_no_platform_documents() -> None:
    court = dataclasses.replace(LIST_TYPE, decided_by=Decider.COURT, defence_working_days=0)
    entry = make_entry(court, state=EntryState.DECIDED, decided_on=DECISION_DAY)

    with pytest.raises(Conflict, match="decided by a court"):
        render_decision_html(make_doc(entry))
    with pytest.raises(Conflict, match="decided by a court"):
        render_notice_html(make_doc(entry))


def test_an_unsaved_listing_has_no_document() -> None:
    with pytest.raises(Conflict, match="unsaved"):
        render_notice_html(make_doc(noticed(id=None)))


# -- what both documents share ----------------------------------------------------------------


@pytest.mark.parametrize("render", [render_notice_html, render_decision_html])
def test_documents_print_the_masked_number_and_never_the_full_one(render: Any) -> None:
    doc = make_doc(decided())

    html = render(doc)

    assert MASKED_NUMBER in html
    assert FULL_NUMBER not in html
    assert FULL_NUMBER not in repr(doc)


def test_a_number_typed_with_spaces_is_masked_all_the_same() -> None:
    html = render_notice_html(make_doc(noticed(), subject_number="110105 19491231 002x"))

    assert MASKED_NUMBER in html
    assert "19491231" not in html


def test_html_in_names_grounds_and_reasons_is_escaped() -> None:
    script = "<script>alert('x')</script> & <b>"
    entry = noticed(grounds=f"事由 {script}")
    entry.decide(reasons=f"理由 {script}", on=DECISION_DAY)
    doc = make_doc(entry, subject_name="张<i>三</i>", proposer=f"局 {script}")

    for html in (render_notice_html(doc), render_decision_html(doc)):
        assert "<script>" not in html
        assert "<i>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in html


def test_the_issue_time_is_printed_in_china_time() -> None:
    html = render_notice_html(make_doc(noticed()))

    assert "2026年9月28日 17:00" in html
    assert "UTC+8" in html


def test_a_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_doc(noticed(), issued_at=datetime(2026, 9, 28, 9, 0))  # noqa: DTZ001


# -- PDF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_ready() -> None:
    """Skip the PDF tests on a machine where WeasyPrint's system libraries cannot load."""
    try:
        html_to_pdf("<p>x</p>")
    except PdfUnavailable as exc:
        pytest.skip(f"WeasyPrint cannot load here (see PdfUnavailable): {exc}")


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


@pytest.mark.filterwarnings(HARFBUZZ_SUBSET_WARNING)
@pytest.mark.usefixtures("pdf_ready")
@pytest.mark.parametrize("render", [render_notice_html, render_decision_html])
def test_documents_render_to_pdf(render: Any, tmp_path: Path) -> None:
    pdf = html_to_pdf(render(make_doc(decided())))

    assert pdf.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return  # poppler-utils is not installed: the bytes are a PDF, its text goes unread
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert MASKED_NUMBER in text
    assert FULL_NUMBER not in text
    assert "TEST-FOOD-000042" in text
    assert "Page 1 of" in text
    if _has_cjk_font():
        assert "张三" in text
        assert "五年内不得申请食品生产经营许可" in text


@pytest.mark.filterwarnings(HARFBUZZ_SUBSET_WARNING)
@pytest.mark.usefixtures("pdf_ready")
def test_pdf_rendering_fetches_no_files_or_urls(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="weasyprint")

    pdf = html_to_pdf('<p>x</p><img src="file:///etc/hostname"><img src="http://127.0.0.1:9/x">')

    assert pdf.startswith(b"%PDF")
    assert caplog.text.count("disallowed protocol") == 2


def test_pdf_unavailable_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` fail
    monkeypatch.setattr(pdf, "_printers", {})  # WeasyPrint is loaded once, by the first PDF

    with pytest.raises(PdfUnavailable, match="apt-get install -y libpango"):
        html_to_pdf("<p>x</p>")
