"""A load sweep's saturation curve as two inline SVG charts, level on the x axis.

``throughput_svg``: aggregate output tokens/s per level (one mark per level).
``latency_svg``: TTFT p50 and p99 per level (a mark per level and percentile; a level with
no successful request is a gap). Both mark the knee (the highest level meeting the SLO) with a
dashed line. Levels are spaced evenly (a sweep is usually 1, 2, 4, 8...), labelled with their
value. Everything is drawn here with presentation attributes: no script, no font file, no
external reference, every text escaped, so the SVG can be inlined under a CSP that forbids
every request.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Series", "latency_svg", "level_label", "nice_max", "throughput_svg"]

_W, _H = 440, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 14, 24, 44
_GRID, _AXIS, _KNEE = "#d0d7de", "#57606a", "#9a6700"
_TEXT = ' font-size="11" font-family="sans-serif" fill="#57606a"'


@dataclass(frozen=True)
class Series:
    """One line of a chart: a value per level (None: a gap)."""

    name: str
    values: Sequence[float | None]
    colour: str
    css: str
    """The class of its marks (``mark-tok``, ``mark-p50``...), for styling and tests."""
    unit: str


def level_label(value: float) -> str:
    """4.0 -> '4'; 0.5 -> '0.5'."""
    return f"{value:g}"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above ``value`` (1 for nothing to show)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10.0**exp
        if top >= value * (1 - 1e-9):
            return top
    return 10.0 ** (exp + 1)  # pragma: no cover - the loop always returns


def _tick(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:g}" if value >= 10 or value == 0 else f"{value:.3g}"


def _x(i: int, n: int) -> float:
    span = _W - _LEFT - _RIGHT
    return _LEFT + (span / 2 if n == 1 else span * (i + 0.5) / n)


def _chart(
    *,
    css: str,
    title: str,
    levels: Sequence[float],
    x_label: str,
    y_label: str,
    series: Sequence[Series],
    knee: float | None,
) -> Markup:
    n = len(levels)
    present = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    top = nice_max(max(present, default=0.0))

    def y(value: float) -> float:
        return _TOP + (_H - _TOP - _BOTTOM) * (1 - min(max(value / top, 0.0), 1.0))

    parts = [
        f'<svg class="chart {css}" role="img" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" xmlns="http://www.w3.org/2000/svg" data-levels="{n}">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):  # horizontal grid and y ticks at 0, 1/4 ... of the rounded top
        value = top * k / 4
        yy = y(value)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" '
            f'stroke="{_GRID}"/><text x="{_LEFT - 5}" y="{yy + 4:.1f}" text-anchor="end"{_TEXT}>'
            f"{escape(_tick(value))}</text>"
        )
    base = _H - _BOTTOM
    parts.append(
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{base}" y2="{base}" stroke="{_AXIS}"/>'
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{base}" stroke="{_AXIS}"/>'
    )
    for i, level in enumerate(levels):
        parts.append(
            f'<text class="level" x="{_x(i, n):.1f}" y="{base + 15}" text-anchor="middle"{_TEXT}>'
            f"{escape(level_label(level))}</text>"
        )
    parts.append(
        f'<text class="x-label" x="{(_LEFT + _W - _RIGHT) / 2:.1f}" y="{_H - 6}" '
        f'text-anchor="middle"{_TEXT}>{escape(x_label)}</text>'
        f'<text class="y-label" x="14" y="{(_TOP + base) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(_TOP + base) / 2:.1f})"{_TEXT}>{escape(y_label)}</text>'
    )
    if knee is not None and knee in levels:
        kx = _x(list(levels).index(knee), n)
        parts.append(
            f'<line class="knee" x1="{kx:.1f}" x2="{kx:.1f}" y1="{_TOP - 6}" y2="{base}" '
            f'stroke="{_KNEE}" stroke-dasharray="4 3"/>'
            f'<text class="knee-label" x="{kx + 4:.1f}" y="{_TOP - 8}" font-size="11" '
            f'font-family="sans-serif" fill="{_KNEE}">knee</text>'
        )
    for s in series:
        parts += _series(s, levels, x_label, y)
    if len(series) > 1:  # a legend, top right
        lx = _W - _RIGHT - 70 * len(series)
        for j, s in enumerate(series):
            parts.append(
                f'<rect x="{lx + 70 * j}" y="6" width="10" height="3" fill="{s.colour}"/>'
                f'<text x="{lx + 70 * j + 14}" y="11"{_TEXT}>{escape(s.name)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _series(
    s: Series, levels: Sequence[float], x_label: str, y: Callable[[float], float]
) -> list[str]:
    n = len(levels)
    segments: list[list[str]] = [[]]
    marks: list[str] = []
    for i, (level, value) in enumerate(zip(levels, s.values, strict=True)):
        if value is None or not math.isfinite(value):
            segments.append([])
            continue
        x, yy = _x(i, n), y(value)
        segments[-1].append(f"{x:.1f},{yy:.1f}")
        tip = f"{x_label} {level_label(level)}: {s.name} {value:,.1f} {s.unit}"
        marks.append(
            f'<circle class="{s.css}" data-level="{escape(level_label(level))}" cx="{x:.1f}" '
            f'cy="{yy:.1f}" r="4" fill="{s.colour}"><title>{escape(tip)}</title></circle>'
        )
    lines = [
        f'<polyline fill="none" stroke="{s.colour}" stroke-width="2" points="{" ".join(seg)}"/>'
        for seg in segments
        if len(seg) > 1
    ]
    return lines + marks


def throughput_svg(
    levels: Sequence[float], tok_s: Sequence[float | None], *, x_label: str, knee: float | None
) -> Markup:
    """Aggregate output tokens/s against level: one ``mark-tok`` per level."""
    return _chart(
        css="throughput",
        title="Aggregate output tokens/s by level",
        levels=levels,
        x_label=x_label,
        y_label="output tok/s",
        series=[Series("tok/s", tok_s, "#0969da", "mark-tok", "tok/s")],
        knee=knee,
    )


def latency_svg(
    levels: Sequence[float],
    p50: Sequence[float | None],
    p99: Sequence[float | None],
    *,
    x_label: str,
    knee: float | None,
) -> Markup:
    """TTFT p50 and p99 (ms) against level: a ``mark-p50`` and a ``mark-p99`` per level."""
    return _chart(
        css="latency",
        title="Time to first token (p50, p99) by level",
        levels=levels,
        x_label=x_label,
        y_label="TTFT (ms)",
        series=[
            Series("TTFT p50", p50, "#1a7f37", "mark-p50", "ms"),
            Series("TTFT p99", p99, "#cf222e", "mark-p99", "ms"),
        ],
        knee=knee,
    )
