"""Reading a run's results.jsonl for a report: every record, one transcript per repeated test.

A repeated run holds k records per test, each with its whole transcript (messages, tool calls,
LLM calls): about 3.5 KB of JSON per record, and parsing one into models costs ~0.4 ms here,
so 10,000 tests x 5 attempts would spend ~20 s in parsing alone. Statistics, verdicts and
every count need only each attempt's outcome. So each record is first read lean
(``LeanResult``: outcome, error, timing, tokens and cost; tool calls only counted), and the
whole record is parsed for one attempt per test: its first failed
or errored attempt (the one a reader wants to see), else its first. A test run once is always
read whole. Every transcript stays in results.jsonl (``bench show``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from runtime.results import CaseResult, CaseStatus, result_key
from runtime.transcript import TokenUsage

__all__ = ["Details", "LeanResult", "read_results"]


class _Lean(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Counted(_Lean):
    """An entry of a transcript list, counted and not read."""


class _Span(_Lean):
    file: str
    line: int
    col: int


class LeanTranscript(_Lean):
    """A transcript's figures; its tool calls only counted, its other lists left out."""

    tool_calls: list[_Counted] = []
    usage: TokenUsage = TokenUsage()
    latency_ms: float = 0.0
    iterations: int = 0


class LeanResult(_Lean):
    """A CaseResult read without its transcript's contents and assertion results.

    Its fields are CaseResult's, with the same types, but for ``span`` and ``transcript``
    (lean twins) and ``retry`` (None marks a record from before repeats);
    tests/report/test_run_reader.py keeps the two in step.
    """

    case_id: str
    unit_id: str
    agent: str
    provider: str | None = None
    provider_type: str | None = None
    model: str | None = None
    session: str
    test: str
    description: str | None = None
    file: str
    span: _Span
    status: CaseStatus
    error: str | None = None
    prompt: str
    started_at: str
    ended_at: str
    duration_ms: float
    transcript: LeanTranscript
    cost_usd: float | None = None
    judge_cost_usd: float | None = None
    attempt: int = 0
    retry: int | None = None
    scores: dict[str, float] | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Read records written before repeats (as ``CaseResult`` does): their ``attempt``
        counted retries from 1, and they had no ``retry``."""
        if self.retry is None:
            self.retry, self.attempt = max(0, self.attempt - 1), 0

    @property
    def key(self) -> str:
        """This record's identity in its run (as ``CaseResult.key``)."""
        return result_key(self.case_id, self.attempt)


Details = Literal["shown", "failures"]
"""Which records are read whole: ``shown``, every test run once and one attempt per repeated
test (the reports' rule, above); ``failures``, only the failed and errored records (what the
console report shows: a run's own end-of-run summary needs no passing transcript)."""


def read_results(
    path: Path, warnings: list[str], *, details: Details = "shown"
) -> list[CaseResult | LeanResult]:
    """The latest record per (case, attempt), in order of first appearance; unreadable lines
    become warnings. The records ``details`` names are whole ``CaseResult``s (the lean one,
    with a warning, when only that can be read); the others are ``LeanResult``s. All are
    held in memory: a report of a run directory reads briefs instead (report/run_index.py).
    """
    if not path.exists():
        return []
    latest: dict[str, tuple[LeanResult, bytes]] = {}
    # Bytes straight to pydantic's JSON parser: no str decoding per line (faster), and a line
    # that is not UTF-8 becomes a warning like any other unreadable record.
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = LeanResult.model_validate_json(line)
            except ValidationError as exc:
                # A run killed mid-write leaves a truncated last line; report what we can.
                warnings.append(
                    f"{path.name}:{lineno}: skipped an unreadable record "
                    f"({exc.error_count()} problem(s))"
                )
                continue
            latest[rec.key] = (rec, line)
    records = (rec for rec, _ in latest.values())
    if details == "failures":
        whole = {rec.key for rec in records if rec.status != "passed"}
    else:
        whole = _shown_attempts(records)
    return [
        _whole(rec, line, path, warnings) if key in whole else rec
        for key, (rec, line) in latest.items()
    ]


def _whole(
    lean: LeanResult, line: bytes, path: Path, warnings: list[str]
) -> CaseResult | LeanResult:
    try:
        return CaseResult.model_validate_json(line)
    except ValidationError as exc:  # lean-valid but not whole-valid: keep the lean one
        warnings.append(
            f"{path.name}: the transcript of {lean.key} is unreadable "
            f"({exc.error_count()} problem(s)); its outcome is kept"
        )
        return lean


def _shown_attempts(records: Iterable[LeanResult]) -> set[str]:
    """Per case, the key of the attempt read whole: its first failed or errored attempt,
    else its first."""
    chosen: dict[str, LeanResult] = {}
    for rec in records:
        best = chosen.get(rec.case_id)
        if best is None or _rank(rec) < _rank(best):
            chosen[rec.case_id] = rec
    return {rec.key for rec in chosen.values()}


def _rank(rec: LeanResult) -> tuple[int, int]:
    return (0 if rec.status != "passed" else 1, rec.attempt)
