"""Build a :class:`~report.schema.Report` from a run directory, or load one from its JSON.

A run directory holds ``metadata.json`` (RunMetadata), ``results.jsonl`` (one CaseResult per
line; a case may appear several times after resume or retry, and the latest line wins) and,
usually, ``plan.json`` (for the seed, the criteria and the case order).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runtime.errors import InputError, PlanError, RunStoreError
from runtime.plan import Plan, load_plan
from runtime.plan.identity import case_definitions
from runtime.results import AssertionResult, CaseResult, RunMetadata
from runtime.transcript import ToolResult

from . import aggregate
from .case_list import CaseBrief, CaseList, brief_of
from .case_list import failed_messages as failed_messages
from .construct import make
from .perf import no_gc
from .run_index import RunCases, scan_run
from .run_reader import Details, LeanResult
from .scenarios import scenario_summary
from .schema import (
    REPORT_VERSION,
    AiSummaryReport,
    AssertionReport,
    CaseReport,
    LlmCallReport,
    MessageReport,
    OmittedDetails,
    Report,
    SpanReport,
    Tokens,
    ToolCallReport,
    TrafficReport,
)

__all__ = ["build_from_results", "build_from_run", "case_key", "load_report_json"]

Result = CaseResult | LeanResult
"""A record of results.jsonl, whole or lean (report/run_reader.py)."""

KEEP_BYTES = 64 * 1024 * 1024
"""A report built from a run keeps each case once built (``CaseList(keep=True)``) when the
lines of the records it shows whole total at most this (64 MiB: a 10,000-case run of ~3.5 KB
records is about 35 MB); above it, every read of a case builds it again. docs/reports.md."""

_make = make  # the name tests and earlier callers use


def bench_version() -> str:
    """The installed bench's version (report/ may not import bench/, so ask the metadata)."""
    try:
        return version("bench")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+source"


def case_key(file: str, session: str, test: str) -> str:
    """A test's identity across agents and runs: same-named tests in two sessions differ."""
    return f"{file}::{session}::{test}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def load_report_json(path: Path) -> Report:
    """Read a JSON report written by ``bench report``; raise InputError when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or "report_version" not in data:
        raise InputError(
            f"{path} is not a bench JSON report (no report_version); "
            "give a run directory or a report written with `bench report --format json`"
        )
    if data["report_version"] == 1:
        data = _upgrade_v1(data)
    if data["report_version"] != REPORT_VERSION:
        raise InputError(
            f"{path}: report_version {data['report_version']!r} is not supported "
            f"(this bench reads version {REPORT_VERSION}); re-render it from its run directory"
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"{path}: not a valid bench report ({exc.error_count()} problem(s)); "
            f"first at {loc}: {first['msg']}"
        ) from exc


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 report as version 2: its ``attempt`` counted retries from 1 (``retry`` now),
    and there were no repeats (every case is attempt 0)."""
    for case in data.get("detailed_results") or []:
        if isinstance(case, dict) and "retry" not in case:
            case["retry"] = max(0, int(case.get("attempt", 1)) - 1)
            case["attempt"] = 0
    return {**data, "report_version": REPORT_VERSION}


def build_from_run(
    run_dir: Path, *, details: Details = "shown", plan: Plan | None = None
) -> Report:
    """Build the report of a finished or partial run directory.

    ``details="failures"``: only failed and errored cases carry their transcripts (for the
    console report alone, which shows nothing else); the others keep their outcome, tokens,
    timing and cost, with ``omitted`` in place of the transcript (report/run_reader.py).
    ``plan``: the run's plan when the caller holds it already (``bench execute``), so it is
    not loaded a second time; by default, the run directory's plan.json.
    """
    with no_gc():
        report = _build_from_run(run_dir, details, plan)
        # The build allocated millions of objects while the collector was paused, all still
        # in the youngest generation: the first collection after it resumes would scan every
        # one of them (~0.3 s on 10,000 cases), then again as they age. They are long-lived
        # (the report), so move them straight to the oldest generation (freeze puts them in
        # the permanent one, unfreeze hands them to the oldest), where they stay collectable.
        gc.freeze()
        gc.unfreeze()
        return report


