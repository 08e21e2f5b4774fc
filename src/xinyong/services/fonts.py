"""The packaged Chinese font as the printed documents use it: a common face, and the full face.

The font is a Python dependency (the `noto-cjk-sans-otc` package: Noto Sans CJK, SIL Open Font
License 1.1). Printing embeds in each PDF only the glyphs the document uses, and cutting that
subset out of the whole Simplified Chinese face (65 535 glyphs, 16 MB) took about a fifth of a
report's print (bench/README.md). Nearly every character a document prints is a common one, so
the printed stylesheets name two families:

- `FONT_FAMILY`, the common face: the same face cut down once per process to the characters of
  GB 2312 (its 6 763 hanzi and its symbols), Latin with pinyin's tone marks, and the punctuation
  and symbols around them (`COMMON_RANGES`), about 8 300 glyphs, with the forms and layout
  features Chinese and English horizontal text is shaped with; then
- `FONT_FAMILY_FULL`, the full face, which prints any character the common face lacks (a rare
  character in a name: 喆, 堃, 䶮), the same glyphs from the same font.

The glyphs printed are the full face's own, so a document looks the same either way (a test
compares every word's position), only the work of cutting its subset is smaller. HarfBuzz's
subsetter (`uharfbuzz`) cuts the common face in about 0.2 s when a process first prints.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

#: The Python package that carries the font, and the file in it: the OpenType collection of Noto
#: Sans CJK Regular (one face per language, the same glyphs).
FONT_PACKAGE: Final = "noto_cjk_sans_otc"
FONT_DISTRIBUTION: Final = "noto-cjk-sans-otc"
FONT_FILE: Final = "NotoSansCJK-Regular.ttc"
#: The face of the collection a Chinese reader expects (Simplified Chinese glyph forms).
FONT_FACE: Final = "Noto Sans CJK SC"
#: The family names the printed stylesheets use, in this order; only the `@font-face` rules below
#: define them, so a browser showing the same HTML falls through to the next family in the list.
FONT_FAMILY: Final = "Xinyong CJK"
FONT_FAMILY_FULL: Final = "Xinyong CJK Full"
#: The URLs the `@font-face` rules give; `_Printer`'s fetcher answers them from memory.
COMMON_URL: Final = "xinyong-font:common"
FULL_URL: Final = "xinyong-font:full"

#: Beside GB 2312's characters, the code points the common face keeps (inclusive ranges): Latin
#: with Latin-1 and the tone-marked vowels of pinyin, general punctuation, letter-like symbols,
#: number forms and arrows, mathematical operators, circled numbers, box drawing and geometric
#: shapes, CJK symbols and punctuation, and the full-width forms.
COMMON_RANGES: Final = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x02C6, 0x02DD),
    (0x0391, 0x03C9),
    (0x0401, 0x0451),
    (0x2000, 0x206F),
    (0x2100, 0x22FF),
    (0x2460, 0x25FF),
    (0x2600, 0x2642),
    (0x3000, 0x303F),
    (0x3105, 0x3129),
    (0x3220, 0x3243),
    (0xFE30, 0xFE4F),
    (0xFF01, 0xFFEF),
)
#: The layout features horizontal text is shaped with (HarfBuzz's defaults for it, `locl` among
#: them); the vertical forms the full face also carries are left out of the common face.
COMMON_FEATURES: Final = ("locl", "ccmp", "liga", "clig", "calt", "rlig", "kern", "mark", "mkmk")


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or a system library it loads (Pango, HarfBuzz, fontconfig), is not installed."""


class FontUnavailable(PdfUnavailable):
    """The CJK font package is not installed or not readable: the PDF is refused, not boxed."""


@dataclass(frozen=True, slots=True)
class PackagedFont:
    """Where the font is, and which face of the collection is printed."""

    path: Path
    face_index: int


@cache
def packaged_font() -> PackagedFont:
    """Find the font file and its Simplified Chinese face. Raises FontUnavailable."""
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    except ModuleNotFoundError:
        raise FontUnavailable(
            f"the Chinese font is missing: install the `{FONT_DISTRIBUTION}` package"
            " (it is one of xinyong's dependencies: `pip install -e .` installs it)"
        ) from None
    if not path.is_file():
        raise FontUnavailable(f"the Chinese font file {FONT_FILE} is missing from {path.parent}")
    from fontTools.ttLib import TTCollection, TTLibError  # type: ignore[import-untyped]

    try:
        collection = TTCollection(io.BytesIO(path.read_bytes()), lazy=True)
        names = [face["name"].getDebugName(1) for face in collection.fonts]
    except (OSError, TTLibError) as exc:
        raise FontUnavailable(f"the Chinese font file {path.name} cannot be read: {exc}") from exc
    if FONT_FACE not in names:
        raise FontUnavailable(f"{path.name} has no face named {FONT_FACE!r} (it has {names})")
    return PackagedFont(path, names.index(FONT_FACE))


