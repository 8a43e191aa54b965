"""Agent specs: the built-in tool-calling loop, or an external command (JSON lines)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Frozen, Span
from .providers import Generation
from .secrets import SecretRef

__all__ = [
    "AgentServer",
    "AgentSpec",
    "BuiltinAgent",
    "ClarificationDetection",
    "ExternalAgent",
    "Skill",
]


class AgentServer(Frozen):
    """A tool server an agent uses, optionally narrowed to some of its tools."""

    name: str
    allowed_tools: tuple[str, ...] | None = None
    """None offers every tool of the server."""


class Skill(Frozen):
    """A SKILL.md folder, read at compile time and injected first in the system prompt."""

    path: str
    """Absolute path of the skill folder."""
    content: str
    """Whole SKILL.md text, front matter included."""
    references: tuple[str, ...] = ()
    """File names under ``references/``; non-empty registers the two reference tools."""


class ClarificationDetection(Frozen):
    """Detect final answers that ask the user for input instead of acting."""

    mode: Literal["judge", "patterns"] = "judge"
    """``judge`` asks an LLM YES/NO; ``patterns`` matches phrases and regexes."""
    level: Literal["info", "warning", "error"] = "warning"
    """``warning`` and ``error`` also record an error on the case."""
    judge_provider: str | None = None
    """Provider name for the judge; ``$self`` (or None) means the agent's own provider."""
    patterns: tuple[str, ...] = ()
    """Regexes (patterns mode), built-in phrases included when the suite asks for them."""


class BuiltinAgent(Frozen):
    """bench's own loop: prompt, model, tool calls, results, until a final answer."""

    type: Literal["builtin"] = "builtin"
    name: str
    provider: str
    servers: tuple[AgentServer, ...] = ()
    skill: Skill | None = None
    clarification: ClarificationDetection | None = None
    generation: Generation = Field(default=Generation(), exclude_if=lambda v: v == Generation())
    """Generation parameters over its provider's (each set key wins); left out of plan.json
    while none is set."""
    span: Span | None = None


class ExternalAgent(Frozen):
    """A program of the user's: JSON lines on stdin/stdout, one long-lived process per worker."""

    type: Literal["external"] = "external"
    name: str
    command: tuple[str, ...]
    env: dict[str, str | SecretRef] = {}
    setup: str | None = None
    teardown: str | None = None
    workers: int = 1
    timeout_ms: int = 300_000
    working_dir: str | None = None
    span: Span | None = None


AgentSpec = Annotated[BuiltinAgent | ExternalAgent, Field(discriminator="type")]
"""Any agent spec, discriminated on ``type``."""
