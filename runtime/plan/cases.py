"""The expanded work: one ``Unit`` per (agent, session), holding that session's cases in order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field

from .assertions import Assertion
from .base import Frozen, Span
from .extractors import Extractor
from .scenario import Steer, TurnExpect
from .templates import TemplateStr

__all__ = ["Case", "Unit", "attempt_of", "unit_attempts", "work_items"]


class Case(Frozen):
    """One test as one agent runs it."""

    id: str
    """Stable id, unique in the plan: ``<unit id>/<test index>``."""
    test: str
    """Test name as written."""
    description: str | None = None
    prompt: TemplateStr
    """The user message; a template when it reads extracted variables."""
    start_delay_ms: int = 0
    allowed_tools: tuple[str, ...] | None = None
    """Test-level narrowing of the tools offered (None: the session's)."""
    assertions: tuple[Assertion, ...] = ()
    extractors: tuple[Extractor, ...] = ()
    expected: str | None = None
    """Reference answer (dataset cases), for evaluators."""
    metadata: dict[str, Any] = {}
    """Free data for external agents and evaluators (dataset cases)."""
    # Left out of plan.json and the hash while empty, so plans compiled before it still verify.
    history: tuple[dict[str, Any], ...] = Field(default=(), exclude_if=lambda v: not v)
    repeat: int = Field(default=1, ge=1, exclude_if=lambda v: v == 1)
    """Attempts of this case (``repeat:``); left out of plan.json at 1, so plans of suites
    without repeats are unchanged."""
    """Earlier turns before the prompt (dataset cases), each ``{"role", "content", ...}``."""
    expect: TurnExpect | None = Field(default=None, exclude_if=lambda v: v is None)
    """What the turn's scenario scores are computed against (left out of plan.json when
    absent, so plans without scenarios are unchanged)."""
    steer: Steer | None = Field(default=None, exclude_if=lambda v: v is None)
    """A steering event or nudge delivered at this turn."""
    span: Span
    """Where the test is written."""


class Unit(Frozen):
    """An (agent, session) pair: its cases run in order and share message history."""

    id: str
    """Stable id, unique in the plan, e.g. ``u0003``."""
    agent: str
    session: str
    file: str
    """The test file the session comes from."""
    system_prompt: str | None = None
    """Skill content and the agent's system prompt, rendered for this agent and session."""
    allowed_tools: tuple[str, ...] | None = None
    """Session-level narrowing of the tools offered (None: the agent's)."""
    cases: tuple[Case, ...]
    span: Span
    """Where the session is written."""


def unit_attempts(unit: Unit) -> int:
    """How often ``unit`` runs: its most repeated case's ``repeat``."""
    return max((case.repeat for case in unit.cases), default=1)


def attempt_of(unit: Unit, attempt: int) -> Unit:
    """``unit`` as its ``attempt``-th run holds it: the cases repeated at least that often.

    A session is repeated as a whole, each attempt a fresh conversation; a test with a smaller
    ``repeat`` than its session's other tests sits out the later attempts.
    """
    if attempt == 0:
        return unit
    return unit.model_copy(update={"cases": tuple(c for c in unit.cases if c.repeat > attempt)})


def work_items(units: Iterable[Unit]) -> list[tuple[Unit, int]]:
    """Every (unit, attempt) to run: all units' first attempts, then all second ones, ...

    Attempts of one unit are spread over the run rather than run back to back, so a provider's
    bad minute does not land on every attempt of the same test.
    """
    units = list(units)
    rounds = max((unit_attempts(u) for u in units), default=0)
    return [(attempt_of(u, a), a) for a in range(rounds) for u in units if unit_attempts(u) > a]
