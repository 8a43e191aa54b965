"""A run's budget in USD: the measured cost of its cases, against a limit.

When the cost of the results written so far (agent and judge calls, priced as the report
prices them; a resumed run counts its earlier results too) reaches the limit, the runner
drains the run: no new case starts, the cases in flight finish, and the run ends
``interrupted`` with the reason recorded, so ``--resume`` with a higher budget finishes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .store.outcomes import Costed

__all__ = ["Budget"]


@dataclass
class Budget:
    """How much a run may cost, and how much it has."""

    limit: float
    """USD."""
    spent: float = 0.0
    """USD of the results written so far."""

    @classmethod
    def for_run(cls, limit: float | None, done: Iterable[Costed]) -> Budget | None:
        """The budget of a run at ``limit`` USD (None: no budget), with what ``done`` (the
        results of an earlier part of a resumed run) already cost."""
        if limit is None:
            return None
        budget = cls(limit)
        for result in done:
            budget.add(result)
        return budget

    @property
    def reason(self) -> str:
        """What the run's metadata and reports say when the budget stopped it."""
        return f"budget reached: ${self.spent:.4f} spent of ${self.limit:.4f}"

    @property
    def reached(self) -> bool:
        """True once the spending is at or past the limit."""
        return self.spent >= self.limit

    def add(self, result: Costed) -> bool:
        """Count ``result``'s cost; True when that reaches the limit."""
        self.spent += (result.cost_usd or 0.0) + (result.judge_cost_usd or 0.0)
        return self.reached
