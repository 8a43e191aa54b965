"""The OpenAI adapter through the real SDK against the fake chat-completions server."""

from __future__ import annotations

import sys

import pytest

from runtime.errors import ProviderError
from runtime.plan import AzureProvider, OpenAIProvider, ProviderSpec, RetryPolicy, SecretRef
from runtime.providers.base import ChatRequest, ChatResponse
from runtime.providers.registry import create_provider
from runtime.retry import call_with_retry
from runtime.secrets import MissingSecretError
from runtime.transcript import Message, RunEvent, ToolCall
from tests.fakes import FakeLLM, Fault, Reply, ToolCallSpec, Usage

from .provider_kits import TOOL, call_recording_sleeps, chat_request

pytestmark = pytest.mark.anyio

KEY = "sk-test-SENTINEL-0123456789"
ENV = {"OPENAI_API_KEY": KEY}


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def url(openai_server: tuple[FakeLLM, str]) -> str:
    return openai_server[1] + "/v1"


def _spec(url: str, **kw: object) -> OpenAIProvider:
    return OpenAIProvider(
        name="gpt",
        model="gpt-test",
        api_key=SecretRef.from_env("OPENAI_API_KEY"),
        base_url=url,
        **kw,  # type: ignore[arg-type]
    )


async def _call(
    spec: ProviderSpec, request: ChatRequest, events: list[RunEvent] | None = None
) -> tuple[ChatResponse, int, list[float]]:
    return await call_recording_sleeps(spec, request, ENV, events)


@pytest.mark.requirement("provider:usage")
@pytest.mark.requirement("provider:base-url")
async def test_text_reply_usage_and_key(fake: FakeLLM, url: str) -> None:
    fake.push(Reply(text="Hello there", usage=Usage(21, 4, cached=8)))
    response, attempts, _ = await _call(_spec(url), chat_request())
    assert response.text == "Hello there" and attempts == 1
    assert (response.usage.input, response.usage.output, response.usage.cached) == (21, 4, 8)
    assert response.usage.estimated is False
    sent = fake.requests[-1]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == "gpt-test"
    assert sent.body["messages"] == [{"role": "user", "content": "hello"}]


async def test_usage_estimated_when_absent(fake: FakeLLM, url: str) -> None:
    fake.push(Reply(text="x" * 40, usage=None))
    response, _, _ = await _call(_spec(url), chat_request())
    assert response.usage.estimated is True and response.usage.output == 10


@pytest.mark.requirement("provider:tool-calls")
async def test_parallel_tool_calls_round_trip(fake: FakeLLM, url: str) -> None:
    fake.push(
        Reply(
            tool_calls=(
                ToolCallSpec("get_weather", {"city": "Paris"}, id="call_a"),
                ToolCallSpec("get_weather", {"city": "Oslo"}, id="call_b"),
            )
        ),
        Reply(text="Paris 20C, Oslo 5C"),
    )
    first, _, _ = await _call(_spec(url), chat_request(tools=[TOOL]))
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [
        ("call_a", "get_weather", {"city": "Paris"}),
        ("call_b", "get_weather", {"city": "Oslo"}),
    ]
    assert fake.requests[-1].body["tools"][0]["function"]["parameters"] == TOOL.input_schema
    history = [
        Message(role="system", content="be brief"),
        Message(role="user", content="weather?"),
        Message(
            role="assistant",
            tool_calls=[
                ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in first.tool_calls
            ],
        ),
        Message(role="tool", tool_call_id="call_a", name="get_weather", content="20C"),
        Message(role="tool", tool_call_id="call_b", name="get_weather", content="5C"),
    ]
    second, _, _ = await _call(_spec(url), chat_request(*history, tools=[TOOL]))
    assert second.text == "Paris 20C, Oslo 5C"
    sent = fake.requests[-1].body["messages"]
    assert sent[2]["tool_calls"][1] == {
        "id": "call_b",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
    }
    assert sent[3:] == [
        {"role": "tool", "tool_call_id": "call_a", "content": "20C"},
        {"role": "tool", "tool_call_id": "call_b", "content": "5C"},
    ]


async def test_unparsable_arguments_are_kept_raw(fake: FakeLLM, url: str) -> None:
    fake.push(Reply(tool_calls=(ToolCallSpec("t", raw_arguments="{not json"),)))
    response, _, _ = await _call(_spec(url), chat_request(tools=[TOOL]))
    call = response.tool_calls[0]
    assert call.arguments == {} and call.raw_arguments == "{not json"


