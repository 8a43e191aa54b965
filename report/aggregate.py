"""A report's figures from its cases' briefs: summary, agents, comparison matrix, stability.

Everything here reads only :class:`~report.case_list.CaseBrief` fields (a brief carries a
case's scalar fields under CaseReport's names), so a report built from a run computes it
without building a single whole case (report/build.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from runtime.criteria import StatusCounts, criteria_met, mean_pass_hat_k
from runtime.plan import Criteria, Plan
from runtime.results import RunMetadata

from .case_list import CaseBrief
from .construct import make
from .schema import (
    AgentStats,
    CellResult,
    ComparisonRow,
    PassHatKRequirement,
    Stability,
    Summary,
)
from .stability import stability_from, suite_stability

__all__ = ["agents", "comparison", "summary"]


def _rate(passed: int, total: int) -> float:
    return passed / total if total else 0.0


def _sum_cost(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 6) if known else None


def summary(briefs: Sequence[CaseBrief], meta: RunMetadata, plan: Plan | None) -> Summary:
    """The run's summary."""
    total = len(briefs)
    counts = StatusCounts()
    for b in briefs:
        counts.add(b.status)
    passed, failed, errors = counts.passed, counts.failed, counts.errors
    planned = plan.attempt_count if plan is not None else meta.case_count
    hat = plan.criteria.pass_hat_k if plan is not None else None
    outcomes = [((b.agent, b.key), b.status) for b in briefs]
    # Without a success_rate every case must pass (agent-benchmark: exit 1 iff any failed).
    met = criteria_met(plan.criteria if plan is not None else Criteria(), outcomes, planned)
    return Summary(
        total=total,
        passed=passed,
        failed=failed,
        errors=errors,
        not_run=max(0, planned - total),
        pass_rate=_rate(passed, total),
        criteria_met=met,
        success_rate_required=plan.criteria.success_rate if plan is not None else None,
        pass_hat_k_required=PassHatKRequirement(k=hat.k, min=hat.min) if hat else None,
        pass_hat_k=mean_pass_hat_k(outcomes, hat.k) if hat else None,
        input_tokens=sum(b.tokens.input for b in briefs),
        output_tokens=sum(b.tokens.output for b in briefs),
        cached_tokens=sum(b.tokens.cached for b in briefs),
        cost_usd=_sum_cost(b.cost_usd for b in briefs),
        judge_cost_usd=_sum_cost(b.judge_cost_usd for b in briefs),
        price_version=meta.price_version,
        duration_ms=_wall_ms(meta, briefs),
        tool_calls=sum(b.tool_call_count for b in briefs),
        agents=len({b.agent for b in briefs}),
        files=len({b.file for b in briefs}),
        sessions=len({(b.file, b.session) for b in briefs}),
        tests=len({b.key for b in briefs}),
        stability=suite_stability(briefs),
    )


def agents(briefs: Sequence[CaseBrief]) -> list[AgentStats]:
    """Per agent: counts, tokens, timing and cost, ranked as agent-benchmark's leaderboard."""
    by_agent: dict[str, list[CaseBrief]] = {}
    for b in briefs:
        by_agent.setdefault(b.agent, []).append(b)
    stats = []
    for name, group in by_agent.items():
        passed = sum(b.status == "passed" for b in group)
        tokens = sum(b.tokens.total for b in group)
        first = group[0]
        stats.append(
            AgentStats(
                name=name,
                provider=first.provider,
                provider_type=first.provider_type,
                model=first.model,
                total=len(group),
                passed=passed,
                failed=sum(b.status == "failed" for b in group),
                errors=sum(b.status == "error" for b in group),
                pass_rate=_rate(passed, len(group)),
                tokens=tokens,
                input_tokens=sum(b.tokens.input for b in group),
                output_tokens=sum(b.tokens.output for b in group),
                tokens_per_pass=tokens / passed if passed else None,
                avg_latency_ms=sum(b.latency_ms for b in group) / len(group),
                avg_duration_ms=sum(b.duration_ms for b in group) / len(group),
                cost_usd=_sum_cost(b.cost_usd for b in group),
                judge_cost_usd=_sum_cost(b.judge_cost_usd for b in group),
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


def comparison(briefs: Sequence[CaseBrief]) -> list[ComparisonRow]:
    """The test x agent matrix: per test, each agent's cell and the counts over all."""
    rows: dict[str, dict[str, list[CaseBrief]]] = {}
    for b in briefs:
        rows.setdefault(b.key, {}).setdefault(b.agent, []).append(b)
    out = []
    for key, by_agent in rows.items():
        passed = failed = errors = total = 0
        cells = {}
        for agent, attempts in by_agent.items():
            counts = StatusCounts()
            for a in attempts:
                counts.add(a.status)
            st = stability_from(counts.passed, counts.failed, counts.errors)
            cells[agent] = _cell(attempts, st)
            passed, failed, errors = passed + st.passed, failed + st.failed, errors + st.errors
            total += len(attempts)
        first = next(iter(by_agent.values()))[0]
        out.append(
            make(
                ComparisonRow,
                key=key,
                file=first.file,
                session=first.session,
                test=first.test,
                results=cells,
                total_runs=total,
                passed_runs=passed,
                failed_runs=failed,
                error_runs=errors,
                pass_rate=_rate(passed, total),
            )
        )
    return out


def _cell(attempts: list[CaseBrief], stability: Stability) -> CellResult:
    """One agent's cell of a test: the latest attempt's figures, stability over all of them."""
    c = attempts[-1]
    return make(
        CellResult,
        case_id=c.case_id,
        status=c.status,
        provider=c.provider,
        duration_ms=c.duration_ms,
        tokens=c.tokens.total,
        latency_ms=c.latency_ms,
        cost_usd=c.cost_usd,
        errors=list(c.failures),
        stability=stability,
    )


def _wall_ms(meta: RunMetadata, briefs: Sequence[CaseBrief]) -> float:
    def parse(s: str) -> datetime | None:
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return None

    start = parse(meta.started_at)
    end = parse(meta.ended_at) if meta.ended_at else None
    if end is None and briefs:
        ends = [e for e in (parse(b.ended_at) for b in briefs) if e is not None]
        end = max(ends) if ends else None
    if start is None or end is None:
        return sum(b.duration_ms for b in briefs)
    return max(0.0, (end - start).total_seconds() * 1000)
