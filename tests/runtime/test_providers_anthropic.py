"""Anthropic specifics on the wire: system apart, tool_use / tool_result blocks, 529, the
request a non-streamed call sends, and how a whole message's JSON maps to a response.

Bedrock's specifics (SigV4, model ids in the path, its error types, the missing-boto3 error)
are in test_providers_bedrock.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.errors import ProviderError
from runtime.plan import AnthropicProvider, RetryPolicy, SecretRef
from runtime.providers.anthropic import AnthropicMessagesProvider
from runtime.providers.base import ChatRequest, ToolSpec
from runtime.providers.registry import create_provider
from runtime.retry import call_with_retry
from runtime.transcript import Message, ToolCall
from tests.fakes import FakeLLM, Fault, Reply, serve_in_thread

from .provider_kits import call_recording_sleeps, chat_request

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


async def test_a_non_streamed_call_sends_what_messages_create_sends(
    anthropic_server: tuple[FakeLLM, str],
) -> None:
    # The adapter posts the body itself (the SDK's client.post); the request must stay the
    # one the SDK's messages.create() sends: path, auth, anthropic-version and every other
    # header, and the body.
    fake, url = anthropic_server
    fake.push(Reply(text="adapter"), Reply(text="sdk"))
    provider = create_provider(_spec(url, max_tokens=99), env=ENV)
    assert isinstance(provider, AnthropicMessagesProvider)
    tool = ToolSpec("lookup", "Look things up", {"type": "object", "properties": {}})
    history = [Message(role="system", content="Be brief."), Message(role="user", content="hi")]
    try:
        response = await provider.generate(
            ChatRequest(messages=history, tools=[tool], conversation_id="c")
        )
        await provider._client.messages.create(
            model="claude-test",
            max_tokens=99,
            system="Be brief.",
            messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            tools=[
                {
                    "name": "lookup",
                    "description": "Look things up",
                    "input_schema": {"type": "object", "properties": {}},
                }
            ],
        )
    finally:
        await provider.aclose()
    assert response.text == "adapter"
    ours, sdks = fake.requests[-2:]
    assert ours.path == sdks.path == "/v1/messages"
    assert ours.body == sdks.body
    assert ours.headers == sdks.headers
    assert ours.headers["anthropic-version"] and ours.headers["authorization"] == (
        f"Bearer {ENV['ANTHROPIC_API_KEY']}"
    )


@dataclass
class _Canned:
    """A server answering every ``POST /v1/messages`` with one fixed 200 body."""

    body: bytes = b"{}"
    content_type: str = "application/json"
    calls: list[bytes] = field(default_factory=list)

    async def messages(self, request: Request) -> Response:
        self.calls.append(await request.body())
        return Response(self.body, media_type=self.content_type)


@pytest.fixture(scope="module")
def canned_() -> Iterator[tuple[_Canned, str]]:
    canned = _Canned()
    app = Starlette(routes=[Route("/v1/messages", canned.messages, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield canned, url


@pytest.fixture
def canned(canned_: tuple[_Canned, str]) -> tuple[_Canned, str]:
    server, url = canned_
    server.calls.clear()
    return server, url


def _answering(server: _Canned, body: Any, content_type: str = "application/json") -> None:
    server.body = body if isinstance(body, bytes) else json.dumps(body).encode()
    server.content_type = content_type


async def test_a_whole_message_maps_to_the_response(canned: tuple[_Canned, str]) -> None:
    server, url = canned
    _answering(
        server,
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-answered",
            "content": [
                {"type": "thinking", "thinking": "not the answer", "signature": "s"},
                {"type": "text", "text": "Let me "},
                {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"q": "a"}},
                {"type": "text", "text": "look."},
                {"type": "tool_use", "id": "tu_2", "name": "lookup", "input": "not an object"},
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 10,
                "output_tokens": 7,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 20,
            },
        },
    )
    response, attempts, _ = await call_recording_sleeps(_spec(url), chat_request(), ENV)
    assert (response.text, response.model, response.stop_reason) == (
        "Let me look.",
        "claude-answered",
        "tool_use",
    )
    assert [(c.id, c.name, c.arguments, c.raw_arguments) for c in response.tool_calls] == [
        ("tu_1", "lookup", {"q": "a"}, None),
        ("tu_2", "lookup", {}, None),
    ]
    # bench's input is the whole prompt: uncached + cache reads + cache writes.
    usage = response.usage
    assert (usage.input, usage.output, usage.cached, usage.estimated) == (130, 7, 100, False)
    assert attempts == 1


async def test_a_message_without_usage_or_model_gets_estimates_and_the_spec_model(
    canned: tuple[_Canned, str],
) -> None:
    server, url = canned
    _answering(server, {"content": [{"type": "text", "text": "y" * 40}], "model": None})
    response, _, _ = await call_recording_sleeps(_spec(url), chat_request(), ENV)
    assert (response.text, response.model, response.stop_reason) == ("y" * 40, "claude-test", None)
    assert response.usage.estimated is True and response.usage.output == 10


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (b"<html>Bad gateway</html>", "text/html", "invalid JSON"),
        (b"\xff\xfe{", "application/json", "invalid JSON"),
        ([{"type": "text", "text": "a list"}], "application/json", "no content"),
        ("a string", "application/json", "no content"),
        (None, "application/json", "no content"),
        ({}, "application/json", "no content"),
        ({"type": "message", "content": "a string"}, "application/json", "no content"),
        ({"content": [{"type": "text"}]}, "application/json", "a text block without text"),
        (
            {"content": [{"type": "text", "text": 5}]},
            "application/json",
            "a text block without text",
        ),
        (
            {"content": [{"type": "tool_use", "input": {}}]},
            "application/json",
            "a tool_use block without an id or name",
        ),
    ],
    ids=[
        "html",
        "not-utf8",
        "array",
        "string",
        "null",
        "empty-object",
        "content-not-a-list",
        "text-missing",
        "text-not-a-string",
        "tool-use-without-id",
    ],
)
async def test_a_200_that_is_not_a_message_is_malformed_and_not_retried(
    canned: tuple[_Canned, str], body: Any, content_type: str, detail: str
) -> None:
    server, url = canned
    _answering(server, body, content_type)
    with pytest.raises(ProviderError) as info:
        await call_recording_sleeps(_spec(url), chat_request(), ENV)
    message = str(info.value)
    assert message.startswith(f"provider 'claude': malformed response from the API: {detail}")
    assert "Traceback" not in message and len(server.calls) == 1
