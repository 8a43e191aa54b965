"""The metrics proxy, driven through the official SDKs against loopback upstreams.

Each test serves a fake upstream in a thread, starts a MetricsProxy on the test's event loop,
points an SDK at a proxy channel, and compares what the proxy recorded with what was served.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from runtime.proxy import MetricsProxy
from runtime.transcript import LlmCall
from tests.fakes import FakeLLM, Fault, Reply, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app
from tests.runtime.proxy_upstream import TEXT, USAGE, upstream_app

pytestmark = pytest.mark.anyio

SENTINEL_KEY = "sk-SENTINEL-proxy-key-0123456789"


@pytest.fixture(scope="module")
def fake() -> FakeLLM:
    return FakeLLM()


@pytest.fixture(scope="module")
def openai_url(fake: FakeLLM) -> Iterator[str]:
    with serve_in_thread(openai_app(fake)) as url:
        yield url


@pytest.fixture(scope="module")
def other_url() -> Iterator[str]:
    with serve_in_thread(upstream_app()) as url:
        yield url


@pytest.fixture
async def proxy(openai_url: str, other_url: str) -> AsyncIterator[MetricsProxy]:
    upstreams = {
        "openai": f"{openai_url}/v1",
        "responses": f"{other_url}/v1",
        "anthropic": other_url,
        "gemini": other_url,
        "slow": f"{other_url}/slow",
    }
    async with MetricsProxy(upstreams) as p:
        yield p


def _only(calls: list[LlmCall]) -> LlmCall:
    assert len(calls) == 1, calls
    return calls[0]


def _assert_one_full_call(
    calls: list[LlmCall], text: str, *, provider: str, model: str, stream: bool
) -> None:
    """The agent got TEXT, and the one call was measured: model, all of USAGE, ttft if streamed."""
    call = _only(calls)
    assert text == TEXT
    assert (call.provider, call.model) == (provider, model)
    assert (call.usage.input, call.usage.output, call.usage.cached) == (
        USAGE["input"],
        USAGE["output"],
        USAGE["cached"],
    )
    assert (call.ttft_ms is not None) is stream


@pytest.mark.requirement("proxy:openai-chat")
async def test_openai_chat_streaming_passes_through_and_is_counted(
    proxy: MetricsProxy, fake: FakeLLM
) -> None:
    from openai import AsyncOpenAI

    fake.push(Reply(text="streamed answer", usage=Usage(40, 9, cached=8)))
    channel = proxy.channel()
    client = AsyncOpenAI(base_url=channel.base_urls["openai"], api_key=SENTINEL_KEY)
    channel.begin("case-1")
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    await client.close()
    call = _only(channel.end())
    assert text == "streamed answer"
    assert (call.provider, call.model, call.status) == ("openai", "gpt-4o-mini", "ok")
    assert (call.usage.input, call.usage.output, call.usage.cached) == (40, 9, 8)
    assert not call.usage.estimated
    assert call.ttft_ms is not None and call.ttft_ms <= call.latency_ms


@pytest.mark.requirement("proxy:openai-chat")
async def test_openai_chat_json(proxy: MetricsProxy, fake: FakeLLM) -> None:
    from openai import AsyncOpenAI

    fake.push(Reply(text="plain", usage=Usage(11, 2)))
    channel = proxy.channel()
    client = AsyncOpenAI(base_url=channel.base_urls["openai"], api_key=SENTINEL_KEY)
    channel.begin("c")
    reply = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    await client.close()
    call = _only(channel.end())
    assert reply.choices[0].message.content == "plain"
    assert (call.usage.input, call.usage.output, call.ttft_ms) == (11, 2, None)


@pytest.mark.requirement("proxy:streaming-untouched")
async def test_stream_bytes_are_identical_with_and_without_proxy(
    proxy: MetricsProxy, fake: FakeLLM, openai_url: str
) -> None:
    body = {
        "model": "m",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "x"}],
    }
    fake.push(
        Reply(text="same bytes", usage=Usage(5, 2)), Reply(text="same bytes", usage=Usage(5, 2))
    )
    channel = proxy.channel()
    async with httpx.AsyncClient() as client:
        direct = await client.post(f"{openai_url}/v1/chat/completions", json=body)
        proxied = await client.post(f"{channel.base_urls['openai']}/chat/completions", json=body)
    assert proxied.status_code == 200
    assert proxied.headers["content-type"] == direct.headers["content-type"]
    # Only the ``created`` stamp could differ, and the fake sends 0 for chunks.
    assert proxied.content == direct.content


@pytest.mark.requirement("proxy:openai-chat")
async def test_stream_without_usage_is_estimated(proxy: MetricsProxy, fake: FakeLLM) -> None:
    from openai import AsyncOpenAI

    fake.push(Reply(text="x" * 40, usage=Usage(99, 99)))
    channel = proxy.channel()
    client = AsyncOpenAI(base_url=channel.base_urls["openai"], api_key=SENTINEL_KEY)
    channel.begin("c")
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    async for _ in stream:
        pass
    await client.close()
    call = _only(channel.end())
    assert call.usage.estimated
    assert call.usage.output == 10  # 40 chars / 4
    assert call.usage.input > 0


@pytest.mark.requirement("proxy:openai-responses")
@pytest.mark.parametrize("stream", [False, True])
async def test_openai_responses_api(proxy: MetricsProxy, stream: bool) -> None:
    from openai import AsyncOpenAI

    channel = proxy.channel()
    client = AsyncOpenAI(base_url=channel.base_urls["responses"], api_key=SENTINEL_KEY)
    channel.begin("c")
    if stream:
        events = await client.responses.create(model="gpt-4.1", input="hi", stream=True)
        text = "".join([e.delta async for e in events if e.type == "response.output_text.delta"])
    else:
        reply = await client.responses.create(model="gpt-4.1", input="hi")
        text = reply.output_text
    await client.close()
    _assert_one_full_call(channel.end(), text, provider="responses", model="gpt-4.1", stream=stream)


@pytest.mark.requirement("proxy:anthropic")
@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_messages(proxy: MetricsProxy, stream: bool) -> None:
    from anthropic import AsyncAnthropic

    channel = proxy.channel()
    client = AsyncAnthropic(base_url=channel.base_urls["anthropic"], api_key=SENTINEL_KEY)
    channel.begin("c")
    args = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}],
    }
    if stream:
        async with client.messages.stream(**args) as s:  # type: ignore[arg-type]
            text = "".join([t async for t in s.text_stream])
    else:
        reply = await client.messages.create(**args)  # type: ignore[arg-type]
        text = reply.content[0].text  # type: ignore[union-attr]
    await client.close()
    _assert_one_full_call(
        channel.end(), text, provider="anthropic", model="claude-sonnet-4-6", stream=stream
    )


@pytest.mark.requirement("proxy:gemini")
@pytest.mark.parametrize("stream", [False, True])
async def test_gemini_generate_content(proxy: MetricsProxy, stream: bool) -> None:
    from google import genai
    from google.genai import types

    channel = proxy.channel()
    client = genai.Client(
        api_key=SENTINEL_KEY, http_options=types.HttpOptions(base_url=channel.base_urls["gemini"])
    )
    channel.begin("c")
    if stream:
        chunks = await client.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents="hi"
        )
        text = "".join([c.text or "" async for c in chunks])
    else:
        reply = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
        text = reply.text or ""
    await client.aio.aclose()
    _assert_one_full_call(
        channel.end(), text, provider="gemini", model="gemini-2.5-flash", stream=stream
    )


@pytest.mark.requirement("proxy:gemini")
async def test_gemini_stream_as_json_array(proxy: MetricsProxy) -> None:
    channel = proxy.channel()
    channel.begin("c")
    async with httpx.AsyncClient() as client:
        url = f"{channel.base_urls['gemini']}/v1beta/models/gemini-2.0-flash:streamGenerateContent"
        r = await client.post(url, json={"contents": []})
    call = _only(channel.end())
    assert r.status_code == 200 and len(r.json()) == 2
    assert (call.usage.input, call.usage.output) == (USAGE["input"], USAGE["output"])


@pytest.mark.requirement("proxy:per-case")
async def test_concurrent_channels_attribute_calls_to_their_own_case(
    proxy: MetricsProxy, fake: FakeLLM
) -> None:
    import anyio

    a, b = proxy.channel(), proxy.channel()
    a.begin("case-a")
    b.begin("case-b")

    async def call(channel_url: str, model: str, n: int) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(n):
                await client.post(
                    f"{channel_url}/chat/completions",
                    json={"model": model, "messages": []},
                )

    async with anyio.create_task_group() as tg:
        tg.start_soon(call, a.base_urls["openai"], "model-a", 3)
        tg.start_soon(call, b.base_urls["openai"], "model-b", 2)
    calls_a, calls_b = a.end(), b.end()
    assert [c.model for c in calls_a] == ["model-a"] * 3
    assert [c.model for c in calls_b] == ["model-b"] * 2
    assert all(c.started_ms >= 0 for c in calls_a + calls_b)
    # After end(), calls land in ``stray``, not in a finished case.
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{a.base_urls['openai']}/chat/completions", json={"model": "late", "messages": []}
        )
    assert a.end() == [] and [c.model for c in a.stray] == ["late"]


@pytest.mark.requirement("proxy:no-secrets")
async def test_keys_reach_upstream_but_never_a_record(proxy: MetricsProxy, fake: FakeLLM) -> None:
    fake.push(Fault.http(401, message=f"Incorrect API key provided: {SENTINEL_KEY}"))
    channel = proxy.channel()
    channel.begin("c")
    before = len(fake.requests)
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{channel.base_urls['openai']}/chat/completions",
            json={"model": "gpt-4o", "messages": []},
            headers={"Authorization": f"Bearer {SENTINEL_KEY}", "x-api-key": SENTINEL_KEY},
        )
    call = _only(channel.end())
    seen = fake.requests[before]
    assert seen.headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    assert r.status_code == 401 and SENTINEL_KEY in r.text  # the agent sees the real answer
    assert call.status == "error" and call.error == "HTTP 401 server_error"
    assert SENTINEL_KEY not in call.model_dump_json()


@pytest.mark.requirement("proxy:status")
async def test_rate_limit_is_relayed_and_recorded(proxy: MetricsProxy, fake: FakeLLM) -> None:
    fake.push(Fault.http(429, retry_after="3"))
    channel = proxy.channel()
    channel.begin("c")
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{channel.base_urls['openai']}/chat/completions", json={"model": "m", "messages": []}
        )
    call = _only(channel.end())
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert (call.status, call.error) == ("error", "HTTP 429 rate_limit_exceeded")


@pytest.mark.requirement("proxy:status")
async def test_unreachable_upstream_is_a_502_and_a_recorded_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    async with MetricsProxy({"openai": dead}, connect_timeout_s=2) as proxy:
        channel = proxy.channel()
        channel.begin("c")
        async with httpx.AsyncClient() as client:
            r = await client.post(
                f"{channel.base_urls['openai']}/chat/completions",
                json={"model": "m", "messages": []},
            )
        call = _only(channel.end())
    assert r.status_code == 502 and "unreachable" in r.json()["error"]["message"]
    assert call.status == "error" and "unreachable" in (call.error or "")


async def test_ttft_is_first_output_not_end_of_stream(proxy: MetricsProxy) -> None:
    channel = proxy.channel()
    channel.begin("c")
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{channel.base_urls['slow']}/chat/completions?delay=0.3", json={"model": "x"}
        )
    call = _only(channel.end())
    assert r.status_code == 200
    assert call.ttft_ms is not None and call.ttft_ms < call.latency_ms
    assert (call.usage.input, call.usage.output) == (3, 1)


async def test_unknown_channel_or_upstream_is_404(proxy: MetricsProxy) -> None:
    channel = proxy.channel()
    async with httpx.AsyncClient() as client:
        r1 = await client.post(f"{proxy.url}/nosuchtoken/openai/chat/completions", json={})
        r2 = await client.post(f"{proxy.url}/{channel.token}/nosuch/chat/completions", json={})
    assert (r1.status_code, r2.status_code) == (404, 404)
    assert "unknown channel" in r1.text and "unknown upstream" in r2.text


async def test_env_points_each_sdk_at_its_channel(proxy: MetricsProxy) -> None:
    channel = proxy.channel()
    env = channel.env()
    assert env["OPENAI_BASE_URL"] == f"{proxy.url}/{channel.token}/openai"
    assert env["ANTHROPIC_BASE_URL"] == f"{proxy.url}/{channel.token}/anthropic"
    assert env["GOOGLE_GEMINI_BASE_URL"] == f"{proxy.url}/{channel.token}/gemini"
    assert proxy.url.startswith("http://127.0.0.1:")


@pytest.mark.requirement("proxy:per-case")
async def test_agent_hanging_up_mid_stream_still_records_the_call(proxy: MetricsProxy) -> None:
    import anyio

    channel = proxy.channel()
    channel.begin("c")
    async with httpx.AsyncClient() as client:
        url = f"{channel.base_urls['slow']}/chat/completions?delay=0.3"
        async with client.stream("POST", url, json={"model": "x"}) as r:
            async for _ in r.aiter_raw():
                break  # hang up after the first chunk
    with anyio.fail_after(10):
        while not channel._calls:
            await anyio.sleep(0.02)
    call = _only(channel.end())
    assert call.model == "gpt-slow" and call.ttft_ms is not None
