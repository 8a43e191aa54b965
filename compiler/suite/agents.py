"""Agent entries: a provider, tool servers (optionally narrowed), a system prompt, a skill."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import SuiteModel
from .scalars import Text

__all__ = ["AgentDef", "AgentServerDef", "ClarificationDef", "SkillDef"]


class AgentServerDef(SuiteModel):
    """A server an agent uses."""

    name: Text
    """Server name."""
    allowed_tools: list[Text] | None = None
    """Offer only these tools of the server (the key agent-benchmark reads)."""
    allowed_tools_camel: list[Text] | None = Field(default=None, alias="allowedTools")
    """Same as ``allowed_tools`` (the documented spelling, which agent-benchmark ignores)."""

    @property
    def tools(self) -> list[str] | None:
        """The allowed tools from whichever spelling was used."""
        return self.allowed_tools if self.allowed_tools is not None else self.allowed_tools_camel


class SkillDef(SuiteModel):
    """A folder with SKILL.md (and optional references/), injected first in the system prompt."""

    path: Text
    """Folder path; relative paths are taken from the test file's directory."""


class ClarificationDef(SuiteModel):
    """Detect answers that ask the user instead of acting.

    Judge form (current agent-benchmark): ``judge_provider``. Pattern form (older releases):
    ``use_builtin_patterns`` / ``custom_patterns``; either of these selects pattern matching.
    """

    enabled: bool = False
    """Turn detection on (default off)."""
    level: Literal["info", "warning", "error"] = "warning"
    """``warning`` and ``error`` also record an error on the test; ``info`` only logs."""
    judge_provider: Text | None = None
    """Provider that judges YES/NO; ``$self`` (default) is the agent's own provider."""
    use_builtin_patterns: bool | None = None
    """Pattern form: include the built-in English phrases (default true)."""
    custom_patterns: list[Text] | None = None
    """Pattern form: extra regexes."""


class AgentDef(SuiteModel):
    """An agent: the built-in tool-calling loop over one provider and some servers."""

    name: Text
    """Name tests use in ``agent:``."""
    provider: Text
    """Provider name."""
    system_prompt: Text | None = None
    """Template; may use {{AGENT_NAME}}, {{SESSION_NAME}}, {{PROVIDER_NAME}}."""
    servers: list[AgentServerDef] = []
    """Tool servers."""
    skill: SkillDef | None = None
    """Skill folder."""
    clarification_detection: ClarificationDef | None = None
    """Clarification detection."""
    settings: dict[str, Any] | None = None
    """Parsed but unused by agent-benchmark; accepted with a warning."""
