"""The per-suite trend chart (report/charts/trend.py) and the runs' grouping into trends."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from report.charts.trend import TrendPoint, trend_svg
from report.run_list import RunRow, suite_trends

SVG = "{http://www.w3.org/2000/svg}"


def _marks(svg: str) -> list[ET.Element]:
    return ET.fromstring(svg).findall(f"{SVG}circle")


def test_one_mark_per_run_with_a_rate_higher_rates_drawn_higher() -> None:
    points = [TrendPoint("r1", 0.25), TrendPoint("r2", None), TrendPoint("r3", 1.0)]
    svg = str(trend_svg(points, title="suite"))
    marks = _marks(svg)
    assert len(marks) == 2  # the run without a judged case is a gap, not a 0% mark
    assert float(marks[0].get("cy")) > float(marks[1].get("cy"))  # type: ignore[arg-type]
    assert float(marks[0].get("cx")) < float(marks[1].get("cx"))  # type: ignore[arg-type]
    # a gap splits the line: no segment joins r1 to r3 across the missing run
    assert ET.fromstring(svg).findall(f"{SVG}polyline") == []


def test_tooltips_and_titles_are_escaped_and_nothing_is_fetched() -> None:
    evil = '<script>alert(1)</script>"&'
    svg = str(trend_svg([TrendPoint(evil, 0.5, note=evil)], title=evil))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg)  # well-formed XML despite the hostile labels
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]
    # no reference to anything outside the SVG: no href, no url(), no external font
    assert not re.search(r"href|url\(|@import|<script", svg)


def test_rows_group_into_one_trend_per_suite_oldest_first_capped() -> None:
    rows = [RunRow(run_id=f"a{i}", suite="a", total=4, passed=i % 5) for i in range(40, 0, -1)]
    rows.insert(3, RunRow(run_id="b1", suite="b", total=2, passed=2))
    rows.insert(5, RunRow(run_id="broken", problem="unreadable metadata.json"))
    trends = suite_trends(rows, last=30)
    assert [t.suite for t in trends] == ["a", "b"]
    a = trends[0]
    assert len(a.runs) == 30
    assert [r.run_id for r in a.runs][-1] == "a40" and a.runs[0].run_id == "a11"
    assert len(_marks(str(a.svg))) == 30
