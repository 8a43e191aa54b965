"""A run's results.jsonl read once into briefs, and each whole case read back by its offset.

A report of a repeated run counts and groups 50,000 records (10,000 tests x 5 attempts) but
shows the transcript of one attempt per test. So one pass over results.jsonl parses each line
into only what a :class:`~report.case_list.CaseBrief` needs (``_BriefRecord``: outcome, error,
timing, tokens, cost, the failed top-level assertions' type and message, the first agent
call's time to first token; the transcript's tool calls only counted) and keeps per record
its brief and the offset and size of its line: no model per record. The latest record per
(case, attempt) wins, as in report/run_reader.py. :class:`RunCases` then builds the whole
:class:`~report.schema.CaseReport` of record ``i`` when a sink asks for it, by reading that
one line again (the whole record for the records the report shows, the lean one else).

The file is opened per read (no handle is held by a report kept in the viewer's cache), and a
results.jsonl rewritten since the pass (a merge, another run's files copied over) is a
``RunStoreError`` telling to build the report again, never another case: the run store only
appends (and cuts a torn last line, which the pass skipped), so the bytes of every line read
stay where they were while the file keeps its inode and grows; each record read back is also
checked against its brief's case and attempt.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NotRequired

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from runtime.errors import RunStoreError
from runtime.results import CaseResult, CaseStatus, result_key
from runtime.transcript import TokenUsage

from .case_list import BriefTokens, CaseBrief
from .run_reader import Details, LeanResult
from .schema import CaseReport

__all__ = ["RunCases", "RunScan", "scan_run"]


class _Counted(TypedDict):
    """An entry of a transcript list, counted and not read."""


class _Call(TypedDict):
    ttft_ms: NotRequired[float | None]
    purpose: NotRequired[Literal["agent", "judge"]]


class _Assertion(TypedDict):
    type: str
    passed: bool
    message: str


class _Span(TypedDict):
    file: str
    line: int
    col: int


class _Transcript(TypedDict):
    tool_calls: NotRequired[list[_Counted]]
    llm_calls: NotRequired[list[_Call]]
    usage: NotRequired[TokenUsage]
    latency_ms: NotRequired[float]
    iterations: NotRequired[int]


class _BriefRecord(TypedDict):
    """A results.jsonl line as far as a brief needs it. The lines it accepts are the ones
    ``LeanResult`` accepts (same required fields and types; tests/report/test_run_index.py
    keeps them in step), so a line skipped here is one the lean read skips too. A typed
    dict, not a model: about a third cheaper to parse, and nothing of it is kept."""

    case_id: str
    unit_id: str
    agent: str
    provider: NotRequired[str | None]
    provider_type: NotRequired[str | None]
    model: NotRequired[str | None]
    session: str
    test: str
    description: NotRequired[str | None]
    file: str
    span: _Span
    status: CaseStatus
    error: NotRequired[str | None]
    prompt: str
    started_at: str
    ended_at: str
    duration_ms: float
    transcript: _Transcript
    assertions: NotRequired[list[_Assertion]]
    cost_usd: NotRequired[float | None]
    judge_cost_usd: NotRequired[float | None]
    attempt: NotRequired[int]
    retry: NotRequired[int | None]
    scores: NotRequired[dict[str, float] | None]


_PARSE = TypeAdapter(_BriefRecord).validate_json
_NO_USAGE = TokenUsage()


@dataclass(slots=True)
class RunScan:
    """What the pass kept: the briefs in report order, and per brief where its line is."""

    briefs: list[CaseBrief]
    starts: array[int]
    sizes: array[int]
    whole: bytearray
    """1 where the report shows the record whole (its transcript), 0 where it is lean."""
    shown_bytes: int
    """Bytes of the lines read whole when every case is built (the keep budget's measure)."""
    end: int
    """End of the last line read: the run store never changes a byte before it."""
    inode: int


def _brief(rec: _BriefRecord, key: str, attempt: int, retry: int, definition: str | None
           ) -> tuple[CaseBrief, tuple[str, ...], float | None]:  # fmt: skip
    """The record's brief as the report shows it lean, with what its whole case adds: the
    failed top-level assertions' messages and the first agent call's time to first token."""
    t = rec["transcript"]
    u = t.get("usage", _NO_USAGE)
    error = rec.get("error")
    failed: tuple[str, ...] = ()
    for a in rec.get("assertions", ()):
        if not a["passed"]:
            failed += (f"[{a['type']}] {a['message']}",)
    ttft = None
    for c in t.get("llm_calls", ()):
        if c.get("purpose", "agent") == "agent" and (ttft := c.get("ttft_ms")) is not None:
            break
    brief = CaseBrief(
        0,
        rec["case_id"],
        key,
        rec["agent"],
        rec.get("provider"),
        rec.get("provider_type"),
        rec.get("model"),
        rec["file"],
        rec["session"],
        rec["test"],
        rec.get("description"),
        rec["status"],
        error,
        rec["started_at"],
        rec["ended_at"],
        rec["duration_ms"],
        BriefTokens(u.input, u.output, u.cached, u.input + u.output, u.estimated),
        t.get("latency_ms", 0.0),
        None,
        rec.get("cost_usd"),
        rec.get("judge_cost_usd"),
        t.get("iterations", 0),
        attempt,
        retry,
        definition,
        len(t.get("tool_calls", ())),
        (error,) if error else (),
        rec.get("scores"),
        False,
    )
    return brief, failed, ttft


def scan_run(
    path: Path,
    warnings: list[str],
    *,
    details: Details,
    order: dict[str, int] | None,
    definitions: dict[str, str] | None,
    check_whole: bool,
) -> RunScan:
    """One pass over ``path``: the latest record per (case, attempt) as briefs, in ``order``
    (case id -> plan position; then attempt) or else in order of first appearance.

    ``details`` picks the records shown whole (report/run_reader.py); ``check_whole`` parses
    those whole now, and shows lean (with a warning, as before) any whose transcript is
    unreadable (report/build.py asks for it when another bench version wrote the run).
    """
    latest: dict[str, tuple[CaseBrief, tuple[str, ...], float | None, int, int]] = {}
    end = 0
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return RunScan([], array("q"), array("q"), bytearray(), 0, 0, 0)
    with fh:
        inode = os.fstat(fh.fileno()).st_ino
        offset = 0
        for lineno, line in enumerate(fh, 1):
            start, offset = offset, offset + len(line)
            if line.endswith(b"\n"):
                end = offset
            if not line.strip():
                continue
            try:
                rec = _PARSE(line)
            except ValidationError as exc:
                # A run killed mid-write leaves a truncated last line; report what we can.
                warnings.append(
                    f"{path.name}:{lineno}: skipped an unreadable record "
                    f"({exc.error_count()} problem(s))"
                )
                continue
            case_id, attempt, retry = rec["case_id"], rec.get("attempt", 0), rec.get("retry")
            if retry is None:  # a record from before repeats (as LeanResult reads it)
                retry, attempt = max(0, attempt - 1), 0
            key = f"{rec['file']}::{rec['session']}::{rec['test']}"  # report.build.case_key
            definition = definitions.get(case_id) if definitions else None
            brief, failed, ttft = _brief(rec, key, attempt, retry, definition)
            latest[result_key(case_id, attempt)] = (brief, failed, ttft, start, len(line))
    records = list(latest.values())
    if order is not None:
        n = len(order)
        records.sort(key=lambda r: (order.get(r[0].case_id, n), r[0].attempt))
    shown = _shown(records, details)
    scan = RunScan([], array("q"), array("q"), bytearray(len(records)), 0, end, inode)
    for i, (brief, failed, ttft, start, size) in enumerate(records):
        brief.index = i
        if i in shown and check_whole and not _whole_readable(path, brief, start, size, warnings):
            shown.discard(i)
        if i in shown:
            brief.failures += failed
            brief.ttft_ms = ttft
            brief.has_transcript = True
            scan.whole[i] = 1
            scan.shown_bytes += size
        scan.briefs.append(brief)
        scan.starts.append(start)
        scan.sizes.append(size)
    return scan


def _shown(records: Sequence[tuple[CaseBrief, object, object, int, int]], details: Details
           ) -> set[int]:  # fmt: skip
    """Positions of the records read whole: with ``failures``, the failed and errored ones;
    else one per case, its first failed or errored attempt, else its first."""
    if details == "failures":
        return {i for i, r in enumerate(records) if r[0].status != "passed"}
    chosen: dict[str, int] = {}
    for i, r in enumerate(records):
        best = chosen.get(r[0].case_id)
        if best is None or _rank(r[0]) < _rank(records[best][0]):
            chosen[r[0].case_id] = i
    return set(chosen.values())


def _rank(brief: CaseBrief) -> tuple[int, int]:
    return (0 if brief.status != "passed" else 1, brief.attempt)


def _whole_readable(path: Path, brief: CaseBrief, start: int, size: int, warnings: list[str]
                    ) -> bool:  # fmt: skip
    with path.open("rb") as fh:
        fh.seek(start)
        line = fh.read(size)
    try:
        CaseResult.model_validate_json(line)
    except ValidationError as exc:
        warnings.append(
            f"{path.name}: the transcript of {result_key(brief.case_id, brief.attempt)} is "
            f"unreadable ({exc.error_count()} problem(s)); its outcome is kept"
        )
        return False
    return True


class RunCases:
    """``load(i)`` of a report's CaseList: record ``i`` read again from results.jsonl and
    built as the report shows it (``build``: whole or lean record to CaseReport)."""

    __slots__ = ("_path", "_scan", "_build")

    def __init__(
        self,
        path: Path,
        scan: RunScan,
        build: Callable[[CaseResult | LeanResult, CaseBrief], CaseReport],
    ) -> None:
        self._path, self._scan, self._build = path, scan, build

    def __call__(self, i: int) -> CaseReport:
        scan = self._scan
        brief = scan.briefs[i]
        line = self._read(scan.starts[i], scan.sizes[i])
        record: CaseResult | LeanResult | None = None
        try:
            if scan.whole[i]:
                try:
                    record = CaseResult.model_validate_json(line)
                except ValidationError:
                    # Same-version records are whole-valid as written; one that is not (edited
                    # by hand) is shown lean, as an unreadable transcript always was.
                    record = LeanResult.model_validate_json(line)
            else:
                record = LeanResult.model_validate_json(line)
        except ValidationError:
            record = None
        if record is None or record.case_id != brief.case_id or record.attempt != brief.attempt:
            raise self._changed()
        return self._build(record, brief)

    def _read(self, start: int, size: int) -> bytes:
        try:
            with self._path.open("rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_ino != self._scan.inode or st.st_size < self._scan.end:
                    raise self._changed()
                fh.seek(start)
                return fh.read(size)
        except OSError as exc:
            raise RunStoreError(
                f"cannot read {self._path} for this report's cases: {exc.strerror}"
            ) from exc

    def _changed(self) -> RunStoreError:
        return RunStoreError(
            f"{self._path} changed since this report was built (rewritten or replaced); "
            "build the report again"
        )
