"""Stability of a test x agent over its attempts, and of the suite: report/stats.py applied."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from runtime.criteria import StatusCounts, tally_by

from .case_list import CaseBrief
from .construct import make
from .schema import CaseReport, CaseStatus, Stability, SuiteStability
from .stats import Label, cluster_interval, label_of, pass_at_k, pass_hat_k, wilson

__all__ = ["stability_from", "stability_of", "suite_stability"]


def stability_of(statuses: Iterable[CaseStatus]) -> Stability:
    """The ``stability`` object of one test x agent from its attempts' statuses."""
    counts = StatusCounts()
    for status in statuses:
        counts.add(status)
    return stability_from(counts.passed, counts.failed, counts.errors)


def stability_from(passed: int, failed: int, errors: int) -> Stability:
    """The ``stability`` object of ``passed``, ``failed`` and ``errors`` attempts.

    A new object each time (its maps too), from figures computed once per distinct count:
    a matrix of 10,000 tests x 5 attempts has a few dozen distinct counts.
    """
    figures = _figures(passed, failed, errors)
    # Counts we made ourselves: no validation needed (this runs once per cell of the matrix).
    return make(
        Stability,
        attempts=passed + failed + errors,
        passed=passed,
        failed=failed,
        errors=errors,
        pass_rate=figures[0],
        ci95=figures[1],
        pass_at_k=dict(figures[2]),
        pass_hat_k=dict(figures[3]),
        label=figures[4],
    )


@functools.lru_cache(maxsize=4096)
def _figures(passed: int, failed: int, errors: int) -> tuple[
    float | None, tuple[float, float], dict[int, float], dict[int, float], Label
]:  # fmt: skip
    n = passed + failed
    return (
        passed / n if n else None,
        wilson(passed, n),
        {k: pass_at_k(n, passed, k) for k in range(1, n + 1)},
        {k: pass_hat_k(n, passed, k) for k in range(1, n + 1)},
        label_of(passed, failed, errors),
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
