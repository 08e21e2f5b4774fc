"""The pages' languages: Chinese by default, English on request, and an English catalog that
covers every text the templates and the web layer mark, with nothing stale in it."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.factories import penalty_row
from xinyong.domain.errors import FieldProblem, RowRejected
from xinyong.domain.policy import Policy
from xinyong.domain.reasons import WORDS
from xinyong.domain.records import validate_row
from xinyong.domain.repairs import Unrepairable
from xinyong.web import i18n
from xinyong.web.console import reasons
from xinyong.web.console.pages import _environment as console_environment
from xinyong.web.console.reasons import flag_in_words, reason_in_words
from xinyong.web.portal import messages, words

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "src" / "xinyong" / "locale" / "en" / "LC_MESSAGES" / "messages.po"


def _marked() -> set[str]:
    """Every message the templates and the web layer mark, as `python3 dev.py messages` finds."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_say": (2,)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_text_has_its_english_and_the_catalog_holds_nothing_stale() -> None:
    with CATALOG.open("rb") as po:
        catalog = read_po(po)
    # A plural text is known by its singular, and has its English only when every form has one.
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]: m.string
        if isinstance(m.string, str)
        else ("all forms" if m.string and all(m.string) else "")
        for m in catalog
        if m.id
    }
    marked = _marked()
    assert marked, "no text is marked: the extraction found nothing"
    missing = sorted(m for m in marked if not translated.get(m))
    stale = sorted(set(translated) - marked)
    assert missing == [], "run `python3 dev.py messages` and translate these"
    assert stale == [], "run `python3 dev.py messages` to drop these"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert fuzzy == []


def test_a_page_is_chinese_unless_english_is_asked_for_by_query_or_cookie() -> None:
    assert i18n.language_of(None, None) == "zh"
    assert i18n.language_of("en", None) == "en"
    assert i18n.language_of(None, "en") == "en"
    assert i18n.language_of("zh", "en") == "zh"  # the query wins over the remembered choice
    assert i18n.language_of("fr", "xx") == "zh"  # nothing unknown is trusted


def test_texts_dates_and_instants_follow_the_current_language() -> None:
    assert i18n.gettext("登录") == "登录"
    late_evening = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    with i18n.use_language("en"):
        assert i18n.gettext("登录") == "Log in"
        assert i18n.gettext("a text nobody marked") == "a text nobody marked"
        assert i18n.when(date(2026, 9, 1)) == "1 September 2026"
        assert i18n.when(late_evening) == "2026-11-30 23:30"
        assert i18n.when(late_evening, with_time=False) == "30 November 2026"
    assert i18n.current() == "zh"  # only inside the block
    assert i18n.when(date(2026, 9, 1)) == "2026年9月1日"
    assert i18n.when(None) == ""


def test_a_template_renders_in_one_language_at_a_time() -> None:
    page = i18n.environment("portal").get_template("login.html")
    context = {"path": "/portal/login", "query": [], "signed_in": False, "csrf": "", "error": None}
    chinese = page.render(**context)
    with i18n.use_language("en"):
        english = page.render(**context)
    assert "<h1>登录</h1>" in chinese
    assert "Log in" not in chinese
    assert "<h1>Log in</h1>" in english
    assert "登录" not in english
    assert 'href="/portal/login?lang=en"' in chinese
    assert 'href="/portal/login?lang=zh"' in english


def _batch_page(rows: int, total: int, *, done: bool) -> str:
    summary = SimpleNamespace(
        rows=rows, accepted=rows, updated=0, unchanged=0, held_for_review=0, rejected=0
    )
    page = console_environment().get_template("batch.html")
    context = {"path": "/console/batches/1", "query": [], "batch_id": 1, "errors": []}
    with i18n.use_language("en"):
        return page.render(**context, summary=summary, total=total, done=done)


