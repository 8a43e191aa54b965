"""What happened in one case: messages, LLM calls, tool calls, retries, output, errors.

Assertions and extractors evaluate on this record only; reports render it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "assign",
    "ClarificationStats",
    "LlmCall",
    "Message",
    "RateLimitStats",
    "RunEvent",
    "TokenUsage",
    "ToolCall",
    "ToolResult",
    "Transcript",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


def assign(record: _Record, **values: Any) -> None:
    """Set fields of ``record`` at once, as assigning each would (every case does this).

    These records do not validate assignments, so pydantic's ``__setattr__`` only stores the
    value and marks the field set; it costs more than a microsecond a field here, this one
    call for them all.
    """
    record.__dict__.update(values)
    record.__pydantic_fields_set__.update(values)


class TokenUsage(_Record):
    """Token counts as the provider reported them (estimated only where it reported none)."""

    input: int = 0
    output: int = 0
    cached: int = 0
    estimated: bool = False
    """True when any count was estimated (chars/4) instead of reported."""

    @property
    def total(self) -> int:
        """Input plus output tokens."""
        return self.input + self.output

    def add(self, other: TokenUsage) -> None:
        """Accumulate ``other`` into this usage."""
        assign(
            self,
            input=self.input + other.input,
            output=self.output + other.output,
            cached=self.cached + other.cached,
            estimated=self.estimated or other.estimated,
        )


class ToolResult(_Record):
    """An MCP CallToolResult, kept as the server sent it."""

    content: list[dict[str, Any]] = Field(default_factory=list)
    """Content blocks, e.g. ``{"type": "text", "text": "..."}``."""
    structured: Any = None
    """``structuredContent`` when the server sent one."""
    is_error: bool = False

    @property
    def text(self) -> str:
        """The first text block's text ('' when there is none)."""
        return self.first_text() or ""

    def first_text(self) -> str | None:
        """The first text block's text; None when the result has no text block."""
        for block in self.content:
            if block.get("type") == "text":
                return str(block.get("text", ""))
        return None


class ToolCall(_Record):
    """One tool call the model asked for, and what came back."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    """Parsed JSON arguments (empty when the model sent unparsable JSON)."""
    raw_arguments: str | None = None
    """The argument text as sent, kept only when it did not parse."""
    server: str | None = None
    """Which server answered (None for hallucinated or built-in tools)."""
    result: ToolResult | None = None
    error: str | None = None
    """Transport, timeout or lookup failure (the call produced no result)."""
    hallucinated: bool = False
    """The tool does not exist among the agent's tools."""
    iteration: int = 0
    started_ms: float = 0.0
    """Start, in ms since the case started."""
    duration_ms: float = 0.0


class Message(_Record):
    """One message of the conversation, in bench's provider-neutral form."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """Tool calls the assistant asked for in this message."""
    tool_call_id: str | None = None
    """For ``tool`` messages: which call this answers."""
    name: str | None = None
    """For ``tool`` messages: the tool's name (Gemini needs it)."""
    at_ms: float = 0.0
    """When it was added, in ms since the case started."""


class LlmCall(_Record):
    """One request to a provider (after retries)."""

    provider: str
    model: str
    iteration: int = 0
    started_ms: float = 0.0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    usage: TokenUsage = Field(default_factory=TokenUsage)
    attempts: int = 1
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    purpose: Literal["agent", "judge"] = "agent"
    """Judge calls (clarification, llm_judge) are kept apart from the agent's."""


class RunEvent(_Record):
    """A wait or retry recorded in the transcript."""

    kind: Literal["throttle", "rate_limited", "retry", "delay", "server_restart"]
    at_ms: float
    wait_ms: float = 0.0
    attempt: int | None = None
    detail: str = ""


class RateLimitStats(_Record):
    """Throttles and 429s seen during the case."""

    throttle_count: int = 0
    throttle_wait_ms: float = 0.0
    rate_limit_hits: int = 0
    retry_count: int = 0
    retry_wait_ms: float = 0.0
    retry_success_count: int = 0


class ClarificationStats(_Record):
    """Final answers that asked for clarification instead of acting."""

    enabled: bool = False
    count: int = 0
    iterations: list[int] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)


class Transcript(_Record):
    """Everything recorded about one case's execution."""

    messages: list[Message] = Field(default_factory=list)
    """This case's messages (history from earlier tests of the session excluded)."""
    llm_calls: list[LlmCall] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    events: list[RunEvent] = Field(default_factory=list)
    final_output: str = ""
    """The last assistant text (tool responses are not mixed in; see compatibility.md)."""
    errors: list[str] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    """Sum over the agent's LLM calls (judge calls excluded)."""
    latency_ms: float = 0.0
    """Wall time of the agent loop (LLM calls, tools, throttling)."""
    iterations: int = 0
    available_tools: list[str] = Field(default_factory=list)
    """Tools the agent has (after agent-level allowed_tools), for no_hallucinated_tools."""
    offered_tools: list[str] = Field(default_factory=list)
    """Tools offered for this case (after session and test narrowing)."""
    clarification: ClarificationStats = Field(default_factory=ClarificationStats)
    rate_limits: RateLimitStats = Field(default_factory=RateLimitStats)
    stderr: str | None = None
    """External agents: their stderr for this case (bounded)."""
