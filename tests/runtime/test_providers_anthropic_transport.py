"""The Anthropic adapter's transport: the SDK's aiohttp client on asyncio, HTTPX2 otherwise.

Everything else about the adapter (usage, tools, streaming, faults) is tested through the
transport it picks in tests/runtime/test_providers_anthropic.py and the shared provider
tests; here, which one it picks, the choice shared with the OpenAI adapter
(runtime/providers/transport.py), and that a refused connection is reported as one.
"""

from __future__ import annotations

import importlib.util
import socket

import anthropic
import httpx2
import pytest

from runtime.plan import AnthropicProvider, BedrockAnthropicProvider, SecretRef
from runtime.providers import transport
from runtime.providers.anthropic import AnthropicMessagesProvider, _http_client, create
from runtime.providers.classify import refused_cause
from tests.fakes import FakeLLM, Reply

from .provider_kits import chat_request

ENV = {"ANTHROPIC_API_KEY": "sk-ant-test-transport"}


def _spec(url: str) -> AnthropicProvider:
    return AnthropicProvider(
        name="claude",
        model="claude-test",
        api_key=SecretRef.from_env("ANTHROPIC_API_KEY"),
        base_url=url,
    )


def _http_client_of(provider: AnthropicMessagesProvider) -> object:
    return provider._client._client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_on_asyncio_the_sdk_aiohttp_client_is_used(
    anthropic_server: tuple[FakeLLM, str],
) -> None:
    fake, url = anthropic_server
    fake.push(Reply(text="over aiohttp"))
    provider = create(_spec(url), ENV)
    try:
        assert isinstance(_http_client_of(provider), anthropic.DefaultAioHttpClient)
        response = await provider.generate(chat_request())
    finally:
        await provider.aclose()
    assert response.text == "over aiohttp"


@pytest.mark.anyio
async def test_bedrock_gets_the_aiohttp_client_too() -> None:
    # That SigV4-signed requests arrive intact and the AWS event stream decodes over it is
    # tested against the fake Bedrock server (test_providers_bedrock.py and the contract).
    spec = BedrockAnthropicProvider(
        name="br", model="anthropic.claude", region="us-east-1", base_url="http://127.0.0.1:9"
    )
    provider = create(spec, {})
    try:
        assert isinstance(provider._client, anthropic.AsyncAnthropicBedrock)
        assert isinstance(_http_client_of(provider), anthropic.DefaultAioHttpClient)
    finally:
        await provider.aclose()


def test_outside_an_event_loop_the_sdk_default_is_kept() -> None:
    assert _http_client() == {}


@pytest.mark.anyio
async def test_an_sdk_without_the_aiohttp_client_keeps_its_default() -> None:
    assert transport.aiohttp_client(None) == {}


@pytest.mark.anyio
async def test_without_aiohttp_installed_the_sdk_default_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "aiohttp" else real(name, *a),
    )
    assert transport.aiohttp_client(anthropic.DefaultAioHttpClient) == {}


def _chained(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


def test_refused_cause_finds_the_socket_error_under_a_timeout() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    timeout = _chained(TimeoutError("timed out"), _chained(RuntimeError("wrap"), refused))
    assert refused_cause(timeout) is refused


def test_refused_cause_leaves_a_real_timeout_a_timeout() -> None:
    assert refused_cause(_chained(RuntimeError("outer"), TimeoutError("read timed out"))) is None
    assert refused_cause(RuntimeError("no cause")) is None


def test_an_sdk_timeout_over_a_refused_connect_is_a_connection_failure() -> None:
    # Older SDKs' aiohttp transport (upstream httpx-aiohttp) maps a refused connect to
    # ConnectTimeout; the adapter reads the socket error under it, as the OpenAI one does.
    provider = create(_spec(f"http://127.0.0.1:{_free_port()}"), ENV)
    request = anthropic.APITimeoutError(request=_request())
    exc = _chained(request, ConnectionRefusedError(111, "Connection refused"))
    decision = provider.classify(exc)
    assert decision.kind == "transient"
    assert decision.message.startswith("connection failed") and "refused" in decision.message


def _request() -> httpx2.Request:
    return httpx2.Request("POST", "http://127.0.0.1/v1/messages")