def _build_from_run(run_dir: Path, details: Details, plan: Plan | None) -> Report:
    if not run_dir.is_dir():
        raise RunStoreError(f"{run_dir} is not a run directory")
    meta_path = run_dir / "metadata.json"
    try:
        meta = RunMetadata.model_validate_json(meta_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunStoreError(
            f"{run_dir} is not a run directory: cannot read metadata.json ({exc.strerror})"
        ) from exc
    except ValidationError as exc:
        raise RunStoreError(
            f"{meta_path}: not valid run metadata ({exc.error_count()} problem(s))"
        ) from exc
    warnings: list[str] = []
    if plan is None and (run_dir / "plan.json").exists():
        try:
            plan = load_plan(run_dir / "plan.json")
        except PlanError as exc:
            warnings.append(f"plan.json ignored: {exc}")
    _merge_warning(meta, warnings)
    definitions = case_definitions(plan) if plan is not None else None
    order = {case.id: i for i, case in enumerate(plan.cases)} if plan is not None else None
    path = run_dir / "results.jsonl"
    # Records another bench version wrote may be lean-valid but not whole-valid (a field
    # added or changed since): their transcripts are checked now, so such a record is shown
    # lean with a warning, as it always was. This version's records are whole-valid as
    # written (the runtime wrote them from CaseResult models), so that check is skipped.
    scan = scan_run(
        path,
        warnings,
        details=details,
        order=order,
        definitions=definitions,
        check_whole=meta.bench_version != bench_version(),
    )
    cases = CaseList(
        scan.briefs, RunCases(path, scan, _case_of), keep=scan.shown_bytes <= KEEP_BYTES
    )
    return _report(scan.briefs, cases, meta, plan, warnings, None)


def _merge_warning(meta: RunMetadata, warnings: list[str]) -> None:
    if meta.merge is not None and meta.merge.missing:
        n = meta.merge.shards
        missing = ", ".join(f"{i}/{n}" for i in meta.merge.missing)
        warnings.append(
            f"merged from {len(meta.merge.merged)} of {n} shards: shard {missing} missing; "
            "their cases are counted as not run"
        )


def _ordered(results: Sequence[Result], plan: Plan | None) -> list[Result]:
    if plan is None:
        return list(results)
    order = {case.id: i for i, case in enumerate(plan.cases)}
    return sorted(results, key=lambda r: (order.get(r.case_id, len(order)), r.attempt))


def _span(span: Any) -> SpanReport | None:
    return None if span is None else _make(SpanReport, file=span.file, line=span.line, col=span.col)


def _assertion(a: AssertionResult) -> AssertionReport:
    return _make(
        AssertionReport,
        type=a.type,
        passed=a.passed,
        message=a.message,
        expected=a.expected,
        actual=a.actual,
        details=a.details,
        children=[_assertion(c) for c in a.children],
        span=_span(a.span),
    )


def _result_text(result: ToolResult | None) -> str | None:
    if result is None:
        return None
    parts = []
    for block in result.content:
        kind = block.get("type")
        if kind == "text":
            parts.append(str(block.get("text", "")))
        else:
            parts.append(f"[{kind} content]")
    return "\n".join(parts)


def _case(record: Result, definitions: dict[str, str] | None = None) -> CaseReport:
    """The report case of a record (``definitions``: the plan's, by case id)."""
    return _case_of(record, None, definitions.get(record.case_id) if definitions else None)


def _case_of(r: CaseResult | LeanResult, brief: CaseBrief | None, definition: str | None = None
             ) -> CaseReport:  # fmt: skip
    """The report case of a whole or lean record; its definition is ``brief``'s, if given."""
    if brief is not None:
        definition = brief.definition
    # _make: everything here comes from a validated record, and validating it again costs
    # seconds on a 10,000-case run.
    if isinstance(r, LeanResult):
        return _lean_case(r, definition)
    t = r.transcript
    agent_calls = [c for c in t.llm_calls if c.purpose == "agent"]
    rl = t.rate_limits.model_dump()
    return _case_report(
        r,
        definition,
        ttft_ms=next((c.ttft_ms for c in agent_calls if c.ttft_ms is not None), None),
        tool_calls=[
            _make(
                ToolCallReport,
                name=c.name,
                arguments=c.arguments,
                raw_arguments=c.raw_arguments,
                server=c.server,
                result=_result_text(c.result),
                result_structured=c.result.structured if c.result else None,
                is_error=bool(c.result and c.result.is_error),
                error=c.error,
                hallucinated=c.hallucinated,
                iteration=c.iteration,
                started_ms=c.started_ms,
                duration_ms=c.duration_ms,
            )
            for c in t.tool_calls
        ],
        llm_calls=[
            _make(
                LlmCallReport,
                model=c.model,
                iteration=c.iteration,
                started_ms=c.started_ms,
                latency_ms=c.latency_ms,
                ttft_ms=c.ttft_ms,
                input_tokens=c.usage.input,
                output_tokens=c.usage.output,
                attempts=c.attempts,
                status=c.status,
                error=c.error,
                purpose=c.purpose,
            )
            for c in t.llm_calls
        ],
        messages=[
            _make(
                MessageReport,
                role=m.role,
                content=m.content,
                tool_calls=[c.name for c in m.tool_calls],
                name=m.name,
                at_ms=m.at_ms,
            )
            for m in t.messages
        ],
        final_output=t.final_output,
        errors=list(t.errors),
        assertions=[_assertion(a) for a in r.assertions],
        extracted=dict(r.extracted),
        rate_limits=rl if any(rl.values()) else None,
        clarification=t.clarification.model_dump() if t.clarification.enabled else None,
        omitted=None,
    )


def _lean_case(r: LeanResult, definition: str | None) -> CaseReport:
    """An attempt of a repeated test whose transcript the report leaves out (run_reader.py)."""
    return _case_report(
        r,
        definition,
        ttft_ms=None,
        tool_calls=[],
        llm_calls=[],
        messages=[],
        final_output="",
        errors=[],
        assertions=[],
        extracted={},
        rate_limits=None,
        clarification=None,
        omitted=_make(OmittedDetails, tool_calls=len(r.transcript.tool_calls)),
    )


def _case_report(r: CaseResult | LeanResult, definition: str | None, **details: Any) -> CaseReport:
    """A CaseReport: the fields every record has in full, lean or whole, then ``details``.

    One dict literal in the model's field order (its JSON follows that order): this runs once
    per record, tens of thousands of times for a repeated run.
    """
    t = r.transcript
    u = t.usage
    return _make(
        CaseReport,
        case_id=r.case_id,
        key=f"{r.file}::{r.session}::{r.test}",  # case_key, inlined
        agent=r.agent,
        provider=r.provider,
        provider_type=r.provider_type,
        model=r.model,
        file=r.file,
        session=r.session,
        test=r.test,
        description=r.description,
        span=_span(r.span),
        status=r.status,
        error=r.error,
        prompt=r.prompt,
        started_at=r.started_at,
        ended_at=r.ended_at,
        duration_ms=r.duration_ms,
        tokens=_make(
            Tokens,
            input=u.input,
            output=u.output,
            cached=u.cached,
            total=u.total,
            estimated=u.estimated,
        ),
        latency_ms=t.latency_ms,
        ttft_ms=details["ttft_ms"],
        cost_usd=r.cost_usd,
        judge_cost_usd=r.judge_cost_usd,
        iterations=t.iterations,
        attempt=r.attempt,
        retry=r.retry,
        definition=definition,
        tool_calls=details["tool_calls"],
        llm_calls=details["llm_calls"],
        messages=details["messages"],
        final_output=details["final_output"],
        errors=details["errors"],
        assertions=details["assertions"],
        extracted=details["extracted"],
        rate_limits=details["rate_limits"],
        clarification=details["clarification"],
        omitted=details["omitted"],
        scores=r.scores,
    )


def build_from_results(
    results: Sequence[Result],
    meta: RunMetadata,
    plan: Plan | None = None,
    *,
    warnings: list[str] | None = None,
    generated_at: str | None = None,
) -> Report:
    """Build a report from case results (latest attempt each), the run metadata and the plan.

    The report holds every case whole (a plain list); ``build_from_run`` reads a run
    directory into a report that builds its cases on demand.
    """
    definitions = case_definitions(plan) if plan is not None else None
    cases = [_case(r, definitions) for r in _ordered(results, plan)]
    briefs = [brief_of(c, i) for i, c in enumerate(cases)]
    return _report(briefs, cases, meta, plan, list(warnings or []), generated_at)


def _report(
    briefs: Sequence[CaseBrief],
    cases: Sequence[CaseReport],
    meta: RunMetadata,
    plan: Plan | None,
    warnings: list[str],
    generated_at: str | None,
) -> Report:
    """The report of ``cases`` (whole, or a CaseList), every figure from their ``briefs``."""
    # Assembled without validation: ``detailed_results`` may be a CaseList (a Sequence that
    # builds each case on demand), and every part below is made from validated values.
    return make(
        Report,
        report_version=REPORT_VERSION,
        bench_version=bench_version(),
        run_bench_version=meta.bench_version,
        generated_at=generated_at or _now(),
        run_id=meta.run_id,
        suite=meta.plan_name,
        plan_hash=meta.plan_hash,
        seed=plan.seed if plan is not None else None,
        status=meta.status,
        run_error=meta.error,
        stop_reason=meta.stop_reason,
        started_at=meta.started_at,
        ended_at=meta.ended_at,
        summary=aggregate.summary(briefs, meta, plan),
        agents=aggregate.agents(briefs),
        comparison_summary=aggregate.comparison(briefs),
        detailed_results=cases,
        ai_summary=_ai_summary(meta),
        traffic=(
            TrafficReport.model_validate(meta.traffic.model_dump())
            if meta.traffic is not None
            else None
        ),
        rescored_from=meta.rescored_from,
        warnings=warnings,
        scenarios=scenario_summary(briefs),
    )


def _ai_summary(meta: RunMetadata) -> AiSummaryReport | None:
    record = meta.ai_summary
    if record is None:
        return None
    return AiSummaryReport(
        provider=record.provider,
        model=record.model,
        text=record.text,
        error=record.error,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        generated_at=record.generated_at,
    )
