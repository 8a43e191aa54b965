"""A short diff between a request a replay made and the nearest one its cassette holds.

Requests are flattened to ``path = value`` lines (``messages[2].content = "..."``) so the diff
names the field that changed rather than a line of a JSON dump; long values are cut around
their first difference. The nearest recorded request is taken among the same case's entries
(same attempt first), so a miss costs a few comparisons, not one per recorded request.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["describe_miss", "nearest"]

_MAX_LINES = 12
_MAX_VALUE = 120


def _flatten(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            yield from _flatten(value[k], f"{path}.{k}" if path else k)
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from _flatten(v, f"{path}[{i}]")
    else:
        yield path, json.dumps(value, ensure_ascii=False)


def _lines(request: Any) -> list[str]:
    return [f"{path} = {text}" for path, text in _flatten(request)]


def nearest(request: Any, candidates: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The candidate entry whose ``request`` differs least from ``request``."""
    if not candidates:
        return None
    mine = _lines(request)
    best, best_ratio = None, -1.0
    for entry in candidates:
        ratio = difflib.SequenceMatcher(None, mine, _lines(entry.get("request")), False).ratio()
        if ratio > best_ratio:
            best, best_ratio = entry, ratio
    return best


def _cut(a: str, b: str) -> tuple[str, str]:
    """Both values shortened to a window around where they first differ."""
    if len(a) <= _MAX_VALUE and len(b) <= _MAX_VALUE:
        return a, b
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    start = max(0, i - _MAX_VALUE // 3)

    def window(s: str) -> str:
        part = s[start : start + _MAX_VALUE]
        return ("…" if start else "") + part + ("…" if start + _MAX_VALUE < len(s) else "")

    return window(a), window(b)


def describe_miss(request: Any, recorded: dict[str, Any] | None) -> str:
    """``- recorded`` / ``+ made`` lines for the fields that differ (at most a dozen)."""
    if recorded is None:
        return "  (nothing was recorded for this case)"
    old, new = _lines(recorded.get("request")), _lines(request)
    out: list[str] = []
    removed: list[str] = []
    for line in difflib.unified_diff(old, new, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            removed.append(line[1:])
            continue
        if line.startswith("+") and removed:
            was = removed.pop(0)
            path_old, _, v_old = was.partition(" = ")
            path_new, _, v_new = line[1:].partition(" = ")
            if path_old == path_new:
                v_old, v_new = _cut(v_old, v_new)
                out += [f"  - recorded {path_old} = {v_old}", f"  + made     {path_new} = {v_new}"]
                continue
            out.append(f"  - recorded {_short(was)}")
        if line.startswith("+"):
            out.append(f"  + made     {_short(line[1:])}")
    out += [f"  - recorded {_short(r)}" for r in removed]
    if len(out) > _MAX_LINES:
        out = [*out[:_MAX_LINES], f"  … {len(out) - _MAX_LINES} more differing lines"]
    return "\n".join(out) if out else "  (same request; recorded for another occurrence)"


def _short(line: str) -> str:
    return line if len(line) <= _MAX_VALUE + 40 else line[: _MAX_VALUE + 40] + "…"
