"""SVG primitives for the report's charts: every chart is drawn server-side, inline, no script.

Each function returns SVG text; every label passes ``markupsafe.escape`` (names of agents
and tests are foreign text). Colours come from CSS classes (``.chart .bar``, ``.passed``...)
in templates/partials/styles.css.j2, so a chart follows the page's light or dark palette.

Coordinates are in SVG user units (the ``viewBox``); a chart scales to its container width.
Reuse: build a :class:`Scale` per axis, draw with :func:`rect`, :func:`line`, :func:`text`,
:func:`axis`, wrap with :func:`figure` (which adds ``role="img"`` and the ``<title>``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Scale", "axis", "circle", "clip_label", "figure", "line", "quantile", "rect", "text"]


def _n(value: float) -> str:
    """A coordinate: at most 2 decimals, no trailing zeros (small files, stable output)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Scale:
    """A linear map from the domain [lo, hi] to pixels [start, end] (clamped to the domain)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        """The pixel of ``value``."""
        span = self.hi - self.lo or 1.0
        v = min(max(value, self.lo), self.hi)
        return self.start + (v - self.lo) / span * (self.end - self.start)

    def ticks(self, count: int = 5) -> list[float]:
        """About ``count`` round values (1, 2 or 5 times a power of ten) inside the domain."""
        span = self.hi - self.lo
        if span <= 0:
            return [self.lo]
        raw = span / max(count, 1)
        power = 10 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
        first = math.ceil(self.lo / step) * step
        return [first + i * step for i in range(int((self.hi - first) / step + 1e-9) + 1)]


def clip_label(label: str, limit: int = 28) -> str:
    """``label`` cut to ``limit`` characters with an ellipsis (the full text goes in a title)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def text(x: float, y: float, label: str, *, cls: str = "lbl", anchor: str = "start") -> str:
    """A text label (escaped); ``anchor`` is start, middle or end."""
    a = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text x="{_n(x)}" y="{_n(y)}" class="{cls}"{a}>{escape(label)}</text>'


def _tip(tip: str | None) -> str:
    return f"<title>{escape(tip)}</title>" if tip else ""


def rect(x: float, y: float, w: float, h: float, *, cls: str, tip: str | None = None) -> str:
    """A rectangle; ``tip`` becomes its ``<title>`` (the hover text, escaped)."""
    attrs = f'x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}"'
    if tip:
        return f'<rect {attrs} class="{cls}">{_tip(tip)}</rect>'
    return f'<rect {attrs} class="{cls}"/>'


def circle(cx: float, cy: float, r: float, *, cls: str, tip: str | None = None) -> str:
    """A circle; ``tip`` becomes its ``<title>``."""
    attrs = f'cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" class="{cls}"'
    return f"<circle {attrs}>{_tip(tip)}</circle>" if tip else f"<circle {attrs}/>"


def line(x1: float, y1: float, x2: float, y2: float, *, cls: str) -> str:
    """A straight line."""
    return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" class="{cls}"/>'


def axis(
    scale: Scale,
    y: float,
    *,
    fmt: Callable[[float], str],
    count: int = 5,
    grid_to: float | None = None,
) -> list[str]:
    """A horizontal axis at ``y``: baseline, tick marks and labels below; with ``grid_to``,
    faint grid lines from each tick up to that y."""
    out = [line(scale.start, y, scale.end, y, cls="axis")]
    for t in scale.ticks(count):
        x = scale(t)
        if grid_to is not None:
            out.append(line(x, grid_to, x, y, cls="grid"))
        out.append(line(x, y, x, y + 4, cls="axis"))
        out.append(text(x, y + 15, fmt(t), cls="tick", anchor="middle"))
    return out


def figure(
    width: float, height: float, title: str, body: Iterable[str], *, name: str, desc: str = ""
) -> Markup:
    """The ``<svg>`` element: ``role="img"``, ``<title>`` (its accessible name, shown as the
    caption too) and ``<desc>``; ``name`` is a class naming the chart (tests find it by it)."""
    d = f"<desc>{escape(desc)}</desc>" if desc else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {name}" role="img" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}">'
        f"<title>{escape(title)}</title>{d}"
        + text(0, 14, title, cls="ttl")
        + "".join(body)
        + "</svg>"
    )


def quantile(sorted_values: list[float], p: float) -> float:
    """The ``p`` quantile of sorted values, linear between order statistics (numpy's default)."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * p
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)
