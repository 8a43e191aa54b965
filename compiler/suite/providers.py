"""Provider entries: agent-benchmark's seven types plus OPENAI_COMPATIBLE and SCRIPTED.

One model holds every key (as agent-benchmark's does); which keys a type needs or ignores is
checked in ``compiler/infra.py`` so the message can name the type.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field

from .base import SuiteModel
from .scalars import Duration, Text

__all__ = [
    "GENERATION_KEYS",
    "PROVIDER_TYPES",
    "GenerationKeys",
    "ProviderDef",
    "RateLimitsDef",
    "RetryDef",
    "ScriptedReplyDef",
    "ScriptedToolCallDef",
]

_ProviderTypeName = Literal[
    "OPENAI",
    "AZURE",
    "ANTHROPIC",
    "AMAZON-ANTHROPIC",
    "GOOGLE",
    "VERTEX",
    "GROQ",
    "OPENAI_COMPATIBLE",
    "SCRIPTED",
]

PROVIDER_TYPES: tuple[str, ...] = get_args(_ProviderTypeName)
"""Accepted ``type`` values; lowercase spellings are accepted and upper-cased."""


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


ProviderType = Annotated[_ProviderTypeName, BeforeValidator(_upper)]


class RateLimitsDef(SuiteModel):
    """Proactive throttling per provider."""

    tpm: Annotated[int, Field(ge=0)] | None = None
    """Tokens per minute (0 or absent: unlimited)."""
    rpm: Annotated[int, Field(ge=0)] | None = None
    """Requests per minute (0 or absent: unlimited)."""


class RetryDef(SuiteModel):
    """Retries of failed provider calls."""

    retry_on_429: bool | None = None
    """Retry rate-limited (429) responses, waiting as long as Retry-After asks (default true;
    agent-benchmark's default is false, see docs/compatibility.md)."""
    max_retries: Annotated[int, Field(ge=0)] | None = None
    """Retries (default 3)."""


GENERATION_KEYS = ("temperature", "max_tokens", "top_p", "seed", "stop")
"""The keys of ``GenerationKeys``, in the order they are documented."""


class GenerationKeys(SuiteModel):
    """Generation parameters, on a provider and on an agent (bench extension)."""

    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    """Sampling temperature, 0 to 2 (not ANTHROPIC / AMAZON-ANTHROPIC: their API has none)."""
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    """Output cap in tokens (ANTHROPIC and AMAZON-ANTHROPIC default to 4096)."""
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    """Nucleus sampling: the probability mass sampled from (not ANTHROPIC / AMAZON-ANTHROPIC)."""
    seed: int | None = None
    """Sampling seed, for providers that take one (not ANTHROPIC / AMAZON-ANTHROPIC)."""
    stop: Text | list[Text] | None = None
    """A stop sequence, or a list of them."""


class ScriptedToolCallDef(SuiteModel):
    """A tool call the scripted provider makes."""

    name: Text
    """Tool name."""
    arguments: dict[str, Any] = {}
    """Arguments, as JSON-compatible values."""


class ScriptedReplyDef(SuiteModel):
    """One reply of the scripted provider (bench extension, for suites that run offline)."""

    when: Text | None = None
    """Regex searched in the latest user prompt; the reply is used only when it matches."""
    text: Text = ""
    """Assistant text."""
    tool_calls: list[ScriptedToolCallDef] = []
    """Tool calls to make."""
    input_tokens: Annotated[int, Field(ge=0)] | None = None
    """Reported prompt tokens (estimated when absent)."""
    output_tokens: Annotated[int, Field(ge=0)] | None = None
    """Reported completion tokens (estimated when absent)."""
    delay: Duration | None = None
    """Simulated latency, e.g. ``200ms``."""


class ProviderDef(GenerationKeys):
    """An LLM provider, referenced by agents through its ``name``."""

    name: Text
    """Name agents use in ``provider:``."""
    type: ProviderType
    """OPENAI, AZURE, ANTHROPIC, AMAZON-ANTHROPIC, GOOGLE, VERTEX, GROQ, OPENAI_COMPATIBLE or SCRIPTED."""
    token: Text | None = None
    """API key (Bedrock: access key). Write an environment reference: ``"{{OPENAI_API_KEY}}"``."""
    secret: Text | None = None
    """Bedrock secret key, as an environment reference."""
    model: Text | None = None
    """Model name (Azure: deployment). Required except for SCRIPTED."""
    base_url: Annotated[Text | None, Field(alias="baseUrl")] = None
    """Endpoint URL (required for AZURE and OPENAI_COMPATIBLE)."""
    version: Text | None = None
    """Azure API version, e.g. ``2024-02-15-preview``."""
    project_id: Text | None = None
    """Vertex project."""
    location: Text | None = None
    """Vertex location, or the Bedrock region."""
    credentials_path: Text | None = None
    """Vertex service-account JSON file."""
    auth_type: Literal["api_key", "entra_id"] | None = None
    """Azure authentication: ``api_key`` (default) or ``entra_id``."""
    rate_limits: RateLimitsDef | None = None
    """Proactive throttling."""
    retry: RetryDef | None = None
    """Retry policy."""
    timeout: Duration | None = None
    """A request's total deadline, retries and their waits included (default 5m)."""
    stream: bool = False
    """Stream responses and record time to first token (bench extension)."""
    replies: list[ScriptedReplyDef] | None = None
    """SCRIPTED only: the replies, used in order (each at most once per session)."""
