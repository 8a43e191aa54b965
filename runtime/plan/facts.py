"""What a run needs to know of a plan's units before it runs them, gathered in one pass.

Starting a run asks of every unit: how many cases, how often it runs, which agent, which
llm_judge providers, the first unit of each agent, the last case. A streamed plan
(``open_plan``) parses a unit each time it is read, about 0.1 ms here, so asking those
questions one consumer at a time (the attempt count, the work list, the secrets check, the
runner, the tool servers) read a 100,000-unit plan five or more times before its first case
ran. ``open_plan`` gathers the facts while it checks the hash (it parses every unit once
there anyway) and ``LazyUnits`` keeps them; ``unit_facts`` gives the same facts of any units.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .assertions import judge_nodes
from .cases import Unit, unit_attempts

__all__ = ["FactsBuilder", "UnitFacts", "known_facts", "unit_facts"]


@dataclass(frozen=True)
class UnitFacts:
    """Per unit (by index) and per plan, what starting a run needs, without the units."""

    cases: array[int]
    """Cases of each unit."""
    rounds: array[int]
    """How often each unit runs (``unit_attempts``: its most repeated case's ``repeat``)."""
    attempts: int
    """Results a complete run holds: every case once per attempt (sum of ``repeat``)."""
    agents: dict[str, str]
    """Each agent the units use, in plan order, with the id of its first unit."""
    judges: tuple[str, ...]
    """The providers the cases' llm_judge assertions ask, in plan order."""
    last_case_id: str
    """The id of the plan's last case ("" when it has none)."""

    @property
    def case_count(self) -> int:
        """How many cases the units hold."""
        return sum(self.cases)


class FactsBuilder:
    """Gathers ``UnitFacts`` one unit at a time (``add``), then ``build``."""

    def __init__(self) -> None:
        self._cases: array[int] = array("l")
        self._rounds: array[int] = array("l")
        self._attempts = 0
        self._agents: dict[str, str] = {}
        self._judges: dict[str, None] = {}
        self._last = ""

    def add(self, unit: Unit) -> None:
        """Count ``unit`` in (units in plan order)."""
        self._cases.append(len(unit.cases))
        self._rounds.append(unit_attempts(unit))
        self._agents.setdefault(unit.agent, unit.id)
        for case in unit.cases:
            self._attempts += case.repeat
            for node in judge_nodes(case.assertions):
                self._judges.setdefault(node.provider, None)
        if unit.cases:
            self._last = unit.cases[-1].id

    def build(self) -> UnitFacts:
        """The facts of the units added so far."""
        return UnitFacts(
            cases=self._cases,
            rounds=self._rounds,
            attempts=self._attempts,
            agents=dict(self._agents),
            judges=tuple(self._judges),
            last_case_id=self._last,
        )


def gather(units: Iterable[Unit]) -> UnitFacts:
    """The facts of ``units``, read once each."""
    builder = FactsBuilder()
    for unit in units:
        builder.add(unit)
    return builder.build()


_last: tuple[tuple[Unit, ...], UnitFacts] | None = None
"""The units in memory whose facts were gathered last, and those facts: a run asks for them
several times (its attempt count, the work list, the runner) and a tuple never changes."""


def known_facts(units: Sequence[Unit]) -> UnitFacts | None:
    """The facts of ``units`` when they are known without reading them, else None."""
    from .stream import LazyUnits

    if isinstance(units, LazyUnits):
        return units.facts
    last = _last
    return last[1] if last is not None and last[0] is units else None


def unit_facts(units: Sequence[Unit]) -> UnitFacts:
    """The facts of a plan's units: those a streamed plan gathered when it was opened, else
    gathered now from the units in memory (once for the same tuple of units)."""
    global _last
    facts = known_facts(units)
    if facts is None:
        facts = gather(units)
        if isinstance(units, tuple):
            _last = (units, facts)
    return facts
