"""LLM provider specs: one variant per wire protocol family, discriminated on ``type``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import Frozen, Span
from .secrets import SecretRef

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "AnthropicProvider",
    "AzureProvider",
    "BedrockAnthropicProvider",
    "Generation",
    "GoogleProvider",
    "OpenAIProvider",
    "ProviderSpec",
    "RateLimits",
    "RetryPolicy",
    "ScriptedProvider",
    "ScriptedReply",
    "ScriptedToolCall",
    "VertexProvider",
]


DEFAULT_TIMEOUT_MS = 300_000
"""A request's deadline when the suite sets none: 5 minutes for the answer, retries included."""


def _unset(value: Generation) -> bool:
    return value == Generation()


class Generation(Frozen):
    """Generation parameters sent with every request (unset ones are left to the model).

    On a provider, and on a built-in agent (its keys win over its provider's). Each wire
    protocol gets them in its own shape (docs/providers.md#generation-parameters).
    """

    temperature: float | None = None
    max_tokens: int | None = None
    """Output cap (OpenAI: max_completion_tokens; compatible servers and Groq: max_tokens)."""
    top_p: float | None = None
    seed: int | None = None
    """Sampling seed (OpenAI-style and Gemini; Anthropic has none)."""
    stop: tuple[str, ...] = ()
    """Stop sequences."""

    def over(self, base: Generation) -> Generation:
        """These parameters, each unset one taken from ``base``."""
        if base == Generation():
            return self
        return Generation(
            temperature=self.temperature if self.temperature is not None else base.temperature,
            max_tokens=self.max_tokens if self.max_tokens is not None else base.max_tokens,
            top_p=self.top_p if self.top_p is not None else base.top_p,
            seed=self.seed if self.seed is not None else base.seed,
            stop=self.stop or base.stop,
        )


class RateLimits(Frozen):
    """Proactive throttling, applied before each request (token buckets per minute)."""

    tpm: int | None = None
    """Tokens per minute; None means unlimited."""
    rpm: int | None = None
    """Requests per minute; None means unlimited."""


class RetryPolicy(Frozen):
    """How failed provider calls are retried."""

    retry_on_429: bool = True
    """Retry rate-limited (429) responses, honouring Retry-After; on by default (a deliberate
    difference from agent-benchmark, where a 429 fails at once)."""
    max_retries: int = 3
    """Retries for 429 (when enabled) and for 5xx / connection errors."""
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    """A request's total deadline: every attempt and every wait between attempts; a retry
    that cannot start before it is not made (the provider's ``timeout:`` in a suite)."""


class _ProviderBase(Frozen):
    name: str
    """Provider name, referenced by agents."""
    model: str
    """Model (or Azure deployment) name."""
    rate_limits: RateLimits = RateLimits()
    retry: RetryPolicy = RetryPolicy()
    generation: Generation = Field(default=Generation(), exclude_if=_unset)
    """Generation parameters; left out of plan.json while none is set."""
    span: Span | None = None
    """Where the provider is defined."""


class OpenAIProvider(_ProviderBase):
    """OpenAI chat completions, also Groq and any OpenAI-compatible server (vLLM, Ollama)."""

    type: Literal["openai"] = "openai"
    flavor: Literal["openai", "groq", "compatible"] = "openai"
    """Which service the suite named; only changes defaults such as the base URL."""
    api_key: SecretRef | None = None
    base_url: str | None = None
    stream: bool = False
    """Stream responses (measures time to first token)."""


class AzureProvider(_ProviderBase):
    """Azure OpenAI with an API key or Microsoft Entra ID."""

    type: Literal["azure"] = "azure"
    auth: Literal["api_key", "entra_id"] = "api_key"
    api_key: SecretRef | None = None
    base_url: str
    """The resource endpoint, e.g. https://x.openai.azure.com."""
    api_version: str
    stream: bool = Field(default=False, exclude_if=lambda v: not v)
    """Stream responses (measures time to first token); left out of plan.json while off."""


class AnthropicProvider(_ProviderBase):
    """Anthropic messages API."""

    type: Literal["anthropic"] = "anthropic"
    api_key: SecretRef | None = None
    base_url: str | None = None
    max_tokens: int = 4096
    """The messages API requires an output cap."""
    stream: bool = Field(default=False, exclude_if=lambda v: not v)
    """Stream responses (measures time to first token); left out of plan.json while off, so
    plans compiled before it existed keep their hash."""


class BedrockAnthropicProvider(_ProviderBase):
    """Anthropic models on Amazon Bedrock (agent-benchmark's AMAZON-ANTHROPIC)."""

    type: Literal["bedrock_anthropic"] = "bedrock_anthropic"
    access_key: SecretRef | None = None
    secret_key: SecretRef | None = None
    region: str | None = None
    base_url: str | None = None
    max_tokens: int = 4096
    stream: bool = Field(default=False, exclude_if=lambda v: not v)
    """Stream responses (measures time to first token); left out of plan.json while off, so
    plans compiled before it existed keep their hash."""


class GoogleProvider(_ProviderBase):
    """Gemini through google-genai with an API key."""

    type: Literal["google"] = "google"
    api_key: SecretRef | None = None
    base_url: str | None = None
    stream: bool = Field(default=False, exclude_if=lambda v: not v)
    """Stream responses (measures time to first token); left out of plan.json while off, so
    plans compiled before it existed keep their hash."""


class VertexProvider(_ProviderBase):
    """Gemini on Vertex AI through google-genai."""

    type: Literal["vertex"] = "vertex"
    project_id: str | None = None
    location: str | None = None
    credentials_path: SecretRef | None = None
    base_url: str | None = None
    stream: bool = Field(default=False, exclude_if=lambda v: not v)
    """Stream responses (measures time to first token); left out of plan.json while off, so
    plans compiled before it existed keep their hash."""


class ScriptedToolCall(Frozen):
    """A tool call the scripted provider makes."""

    name: str
    arguments: dict[str, Any] = {}


class ScriptedReply(Frozen):
    """One reply of the scripted provider."""

    when: str | None = None
    """Regex searched in the latest user prompt; the reply is only used when it matches."""
    text: str = ""
    """Assistant text."""
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    input_tokens: int | None = None
    """Reported prompt tokens; estimated from the conversation (chars/4) when unset."""
    output_tokens: int | None = None
    """Reported completion tokens; estimated from the reply when unset."""
    delay_ms: int = 0
    """Simulated latency."""


class ScriptedProvider(_ProviderBase):
    """A test double: replies, tool calls included, are listed in the suite.

    Per conversation ((agent, session) pair) each reply is used at most once; a call takes
    the first unused reply whose ``when`` matches (or that has none). Running out of
    replies is a provider error for that case.
    """

    type: Literal["scripted"] = "scripted"
    model: str = "scripted"
    replies: tuple[ScriptedReply, ...] = ()


ProviderSpec = Annotated[
    OpenAIProvider
    | AzureProvider
    | AnthropicProvider
    | BedrockAnthropicProvider
    | GoogleProvider
    | VertexProvider
    | ScriptedProvider,
    Field(discriminator="type"),
]
"""Any provider spec, discriminated on ``type``."""
