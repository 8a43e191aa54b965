"""The OpenAI adapter's transport: the SDK's aiohttp client on asyncio, HTTPX2 otherwise.

Everything else about the adapter (usage, tools, streaming, faults) is tested through the
transport it picks in tests/runtime/test_providers_openai.py; here, which one it picks and
that a refused connection is reported as one (the aiohttp transport calls it a timeout).
"""

from __future__ import annotations

import openai
import pytest

from runtime.plan import OpenAIProvider, SecretRef
from runtime.providers.openai import OpenAIChatProvider, _http_client, create

pytestmark = pytest.mark.anyio

ENV = {"OPENAI_API_KEY": "sk-test-transport"}


def _spec(url: str, **kw: object) -> OpenAIProvider:
    return OpenAIProvider(
        name="gpt",
        model="gpt-test",
        api_key=SecretRef.from_env("OPENAI_API_KEY"),
        base_url=url,
        **kw,  # type: ignore[arg-type]
    )


def _http_client_of(provider: OpenAIChatProvider) -> object:
    return provider._client._client


async def test_on_asyncio_the_sdk_aiohttp_client_is_used() -> None:
    provider = create(_spec("http://127.0.0.1:9/v1"), ENV)
    try:
        assert isinstance(_http_client_of(provider), openai.DefaultAioHttpClient)
    finally:
        await provider.aclose()


def test_outside_an_event_loop_the_sdk_default_is_kept() -> None:
    assert _http_client() == {}


async def test_azure_with_an_api_key_uses_the_aiohttp_client_too() -> None:
    from runtime.plan import AzureProvider

    spec = AzureProvider(
        name="az",
        model="gpt-test",
        api_key=SecretRef.from_env("AZURE_KEY"),
        base_url="http://127.0.0.1:9",
        api_version="2024-10-21",
    )
    provider = create(spec, {"AZURE_KEY": "az-test-transport-key"})
    try:
        assert isinstance(_http_client_of(provider), openai.DefaultAioHttpClient)
    finally:
        await provider.aclose()
