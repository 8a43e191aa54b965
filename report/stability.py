"""Stability of a test x agent over its attempts, and of the suite: report/stats.py applied."""

from __future__ import annotations

from collections.abc import Iterable

from runtime.criteria import StatusCounts, tally_by

from .case_list import CaseBrief
from .schema import CaseReport, CaseStatus, Stability, SuiteStability
from .stats import cluster_interval, label_of, pass_at_k, pass_hat_k, wilson

__all__ = ["stability_of", "suite_stability"]


def stability_of(statuses: Iterable[CaseStatus]) -> Stability:
    """The ``stability`` object of one test x agent from its attempts' statuses."""
    counts = StatusCounts()
    for status in statuses:
        counts.add(status)
    passed, failed, errors, n = counts.passed, counts.failed, counts.errors, counts.judged
    # Counts we made ourselves: no validation needed (this runs once per cell of the matrix).
    return Stability.model_construct(
        attempts=n + errors,
        passed=passed,
        failed=failed,
        errors=errors,
        pass_rate=passed / n if n else None,
        ci95=wilson(passed, n),
        pass_at_k={k: pass_at_k(n, passed, k) for k in range(1, n + 1)},
        pass_hat_k={k: pass_hat_k(n, passed, k) for k in range(1, n + 1)},
        label=label_of(passed, failed, errors),
    )


def suite_stability(cases: Iterable[CaseReport | CaseBrief]) -> SuiteStability:
    """Pooled pass rate over judged attempts; each test x agent is one cluster."""
    clusters = tally_by(((c.agent, c.key), c.status) for c in cases).values()
    pairs = [(t.passed, t.judged) for t in clusters]
    judged = sum(n for _, n in pairs)
    return SuiteStability(
        pass_rate=sum(p for p, _ in pairs) / judged if judged else None,
        ci95=cluster_interval(pairs),
        flaky=sum(1 for t in clusters if t.passed and t.failed),
        errored=sum(1 for t in clusters if not t.judged),
    )
