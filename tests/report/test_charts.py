"""The report's charts (report/charts/): inline SVG with escaped labels, one bar per agent with
its Wilson interval, one box per agent, one mark per attempt of a repeated test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from report import build_from_results, render
from report.charts import attempts_chart, distribution_chart, pass_rate_chart, report_charts
from report.charts.attempts import MAX_ROWS
from report.charts.svg import Scale, quantile
from report.stats import wilson
from tests.report.samples import adversarial, repeated, sample, viewer

pytestmark = pytest.mark.requirement("report:html-charts")

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def _report(s):  # type: ignore[no-untyped-def]
    return build_from_results(s.results, s.meta, s.plan)


def test_pass_rate_has_a_bar_and_an_interval_per_agent() -> None:
    report = _report(viewer())
    svg = _svg(pass_rate_chart(report.agents))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Pass rate per agent (95% Wilson interval)"
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == len(report.agents) == 2
    for a, bar in zip(report.agents, bars, strict=True):
        lo, hi = wilson(a.passed, a.total)
        tip = bar.find(f"{SVG}title").text
        assert f"{a.passed}/{a.total} passed" in tip and f"{lo * 100:.0f}–{hi * 100:.0f}%" in tip
        # bar length is the pass rate on the 0..100% axis
        assert float(bar.get("width")) == pytest.approx(a.pass_rate * 280, abs=0.01)
    assert len([ln for ln in svg.iter(f"{SVG}line") if ln.get("class") == "ci"]) == 3 * 2


def test_labels_are_escaped_and_clipped() -> None:
    report = _report(adversarial())
    charts = report_charts(report)
    for chart in charts:
        svg = _svg(chart)  # parses: no raw < or & from a name
        assert not [e for e in svg.iter() if e.tag in (f"{SVG}script", f"{SVG}foreignObject")]
    text = "".join(str(c) for c in charts)
    assert "<script>" not in text and "evil|agent @everyone" in text


def test_distribution_has_a_box_per_agent_with_its_quartiles() -> None:
    values = {"a": [10.0, 20.0, 30.0, 40.0, 50.0], "b": [5.0], "none": []}
    svg = _svg(distribution_chart("Latency", values, lambda v: f"{v:.0f}", name="latency"))
    boxes = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "box"]
    assert len(boxes) == 2  # an agent without values has no box
    assert "q1 20, median 30, q3 40, max 50" in boxes[0].find(f"{SVG}title").text
    assert len([ln for ln in svg.iter(f"{SVG}line") if ln.get("class") == "median"]) == 2


def test_attempts_strip_has_a_mark_per_attempt_flaky_first() -> None:
    base = sample("02_single_agent_multi_test")
    assert attempts_chart(_report(base)) is None  # nothing repeated: no strip
    report = _report(repeated(base, 4, {1: {0, 2}, 2: {0, 1, 2, 3}}))
    svg = _svg(attempts_chart(report))  # type: ignore[arg-type]
    marks = [r for r in svg.iter(f"{SVG}rect") if "mark" in (r.get("class") or "")]
    assert len(marks) == 3 * 4
    # the flaky test (case 1) is the first row: failed, passed, failed, passed
    assert [m.get("class") for m in marks[:4]] == [
        "mark failed",
        "mark passed",
        "mark failed",
        "mark passed",
    ]
    assert "attempts" in svg.get("class")


def test_attempts_strip_is_bounded() -> None:
    base = sample("02_single_agent_multi_test")
    s = repeated(base, 2, {})
    many = []
    for i in range(MAX_ROWS + 5):
        many += [r.model_copy(update={"test": f"t{i}", "case_id": f"u/{i}"}) for r in s.results[:2]]
    report = _report(type(s)(s.name, s.plan, s.meta, many, []))
    svg = str(attempts_chart(report))
    assert svg.count('class="mark ') == MAX_ROWS * 2
    assert "5 more test × agent entries not drawn" in svg


def test_scale_ticks_and_quantiles() -> None:
    assert Scale(0, 1, 0, 100).ticks(5) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert Scale(0, 2340, 0, 100).ticks(5) == [0, 500, 1000, 1500, 2000]
    assert Scale(0, 1, 10, 110)(0.5) == 60 and Scale(0, 1, 10, 110)(2) == 110
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5 and quantile([7.0], 0.25) == 7.0


def test_the_html_report_shows_the_charts() -> None:
    html = render(_report(viewer()), "html")
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart ') == 3
    assert 'id="charts"' in html