def test_a_count_of_rows_is_told_in_the_singular_or_the_plural_as_english_needs() -> None:
    assert "Complete: 1 row." in _batch_page(1, 1, done=True)
    assert "Complete: 3 rows." in _batch_page(3, 3, done=True)
    assert "In progress: 1 row handled. 2 rows in all." in _batch_page(1, 2, done=False)
    assert "In progress: 0 rows handled. 1 row in all." in _batch_page(0, 1, done=False)


def test_a_decided_listing_is_published_by_a_button_that_says_so_under_its_lists_name(
    policy: Policy,
) -> None:
    list_type = next(iter(policy.list_types.values()))
    entry = SimpleNamespace(
        id=7,
        list_type=list_type,
        state=SimpleNamespace(value="decided"),
        defence_deadline=None,
        publication_refused=lambda on: None,  # a listing that may be published today
    )
    subject = SimpleNamespace(name="王秀英", number="11010519491231002X")
    view = SimpleNamespace(entry=entry, subject=subject)
    page = console_environment().get_template("listings.html")
    context: dict[str, object] = {"path": "/console/listings", "query": [], "csrf": ""}
    results = SimpleNamespace(items=[view], total=1, page=1, pages=1)
    context.update(alert=None, words=words, results=results, page_url=str)
    with i18n.use_language("en"):
        english = page.render(**context, views=[view], list_types=[], today=date(2026, 12, 1))
    chinese = page.render(**context, views=[view], list_types=[], today=date(2026, 12, 1))
    assert '<button type="submit">Publish</button>' in english
    assert '<th scope="col">List</th>' in english
    assert 'data-label="List"' in english
    assert ">published<" not in english
    assert ">Lists<" not in english
    assert '<button type="submit">发布公示</button>' in chinese


#: Rows the record gate refuses, one reason or more each (BJ-AMR's penalties, and an
#: organisation's item without a credit code).
_BAD_ROWS: list[dict[str, object]] = [
    penalty_row(
        subject_id="110105194912310021",
        decision_date="2026-13-01",
        authority_uscc="11110000000021135N",
        penalty_type="flogging",
        fine_amount="abc",
        violation="",
        shoe_size="42",
    ),
    penalty_row(subject_id="11010519491231", fine_amount="-1", document_number="号" * 101),
    penalty_row(subject_id="1101051949123100AX", fine_amount="1.234", item="NO-SUCH-ITEM"),
    penalty_row(decision_date="2026-11-21", valid_from="2026-09-01", valid_until="2026-08-31"),
    penalty_row(item="ADM-PEN-02", subject_id="11010519491231002X", religion="x"),
    penalty_row(subject_id="110105199902300012", decision_date="1800-01-01"),
]

#: Reasons the file readers give (services/batchfiles.py, services/batches.py).
_READER_REASONS = [
    FieldProblem.refused("row", 1, "cell_count", count=3, width=12),
    FieldProblem.refused("row", 1, "not_json", detail="Expecting value at column 1"),
    FieldProblem.refused("row", 1, "not_object"),
    FieldProblem.refused("name", 1, "control_character_in_file"),
    FieldProblem.refused("row", 1, "not_checked", error="KeyError"),
]


def _reasons(policy: Policy) -> list[FieldProblem]:
    amr = policy.department("BJ-AMR")
    assert amr is not None
    found = []
    for raw in _BAD_ROWS:
        with pytest.raises(RowRejected) as caught:
            validate_row(raw, row=1, department=amr, gate=policy.gate(date(2026, 11, 20)))
        found += caught.value.problems
    return found + _READER_REASONS