@cache
def full_face(font: PackagedFont) -> bytes:
    """The chosen face as a font file of its own (its tables copied, not decoded)."""
    from fontTools.ttLib import TTFont

    out = io.BytesIO()
    with TTFont(io.BytesIO(font.path.read_bytes()), fontNumber=font.face_index, lazy=True) as face:
        face.save(out)
    return out.getvalue()


def common_characters() -> frozenset[int]:
    """The code points the common face keeps: GB 2312's characters and `COMMON_RANGES`."""
    kept = {point for first, last in COMMON_RANGES for point in range(first, last + 1)}
    for row in range(0xA1, 0xF8):  # GB 2312's rows of symbols (A1-A9) and of hanzi (B0-F7)
        for cell in range(0xA1, 0xFF):
            try:
                kept.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue  # a place the standard leaves empty
    return frozenset(kept)


@cache
def common_face(font: PackagedFont) -> bytes:
    """The chosen face cut down to `common_characters()`, as a font file of its own.

    It keeps each character's glyph, the glyphs the `COMMON_FEATURES` other than `locl` reach
    from them (ligatures such as English "ff"), and the forms `locl` gives them in Chinese text
    (`_shaped_glyphs`: Chinese punctuation such as the em dash), with the lookups among those
    glyphs. Not kept: the forms `locl` gives for the face's other languages (Japanese, Korean,
    traditional Chinese) and for vertical text, which would almost double it. Raises
    FontUnavailable when HarfBuzz cannot cut it (a font the subsetter refuses).
    """
    try:
        import uharfbuzz as hb
    except ImportError as exc:
        raise FontUnavailable(
            "the common face needs HarfBuzz's subsetter: install the `uharfbuzz` package"
            f" (one of xinyong's dependencies). The import failed with: {exc}"
        ) from exc

    face = hb.Face(hb.Blob(font.path.read_bytes()), font.face_index)
    characters = common_characters()
    closed = tuple(feature for feature in COMMON_FEATURES if feature != "locl")
    reached = hb.SubsetPlan(face, _subset_input(characters, closed))
    wanted = _subset_input(characters, COMMON_FEATURES)
    wanted.glyph_set.update(reached.old_to_new_glyph_mapping)
    wanted.glyph_set.update(_shaped_glyphs(hb.Font(face), characters))
    wanted.flags = hb.SubsetFlags.NO_LAYOUT_CLOSURE  # the glyphs are chosen above
    try:
        cut = hb.subset(face, wanted)
    except RuntimeError as exc:  # uharfbuzz raises it when hb_subset_or_fail fails
        raise FontUnavailable(f"the common face of {font.path.name} cannot be cut: {exc}") from exc
    return bytes(cut.blob.data)


def _subset_input(characters: frozenset[int], features: tuple[str, ...]) -> Any:
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    wanted.unicode_set.update(characters)
    kept = wanted.layout_feature_tag_set
    kept.clear()
    kept.update(int.from_bytes(tag.encode("ascii"), "big") for tag in features)
    return wanted


#: The languages a printed character is shaped in, for `locl`'s forms: Chinese as the documents
#: declare it (`lang="zh"`) and as its script-specific tag says it; in Han runs and in Latin ones
#: (punctuation takes its neighbours' script).
_SHAPING: Final = tuple(
    (script, language) for script in ("Hani", "Latn") for language in ("zh", "zh-Hans")
)


def _shaped_glyphs(font: Any, characters: frozenset[int]) -> set[int]:
    """The glyphs HarfBuzz shapes `characters` into, in each of `_SHAPING`'s contexts."""
    import uharfbuzz as hb

    text = "".join(map(chr, sorted(characters)))
    glyphs: set[int] = set()
    for script, language in _SHAPING:
        run = hb.Buffer()
        run.add_str(text)
        run.direction, run.script, run.language = "ltr", script, language
        hb.shape(font, run, {"locl": True})
        glyphs.update(info.codepoint for info in run.glyph_infos)
    return glyphs


def font_css() -> str:
    """Return the `@font-face` rules that declare the packaged font. Raises FontUnavailable.

    The font has one face (Regular): asking for bold or italic would only embed the same glyphs
    again under another name, so the printed documents use none (emphasis is by size and colour).
    """
    packaged_font()
    return (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{COMMON_URL}"); }}\n'
        f'@font-face {{ font-family: "{FONT_FAMILY_FULL}"; src: url("{FULL_URL}"); }}\n'
        "* { font-weight: normal !important; font-style: normal !important; }\n"
    )


def faces() -> dict[str, bytes]:
    """The font files `font_css()`'s URLs name, by URL. Raises FontUnavailable."""
    font = packaged_font()
    return {COMMON_URL: common_face(font), FULL_URL: full_face(font)}
