"""The common face prints what the documents print, where the full face would print it.

The printed documents are set in a common face cut from the packaged font (services/fonts.py),
and fall back to the full face for a character it lacks; these tests hold the common face to
the documents' own text, and to the full face's layout, word by word (pdftotext -bbox).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from tests.unit.test_reports import make_report
from xinyong.services import fonts, pdf
from xinyong.services.report_render import render_report_pdf

SRC = Path(__file__).resolve().parents[2] / "src" / "xinyong"

#: Where the text the platform prints comes from: the report's and the listing documents'
#: templates, the code that words the report, every policy file (catalog names, departments,
#: measures, regions) and the message catalog's Chinese source strings.
PRINTED_SOURCES = (
    "templates/report/*",
    "templates/documents/*",
    "services/report_*.py",
    "services/documents.py",
    "policy/**/*.toml",
    "locale/*/LC_MESSAGES/*.po",
)


def _face(data: bytes) -> TTFont:
    return TTFont(io.BytesIO(data), lazy=True)


def test_the_common_face_has_every_character_the_platform_prints_itself() -> None:
    """Fixed text never needs the full face: a character added to a template or a policy file
    outside the common face fails here (then add it to `COMMON_RANGES`)."""
    kept = set(_face(fonts.common_face(fonts.packaged_font())).getBestCmap())
    missing: dict[str, str] = {}
    for pattern in PRINTED_SOURCES:
        for path in SRC.glob(pattern):
            text = path.read_text(encoding="utf-8")
            lacking = sorted({ch for ch in text if ch.isprintable() and ord(ch) not in kept})
            if lacking:
                missing[str(path.relative_to(SRC))] = "".join(lacking)
    assert not missing


def test_every_printed_stylesheet_falls_back_from_the_common_face_to_the_full_face() -> None:
    """A stylesheet naming the common face alone would print a rare character as a box."""
    naming = [
        path
        for path in SRC.glob("templates/**/*")
        if path.is_file() and fonts.FONT_FAMILY in path.read_text(encoding="utf-8")
    ]
    assert len(naming) >= 2  # the report's stylesheet and the listing documents' template
    families = f'"{fonts.FONT_FAMILY}", "{fonts.FONT_FAMILY_FULL}"'  # in this order
    for path in naming:
        text = path.read_text(encoding="utf-8")
        assert text.count(f'"{fonts.FONT_FAMILY}"') == text.count(families), path


def test_the_common_face_is_gb_2312_and_a_fraction_of_the_full_face() -> None:
    font = fonts.packaged_font()
    common = _face(fonts.common_face(font))
    full = _face(fonts.full_face(font))

    drawn = set(full.getBestCmap())  # the ranges name a few code points the font has not
    assert fonts.common_characters() & drawn <= set(common.getBestCmap())
    assert len(fonts.common_characters()) > 6763 + 682  # GB 2312's hanzi and symbols
    assert len(common.getGlyphOrder()) * 6 < len(full.getGlyphOrder())
    assert common["name"].getDebugName(1) == fonts.FONT_FACE


def _words(pdf_bytes: bytes, folder: Path, name: str) -> list[str]:
    """Each word of the PDF with its box, as pdftotext -bbox gives them."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = folder / name
    path.write_bytes(pdf_bytes)
    listing = subprocess.run(
        [tool, "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"<word [^>]*>[^<]*</word>", listing)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_common_face_sets_every_word_where_the_full_face_does(
    lang: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same glyphs, the same shaping (Chinese punctuation's `locl` forms, English
    ligatures), so the same layout: the report printed with the full face in place of the
    common one has every word in the same place."""
    report = make_report()
    monkeypatch.setattr(pdf, "_printers", {})
    try:
        common = render_report_pdf(report, lang)
    except pdf.PdfUnavailable as exc:
        pytest.skip(f"PDF rendering unavailable here: {exc}")
    full = fonts.full_face(fonts.packaged_font())
    monkeypatch.setattr(pdf, "_printers", {})
    monkeypatch.setattr(pdf, "faces", lambda: {fonts.COMMON_URL: full, fonts.FULL_URL: full})
    in_full = render_report_pdf(report, lang)

    words = _words(common, tmp_path, "common.pdf")
    assert len(words) > 100
    assert words == _words(in_full, tmp_path, "full.pdf")


def test_without_harfbuzz_s_binding_the_pdf_is_refused_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As without the font package: refused (503 on the API), never a crash."""
    monkeypatch.setitem(sys.modules, "uharfbuzz", None)  # an import of it raises ImportError
    with pytest.raises(pdf.FontUnavailable, match="install the `uharfbuzz` package"):
        fonts.common_face.__wrapped__(fonts.packaged_font())
