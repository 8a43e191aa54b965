"""Stability of a test x agent over its attempts, and of the suite: report/stats.py applied."""

from __future__ import annotations

from collections.abc import Iterable

from .schema import CaseReport, CaseStatus, Stability, SuiteStability
from .stats import cluster_interval, label_of, pass_at_k, pass_hat_k, wilson

__all__ = ["stability_of", "suite_stability"]


def stability_of(statuses: Iterable[CaseStatus]) -> Stability:
    """The ``stability`` object of one test x agent from its attempts' statuses."""
    passed = failed = errors = 0
    for status in statuses:
        if status == "passed":
            passed += 1
        elif status == "failed":
            failed += 1
        else:
            errors += 1
    n = passed + failed
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


def suite_stability(cases: Iterable[CaseReport]) -> SuiteStability:
    """Pooled pass rate over judged attempts; each test x agent is one cluster."""
    clusters: dict[tuple[str, str], list[int]] = {}
    for c in cases:
        counts = clusters.setdefault((c.agent, c.key), [0, 0, 0])
        if c.status == "passed":
            counts[0] += 1
        elif c.status == "failed":
            counts[1] += 1
        else:
            counts[2] += 1
    pairs = [(p, p + f) for p, f, _ in clusters.values()]
    judged = sum(n for _, n in pairs)
    return SuiteStability(
        pass_rate=sum(p for p, _ in pairs) / judged if judged else None,
        ci95=cluster_interval(pairs),
        flaky=sum(1 for p, f, _ in clusters.values() if p and f),
        errored=sum(1 for p, f, _ in clusters.values() if not p and not f),
    )
