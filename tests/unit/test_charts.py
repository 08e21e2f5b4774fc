"""The console's server-drawn charts (web/console/charts.py)."""

from __future__ import annotations

import re

from xinyong.web.console.charts import Series, bar_chart


def _ticks(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" font-size="11" fill="#52606d">([^<]*)<', svg)


def test_a_chart_of_counts_has_whole_ticks_even_when_the_counts_are_small() -> None:
    """The objections chart of one case had ticks of 0.2, 0.4, … cases."""
    svg = bar_chart(
        chart_id="c",
        title="t",
        description="d",
        categories=["a", "b"],
        series=[Series("on time", (1.0, 0.0)), Series("late", (0.0, 1.0))],
    )
    assert _ticks(str(svg)) == ["0", "1", "2", "3", "4", "5"]


def test_a_chart_of_shares_keeps_its_fractions() -> None:
    svg = bar_chart(
        chart_id="c",
        title="t",
        description="d",
        categories=["a"],
        series=[Series("rate", (0.5,))],
        unit="%",
    )
    assert _ticks(str(svg)) == ["0%", "0.2%", "0.4%", "0.6%", "0.8%", "1%"]