@pytest.mark.requirement("provider:streaming-ttft")
async def test_streaming_joins_deltas_and_measures_ttft(fake: FakeLLM, url: str) -> None:
    fake.push(
        Reply(
            text="streamed answer",
            tool_calls=(ToolCallSpec("get_weather", {"city": "Rome"}, id="call_s"),),
            usage=Usage(30, 6),
        )
    )
    response, _, _ = await _call(_spec(url, stream=True), chat_request(tools=[TOOL]))
    assert response.text == "streamed answer"
    assert [(c.id, c.arguments) for c in response.tool_calls] == [("call_s", {"city": "Rome"})]
    assert (response.usage.input, response.usage.output, response.usage.estimated) == (30, 6, False)
    assert response.ttft_ms is not None and response.ttft_ms >= 0
    body = fake.requests[-1].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.requirement("retry:429-retry-after")
async def test_429_retry_after_honoured(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.http(429, retry_after="7"), Reply(text="finally"))
    events: list[RunEvent] = []
    spec = _spec(url, retry=RetryPolicy(retry_on_429=True))
    response, attempts, sleeps = await _call(spec, chat_request(), events)
    assert response.text == "finally" and attempts == 2 and sleeps == [8.0]
    assert [e.kind for e in events] == ["rate_limited", "retry"]
    assert len(fake.requests) == 2


async def test_429_retry_after_ms_preferred(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.http(429, retry_after="7", retry_after_ms="1500"), Reply(text="ok"))
    spec = _spec(url, retry=RetryPolicy(retry_on_429=True))
    _, _, sleeps = await _call(spec, chat_request())
    assert sleeps == [2.5]


@pytest.mark.requirement("retry:429-error-text")
async def test_429_wait_from_error_text(fake: FakeLLM, url: str) -> None:
    fake.push(
        Fault.http(429, message="Rate limit reached. Please retry after 12 seconds."), Reply()
    )
    spec = _spec(url, retry=RetryPolicy(retry_on_429=True))
    _, _, sleeps = await _call(spec, chat_request())
    assert sleeps == [13.0]


@pytest.mark.requirement("retry:429-retried-by-default")
async def test_429_not_retried_when_disabled(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.http(429, retry_after="3"), Reply(text="never"))
    with pytest.raises(ProviderError) as info:
        await _call(_spec(url, retry=RetryPolicy(retry_on_429=False)), chat_request())
    assert info.value.status_code == 429 and info.value.retry_after == 3.0
    assert len(fake.requests) == 1


@pytest.mark.requirement("retry:5xx")
async def test_500_retried_with_backoff(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.http(500), Fault.http(503), Reply(text="recovered"))
    response, attempts, sleeps = await _call(_spec(url), chat_request())
    assert response.text == "recovered" and attempts == 3 and sleeps == [1.0, 2.0]


@pytest.mark.requirement("provider:timeout")
@pytest.mark.requirement("retry:deadline")
async def test_stall_times_out_within_the_request_deadline(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.stall(5.0), Fault.stall(5.0))
    spec = _spec(url, retry=RetryPolicy(timeout_ms=200, max_retries=1))
    with pytest.raises(ProviderError, match="timed out"):
        await _call(spec, chat_request())
    # The deadline is the whole request's: no time is left for the allowed retry.
    assert len(fake.requests) == 1


async def test_malformed_json_is_a_clear_fatal_error(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.malformed(), Reply(text="not reached"))
    with pytest.raises(
        ProviderError, match="provider 'gpt': malformed response from the API: invalid JSON"
    ) as info:
        await _call(_spec(url), chat_request())
    assert len(fake.requests) == 1
    assert KEY not in str(info.value)


async def test_connection_refused_is_transient(unused_port: int) -> None:
    spec = _spec(f"http://127.0.0.1:{unused_port}/v1", retry=RetryPolicy(max_retries=1))
    with pytest.raises(ProviderError, match="connection failed") as info:
        await _call(spec, chat_request())
    assert "gave up after 2 attempts" in str(info.value)


async def test_secret_never_in_errors_or_repr(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.http(401, message=f"Incorrect API key provided: {KEY}"))
    provider = create_provider(_spec(url), env=ENV)
    assert KEY not in repr(provider)
    with pytest.raises(ProviderError) as info:
        await call_with_retry(
            provider, chat_request(), policy=RetryPolicy(), limiter=None, on_event=lambda e: None
        )
    await provider.aclose()
    assert "401" in str(info.value) and KEY not in str(info.value)
    assert "***" in str(info.value)


