"""Two runs side by side (bench view's compare page): per test x agent, the base and head
outputs with a text diff, their tool-call sequences aligned, the assertions whose outcome
changed, and the verdict of ``bench compare``.

The verdicts and deltas are report/compare.py's (``compare``), not computed again here. Only
the pairs where something differs are detailed; the others are counted.

A pair holds its two cases' briefs (report/case_list.py). Its two whole cases are fetched
once, one pair at a time, to compare them; a pair keeps its diff rows only when it is among
the ``detail_limit`` pairs the page details, and the page fetches those pairs' whole cases
again (``SideBySide.cases``) while it writes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .case_list import CaseBrief, briefs_of
from .compare import compare
from .environments import html_env
from .schema import AssertionReport, Baseline, CaseReport, Report, TestVerdict
from .text_diff import DiffRow, ToolRow, align_tools, line_diff

__all__ = [
    "DETAIL_LIMIT",
    "AssertionChange",
    "Pair",
    "SideBySide",
    "render_compare",
    "side_by_side",
]

DETAIL_LIMIT = 500
"""Most pairs detailed on one page (the verdict table lists every pair)."""


@dataclass(frozen=True)
class AssertionChange:
    """An assertion whose outcome differs between the runs (or that only one side has)."""

    path: str
    """Its position in the case's assertion tree: ``2`` or ``2.1`` (a child of a combinator)."""
    type: str
    base: AssertionReport | None
    head: AssertionReport | None


@dataclass
class Pair:
    """One test x agent of either run."""

    agent: str
    key: str
    file: str
    session: str
    test: str
    base: CaseBrief | None
    head: CaseBrief | None
    verdict: TestVerdict | None = None
    output: list[DiffRow] = field(default_factory=list)
    tools: list[ToolRow] = field(default_factory=list)
    assertions: list[AssertionChange] = field(default_factory=list)
    changed: tuple[str, ...] = ()
    """What the comparison of the whole cases found different among ``output``,
    ``tool calls`` and ``assertions`` (kept when the rows themselves are dropped)."""

    @property
    def anchor(self) -> str:
        """A stable fragment id for this pair."""
        return "p-" + hashlib.sha256(f"{self.agent}\0{self.key}".encode()).hexdigest()[:12]

    @property
    def change(self) -> str:
        """``newly-failing``, ``newly-passing``, ``added``, ``removed`` or ``""``."""
        if self.base is None:
            return "added"
        if self.head is None:
            return "removed"
        if self.base.status == "passed" and self.head.status != "passed":
            return "newly-failing"
        if self.base.status != "passed" and self.head.status == "passed":
            return "newly-passing"
        return ""

    @property
    def tools_differ(self) -> bool:
        """The tool-call sequences are not the same calls in the same order."""
        return "tool calls" in self.changed

    @property
    def differences(self) -> list[str]:
        """What differs: the change of outcome, ``status``, ``output``, ``tool calls``,
        ``assertions``; empty when the two sides agree on all of them."""
        out = [self.change] if self.change else []
        if self.base and self.head and self.base.status != self.head.status and not self.change:
            out.append("status")  # failed <-> error
        return out + list(self.changed)

    def compare_cases(self, base: CaseReport, head: CaseReport) -> None:
        """Fill the diff rows from the two whole cases, and ``changed``."""
        self.output = line_diff(base.final_output, head.final_output)
        self.tools = align_tools(base.tool_calls, head.tool_calls)
        self.assertions = assertion_changes(base.assertions, head.assertions)
        found = [
            ("output", bool(self.output)),
            ("tool calls", any(row.kind != "same" for row in self.tools)),
            ("assertions", bool(self.assertions)),
        ]
        self.changed = tuple(name for name, hit in found if hit)

    def drop_rows(self) -> None:
        """Keep what differs, not the rows (a pair the page does not detail)."""
        self.output, self.tools, self.assertions = [], [], []

    @property
    def differs(self) -> bool:
        """Anything to show: outcome, output, tool calls or an assertion changed."""
        return bool(self.differences)


