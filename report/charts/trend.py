"""A suite's trend over its last runs as one inline SVG: pass rate per run, oldest to newest.

One mark per run (a circle with a ``<title>`` tooltip naming the run, its date and rate) on a
0-100% axis, joined by a line; runs that ran nothing are gaps. Everything is drawn here:
no script, no font file, no external reference, and every text is escaped, so the SVG can be
inlined in a page whose CSP forbids every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["TrendPoint", "trend_svg"]


@dataclass(frozen=True)
class TrendPoint:
    """One run on the chart."""

    label: str
    """What the mark's tooltip says first (the run id)."""
    rate: float | None
    """Pass rate, 0..1; None when the run has no judged case (drawn as a gap)."""
    note: str = ""
    """More tooltip text (date, counts)."""


_W, _H = 320, 90
_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 8, 8, 16
# Presentation attributes, not classes: the SVG looks the same wherever it is inlined.
_GRID, _LINE, _OK, _MID, _BAD = "#d0d7de", "#0969da", "#1a7f37", "#9a6700", "#cf222e"
_TEXT = ' font-size="10" font-family="sans-serif" fill="#57606a"'


def _x(i: int, n: int) -> float:
    span = _W - _LEFT - _RIGHT
    return _LEFT + (span / 2 if n == 1 else span * i / (n - 1))


def _y(rate: float) -> float:
    return _TOP + (_H - _TOP - _BOTTOM) * (1 - min(1.0, max(0.0, rate)))


def trend_svg(points: Sequence[TrendPoint], *, title: str) -> Markup:
    """The pass-rate trend of ``points`` (oldest first) as an ``<svg>`` element."""
    n = len(points)
    parts = [
        f'<svg class="trend" role="img" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'xmlns="http://www.w3.org/2000/svg" data-marks="{sum(p.rate is not None for p in points)}">',
        f"<title>{escape(title)}</title>",
    ]
    for rate, label in ((1.0, "100%"), (0.5, "50%"), (0.0, "0%")):
        y = _y(rate)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{_GRID}"/>'
            f'<text class="axis" x="{_LEFT - 4}" y="{y + 3.5:.1f}" text-anchor="end"{_TEXT}>'
            f"{label}</text>"
        )
    segment: list[str] = []
    lines: list[list[str]] = [segment]
    marks: list[str] = []
    for i, p in enumerate(points):
        if p.rate is None:
            segment = []
            lines.append(segment)
            continue
        x, y = _x(i, n), _y(p.rate)
        segment.append(f"{x:.1f},{y:.1f}")
        tip = f"{p.label}: {p.rate * 100:.1f}% passed" + (f" ({p.note})" if p.note else "")
        colour = _OK if p.rate >= 1 else _BAD if p.rate < 0.5 else _MID
        marks.append(
            f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    for seg in lines:
        if len(seg) > 1:
            parts.append(
                f'<polyline class="line" fill="none" stroke="{_LINE}" stroke-width="1.5" '
                f'points="{" ".join(seg)}"/>'
            )
    parts += marks
    if n:  # the oldest run's label under the left end, the newest's under the right
        parts.append(
            f'<text class="axis" x="{_LEFT}" y="{_H - 3}"{_TEXT}>'
            f"{escape(_short(points[0].label))}</text>"
        )
    if n > 1:
        parts.append(
            f'<text class="axis" x="{_W - _RIGHT}" y="{_H - 3}" text-anchor="end"{_TEXT}>'
            f"{escape(_short(points[-1].label))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str) -> str:
    return label if len(label) <= 24 else label[:23] + "…"
