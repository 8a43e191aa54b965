"""A run's budget in USD: the measured cost of its cases, against a limit.

When the cost of the results written so far (agent and judge calls, priced as the report
prices them; a resumed run counts its earlier results too) reaches the limit, the runner
drains the run: no new case starts, the cases in flight finish, and the run ends
``interrupted`` with the reason recorded, so ``--resume`` with a higher budget finishes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .results import CaseResult

__all__ = ["Budget"]


@dataclass
class Budget:
    """How much a run may cost, and how much it has."""

    limit: float
    """USD."""
    spent: float = 0.0
    """USD of the results written so far."""

    @property
    def reached(self) -> bool:
        """True once the spending is at or past the limit."""
        return self.spent >= self.limit

    def add(self, result: CaseResult) -> bool:
        """Count ``result``'s cost; True when that reaches the limit."""
        self.spent += (result.cost_usd or 0.0) + (result.judge_cost_usd or 0.0)
        return self.reached
