"""Compare a head report with a base report: what newly fails, what newly passes, and deltas.

Cases are matched by (agent, file, session, test), not by case id: ids are positions in
a plan and shift when a suite gains a test, while the test's identity does not.
"""

from __future__ import annotations

from .case_list import CaseBrief, briefs_of
from .perf import no_gc
from .schema import AgentDelta, Baseline, CaseChange, Report, SummaryDelta
from .verdicts import ALPHA, judge, pairs_of, samples_of

__all__ = ["compare", "with_baseline"]


def _change(base: CaseBrief | None, head: CaseBrief | None) -> CaseChange:
    ref = head or base
    assert ref is not None
    return CaseChange(
        key=ref.key,
        agent=ref.agent,
        test=ref.test,
        session=ref.session,
        file=ref.file,
        base_status=base.status if base else None,
        head_status=head.status if head else None,
        tokens_delta=head.tokens.total - base.tokens.total if head and base else None,
        latency_delta_ms=head.latency_ms - base.latency_ms if head and base else None,
    )


def _cost_delta(head: float | None, base: float | None) -> float | None:
    if head is None and base is None:
        return None
    return round((head or 0.0) - (base or 0.0), 6)


def compare(base: Report, head: Report) -> Baseline:
    """The deltas and verdicts of ``head`` against ``base``."""
    with no_gc():  # tens of thousands of small objects: see report/perf.py
        return _compare(base, head)


def _compare(base: Report, head: Report) -> Baseline:
    # Briefs only: a report built from a run builds no case here (report/case_list.py).
    base_briefs, head_briefs = briefs_of(base.detailed_results), briefs_of(head.detailed_results)
    base_cases = {(c.agent, c.key): c for c in base_briefs}
    head_cases = {(c.agent, c.key): c for c in head_briefs}
    newly_failing, newly_passing, added, removed = [], [], [], []
    unchanged = 0
    for ident, h in head_cases.items():
        b = base_cases.get(ident)
        if b is None:
            added.append(_change(None, h))
        elif b.status == "passed" and h.status != "passed":
            newly_failing.append(_change(b, h))
        elif b.status != "passed" and h.status == "passed":
            newly_passing.append(_change(b, h))
        else:
            unchanged += 1
    removed = [_change(b, None) for ident, b in base_cases.items() if ident not in head_cases]
    bs, hs = base.summary, head.summary
    summary = SummaryDelta(
        total=hs.total - bs.total,
        passed=hs.passed - bs.passed,
        failed=hs.failed - bs.failed,
        errors=hs.errors - bs.errors,
        pass_rate=hs.pass_rate - bs.pass_rate,
        input_tokens=hs.input_tokens - bs.input_tokens,
        output_tokens=hs.output_tokens - bs.output_tokens,
        cost_usd=_cost_delta(hs.cost_usd, bs.cost_usd),
        duration_ms=hs.duration_ms - bs.duration_ms,
    )
    base_agents = {a.name: a for a in base.agents}
    head_agents = {a.name: a for a in head.agents}
    agents = []
    for name, ha in head_agents.items():
        ba = base_agents.get(name)
        if ba is None:
            agents.append(AgentDelta(name=name, presence="added"))
            continue
        agents.append(
            AgentDelta(
                name=name,
                presence="both",
                pass_rate=ha.pass_rate - ba.pass_rate,
                tokens=ha.tokens - ba.tokens,
                avg_latency_ms=ha.avg_latency_ms - ba.avg_latency_ms,
                cost_usd=_cost_delta(ha.cost_usd, ba.cost_usd),
            )
        )
    agents += [AgentDelta(name=n, presence="removed") for n in base_agents if n not in head_agents]
    judged = judge(pairs_of(samples_of(base_briefs), samples_of(head_briefs)), ALPHA)
    counts: dict[str, int] = {}
    for v in judged:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    return Baseline(
        base_run_id=base.run_id,
        base_generated_at=base.generated_at,
        base_plan_hash=base.plan_hash,
        summary=summary,
        agents=agents,
        newly_failing=newly_failing,
        newly_passing=newly_passing,
        added=added,
        removed=removed,
        unchanged=unchanged,
        verdicts=judged,
        verdict_counts=counts,
        alpha=ALPHA,
    )


def with_baseline(head: Report, base: Report | None) -> Report:
    """``head`` with its ``baseline`` set from ``base`` (unchanged when base is None)."""
    if base is None:
        return head
    return head.model_copy(update={"baseline": compare(base, head)})
