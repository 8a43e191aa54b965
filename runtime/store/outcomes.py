"""What a run holds in memory of its results: one small outcome per result, never the result.

A CaseResult carries its whole transcript (messages, tool calls, LLM calls, assertion
results): tens of KB as objects. Holding every one of them made a run's memory grow with
its size (about 37 KB per case). results.jsonl is the record of the run; in memory a run
keeps, per result key (case and attempt; the latest line wins, as readers keep it), only
what its totals, budget, criteria, exit code and resume need: the test x agent it belongs
to, its status, its tokens and its cost (``Outcome``, ~0.2 KB with its key).

While a run goes on, the results it appends are not even kept as outcomes: ``RunTally`` adds
each to running totals (and, when the criteria ask for pass^k, to its test x agent's counts)
and notes which outcome read from the file it replaces; a run writes each result key at most
once per execution (runtime/runner.py runs each (unit, attempt) once), so nothing per result
is needed to keep "the latest line wins".

Whoever needs whole results reads them back from results.jsonl as a stream
(``StoredResults``): one result at a time, in the order asked for, so only the byte offsets
of the latest line per key are held while reading.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from ..criteria import CriteriaTally
from ..errors import RunStoreError
from ..results import CaseResult, CaseStatus, RunTotals, TotalsSum, result_key

__all__ = [
    "Costed",
    "Outcome",
    "Outcomes",
    "RunTally",
    "StoredResults",
    "read_outcomes",
    "totals_of_outcomes",
]

Group = tuple[str, str, str, str]
"""(agent, file, session, test): the test x agent a result counts for."""


class Costed(Protocol):
    """Anything with a result's two costs (a CaseResult, an Outcome)."""

    @property
    def cost_usd(self) -> float | None: ...

    @property
    def judge_cost_usd(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """One result as a run holds it: its test x agent, status, tokens and cost."""

    group: Group
    status: CaseStatus
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    judge_cost_usd: float | None


class _Lean(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Usage(_Lean):
    input: int = 0
    output: int = 0


class _Transcript(_Lean):
    usage: _Usage = _Usage()


class _OutcomeRecord(_Lean):
    """A results.jsonl line read for its outcome only (the transcript's usage, no contents)."""

    case_id: str
    agent: str
    file: str
    session: str
    test: str
    status: CaseStatus
    transcript: _Transcript
    cost_usd: float | None = None
    judge_cost_usd: float | None = None
    attempt: int = 0
    retry: int | None = None

    @property
    def key(self) -> str:
        # Records from before repeats counted retries in ``attempt`` and had no ``retry``
        # (CaseResult.model_post_init reads them so): they are attempt 0.
        return result_key(self.case_id, self.attempt if self.retry is not None else 0)


class Outcomes:
    """The latest outcome per result key, in order of first appearance."""

    def __init__(self) -> None:
        self._by_key: dict[str, Outcome] = {}
        self._groups: dict[Group, Group] = {}
        """One tuple per test x agent, shared by its outcomes."""

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)

    def keys(self) -> Iterable[str]:
        """Result keys, in order of first appearance."""
        return self._by_key.keys()

    def values(self) -> Iterable[Outcome]:
        """Outcomes, in order of their keys' first appearance."""
        return self._by_key.values()

    def get(self, key: str) -> Outcome | None:
        """The latest outcome of ``key``, if any."""
        return self._by_key.get(key)

    def add(self, result: CaseResult) -> None:
        """Record ``result`` (replacing an earlier result of its key)."""
        self._put(result.key, _outcome_of(result))

    def add_line(self, line: bytes | str) -> str:
        """Record the result of one results.jsonl line, and return its key; ValidationError
        when the line is not a result."""
        r = _OutcomeRecord.model_validate_json(line)
        self._put(r.key, _outcome_of(r))
        return r.key

    def adopt(self, key: str, other: Outcomes) -> None:
        """Take ``key``'s outcome from ``other`` (merging the outcomes of several files)."""
        o = other._by_key[key]
        self._by_key[key] = Outcome(
            self._groups.setdefault(o.group, o.group),
            o.status,
            o.input_tokens,
            o.output_tokens,
            o.cost_usd,
            o.judge_cost_usd,
        )

    def _put(self, key: str, o: Outcome) -> None:
        shared = self._groups.setdefault(o.group, o.group)  # one tuple per test x agent
        self._by_key[key] = o if shared is o.group else dataclasses.replace(o, group=shared)


class RunTally:
    """The results one execution appends, counted as they are written, never kept.

    ``earlier`` is what results.jsonl held when the run (or its resume) started; a result
    whose key is there replaces that outcome (the key is noted in ``replaced``, which holds
    at most the earlier keys). Every other result is a key this execution writes for the
    first and only time. ``by_group`` keeps each test x agent's counts (pass^k criteria).
    """

    def __init__(self, earlier: Outcomes, *, by_group: bool) -> None:
        self.earlier = earlier
        self.totals = TotalsSum()
        """Running sums, plain numbers: a model's field assignment costs more per case."""
        self.criteria = CriteriaTally(by_group)
        self.replaced: set[str] = set()

    def add(self, result: CaseResult) -> None:
        """Count ``result`` (as written: see ``add_line`` for a scrubbed one)."""
        self._count(result.key, _outcome_of(result))

    def add_line(self, line: bytes | str) -> None:
        """Count the result of one results.jsonl line (its record as written)."""
        r = _OutcomeRecord.model_validate_json(line)
        self._count(r.key, _outcome_of(r))

    def _count(self, key: str, o: Outcome) -> None:
        if key in self.earlier:
            self.replaced.add(key)
        self.totals.count(o.status, o.input_tokens, o.output_tokens, o.cost_usd, o.judge_cost_usd)
        self.criteria.add(o.group, o.status)

    def latest(self, keys: Callable[[], Iterable[str]]) -> tuple[RunTotals, CriteriaTally]:
        """Totals and criteria counts over the latest result of every key of ``keys``: this
        execution's results, and the earlier ones it did not replace (``keys`` is only
        iterated when there are such: a fresh run never walks its plan here)."""
        totals = dataclasses.replace(self.totals)
        criteria = self.criteria.copy()
        if len(self.earlier) > len(self.replaced):
            for key in keys():
                o = None if key in self.replaced else self.earlier.get(key)
                if o is not None:
                    totals.count(
                        o.status, o.input_tokens, o.output_tokens, o.cost_usd, o.judge_cost_usd
                    )
                    criteria.add(o.group, o.status)
        return totals.as_totals(), criteria


def totals_of_outcomes(outcomes: Iterable[Outcome]) -> RunTotals:
    """Totals over ``outcomes`` (as ``runtime.store.totals_of`` over whole results)."""
    totals = TotalsSum()
    for o in outcomes:
        totals.count(o.status, o.input_tokens, o.output_tokens, o.cost_usd, o.judge_cost_usd)
    return totals.as_totals()


def read_outcomes(path: Path, spans: dict[str, tuple[int, int]] | None = None) -> Outcomes:
    """The outcomes of results.jsonl (latest per key); rules as ``runtime.store.read_results``:
    a torn last line is skipped, an unreadable line elsewhere is a RunStoreError.

    ``spans``, when given, receives each key's latest line as (byte offset, length), so its
    record can be read (or copied) again without holding it.
    """
    outcomes = Outcomes()
    for number, start, line, is_last in _lines(path):
        try:
            key = outcomes.add_line(line)
        except ValueError as exc:
            if is_last:
                break
            raise RunStoreError(f"{path}:{number}: not a result record ({exc})") from exc
        if spans is not None:
            spans[key] = (start, len(line))
    return outcomes


def _lines(path: Path) -> Iterator[tuple[int, int, bytes, bool]]:
    """(line number, byte offset, line, whether it is the file's last and lacks its newline)
    per line that is not blank, read as a stream."""
    if not path.exists():
        return
    try:
        with path.open("rb") as fh:
            offset = 0
            for number, line in enumerate(fh, start=1):
                start, offset = offset, offset + len(line)
                if line.strip():
                    yield number, start, line, not line.endswith(b"\n")
    except OSError as exc:
        raise RunStoreError(f"cannot read {path}: {exc.strerror}") from exc


class StoredResults:
    """The whole results of some keys, read back from results.jsonl one at a time.

    Iterating reads the file twice: once for the byte range of each key's latest line, then
    each wanted line in ``keys`` order (keys without a result are left out). Nothing but the
    offsets and the result being yielded is held, and it can be iterated again.
    """

    def __init__(self, path: Path, keys: Callable[[], Iterable[str]]) -> None:
        """``keys`` makes the keys wanted, in order, afresh for each iteration."""
        self.path = path
        self._keys = keys

    def __iter__(self) -> Iterator[CaseResult]:
        spans: dict[str, tuple[int, int]] = {}
        offset = 0
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for line in fh:
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                try:
                    key = _KeyOnly.model_validate_json(line).key
                except ValidationError:
                    continue  # a torn last line (read_outcomes refuses any other)
                spans[key] = (start, len(line))
            for key in self._keys():
                span = spans.get(key)
                if span is None:
                    continue
                fh.seek(span[0])
                try:
                    yield CaseResult.model_validate_json(fh.read(span[1]))
                except ValidationError as exc:
                    raise RunStoreError(
                        f"{self.path}: the record of {key} is unreadable ({exc.error_count()} "
                        "problem(s))"
                    ) from exc


class _KeyOnly(_Lean):
    case_id: str
    attempt: int = 0
    retry: int | None = None

    @property
    def key(self) -> str:
        return result_key(self.case_id, self.attempt if self.retry is not None else 0)


def _outcome_of(r: CaseResult | _OutcomeRecord) -> Outcome:
    """The outcome of a result, whole or read lean from its line."""
    usage = r.transcript.usage
    return Outcome(
        (r.agent, r.file, r.session, r.test),
        r.status, usage.input, usage.output, r.cost_usd, r.judge_cost_usd,
    )  # fmt: skip
