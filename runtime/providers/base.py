"""The provider seam: one request/response shape for every LLM API, and error classification.

Adapters are thin: they translate a ``ChatRequest`` to their SDK's call and the SDK's answer
back to a ``ChatResponse``, and ``classify`` their SDK's exceptions. Retry, backoff, rate
limits and timeouts live once in ``runtime/retry.py`` and ``runtime/ratelimit.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..plan import Generation, ProviderSpec
from ..transcript import Message, TokenUsage

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "Provider",
    "RetryDecision",
    "ToolRequest",
    "ToolSpec",
    "generation_of",
    "sampling_params",
]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model (from an MCP server, a cli server or a skill)."""

    name: str
    description: str
    input_schema: dict[str, Any]
    """JSON Schema of the arguments object."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One model call: the whole conversation so far and the tools on offer."""

    messages: list[Message]
    """System message first when there is one; tool results as ``role="tool"``."""
    tools: list[ToolSpec]
    conversation_id: str
    """Stable per (agent, session) unit; the scripted provider keys its cursor on it."""
    purpose: Literal["agent", "judge"] = "agent"
    generation: Generation | None = None
    """The agent's generation parameters over its provider's; None: the provider's own."""


def generation_of(spec: ProviderSpec, request: ChatRequest) -> Generation:
    """The generation parameters ``request`` is sent with."""
    return request.generation if request.generation is not None else spec.generation


def sampling_params(gen: Generation, names: Mapping[str, str]) -> dict[str, Any]:
    """``gen``'s set parameters under a wire's own names (``names``: bench's name -> the
    wire's), in bench's order; unset ones are left out."""
    values = {
        "temperature": gen.temperature,
        "top_p": gen.top_p,
        "max_tokens": gen.max_tokens,
        "seed": gen.seed,
        "stop": list(gen.stop) or None,
    }
    return {names[k]: v for k, v in values.items() if v is not None and k in names}


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """A tool call the model asked for."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None
    """Set only when the arguments were not valid JSON (``arguments`` is then empty)."""


@dataclass(slots=True)
class ChatResponse:
    """The model's answer to one ``ChatRequest``."""

    text: str
    tool_calls: list[ToolRequest] = field(default_factory=list)
    usage: TokenUsage = field(default_factory=TokenUsage)
    model: str = ""
    ttft_ms: float | None = None
    """Time to first token, when streaming."""
    stop_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """How the runtime should treat a failed call."""

    kind: Literal["rate_limit", "transient", "fatal"]
    """rate_limit: a 429; transient: 5xx, timeout, connection; fatal: anything else."""
    retry_after: float | None = None
    """Seconds the provider asked for (Retry-After header or the error text)."""
    status_code: int | None = None
    message: str = ""


class Provider(Protocol):
    """What every adapter implements."""

    spec: ProviderSpec

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """Make one call (no retries here)."""
        ...

    def classify(self, exc: BaseException) -> RetryDecision:
        """Classify an exception raised by ``generate``."""
        ...

    async def aclose(self) -> None:
        """Release the SDK client."""
        ...
