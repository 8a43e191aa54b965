"""What the provider tests share: spec builders per SDK, a tool, a request, one retried call.

Every spec reads its key from ``LLM_KEY`` (the tests pass it in ``env``), so the same key
sentinel can be looked for in whatever a test writes; Bedrock's is the AWS access key id, its
secret access key is read from ``LLM_SECRET``.
"""

from __future__ import annotations

from typing import Any

from runtime.plan import (
    AnthropicProvider,
    BedrockAnthropicProvider,
    GoogleProvider,
    OpenAIProvider,
    ProviderSpec,
    SecretRef,
)
from runtime.providers.base import ChatRequest, ChatResponse, ToolSpec
from runtime.providers.registry import create_provider
from runtime.retry import call_with_retry
from runtime.transcript import Message, RunEvent

KEY_VAR = "LLM_KEY"
SECRET_VAR = "LLM_SECRET"
BEDROCK_REGION = "us-east-1"
BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
"""A Bedrock model id as AWS spells them, ':' included (the SDK keeps it unescaped in the path)."""

TOOL = ToolSpec(
    name="get_weather",
    description="Weather for a city",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)


def openai_spec(url: str, **kw: Any) -> ProviderSpec:
    """An OpenAI provider ``p`` on the fake at ``url`` (its routes are under ``/v1``)."""
    return OpenAIProvider(
        name="p", model="gpt-test", api_key=SecretRef.from_env(KEY_VAR), base_url=url + "/v1", **kw
    )


def anthropic_spec(url: str, **kw: Any) -> ProviderSpec:
    """An Anthropic provider ``p`` on the fake at ``url``."""
    return AnthropicProvider(
        name="p", model="claude-test", api_key=SecretRef.from_env(KEY_VAR), base_url=url, **kw
    )


def bedrock_spec(url: str, **kw: Any) -> ProviderSpec:
    """An Amazon Bedrock (Anthropic) provider ``p`` on the fake at ``url``."""
    kw.setdefault("model", BEDROCK_MODEL)
    return BedrockAnthropicProvider(
        name="p",
        access_key=SecretRef.from_env(KEY_VAR),
        secret_key=SecretRef.from_env(SECRET_VAR),
        region=BEDROCK_REGION,
        base_url=url,
        **kw,
    )


def google_spec(url: str, **kw: Any) -> ProviderSpec:
    """A Gemini provider ``p`` on the fake at ``url``."""
    return GoogleProvider(
        name="p", model="gemini-test", api_key=SecretRef.from_env(KEY_VAR), base_url=url, **kw
    )


def chat_request(*messages: Message, tools: list[ToolSpec] | None = None) -> ChatRequest:
    """A request of ``messages`` (default: one user "hello") in conversation ``c1``."""
    msgs = list(messages) or [Message(role="user", content="hello")]
    return ChatRequest(messages=msgs, tools=tools or [], conversation_id="c1")


async def call_recording_sleeps(
    spec: ProviderSpec,
    request: ChatRequest,
    env: dict[str, str],
    events: list[RunEvent] | None = None,
) -> tuple[ChatResponse, int, list[float]]:
    """One call through call_with_retry; waits are recorded, never slept.

    Returns the response, the attempts it took and the waits asked for.
    """
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    provider = create_provider(spec, env=env)
    try:
        response, attempts = await call_with_retry(
            provider,
            request,
            policy=spec.retry,
            limiter=None,
            on_event=(events if events is not None else []).append,
            sleep=sleep,
        )
    finally:
        await provider.aclose()
    return response, attempts, sleeps
