"""Statistics over repeated attempts: intervals, pass@k / pass^k, labels, exact tests.

Pure functions over counts, no I/O and no dependencies beyond ``math``. Errors (infrastructure
failures) are never passed in as failures: callers count them apart and leave them out of
every rate, so ``n`` below is always the number of non-error attempts.

- ``wilson``: the Wilson score interval for a binomial proportion. Unlike the normal
  approximation it stays inside [0, 1] and is sensible at 0/n and n/n, which is where agent
  tests live (Brown, Cai & DasGupta 2001 recommend it for small n).
- ``pass_at_k`` / ``pass_hat_k``: the unbiased estimators over n attempts with c passes of
  "at least one of k passes" (1 - C(n-c,k)/C(n,k), Chen et al. 2021) and "all k pass"
  (C(c,k)/C(n,k), the pass^k of tau-bench, Yao et al. 2024).
- ``cluster_interval``: a 95% interval for a pooled pass rate whose attempts come in clusters
  (a test's attempts are correlated: one test is not k independent samples of the suite). The
  ratio estimator sum(c)/sum(n) with the cluster-robust (sandwich) variance and the m/(m-1)
  small-sample factor, as survey statistics do for cluster samples.
- ``fisher_one_sided``: Fisher's exact test on a 2x2 table, one-sided. Exact (no normal
  approximation, valid at n = 1..20), needs no nuisance-parameter search (Barnard's does), and
  is conservative: when it says "regressed", the data really say so.
- ``holm``: Holm's step-down adjustment: controls the chance of *any* false "regressed" in a
  comparison at alpha, whatever the dependence between tests. For a gate on a pull request a
  false alarm costs more trust than a late catch, so family-wise control is the right error.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Literal

from runtime.criteria import pass_hat_k

__all__ = [
    "Label",
    "cluster_interval",
    "fisher_one_sided",
    "holm",
    "label_of",
    "min_one_sided_p",
    "pass_at_k",
    "pass_hat_k",
    "wilson",
]

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile."""

Label = Literal["stable-pass", "stable-fail", "flaky", "errored"]


def wilson(passed: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``passed`` successes out of ``n`` (``(0, 1)`` when n = 0)."""
    if n <= 0:
        return (0.0, 1.0)
    p = passed / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # Exact ends: 0 passes has lower bound 0, n passes upper bound 1 (rounding aside).
    if passed == 0:
        low = 0.0
    if passed == n:
        high = 1.0
    return (low, high)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k attempts passes), from c passes in n."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _check(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")


def label_of(passed: int, failed: int, errors: int) -> Label:
    """``stable-pass``, ``stable-fail``, ``flaky`` (some of each) or ``errored`` (none judged)."""
    del errors  # errors never decide a label: they are not samples of the agent's behaviour
    if passed + failed == 0:
        return "errored"
    if failed == 0:
        return "stable-pass"
    if passed == 0:
        return "stable-fail"
    return "flaky"


def cluster_interval(clusters: Sequence[tuple[int, int]], z: float = Z95) -> tuple[float, float]:
    """95% interval of sum(c)/sum(n) over clusters ``(c, n)`` (passes, non-error attempts).

    Clusters with n = 0 carry no information and are left out. With one cluster (or when the
    clusters vary by nothing) there is no between-cluster variance to estimate; the interval
    falls back to Wilson's over the pooled counts, which is right when attempts are independent.
    """
    used = [(c, n) for c, n in clusters if n > 0]
    total_n = sum(n for _, n in used)
    if total_n == 0:
        return (0.0, 1.0)
    total_c = sum(c for c, _ in used)
    p = total_c / total_n
    m = len(used)
    if m < 2:
        return wilson(total_c, total_n, z)
    mean_n = total_n / m
    resid = sum((c - p * n) ** 2 for c, n in used)
    var = m / (m - 1) * resid / (m * mean_n) ** 2
    if var <= 0.0:
        return wilson(total_c, total_n, z)
    half = z * math.sqrt(var)
    return (max(0.0, p - half), min(1.0, p + half))


def _hypergeom_pmf(x: int, row1: int, row2: int, col1: int) -> float:
    return math.comb(row1, x) * math.comb(row2, col1 - x) / math.comb(row1 + row2, col1)


@functools.lru_cache(maxsize=65_536)
def fisher_one_sided(
    base_passed: int,
    base_n: int,
    head_passed: int,
    head_n: int,
    alternative: Literal["worse", "better"],
) -> float:
    """One-sided p-value of Fisher's exact test that head passes less (``worse``) or more.

    The table is [[head_passed, head_failed], [base_passed, base_failed]]; conditional on the
    margins, head's passes are hypergeometric. ``worse`` sums P(X <= head_passed).
    Cached: a comparison of 10,000 tests with a few attempts each meets a few dozen tables.
    """
    if base_n <= 0 or head_n <= 0:
        return 1.0
    col1 = base_passed + head_passed  # passes in both runs together
    lo = max(0, col1 - base_n)
    hi = min(head_n, col1)
    if alternative == "worse":
        xs = range(lo, head_passed + 1)
    else:
        xs = range(head_passed, hi + 1)
    p = sum(_hypergeom_pmf(x, head_n, base_n, col1) for x in xs)
    return min(1.0, p)


def min_one_sided_p(base_n: int, head_n: int) -> float:
    """The smallest one-sided Fisher p-value any outcome with these attempt counts can give.

    The most extreme table (every base attempt passes, every head attempt fails) has
    p = 1 / C(base_n + head_n, head_n). When even that is above alpha, no result could show a
    change: the comparison has too little data, whatever happened.
    """
    if base_n <= 0 or head_n <= 0:
        return 1.0
    return 1.0 / math.comb(base_n + head_n, head_n)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (monotone, capped at 1)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    m = len(pvalues)
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
