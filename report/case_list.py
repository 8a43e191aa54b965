"""A report's cases without holding them: briefs for counting, whole cases built on demand.

A report of a 100,000-case run cannot hold every case with its transcript (about 25 KB each
as models), and most of what a report computes (counts, rates, stability, verdicts, the
grouping of the HTML page) needs only each case's outcome and figures. So a report built
from a run directory keeps, per case, a :class:`CaseBrief` (its scalar fields, no transcript,
no prompt) and builds a whole :class:`~report.schema.CaseReport` only when a sink asks for it,
one at a time (:class:`CaseList`). A report read from a JSON file holds a plain list;
:func:`briefs_of` gives the briefs of either.

The contract every consumer keeps: iterate ``report.detailed_results`` (or index it) to get
whole cases and let each go after use; count and group with ``briefs_of``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from .schema import CaseReport, CaseStatus

__all__ = ["BriefTokens", "CaseBrief", "CaseList", "brief_of", "briefs_of", "failed_messages"]


@dataclass(slots=True, unsafe_hash=True)
class BriefTokens:
    """A case's token counts (the fields of ``schema.Tokens``). Read-only by convention
    (as ``CaseBrief``)."""

    input: int = 0
    output: int = 0
    cached: int = 0
    total: int = 0
    estimated: bool = False


@dataclass(slots=True, unsafe_hash=True)
class CaseBrief:
    """A case's scalar fields under CaseReport's names (so code that only counts and groups
    takes either), without the prompt and the transcript; ``tool_call_count`` and
    ``failures`` stand for the lists it leaves out.

    Read-only by convention: not ``frozen`` because a frozen dataclass's constructor costs
    ten times as much (about 9 us against 0.8 us here), and a report of a repeated run makes
    one brief per record (50,000 for benchmarks/trust_bench.py)."""

    index: int
    """Its position in ``detailed_results``: ``report.detailed_results[brief.index]`` is the
    whole case."""
    case_id: str
    key: str
    agent: str
    provider: str | None
    provider_type: str | None
    model: str | None
    file: str
    session: str
    test: str
    description: str | None
    status: CaseStatus
    error: str | None
    started_at: str
    ended_at: str
    duration_ms: float
    tokens: BriefTokens
    latency_ms: float
    ttft_ms: float | None
    cost_usd: float | None
    judge_cost_usd: float | None
    iterations: int
    attempt: int
    retry: int
    definition: str | None
    tool_call_count: int
    """Tool calls the case made (its transcript's, or ``omitted.tool_calls``)."""
    failures: tuple[str, ...]
    """``failed_messages`` of the case: its error, then its failed top-level assertions."""
    scores: dict[str, float] | None
    has_transcript: bool
    """False when the report case leaves the transcript out (``omitted`` is set)."""


def failed_messages(case: CaseReport) -> list[str]:
    """The case error and the messages of its failed top-level assertions."""
    out = [case.error] if case.error else []
    out += [f"[{a.type}] {a.message}" for a in case.assertions if not a.passed]
    return out


def brief_of(case: CaseReport, index: int) -> CaseBrief:
    """The brief of a whole case (a report read from JSON holds those)."""
    t = case.tokens
    omitted = case.omitted
    return CaseBrief(
        index=index,
        case_id=case.case_id,
        key=case.key,
        agent=case.agent,
        provider=case.provider,
        provider_type=case.provider_type,
        model=case.model,
        file=case.file,
        session=case.session,
        test=case.test,
        description=case.description,
        status=case.status,
        error=case.error,
        started_at=case.started_at,
        ended_at=case.ended_at,
        duration_ms=case.duration_ms,
        tokens=BriefTokens(t.input, t.output, t.cached, t.total, t.estimated),
        latency_ms=case.latency_ms,
        ttft_ms=case.ttft_ms,
        cost_usd=case.cost_usd,
        judge_cost_usd=case.judge_cost_usd,
        iterations=case.iterations,
        attempt=case.attempt,
        retry=case.retry,
        definition=case.definition,
        tool_call_count=len(case.tool_calls) + (omitted.tool_calls if omitted else 0),
        failures=tuple(failed_messages(case)),
        scores=case.scores,
        has_transcript=omitted is None,
    )


class CaseList(Sequence[CaseReport]):
    """The cases of a report built from a run: briefs held, whole cases built on demand.

    ``load(i)`` builds case ``i`` afresh each time (nothing is cached: a sink that walks the
    list holds one case at a time), unless ``keep``: then each case is kept once built, and
    later reads return that same object (a small run's report, rendered in several formats,
    builds each case once; report/build.py decides, docs/reports.md gives the budget).
    Iteration is in report order.
    """

    __slots__ = ("_briefs", "_load", "_kept")

    def __init__(
        self,
        briefs: Sequence[CaseBrief],
        load: Callable[[int], CaseReport],
        *,
        keep: bool = False,
    ) -> None:
        self._briefs = briefs
        self._load = load
        self._kept: list[CaseReport | None] | None = [None] * len(briefs) if keep else None

    @property
    def keeps(self) -> bool:
        """Whether cases are kept once built (``keep``)."""
        return self._kept is not None

    def _get(self, i: int) -> CaseReport:
        kept = self._kept
        if kept is None:
            return self._load(i)
        case = kept[i]
        if case is None:
            case = kept[i] = self._load(i)
        return case

    @property
    def briefs(self) -> Sequence[CaseBrief]:
        """Every case's brief, in report order."""
        return self._briefs

    def __len__(self) -> int:
        return len(self._briefs)

    @overload
    def __getitem__(self, index: int) -> CaseReport: ...

    @overload
    def __getitem__(self, index: slice) -> list[CaseReport]: ...

    def __getitem__(self, index: int | slice) -> CaseReport | list[CaseReport]:
        if isinstance(index, slice):
            return [self._get(i) for i in range(len(self._briefs))[index]]
        n = len(self._briefs)
        if not -n <= index < n:
            raise IndexError("case index out of range")
        return self._get(index % n)

    def __iter__(self) -> Iterator[CaseReport]:
        for i in range(len(self._briefs)):
            yield self._get(i)

    def __bool__(self) -> bool:
        return bool(self._briefs)

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or CaseList) of equal cases, as a list is: two reports compare
        alike whether they hold their cases or build them (builds every case once)."""
        if not isinstance(other, (list, CaseList)):
            return NotImplemented
        return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # as a list's

    def __repr__(self) -> str:
        return f"CaseList({len(self._briefs)} cases)"


def briefs_of(cases: Sequence[CaseReport]) -> Sequence[CaseBrief]:
    """The briefs of a report's cases: a CaseList's own, or made from a list of whole cases."""
    if isinstance(cases, CaseList):
        return cases.briefs
    return [brief_of(c, i) for i, c in enumerate(cases)]
