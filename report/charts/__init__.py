"""The HTML report's charts, drawn server-side as inline SVG (no script, no request).

``report_charts(report)`` returns the charts a report shows, in order; each chart module owns
one chart and draws with the primitives of ``svg.py`` (reusable by other charts).
"""

from __future__ import annotations

from markupsafe import Markup

from ..case_list import briefs_of
from ..environments import fmt_ms, fmt_num
from ..schema import Report
from .attempts import attempts_chart
from .distribution import distribution_chart
from .pass_rate import pass_rate_chart

__all__ = ["attempts_chart", "distribution_chart", "pass_rate_chart", "report_charts"]


def report_charts(report: Report) -> list[Markup]:
    """Pass rate per agent, latency and token distributions per agent, the attempts strip
    (drawn from the cases' briefs: no transcript is read)."""
    briefs = briefs_of(report.detailed_results)
    if not briefs:
        return []
    latency: dict[str, list[float]] = {a.name: [] for a in report.agents}
    tokens: dict[str, list[float]] = {a.name: [] for a in report.agents}
    for c in briefs:
        latency.setdefault(c.agent, []).append(c.latency_ms)
        tokens.setdefault(c.agent, []).append(c.tokens.total)
    charts = [
        pass_rate_chart(report.agents),
        distribution_chart("Latency per agent", latency, fmt_ms, name="latency"),
        distribution_chart("Tokens per case, per agent", tokens, fmt_num, name="tokens"),
    ]
    strip = attempts_chart(report, briefs)
    if strip is not None:
        charts.append(strip)
    return charts
