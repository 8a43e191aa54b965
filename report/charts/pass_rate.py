"""Pass rate per agent, a bar each, with its 95% Wilson interval as a whisker."""

from __future__ import annotations

from markupsafe import Markup

from ..schema import AgentStats
from ..stats import wilson
from .svg import Scale, axis, clip_label, figure, line, rect, text

__all__ = ["pass_rate_chart"]

LEFT, RIGHT, ROW, TOP = 160, 120, 26, 26


def pass_rate_chart(agents: list[AgentStats], width: float = 560) -> Markup:
    """One bar per agent (passed / cases) and the Wilson 95% interval of that rate."""
    x = Scale(0.0, 1.0, LEFT, width - RIGHT)
    bottom = TOP + ROW * len(agents)
    body = axis(x, bottom + 4, fmt=lambda v: f"{v * 100:.0f}%", grid_to=TOP - 4)
    for i, a in enumerate(agents):
        y = TOP + i * ROW
        lo, hi = wilson(a.passed, a.total)
        tip = f"{a.name}: {a.passed}/{a.total} passed, {a.pass_rate * 100:.1f}% (95% CI {lo * 100:.0f}–{hi * 100:.0f}%)"
        body.append(text(LEFT - 8, y + 16, clip_label(a.name), anchor="end"))
        body.append(rect(x(0), y + 5, x(a.pass_rate) - x(0), ROW - 10, cls="bar", tip=tip))
        mid = y + ROW / 2
        body += [
            line(x(lo), mid, x(hi), mid, cls="ci"),
            line(x(lo), mid - 5, x(lo), mid + 5, cls="ci"),
            line(x(hi), mid - 5, x(hi), mid + 5, cls="ci"),
        ]
        label = f"{a.pass_rate * 100:.1f}% [{lo * 100:.0f}–{hi * 100:.0f}]"
        body.append(text(width - RIGHT + 8, y + 16, label, cls="val"))
    return figure(
        width,
        bottom + 26,
        "Pass rate per agent (95% Wilson interval)",
        body,
        name="pass-rate",
        desc="Bars: passed / cases per agent; whiskers: the 95% Wilson score interval.",
    )
