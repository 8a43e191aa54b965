"""Whether a run meets its suite's criteria: the success rate, and the pass^k requirement.

One function for ``bench execute``'s exit code and for the report's ``criteria_met``, so the
two never disagree. pass^k is the unbiased estimate C(c,k)/C(n,k) of "all k attempts pass"
over a test x agent's n judged (non-error) attempts with c passes; the criterion averages it
over every test x agent with at least k judged attempts (tau-bench's pass^k).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

from .plan import Criteria

__all__ = ["criteria_met", "mean_pass_hat_k", "pass_hat_k"]


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(all k attempts pass), from c passes in n judged attempts."""
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    return math.comb(c, k) / math.comb(n, k)


def mean_pass_hat_k(outcomes: Iterable[tuple[Hashable, str]], k: int) -> float | None:
    """Mean pass^k over the groups (test x agent) of ``(group, status)`` pairs.

    Errors are left out (never failures); a group with fewer than k judged attempts cannot
    estimate pass^k and is left out too. None when no group is left.
    """
    counts: dict[Hashable, list[int]] = {}
    for group, status in outcomes:
        c = counts.setdefault(group, [0, 0])
        if status == "passed":
            c[0] += 1
            c[1] += 1
        elif status == "failed":
            c[1] += 1
    values = [pass_hat_k(n, c, k) for c, n in counts.values() if n >= k]
    return sum(values) / len(values) if values else None


def criteria_met(
    criteria: Criteria,
    outcomes: Sequence[tuple[Hashable, str]],
    expected: int,
) -> bool:
    """Whether ``outcomes`` (one ``(test x agent, status)`` per attempt) meet ``criteria``.

    ``expected`` is how many attempts the plan holds: a run missing any never meets its
    criteria. Without ``success_rate`` every attempt must pass (agent-benchmark's rule).
    """
    if expected == 0 or len(outcomes) < expected:
        return False
    passed = sum(status == "passed" for _, status in outcomes)
    rate = criteria.success_rate
    if rate is None:
        if passed != expected:
            return False
    elif passed / expected < rate:
        return False
    if criteria.pass_hat_k is not None:
        mean = mean_pass_hat_k(outcomes, criteria.pass_hat_k.k)
        if mean is None or mean < criteria.pass_hat_k.min:
            return False
    return True
