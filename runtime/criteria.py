"""Whether a run meets its suite's criteria: the success rate, and the pass^k requirement.

One function for ``bench execute``'s exit code and for the report's ``criteria_met``, so the
two never disagree. pass^k is the unbiased estimate C(c,k)/C(n,k) of "all k attempts pass"
over a test x agent's n judged (non-error) attempts with c passes; the criterion averages it
over every test x agent with at least k judged attempts (tau-bench's pass^k).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .plan import Criteria

__all__ = ["StatusCounts", "criteria_met", "mean_pass_hat_k", "pass_hat_k", "tally_by"]

K = TypeVar("K", bound=Hashable)


@dataclass
class StatusCounts:
    """Attempts of one group by outcome; errors are counted apart and judged by no rate."""

    passed: int = 0
    failed: int = 0
    errors: int = 0

    def add(self, status: str) -> None:
        """Count one attempt's status (anything but passed/failed is an error)."""
        if status == "passed":
            self.passed += 1
        elif status == "failed":
            self.failed += 1
        else:
            self.errors += 1

    @property
    def judged(self) -> int:
        """Attempts that were judged (not errors)."""
        return self.passed + self.failed


def tally_by(outcomes: Iterable[tuple[K, str]]) -> dict[K, StatusCounts]:
    """``(group, status)`` pairs counted per group, groups in first-seen order."""
    counts: dict[K, StatusCounts] = {}
    for group, status in outcomes:
        tally = counts.get(group)
        if tally is None:
            tally = counts[group] = StatusCounts()
        tally.add(status)
    return counts


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
    counts = tally_by(outcomes).values()
    values = [pass_hat_k(t.judged, t.passed, k) for t in counts if t.judged >= k]
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
