"""The attempts strip: for each repeated test × agent, one mark per attempt, coloured by its
status, in attempt order. Flaky entries first."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from ..case_list import CaseBrief, briefs_of
from ..schema import Report
from .svg import clip_label, figure, rect, text

__all__ = ["MAX_ROWS", "attempts_chart"]

MAX_ROWS = 60
"""Test × agent rows drawn at most (flaky first); the caption says how many were left out."""
LEFT, ROW, TOP, MARK, GAP = 300, 18, 26, 12, 3


def attempts_chart(
    report: Report, briefs: Sequence[CaseBrief] | None = None, width: float = 560
) -> Markup | None:
    """None unless some test × agent ran more than once (``briefs``: the report's, when the
    caller has them already)."""
    runs: dict[tuple[str, str], list[CaseBrief]] = {}
    for c in briefs_of(report.detailed_results) if briefs is None else briefs:
        runs.setdefault((c.key, c.agent), []).append(c)
    repeated = [(k, sorted(cs, key=lambda c: c.attempt)) for k, cs in runs.items() if len(cs) > 1]
    if not repeated:
        return None
    flaky = [r for r in repeated if len({c.status for c in r[1]} & {"passed", "failed"}) == 2]
    rest = [r for r in repeated if r not in flaky]
    rows = (flaky + rest)[:MAX_ROWS]
    longest = max(len(cs) for _, cs in rows)
    width = max(width, LEFT + longest * (MARK + GAP) + 20)
    body = []
    for i, ((_, agent), cs) in enumerate(rows):
        y = TOP + i * ROW
        label = cs[0].test if not report.summary.agents > 1 else f"{cs[0].test} · {agent}"
        body.append(text(LEFT - 8, y + 11, clip_label(label, 44), anchor="end"))
        for j, c in enumerate(cs):
            tip = f"{label}: attempt {c.attempt + 1} {c.status}"
            body.append(
                rect(LEFT + j * (MARK + GAP), y + 1, MARK, MARK, cls=f"mark {c.status}", tip=tip)
            )
    left_out = len(repeated) - len(rows)
    height = TOP + ROW * len(rows) + 8
    if left_out:
        body.append(
            text(LEFT, height + 6, f"… {left_out} more test × agent entries not drawn", cls="tick")
        )
        height += 16
    return figure(
        width,
        height,
        "Attempts per repeated test (one mark per attempt)",
        body,
        name="attempts",
        desc="Each row is a test × agent that ran more than once; marks are attempts in order, coloured passed, failed or error.",
    )
