"""The Markdown report, written to be a GitHub PR comment.

It always fits GitHub's 65,536-character comment limit: long sections are collapsed in
``<details>``, every untrusted text is clipped, and when the run is too large the lists are
shortened until the comment fits, with a line saying what was left out and where the full
report is. The first line is the hidden marker the Action finds its comment by.
"""

from __future__ import annotations

from dataclasses import dataclass

from .environments import md_env
from .schema import Report
from .views import WholeCases, layout

__all__ = ["COMMENT_LIMIT", "MARKER", "MissingMarker", "render_markdown"]

MARKER = "<!-- bench-report -->"
"""Hidden first line; the GitHub Action updates the comment that contains it."""

COMMENT_LIMIT = 65_536
"""GitHub's maximum comment body, in characters."""

_BUDGET = COMMENT_LIMIT - 536
"""Kept below the limit so the Action may append a line of its own."""


class MissingMarker(AssertionError):
    """The template lost the marker: the Action would post a new comment on every push."""


@dataclass
class _Caps:
    failures: int
    failure_details: int
    matrix: int
    agents: int
    changes: int

    def shrink(self) -> bool:
        """Halve the largest list still shown; False when nothing is left to cut."""
        name = max(
            ("matrix", "failures", "changes", "failure_details", "agents"),
            key=lambda n: getattr(self, n),
        )
        value = getattr(self, name)
        if value == 0:
            return False
        setattr(self, name, value // 2)
        return True


def _omitted(report: Report, caps: _Caps, n_failures: int) -> list[str]:
    out = []
    if n_failures > caps.failures:
        out.append(f"{n_failures - caps.failures:,} of {n_failures:,} failures")
    elif n_failures > caps.failure_details:
        out.append(
            f"the details of {n_failures - caps.failure_details:,} of {n_failures:,} failures"
        )
    rows = len(report.comparison_summary)
    if rows > caps.matrix:
        out.append(f"{rows - caps.matrix:,} of {rows:,} rows of the test × agent matrix")
    if len(report.agents) > caps.agents:
        out.append(f"{len(report.agents) - caps.agents:,} of {len(report.agents):,} agents")
    if report.baseline is not None:
        b = report.baseline
        for label, items in (
            ("newly failing", b.newly_failing),
            ("newly passing", b.newly_passing),
        ):
            if len(items) > caps.changes:
                out.append(f"{len(items) - caps.changes:,} of {len(items):,} {label} cases")
    return out


def render_markdown(report: Report, *, full_report: str | None = None) -> str:
    """The Markdown report / PR comment body, always shorter than ``COMMENT_LIMIT``."""
    v = layout(report)
    where = (
        full_report
        or f"the HTML and JSON reports of run {report.run_id} (`bench report runs/{report.run_id}`)"
    )
    caps = _Caps(failures=100, failure_details=15, matrix=300, agents=50, changes=50)
    changes: dict[tuple[str, str], str] = {}
    if report.baseline is not None:
        changes.update({(c.key, c.agent): "🔻" for c in report.baseline.newly_failing})
        changes.update({(c.key, c.agent): "🔺" for c in report.baseline.newly_passing})
    # The only whole cases the comment prints: the failures of its table and details, fetched
    # one at a time as the template walks them. Every count reads the briefs.
    failures = WholeCases(report, v.failures)
    template = md_env().get_template("report.md.j2")
    while True:
        text = template.render(
            r=report,
            v=v,
            caps=caps,
            omitted=_omitted(report, caps, len(v.failures)),
            where=where,
            marker=MARKER,
            changes=changes,
            failures=failures,
        )
        if len(text) <= _BUDGET or not caps.shrink():
            break
    if MARKER not in text.splitlines()[0]:
        raise MissingMarker("the Markdown template must start with the bench-report marker")
    # Every list is capped and every text clipped, so even a zero-cap render is small; this
    # cut is the last resort that keeps the promise whatever a template change does.
    if len(text) > _BUDGET:
        text = text[: _BUDGET - 200] + f"\n\n… truncated; the full report is in {where}\n"
    return text
