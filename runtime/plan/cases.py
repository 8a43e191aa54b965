"""The expanded work: one ``Unit`` per (agent, session), holding that session's cases in order."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .assertions import Assertion
from .base import Frozen, Span
from .extractors import Extractor
from .templates import TemplateStr

__all__ = ["Case", "Unit"]


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
    """Earlier turns before the prompt (dataset cases), each ``{"role", "content", ...}``."""
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
