"""Bar charts drawn on the server as SVG: no script, no chart library, nothing fetched.

Colours are presentation attributes (never `style`), so a strict content security policy holds;
each chart has a title and a description for screen readers, and its page shows the same figures
as a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

#: Colours a reader with common colour-vision deficiencies can still tell apart (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000")

_WIDTH = 720
_LEFT = 56
_TOP = 16
_PLOT_HEIGHT = 220
_LABEL_SPACE = 64


@dataclass(frozen=True, slots=True)
class Series:
    """One coloured part of every bar: its name (the legend) and a value per category."""

    name: str
    values: tuple[float, ...]


def _nice_max(value: float) -> float:
    """A round top for the axis at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return 10 * step


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = True,
    unit: str = "",
) -> Markup:
    """Bars per category, the series stacked (or side by side), with axis, labels and legend."""
    totals = [
        sum(s.values[i] for s in series)
        if stacked
        else max((s.values[i] for s in series), default=0)
        for i in range(len(categories))
    ]
    top = _nice_max(max(totals, default=0))
    if all(float(v).is_integer() for s in series for v in s.values):
        top = max(top, 5)  # counts: five steps of at least one, never a tick of 0.2 cases
    legend_rows = (len(series) + 2) // 3
    height = _TOP + _PLOT_HEIGHT + _LABEL_SPACE + 22 * legend_rows
    plot_width = _WIDTH - _LEFT - 12
    slot = plot_width / max(len(categories), 1)
    bar = slot * 0.7
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" class="chart"'
        f' role="img" aria-labelledby="{chart_id}-t {chart_id}-d" id="{chart_id}">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    base = _TOP + _PLOT_HEIGHT
    for tick in range(6):  # five steps: a round top gives round ticks
        value = top * tick / 5
        y = base - _PLOT_HEIGHT * tick / 5
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - 12}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9e2ec"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="#52606d">{_number(value)}{escape(unit)}</text>'
        )
    for i, category in enumerate(categories):
        x = _LEFT + slot * i + (slot - bar) / 2
        y = base
        width = bar if stacked else bar / max(len(series), 1)
        for n, s in enumerate(series):
            value = s.values[i]
            h = _PLOT_HEIGHT * value / top
            if stacked:
                y -= h
                left = x
            else:
                y = base - h
                left = x + width * n
            if value > 0:
                parts.append(
                    f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}"'
                    f' fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(category)} ·'
                    f" {escape(s.name)}: {_number(value)}{escape(unit)}</title></rect>"
                )
        label_x = _LEFT + slot * i + slot / 2
        parts.append(
            f'<text x="{label_x:.1f}" y="{base + 14}" font-size="11" fill="#1f2933"'
            f' text-anchor="end" transform="rotate(-35 {label_x:.1f} {base + 14})">'
            f"{escape(category)}</text>"
        )
    for n, s in enumerate(series):
        column, row = n % 3, n // 3
        lx = _LEFT + column * (plot_width / 3)
        ly = base + _LABEL_SPACE + row * 22
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly - 10}" width="12" height="12"'
            f' fill="{PALETTE[n % len(PALETTE)]}"/>'
            f'<text x="{lx + 18:.1f}" y="{ly}" font-size="12" fill="#1f2933">'
            f"{escape(s.name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
