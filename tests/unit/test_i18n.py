"""The pages' languages: Chinese by default, English on request, and an English catalog that
covers every text the templates and the web layer mark, with nothing stale in it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from xinyong.web import i18n

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
    translated = {m.id: m.string for m in catalog if m.id}
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
