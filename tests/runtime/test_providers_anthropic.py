"""Anthropic specifics on the wire: system apart, tool_use / tool_result blocks, 529.

Bedrock's specifics (SigV4, model ids in the path, its error types, the missing-boto3 error)
are in test_providers_bedrock.py.
"""

from __future__ import annotations

import pytest

from runtime.errors import ProviderError
from runtime.plan import AnthropicProvider, RetryPolicy, SecretRef
from runtime.providers.base import ChatRequest, ToolSpec
from runtime.providers.registry import create_provider
from runtime.retry import call_with_retry
from runtime.transcript import Message, ToolCall
from tests.fakes import FakeLLM, Fault, Reply

pytestmark = pytest.mark.anyio

ENV = {"ANTHROPIC_API_KEY": "sk-ant-test-000000"}


def _spec(url: str, **kw: object) -> AnthropicProvider:
    return AnthropicProvider(
        name="claude",
        model="claude-test",
        api_key=SecretRef.from_env("ANTHROPIC_API_KEY"),
        base_url=url,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.requirement("provider:tool-calls")
async def test_wire_shape_of_a_tool_round_trip(anthropic_server: tuple[FakeLLM, str]) -> None:
    fake, url = anthropic_server
    fake.push(Reply(text="done"))
    provider = create_provider(_spec(url, max_tokens=321), env=ENV)
    tool = ToolSpec(
        "lookup", "Look things up", {"type": "object", "properties": {"q": {"type": "string"}}}
    )
    history = [
        Message(role="system", content="You are terse."),
        Message(role="user", content="find a and b"),
        Message(
            role="assistant",
            tool_calls=[
                ToolCall(id="t1", name="lookup", arguments={"q": "a"}),
                ToolCall(id="t2", name="lookup", arguments={"q": "b"}),
            ],
        ),
        Message(role="tool", tool_call_id="t1", name="lookup", content="A"),
        Message(role="tool", tool_call_id="t2", name="lookup", content="B"),
    ]
    response = await provider.generate(
        ChatRequest(messages=history, tools=[tool], conversation_id="c")
    )
    await provider.aclose()
    assert response.text == "done"
    body = fake.requests[-1].body
    assert body["system"] == "You are terse." and body["max_tokens"] == 321
    assert body["tools"] == [
        {"name": "lookup", "description": "Look things up", "input_schema": tool.input_schema}
    ]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "find a and b"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "a"}},
                {"type": "tool_use", "id": "t2", "name": "lookup", "input": {"q": "b"}},
            ],
        },
        {
            # Parallel results go back as one user turn.
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "A"},
                {"type": "tool_result", "tool_use_id": "t2", "content": "B"},
            ],
        },
    ]


@pytest.mark.requirement("retry:5xx")
async def test_529_overloaded_is_transient(anthropic_server: tuple[FakeLLM, str]) -> None:
    fake, url = anthropic_server
    fake.push(Fault.http(529, message="Overloaded"), Reply(text="back"))
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    provider = create_provider(_spec(url), env=ENV)
    request = ChatRequest(
        messages=[Message(role="user", content="hi")], tools=[], conversation_id="c"
    )
    response, attempts = await call_with_retry(
        provider, request, policy=RetryPolicy(), limiter=None, on_event=lambda e: None, sleep=sleep
    )
    await provider.aclose()
    assert (response.text, attempts, slept) == ("back", 2, [1.0])


@pytest.mark.requirement("provider:token-required")
def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="api_key is required"):
        create_provider(AnthropicProvider(name="c", model="m"), env={})
