"""The viewer's list of runs: one row per run of a store, and a pass-rate trend per suite.

The rows are made by the caller (bench view reads the store's metadata.json files, never a
results.jsonl but for a run still going); this module only lays them out, groups them by
suite for the trend charts (report/charts/trend.py) and renders templates/view/runs.html.j2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from .charts.trend import TrendPoint, trend_svg
from .environments import html_env

__all__ = ["TREND_RUNS", "RunRow", "SuiteTrend", "render_run_list", "suite_trends"]

TREND_RUNS = 30
"""How many of a suite's latest runs its trend chart shows."""


@dataclass(frozen=True)
class RunRow:
    """One run as the list shows it (every text in it is foreign: the template escapes it)."""

    run_id: str
    """The run's directory name: the id the viewer's URLs use."""
    suite: str = ""
    status: str = ""
    """``completed``, ``running``, … with bench runs' marks (retry of, shard, merged)."""
    started_at: str = ""
    duration_ms: float | None = None
    total: int = 0
    """Cases with a result."""
    case_count: int = 0
    """Cases in the plan."""
    passed: int = 0
    failed: int = 0
    errors: int = 0
    cost_usd: float | None = None
    git_commit: str | None = None
    problem: str | None = None
    """Why the run's metadata could not be read (the row is listed, not linked)."""

    @property
    def pass_rate(self) -> float | None:
        """passed / cases with a result (as the report's summary), None when none ran."""
        return self.passed / self.total if self.total else None

    @property
    def date(self) -> str:
        """``2026-11-02 10:00 UTC`` from the RFC 3339 start time."""
        text = self.started_at
        if len(text) >= 16 and text[10] == "T":
            return f"{text[:10]} {text[11:16]} UTC"
        return text


@dataclass
class SuiteTrend:
    """A suite's latest runs, oldest first, and its chart."""

    suite: str
    runs: list[RunRow] = field(default_factory=list)

    @property
    def svg(self) -> Markup:
        """The pass-rate trend as inline SVG."""
        points = [
            TrendPoint(
                label=r.run_id,
                rate=r.pass_rate,
                note=f"{r.date}, {r.passed}/{r.total} passed",
            )
            for r in self.runs
        ]
        return trend_svg(points, title=f"{self.suite}: pass rate over its last {len(points)} runs")


def suite_trends(rows: Sequence[RunRow], last: int = TREND_RUNS) -> list[SuiteTrend]:
    """Per suite (in order of its newest run), its ``last`` newest readable runs, oldest first.

    ``rows`` are newest first, as the store lists them.
    """
    trends: dict[str, SuiteTrend] = {}
    for row in rows:
        if row.problem is not None:
            continue
        trend = trends.setdefault(row.suite, SuiteTrend(row.suite))
        if len(trend.runs) < last:
            trend.runs.append(row)
    for trend in trends.values():
        trend.runs.reverse()
    return list(trends.values())


def render_run_list(rows: Sequence[RunRow], *, store: str) -> str:
    """The list page: every run (newest first) with base/head pickers, and the trends."""
    return (
        html_env()
        .get_template("view/runs.html.j2")
        .render(rows=rows, trends=suite_trends(rows), store=store)
    )
