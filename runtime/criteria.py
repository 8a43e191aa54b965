"""Whether a run meets its suite's criteria: the success rate, and the pass^k requirement.

One function for ``bench execute``'s exit code and for the report's ``criteria_met``, so the
two never disagree. pass^k is the unbiased estimate C(c,k)/C(n,k) of "all k attempts pass"
over a test x agent's n judged (non-error) attempts with c passes; the criterion averages it
over every test x agent with at least k judged attempts (tau-bench's pass^k).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from .plan import Criteria

__all__ = [
    "CriteriaTally",
    "StatusCounts",
    "criteria_met",
    "mean_pass_hat_k",
    "pass_hat_k",
    "tally_by",
]

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
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


class CriteriaTally:
    """``(test x agent, status)`` pairs counted as they come, for ``met``: a count and the
    passes always, the counts per test x agent only when ``by_group`` (pass^k needs them).

    A run feeds it one result at a time, so what it holds does not grow with the run unless
    the criteria ask for pass^k (then one ``StatusCounts`` per test x agent).
    """

    def __init__(self, by_group: bool) -> None:
        self.count = 0
        self.passed = 0
        self.groups: dict[Hashable, StatusCounts] | None = {} if by_group else None

    def add(self, group: Hashable, status: str) -> None:
        """Count one attempt of ``group``."""
        self.count += 1
        if status == "passed":
            self.passed += 1
        if self.groups is not None:
            tally = self.groups.get(group)
            if tally is None:
                tally = self.groups[group] = StatusCounts()
            tally.add(status)

    def copy(self) -> CriteriaTally:
        """An independent tally with the same counts."""
        out = CriteriaTally(self.groups is not None)
        out.count, out.passed = self.count, self.passed
        if self.groups is not None:
            out.groups = {
                g: StatusCounts(t.passed, t.failed, t.errors) for g, t in self.groups.items()
            }
        return out

    def met(self, criteria: Criteria, expected: int) -> bool:
        """Whether the attempts counted meet ``criteria`` (see ``criteria_met``)."""
        if expected == 0 or self.count < expected:
            return False
        rate = criteria.success_rate
        if rate is None:
            if self.passed != expected:
                return False
        elif self.passed / expected < rate:
            return False
        if criteria.pass_hat_k is not None:
            k = criteria.pass_hat_k.k
            if self.groups is None:
                raise ValueError("pass^k criteria need a tally made with by_group=True")
            values = [
                pass_hat_k(t.judged, t.passed, k) for t in self.groups.values() if t.judged >= k
            ]
            if not values or sum(values) / len(values) < criteria.pass_hat_k.min:
                return False
        return True


def criteria_met(
    criteria: Criteria,
    outcomes: Iterable[tuple[Hashable, str]],
    expected: int,
) -> bool:
    """Whether ``outcomes`` (one ``(test x agent, status)`` per attempt) meet ``criteria``.

    ``expected`` is how many attempts the plan holds: a run missing any never meets its
    criteria. Without ``success_rate`` every attempt must pass (agent-benchmark's rule).
    ``outcomes`` is read once, as a stream (``CriteriaTally``).
    """
    tally = CriteriaTally(criteria.pass_hat_k is not None)
    for group, status in outcomes:
        tally.add(group, status)
    return tally.met(criteria, expected)
