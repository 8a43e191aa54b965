"""Streaming specifics of the Anthropic and Gemini adapters (the shared cases are in the contract)."""

from __future__ import annotations

import pytest

from tests.fakes import FakeLLM, Reply, ToolCallSpec, Usage

from .provider_kits import (
    KEY_VAR,
    TOOL,
    anthropic_spec,
    call_recording_sleeps,
    chat_request,
    google_spec,
)

pytestmark = pytest.mark.anyio

ENV = {KEY_VAR: "k-000"}


@pytest.mark.requirement("provider:streaming-ttft")
async def test_anthropic_stream_keeps_unparsable_tool_input_raw(
    anthropic_server: tuple[FakeLLM, str],
) -> None:
    fake, url = anthropic_server
    fake.reset().push(
        Reply(
            tool_calls=(
                ToolCallSpec("get_weather", id="t1", raw_arguments='{"city": "Par'),
                ToolCallSpec("get_weather", {"city": "Oslo"}, id="t2"),
            ),
            usage=Usage(40, 9, cached=15),
        )
    )
    response, _, _ = await call_recording_sleeps(
        anthropic_spec(url, stream=True), chat_request(tools=[TOOL]), ENV
    )
    first, second = response.tool_calls
    assert (first.id, first.arguments, first.raw_arguments) == ("t1", {}, '{"city": "Par')
    assert (second.id, second.arguments, second.raw_arguments) == ("t2", {"city": "Oslo"}, None)
    assert (response.usage.input, response.usage.output, response.usage.cached) == (40, 9, 15)
    assert response.stop_reason == "tool_use" and response.model == "claude-test"
    assert fake.requests[-1].body["stream"] is True
    assert response.ttft_ms is not None and response.ttft_ms > 0


@pytest.mark.requirement("provider:streaming-ttft")
async def test_gemini_stream_gives_id_less_calls_distinct_ids(
    gemini_server: tuple[FakeLLM, str],
) -> None:
    fake, url = gemini_server
    fake.reset().push(
        Reply(
            text="Looking up.",
            tool_calls=(
                ToolCallSpec("get_weather", {"city": "Paris"}),
                ToolCallSpec("get_weather", {"city": "Oslo"}),
            ),
            usage=Usage(50, 6, cached=20),
        )
    )
    response, _, _ = await call_recording_sleeps(
        google_spec(url, stream=True), chat_request(tools=[TOOL]), ENV
    )
    assert response.text == "Looking up."
    ids = [c.id for c in response.tool_calls]
    assert len(set(ids)) == 2 and all(ids)
    assert [c.arguments for c in response.tool_calls] == [{"city": "Paris"}, {"city": "Oslo"}]
    assert (response.usage.input, response.usage.output, response.usage.cached) == (50, 6, 20)
    assert response.usage.estimated is False and response.stop_reason == "STOP"
    sent = fake.requests[-1]
    assert sent.path.endswith("/models/gemini-test:streamGenerateContent")
    assert sent.query.get("alt") == "sse"
    assert response.ttft_ms is not None and response.ttft_ms > 0


@pytest.mark.requirement("provider:streaming-ttft")
async def test_streams_without_usage_are_estimated(
    anthropic_server: tuple[FakeLLM, str], gemini_server: tuple[FakeLLM, str]
) -> None:
    for (fake, url), build in ((anthropic_server, anthropic_spec), (gemini_server, google_spec)):
        fake.reset().push(Reply(text="z" * 40, usage=None))
        response, _, _ = await call_recording_sleeps(build(url, stream=True), chat_request(), ENV)
        assert response.text == "z" * 40
        assert response.usage.estimated is True and response.usage.output == 10


async def test_an_openai_stream_cut_off_before_finish_reason_is_an_error(
    openai_server: tuple[FakeLLM, str],
) -> None:
    # The OpenAI family's streamed calls (the contract's kits cover Anthropic, Gemini, Bedrock).
    from runtime.errors import ProviderError
    from runtime.plan import RetryPolicy

    from .provider_kits import openai_spec

    fake, url = openai_server
    fake.reset().push(Reply(text="half an", truncated=True), Reply(text="half an", truncated=True))
    spec = openai_spec(url, stream=True, retry=RetryPolicy(max_retries=1))
    with pytest.raises(ProviderError, match="ended before the answer was complete"):
        await call_recording_sleeps(spec, chat_request(), ENV)
    assert len(fake.requests) == 2
    fake.reset().push(Reply(text="whole answer"))
    response, _, _ = await call_recording_sleeps(openai_spec(url, stream=True), chat_request(), ENV)
    assert response.text == "whole answer" and response.stop_reason == "stop"
