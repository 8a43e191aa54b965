"""The benchmarks' lean fake OpenAI server (tests/fakes/lean_openai.py), and the adapter's
platform header known before the first request (runtime/providers/openai.py).

The lean fake is measurement infrastructure: these tests pin what the benchmark relies on
(the real SDK parses its answer; keep-alive; the fixed delay; Content-Length framing).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import anyio
import openai
import pytest

from runtime.plan import OpenAIProvider, RetryPolicy, SecretRef
from runtime.providers.openai import create
from tests.fakes.lean_openai import completion_body, serve

pytestmark = pytest.mark.anyio


@pytest.fixture
async def lean_url() -> AsyncIterator[str]:
    """A lean fake answering after 50 ms, on this test's event loop."""
    async with anyio.create_task_group() as tg:
        yield await tg.start(serve, 0.05)
        tg.cancel_scope.cancel()


async def test_the_sdk_parses_the_canned_completion(lean_url: str) -> None:
    client = openai.AsyncOpenAI(api_key="sk-lean", base_url=lean_url + "/v1", max_retries=0)
    try:
        got = await client.chat.completions.create(
            model="gpt-lean", messages=[{"role": "user", "content": "hi"}]
        )
    finally:
        await client.close()
    assert got.model == "gpt-lean"
    assert got.choices[0].message.content == "ok, done"
    assert got.choices[0].finish_reason == "stop"
    assert got.usage is not None and (got.usage.prompt_tokens, got.usage.completion_tokens) == (
        12,
        3,
    )


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes
) -> bytes:
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    return await reader.readexactly(length)


async def test_keep_alive_delay_and_split_request(lean_url: str) -> None:
    host, port = lean_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        body = json.dumps({"model": "m1", "messages": []}).encode()
        started = time.monotonic()
        first = await _exchange(reader, writer, body)
        assert time.monotonic() - started >= 0.045  # answered after the fixed delay
        assert json.loads(first)["model"] == "m1"
        # Same connection, a second request arriving in two pieces (headers, then body).
        body2 = json.dumps({"model": "m2"}).encode()
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
            % len(body2)
        )
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(body2)
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"connection: keep-alive" in head
        second = json.loads(await reader.readexactly(len(completion_body("m2"))))
        assert second["model"] == "m2"
    finally:
        writer.close()


async def test_adapter_knows_the_platform_before_its_first_request() -> None:
    spec = OpenAIProvider(
        name="gpt",
        model="gpt-test",
        api_key=SecretRef.from_env("OPENAI_API_KEY"),
        base_url="http://127.0.0.1:9/v1",
        retry=RetryPolicy(max_retries=0),
    )
    provider = create(spec, {"OPENAI_API_KEY": "sk-test"})
    try:
        from openai._base_client import get_platform

        # The SDK would otherwise compute it in a worker thread on each early request.
        assert provider._client._platform == get_platform()
    finally:
        await provider._client.close()


async def test_a_streamed_request_gets_its_tokens_after_the_delay(lean_url: str) -> None:
    """The stream bench load's benchmark reads: first content after the delay, usage, [DONE]."""
    client = openai.AsyncOpenAI(api_key="sk-lean", base_url=lean_url + "/v1", max_retries=0)
    try:
        started = time.monotonic()
        stream = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces: list[str] = []
        first_content: float | None = None
        usage = None
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    first_content = first_content or time.monotonic() - started
                    pieces.append(choice.delta.content)
            usage = chunk.usage or usage
    finally:
        await client.close()
    assert len(pieces) == 16 and pieces[0] == "t0 "
    assert first_content is not None and first_content >= 0.045
    assert usage is not None and usage.completion_tokens == 16