def test_every_reason_a_batch_row_is_refused_for_is_told_in_chinese_and_in_english(
    policy: Policy,
) -> None:
    found = _reasons(policy)
    assert len(found) >= 20
    for problem in found:
        assert problem.code in WORDS, problem
        chinese = reason_in_words(problem)
        assert chinese != i18n.gettext(reasons.FALLBACK), problem
        assert re.search(r"[\u4e00-\u9fff]", chinese), chinese  # codes to write may stay
        with i18n.use_language("en"):
            english = reason_in_words(problem)
        assert not re.search(r"[\u4e00-\u9fff]", english), english
        assert "110105194912310021" not in chinese + english
    unknown = FieldProblem("row", "a reason nobody gave a code", 1)  # refused before codes
    with i18n.use_language("en"):
        assert reason_in_words(unknown) == "a reason nobody gave a code"
    assert reason_in_words(unknown) == i18n.gettext(reasons.FALLBACK)


@pytest.mark.parametrize("code", sorted(WORDS))
def test_every_code_the_gate_can_refuse_with_has_chinese_words_and_english_in_the_catalog(
    code: str,
) -> None:
    """Each code of domain/reasons.py, whichever rule gives it, is told on a Chinese page and on
    an English one: a code added to the gate without words here fails this test."""
    parts = {name: "1" for name in re.findall(r"{(\w+)}", WORDS[code]) if name != "inner"}
    if "{inner}" in WORDS[code]:
        parts = {"inner": "id_length", "count": "17"}
    problem = FieldProblem.refused("f", 1, code, **parts)
    chinese = reason_in_words(problem)
    assert chinese != i18n.gettext(reasons.FALLBACK)
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    with i18n.use_language("en"):
        english = reason_in_words(problem)
    assert not re.search(r"[\u4e00-\u9fff]", english), english
    assert english != chinese


def test_a_reason_whose_english_is_reworded_is_told_as_before() -> None:
    """The page tells the code, not the English: rewording the gate's English (the API's words)
    leaves the page's words as they were."""
    told = FieldProblem.refused("fine_amount", 4, "too_long", count=12, limit=10)
    reworded = dataclasses.replace(told, reason="has 12 characters, more than the 10 allowed")

    assert reason_in_words(reworded) == reason_in_words(told)
    assert reason_in_words(reworded) == "长度为 12 个字符，最多允许 10 个。"
    with i18n.use_language("en"):
        assert reason_in_words(reworded) == reason_in_words(told)
    nested = FieldProblem.refused(
        "subject_id", 1, "invalid_citizen_id", inner="id_digits", position=7
    )
    assert reason_in_words(dataclasses.replace(nested, reason="bad number")) == (
        "不是有效的公民身份号码：前 17 位应为数字，第 7 位不是"
    )


def test_what_a_court_list_row_is_flagged_for_is_told_in_chinese_and_in_english() -> None:
    from tests.unit.test_court_list import NUMBER, published_row
    from xinyong.domain.court_list import KnownPerson, match_candidate, parse_published_row

    # A Beijing case number from a court in Anhui, an age and a name that disagree.
    row = published_row(caseCode="（2026）京0105执9号", courtName="巢湖市人民法院", age="30")
    candidate = parse_published_row(row, 1)
    assert not isinstance(candidate, list)
    (match,) = match_candidate(candidate, [KnownPerson(1, NUMBER, "别人")])
    assert len(match.inconsistencies) >= 3
    for flag in match.inconsistencies:
        chinese = flag_in_words(flag)
        assert chinese != i18n.gettext(reasons.OTHER_FLAG), flag
        with i18n.use_language("en"):
            english = flag_in_words(flag)
        assert english.startswith("The "), english
    assert flag_in_words("something new") == i18n.gettext(reasons.OTHER_FLAG)


def test_conduct_excluded_from_repair_is_told_with_its_law_in_either_language() -> None:
    refused = Unrepairable("ADM-PEN-01", "《中华人民共和国食品安全法》第一百三十五条")
    with i18n.use_language("zh"):
        assert messages.told(refused) == (
            None,
            "依照《中华人民共和国食品安全法》第一百三十五条的规定，这条信息不能修复。",
        )
    with i18n.use_language("en"):
        assert messages.told(refused)[1] == (
            "Under 《中华人民共和国食品安全法》第一百三十五条, this information cannot be repaired."
        )