@dataclass
class SideBySide:
    """The whole comparison."""

    base: Report
    head: Report
    baseline: Baseline
    """``bench compare``'s result: deltas, changes, verdicts."""
    pairs: list[Pair]
    """Every test x agent: head's order, then the ones only base has."""
    detail_limit: int = DETAIL_LIMIT

    def cases(self, pair: Pair) -> tuple[CaseReport | None, CaseReport | None]:
        """The pair's whole base and head cases, fetched now (for the page's details)."""
        b = self.base.detailed_results[pair.base.index] if pair.base else None
        h = self.head.detailed_results[pair.head.index] if pair.head else None
        return b, h

    @cached_property
    def detailed(self) -> list[Pair]:
        """The pairs that differ, up to ``detail_limit``."""
        return [p for p in self.pairs if p.differs][: self.detail_limit]

    @cached_property
    def detailed_anchors(self) -> frozenset[str]:
        """Anchors of the detailed pairs (the verdict table links those)."""
        return frozenset(p.anchor for p in self.detailed)

    @property
    def differing(self) -> int:
        """How many pairs differ in anything."""
        return sum(1 for p in self.pairs if p.differs)


def _shown(cases: Sequence[CaseReport]) -> dict[tuple[str, str], CaseBrief]:
    """Per (agent, test key), the attempt that carries its transcript (report/run_reader.py
    keeps one per repeated test: its first failed attempt, else its first)."""
    out: dict[tuple[str, str], CaseBrief] = {}
    for c in briefs_of(cases):
        ident = (c.agent, c.key)
        best = out.get(ident)
        if best is None or (not best.has_transcript and c.has_transcript):
            out[ident] = c
    return out


def _flat(
    nodes: Sequence[AssertionReport], prefix: str = ""
) -> Iterator[tuple[str, AssertionReport]]:
    for n, node in enumerate(nodes, 1):
        path = f"{prefix}{n}"
        yield path, node
        yield from _flat(node.children, path + ".")


def assertion_changes(
    base: Sequence[AssertionReport], head: Sequence[AssertionReport]
) -> list[AssertionChange]:
    """Assertions matched by position and type whose ``passed`` differs, or on one side only."""
    a = {(path, node.type): node for path, node in _flat(base)}
    b = {(path, node.type): node for path, node in _flat(head)}
    out = []
    for ident in list(a) + [k for k in b if k not in a]:
        x, y = a.get(ident), b.get(ident)
        if x is None or y is None or x.passed != y.passed:
            out.append(AssertionChange(ident[0], ident[1], x, y))
    return out


def side_by_side(base: Report, head: Report, *, detail_limit: int = DETAIL_LIMIT) -> SideBySide:
    """Compare ``head`` against ``base`` (as ``bench compare`` does) and pair their tests."""
    baseline = compare(base, head)
    verdicts = {(v.agent, v.key): v for v in baseline.verdicts}
    b, h = _shown(base.detailed_results), _shown(head.detailed_results)
    pairs = []
    detailed = 0
    for ident in list(h) + [k for k in b if k not in h]:
        x, y = b.get(ident), h.get(ident)
        ref = y or x
        assert ref is not None
        pair = Pair(
            agent=ref.agent,
            key=ref.key,
            file=ref.file,
            session=ref.session,
            test=ref.test,
            base=x,
            head=y,
            verdict=verdicts.get(ident),
        )
        if x is not None and y is not None:  # one pair's whole cases at a time
            pair.compare_cases(base.detailed_results[x.index], head.detailed_results[y.index])
        if pair.differs and detailed < detail_limit:
            detailed += 1
        else:
            pair.drop_rows()
        pairs.append(pair)
    return SideBySide(base, head, baseline, pairs, detail_limit)


def render_compare(view: SideBySide) -> str:
    """The compare page (templates/view/compare.html.j2); no script, every text escaped."""
    return html_env().get_template("view/compare.html.j2").render(c=view, d=view.baseline)