@pytest.mark.requirement("provider:token-required")
async def test_missing_key_names_the_variable(url: str) -> None:
    with pytest.raises(MissingSecretError, match="OPENAI_API_KEY"):
        create_provider(_spec(url), env={})
    with pytest.raises(ProviderError, match="api_key is required"):
        create_provider(OpenAIProvider(name="g", model="m", base_url=url), env={})


async def test_compatible_flavor_needs_no_key(fake: FakeLLM, url: str) -> None:
    fake.push(Reply(text="local"))
    spec = OpenAIProvider(name="ollama", model="llama", flavor="compatible", base_url=url)
    provider = create_provider(spec, env={})
    response = await provider.generate(chat_request())
    await provider.aclose()
    assert response.text == "local"


@pytest.mark.requirement("provider:groq-default-base")
async def test_groq_defaults_to_groq_base_url() -> None:
    spec = OpenAIProvider(
        name="groq", model="llama", flavor="groq", api_key=SecretRef.from_env("OPENAI_API_KEY")
    )
    provider = create_provider(spec, env=ENV)
    assert str(provider._client.base_url).rstrip("/") == "https://api.groq.com/openai/v1"  # type: ignore[attr-defined]
    await provider.aclose()


@pytest.mark.requirement("provider:azure-api-key")
async def test_azure_api_key_deployment_route(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str]
) -> None:
    fake.push(Reply(text="from azure"))
    spec = AzureProvider(
        name="az",
        model="my-deployment",
        api_key=SecretRef.from_env("OPENAI_API_KEY"),
        base_url=openai_server[1],
        api_version="2024-10-21",
    )
    provider = create_provider(spec, env=ENV)
    response = await provider.generate(chat_request())
    await provider.aclose()
    assert response.text == "from azure"
    sent = fake.requests[-1]
    assert sent.path == "/openai/deployments/my-deployment/chat/completions"
    assert sent.headers["api-key"] == KEY and sent.query["api-version"] == "2024-10-21"


@pytest.mark.requirement("provider:streaming-ttft")
async def test_azure_streams_when_the_suite_says_so(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str]
) -> None:
    fake.push(Reply(text="streamed from azure"))
    spec = AzureProvider(
        name="az",
        model="my-deployment",
        api_key=SecretRef.from_env("OPENAI_API_KEY"),
        base_url=openai_server[1],
        api_version="2024-10-21",
        stream=True,
    )
    provider = create_provider(spec, env=ENV)
    response = await provider.generate(chat_request())
    await provider.aclose()
    assert response.text == "streamed from azure"
    assert response.ttft_ms is not None
    assert fake.requests[-1].body["stream"] is True


async def test_azure_entra_id_without_extra_names_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)
    spec = AzureProvider(
        name="az", model="d", auth="entra_id", base_url="http://127.0.0.1:9", api_version="v"
    )
    with pytest.raises(ProviderError, match=r"pip install azure-identity"):
        create_provider(spec, env={})


@pytest.mark.slow
async def test_subprocess_fake_for_benchmarks() -> None:
    from tests.fakes.serve import serve_in_subprocess

    with serve_in_subprocess("openai", latency_s=0.0) as base:
        spec = OpenAIProvider(name="b", model="m", flavor="compatible", base_url=base + "/v1")
        provider = create_provider(spec, env={})
        response = await provider.generate(chat_request())
        await provider.aclose()
    assert response.text == "ok"


@pytest.mark.requirement("provider:streaming-ttft")
async def test_streaming_429_is_classified_before_the_stream(fake: FakeLLM, url: str) -> None:
    fake.push(Fault.http(429, retry_after="1"), Reply(text="streamed after wait"))
    spec = _spec(url, stream=True, retry=RetryPolicy(retry_on_429=True))
    response, attempts, sleeps = await _call(spec, chat_request())
    assert (response.text, attempts, sleeps) == ("streamed after wait", 2, [2.0])
    assert response.ttft_ms is not None


async def test_streamed_call_answered_without_any_chunk_is_malformed(
    fake: FakeLLM, url: str
) -> None:
    # A 200 whose body holds no server-sent event used to come back as an empty answer.
    fake.push(Fault.malformed())
    with pytest.raises(ProviderError, match="malformed"):
        await _call(_spec(url, stream=True), chat_request())
