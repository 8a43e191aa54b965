"""Agent entries: a provider, tool servers (optionally narrowed), a system prompt, a skill."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import SuiteModel
from .providers import GenerationKeys
from .scalars import Duration, Text

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


class AgentDef(GenerationKeys):
    """An agent: the built-in loop over a provider and servers, or a program (``command``).

    Exactly one of ``provider`` (built-in) and ``command`` (external) is given.
    """

    name: Text
    """Name tests use in ``agent:``."""
    provider: Text | None = None
    """Provider name (built-in agents)."""
    command: Text | None = None
    """External agent: the program to run, split like a shell would (JSON lines on stdin/stdout)."""
    env: dict[str, Text] | None = None
    """External agent: extra environment; secret-looking names must use templates, e.g. {{KEY}}."""
    setup: Text | None = None
    """External agent: shell command run once before the first worker starts."""
    teardown: Text | None = None
    """External agent: shell command run once after the last worker stops."""
    workers: int | None = Field(default=None, ge=1)
    """External agent: processes run at once (default 1)."""
    timeout: Duration | None = None
    """External agent: time limit per case (default 5m)."""
    working_dir: Text | None = None
    """External agent: directory the command runs in (relative to the file; default: its folder)."""
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
