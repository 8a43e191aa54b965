"""A distribution per agent (latency, tokens) as a box plot: min–max whisker, quartile box,
median line."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from .svg import Scale, axis, clip_label, figure, line, quantile, rect, text

__all__ = ["distribution_chart"]

LEFT, RIGHT, ROW, TOP = 160, 120, 26, 26


def distribution_chart(
    title: str,
    values: dict[str, list[float]],
    fmt: Callable[[float], str],
    *,
    name: str,
    width: float = 560,
) -> Markup:
    """One box per agent over ``values[agent]`` (agents with no value are left out)."""
    rows = [(agent, sorted(vs)) for agent, vs in values.items() if vs]
    top = max((vs[-1] for _, vs in rows), default=1.0) or 1.0
    x = Scale(0.0, top, LEFT, width - RIGHT)
    bottom = TOP + ROW * len(rows)
    body = axis(x, bottom + 4, fmt=fmt, grid_to=TOP - 4)
    for i, (agent, vs) in enumerate(rows):
        y = TOP + i * ROW
        lo, q1, med, q3, hi = (quantile(vs, p) for p in (0, 0.25, 0.5, 0.75, 1))
        mid = y + ROW / 2
        tip = (
            f"{agent}: n={len(vs)}, min {fmt(lo)}, q1 {fmt(q1)}, median {fmt(med)}, "
            f"q3 {fmt(q3)}, max {fmt(hi)}"
        )
        body.append(text(LEFT - 8, y + 16, clip_label(agent), anchor="end"))
        body.append(line(x(lo), mid, x(hi), mid, cls="whisker"))
        body.append(rect(x(q1), y + 5, max(x(q3) - x(q1), 1.5), ROW - 10, cls="box", tip=tip))
        body.append(line(x(med), y + 5, x(med), y + ROW - 5, cls="median"))
        body.append(text(width - RIGHT + 8, y + 16, f"median {fmt(med)}", cls="val"))
    return figure(
        width,
        bottom + 26,
        title,
        body,
        name=name,
        desc="Per agent: whisker from min to max, box from first to third quartile, line at the median.",
    )
