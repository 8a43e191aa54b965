"""Build a :class:`~report.schema.Report` from a run directory, or load one from its JSON.

A run directory holds ``metadata.json`` (RunMetadata), ``results.jsonl`` (one CaseResult per
line; a case may appear several times after resume or retry, and the latest line wins) and,
usually, ``plan.json`` (for the seed, the criteria and the case order).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from runtime.criteria import criteria_met, mean_pass_hat_k
from runtime.errors import InputError, PlanError, RunStoreError
from runtime.plan import Criteria, Plan, load_plan
from runtime.plan.identity import case_definitions
from runtime.results import AssertionResult, CaseResult, RunMetadata
from runtime.transcript import ToolResult

from .perf import no_gc
from .run_reader import Deferred, Details, LeanResult, RecordSource
from .scenarios import scenario_summary
from .schema import (
    REPORT_VERSION,
    AgentStats,
    AiSummaryReport,
    AssertionReport,
    CaseReport,
    CellResult,
    ComparisonRow,
    LlmCallReport,
    MessageReport,
    OmittedDetails,
    PassHatKRequirement,
    Report,
    SpanReport,
    Summary,
    Tokens,
    ToolCallReport,
    TrafficReport,
)
from .stability import stability_of, suite_stability

__all__ = ["build_from_results", "build_from_run", "case_key", "load_report_json"]

M = TypeVar("M", bound=BaseModel)
Result = CaseResult | LeanResult | Deferred
"""A record of results.jsonl, whole, lean, or to be read whole when used (report/run_reader.py)."""

_FIELDS: dict[type[BaseModel], tuple[frozenset[str], set[str] | None]] = {}
"""Per model: its field names, and the fields-set its direct instances share (None when it
has private attributes, which model_construct must set up)."""
_set = object.__setattr__  # BaseModel.__setattr__ would validate; the slots are set as is


def _make(cls: type[M], /, **values: Any) -> M:
    """``cls.model_construct(**values)`` for already-validated values, about 3x faster.

    Every value here comes from a validated CaseResult, so nothing is checked again (as with
    model_construct). When ``values`` name exactly the model's fields (no defaults to fill)
    the instance is assembled directly, which is what model_construct does minus its
    per-field default handling: that bookkeeping was the largest single cost of building a
    10,000-case report (benchmarks/report_bench.py). Otherwise it defers to model_construct.
    Such instances share one fields-set: every field is set, so pydantic's only change to
    it (adding an assigned field's name) leaves it as it is.
    """
    known = _FIELDS.get(cls)
    if known is None:
        names = frozenset(cls.model_fields)
        known = _FIELDS[cls] = (names, None if cls.__private_attributes__ else set(names))
    fields, fields_set = known
    if fields_set is None or values.keys() != fields:
        return cls.model_construct(**values)
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


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
    with RecordSource(run_dir / "results.jsonl", warnings) as source:
        return _build_from_records(source.records(details), meta, plan, warnings)


def _build_from_records(
    results: list[LeanResult | Deferred], meta: RunMetadata, plan: Plan | None, warnings: list[str]
) -> Report:
    if meta.merge is not None and meta.merge.missing:
        n = meta.merge.shards
        missing = ", ".join(f"{i}/{n}" for i in meta.merge.missing)
        warnings.append(
            f"merged from {len(meta.merge.merged)} of {n} shards: shard {missing} missing; "
            "their cases are counted as not run"
        )
    return build_from_results(results, meta, plan, warnings=warnings)


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


def failed_messages(case: CaseReport) -> list[str]:
    """The case error and the messages of its failed top-level assertions."""
    out = [case.error] if case.error else []
    out += [f"[{a.type}] {a.message}" for a in case.assertions if not a.passed]
    return out


def _case(record: Result, definitions: dict[str, str] | None = None) -> CaseReport:
    # _make: everything here comes from a validated record, and validating it again costs
    # seconds on a 10,000-case run.
    # A deferred record is read whole now, and dropped once its report case is built.
    r = record.load() if isinstance(record, Deferred) else record
    if isinstance(r, LeanResult):
        return _lean_case(r, definitions)
    t = r.transcript
    agent_calls = [c for c in t.llm_calls if c.purpose == "agent"]
    rl = t.rate_limits.model_dump()
    return _case_report(
        r,
        definitions,
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


def _lean_case(r: LeanResult, definitions: dict[str, str] | None) -> CaseReport:
    """An attempt of a repeated test whose transcript the report leaves out (run_reader.py)."""
    return _case_report(
        r,
        definitions,
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


def _case_report(
    r: CaseResult | LeanResult, definitions: dict[str, str] | None, **details: Any
) -> CaseReport:
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
        definition=definitions.get(r.case_id) if definitions else None,
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


def _rate(passed: int, total: int) -> float:
    return passed / total if total else 0.0


def _sum_cost(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 6) if known else None


def _agents(cases: list[CaseReport]) -> list[AgentStats]:
    by_agent: dict[str, list[CaseReport]] = {}
    for c in cases:
        by_agent.setdefault(c.agent, []).append(c)
    stats = []
    for name, group in by_agent.items():
        passed = sum(c.status == "passed" for c in group)
        tokens = sum(c.tokens.total for c in group)
        first = group[0]
        stats.append(
            AgentStats(
                name=name,
                provider=first.provider,
                provider_type=first.provider_type,
                model=first.model,
                total=len(group),
                passed=passed,
                failed=sum(c.status == "failed" for c in group),
                errors=sum(c.status == "error" for c in group),
                pass_rate=_rate(passed, len(group)),
                tokens=tokens,
                input_tokens=sum(c.tokens.input for c in group),
                output_tokens=sum(c.tokens.output for c in group),
                tokens_per_pass=tokens / passed if passed else None,
                avg_latency_ms=sum(c.latency_ms for c in group) / len(group),
                avg_duration_ms=sum(c.duration_ms for c in group) / len(group),
                cost_usd=_sum_cost(c.cost_usd for c in group),
                judge_cost_usd=_sum_cost(c.judge_cost_usd for c in group),
                rank=0,
                disqualified=passed == 0,
            )
        )
    # agent-benchmark's leaderboard order: nothing passed = disqualified, at the bottom.
    stats.sort(
        key=lambda s: (
            s.disqualified,
            -s.pass_rate,
            s.tokens_per_pass if s.tokens_per_pass is not None else float("inf"),
            s.avg_duration_ms,
            s.name,
        )
    )
    return [s.model_copy(update={"rank": i}) for i, s in enumerate(stats, 1)]


def _comparison(cases: list[CaseReport]) -> list[ComparisonRow]:
    rows: dict[str, dict[str, list[CaseReport]]] = {}
    for c in cases:
        rows.setdefault(c.key, {}).setdefault(c.agent, []).append(c)
    out = []
    for key, by_agent in rows.items():
        group = [c for attempts in by_agent.values() for c in attempts]
        passed = sum(c.status == "passed" for c in group)
        first = group[0]
        out.append(
            _make(
                ComparisonRow,
                key=key,
                file=first.file,
                session=first.session,
                test=first.test,
                results={agent: _cell(attempts) for agent, attempts in by_agent.items()},
                total_runs=len(group),
                passed_runs=passed,
                failed_runs=sum(c.status == "failed" for c in group),
                error_runs=sum(c.status == "error" for c in group),
                pass_rate=_rate(passed, len(group)),
            )
        )
    return out


def _cell(attempts: list[CaseReport]) -> CellResult:
    """One agent's cell of a test: the latest attempt's figures, stability over all of them."""
    c = attempts[-1]
    return _make(
        CellResult,
        case_id=c.case_id,
        status=c.status,
        provider=c.provider,
        duration_ms=c.duration_ms,
        tokens=c.tokens.total,
        latency_ms=c.latency_ms,
        cost_usd=c.cost_usd,
        errors=failed_messages(c),
        stability=stability_of(a.status for a in attempts),
    )


def _wall_ms(meta: RunMetadata, cases: list[CaseReport]) -> float:
    def parse(s: str) -> datetime | None:
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return None

    start = parse(meta.started_at)
    end = parse(meta.ended_at) if meta.ended_at else None
    if end is None and cases:
        ends = [e for e in (parse(c.ended_at) for c in cases) if e is not None]
        end = max(ends) if ends else None
    if start is None or end is None:
        return sum(c.duration_ms for c in cases)
    return max(0.0, (end - start).total_seconds() * 1000)


def build_from_results(
    results: Sequence[Result],
    meta: RunMetadata,
    plan: Plan | None = None,
    *,
    warnings: list[str] | None = None,
    generated_at: str | None = None,
) -> Report:
    """Build a report from case results (latest attempt each), the run metadata and the plan."""
    definitions = case_definitions(plan) if plan is not None else None
    cases = [_case(r, definitions) for r in _ordered(results, plan)]
    total = len(cases)
    passed = sum(c.status == "passed" for c in cases)
    errors = sum(c.status == "error" for c in cases)
    planned = plan.attempt_count if plan is not None else meta.case_count
    not_run = max(0, planned - total)
    required = plan.criteria.success_rate if plan is not None else None
    rate = _rate(passed, total)
    outcomes = [((c.agent, c.key), c.status) for c in cases]
    # Without a success_rate every case must pass (agent-benchmark: exit 1 iff any failed).
    met = criteria_met(plan.criteria if plan is not None else Criteria(), outcomes, planned)
    hat = plan.criteria.pass_hat_k if plan is not None else None
    summary = Summary(
        total=total,
        passed=passed,
        failed=sum(c.status == "failed" for c in cases),
        errors=errors,
        not_run=not_run,
        pass_rate=rate,
        criteria_met=met,
        success_rate_required=required,
        pass_hat_k_required=PassHatKRequirement(k=hat.k, min=hat.min) if hat else None,
        pass_hat_k=mean_pass_hat_k(outcomes, hat.k) if hat else None,
        input_tokens=sum(c.tokens.input for c in cases),
        output_tokens=sum(c.tokens.output for c in cases),
        cached_tokens=sum(c.tokens.cached for c in cases),
        cost_usd=_sum_cost(c.cost_usd for c in cases),
        judge_cost_usd=_sum_cost(c.judge_cost_usd for c in cases),
        price_version=meta.price_version,
        duration_ms=_wall_ms(meta, cases),
        tool_calls=sum(
            len(c.tool_calls) + (c.omitted.tool_calls if c.omitted else 0) for c in cases
        ),
        agents=len({c.agent for c in cases}),
        files=len({c.file for c in cases}),
        sessions=len({(c.file, c.session) for c in cases}),
        tests=len({c.key for c in cases}),
        stability=suite_stability(cases),
    )
    return Report(
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
        summary=summary,
        agents=_agents(cases),
        comparison_summary=_comparison(cases),
        detailed_results=cases,
        ai_summary=_ai_summary(meta),
        traffic=(
            TrafficReport.model_validate(meta.traffic.model_dump())
            if meta.traffic is not None
            else None
        ),
        rescored_from=meta.rescored_from,
        warnings=list(warnings or []),
        scenarios=scenario_summary(cases),
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
