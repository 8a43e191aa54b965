"""Diffs for the side-by-side compare: two texts line by line (changed words marked), and two
tool-call sequences aligned by position with insertions and deletions.

Pure functions over plain values; everything they return is still untrusted text, which the
template escapes. Inputs are clipped first (difflib is quadratic in the worst case).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .escape import clip, strip_controls

__all__ = [
    "DIFF_CONTEXT",
    "DiffRow",
    "Segment",
    "ToolRow",
    "align_tools",
    "line_diff",
    "tool_signature",
]

DIFF_TEXT_LIMIT = 20_000
"""Characters of each side that are diffed (the rest is cut, saying how much)."""
DIFF_CONTEXT = 3
"""Unchanged lines kept around a change; longer unchanged runs fold into one row."""

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A piece of a line; ``changed`` marks what the other side does not have."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff.

    ``same`` (both sides equal), ``del`` (base only), ``ins`` (head only), ``chg`` (a base
    line and the head line that replaced it, words marked), or ``skip`` (``skipped`` unchanged
    lines folded away).
    """

    kind: Literal["same", "del", "ins", "chg", "skip"]
    base_no: int | None = None
    base: tuple[Segment, ...] = ()
    head_no: int | None = None
    head: tuple[Segment, ...] = ()
    skipped: int = 0


def _prepare(text: str | None) -> list[str]:
    return clip(strip_controls(text or ""), DIFF_TEXT_LIMIT).splitlines()


def _word_segments(a: str, b: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    wa, wb = _WORDS.findall(a), _WORDS.findall(b)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(wa[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(wb[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def line_diff(base: str | None, head: str | None, context: int = DIFF_CONTEXT) -> list[DiffRow]:
    """``base`` and ``head`` side by side, line by line; [] when they are equal.

    A replaced line is paired with its replacement and its changed words are marked;
    unchanged runs longer than ``2 * context`` lines keep ``context`` lines each side.
    """
    a, b = _prepare(base), _prepare(head)
    if a == b:
        return []
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows += _equal_rows(a, i1, i2, j1, context, first=n == 0, last=n == len(opcodes) - 1)
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            left, right = _word_segments(a[i1 + k], b[j1 + k])
            rows.append(DiffRow("chg", i1 + k + 1, left, j1 + k + 1, right))
        for i in range(i1 + paired, i2):
            rows.append(DiffRow("del", i + 1, (Segment(a[i], True),)))
        for j in range(j1 + paired, j2):
            rows.append(DiffRow("ins", head_no=j + 1, head=(Segment(b[j], True),)))
    return rows


def _equal_rows(
    lines: list[str], i1: int, i2: int, j1: int, context: int, *, first: bool, last: bool
) -> list[DiffRow]:
    def row(i: int) -> DiffRow:
        seg = (Segment(lines[i]),)
        return DiffRow("same", i + 1, seg, j1 + (i - i1) + 1, seg)

    keep_before = 0 if first else context  # lines after the previous change
    keep_after = 0 if last else context  # lines before the next change
    if i2 - i1 <= keep_before + keep_after + 1:
        return [row(i) for i in range(i1, i2)]
    out = [row(i) for i in range(i1, i1 + keep_before)]
    out.append(DiffRow("skip", skipped=(i2 - i1) - keep_before - keep_after))
    out += [row(i) for i in range(i2 - keep_after, i2)]
    return out


@dataclass(frozen=True)
class ToolRow:
    """One position of two aligned tool-call sequences.

    ``same`` (name and arguments equal), ``args`` (same tool, other arguments), ``replaced``
    (another tool at this position), ``removed`` (base only) or ``added`` (head only).
    """

    kind: Literal["same", "args", "replaced", "removed", "added"]
    base: Any = None
    head: Any = None


def tool_signature(call: Any) -> str:
    """``name {"arg": …}``: what two calls must share to count as the same call."""
    args = call.arguments if call.arguments else call.raw_arguments or {}
    return f"{call.name} {json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)}"


def align_tools(base: Sequence[Any], head: Sequence[Any]) -> list[ToolRow]:
    """The two sequences of tool calls (objects with ``name``, ``arguments``, ``raw_arguments``)
    aligned: calls matched by name in order (difflib), then compared by their arguments; the
    unmatched ones are marked removed, added, or (at the same position) replaced."""
    rows: list[ToolRow] = []
    names_a, names_b = [c.name for c in base], [c.name for c in head]
    matcher = difflib.SequenceMatcher(None, names_a, names_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for x, y in zip(base[i1:i2], head[j1:j2], strict=True):
                same = tool_signature(x) == tool_signature(y)
                rows.append(ToolRow("same" if same else "args", x, y))
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            rows.append(ToolRow("replaced", base[i1 + k], head[j1 + k]))
        rows += [ToolRow("removed", base=c) for c in base[i1 + paired : i2]]
        rows += [ToolRow("added", head=c) for c in head[j1 + paired : j2]]
    return rows
