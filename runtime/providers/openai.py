"""OpenAI chat completions through the official SDK: OpenAI, Groq, Azure, compatible servers.

Imported only by the registry's factory, so ``import runtime`` never loads ``openai``. The
SDK's own retries are off (``max_retries=0``): ``runtime/retry.py`` owns retrying.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import openai
from openai.types.chat import ChatCompletionChunk

from ..errors import ProviderError
from ..plan import AzureProvider, Generation, OpenAIProvider, ProviderSpec
from ..secrets import Redactor, resolve
from ..transcript import TokenUsage
from .base import (
    ChatRequest,
    ChatResponse,
    RetryDecision,
    ToolRequest,
    generation_of,
    sampling_params,
)
from .classify import (
    ProviderCallError,
    call_error,
    cut_off,
    decide,
    json_body,
    malformed,
    refused_cause,
    transport_decision,
)
from .convert import openai_messages, openai_tools, parse_arguments
from .transport import aiohttp_client
from .usage import estimated_usage

__all__ = ["GROQ_BASE_URL", "OpenAIChatProvider", "create"]

GROQ_BASE_URL = "https://api.groq.com/openai/v1"
"""Groq's OpenAI-compatible endpoint (agent-benchmark's default for GROQ)."""

_CHAT_OPTIONS: Any = (
    {"security": {"bearer_auth": True}}
    if "security" in openai.RequestOptions.__annotations__
    else {}
)
"""Request options of chat.completions.create(): only the API key authenticates (SDKs that
have per-request security options would otherwise also offer OPENAI_ADMIN_KEY)."""

_COMPATIBLE_NAMES = {k: k for k in ("temperature", "top_p", "max_tokens", "seed", "stop")}
"""Generation parameters as chat completions names them (compatible servers, Azure, Groq)."""
_NATIVE_NAMES = {**_COMPATIBLE_NAMES, "max_tokens": "max_completion_tokens"}
"""The same for OpenAI itself."""

_UNUSED_KEY = "unused"
"""Compatible servers (Ollama, vLLM, llama.cpp) often need no key, but the SDK demands one."""


def create(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> OpenAIChatProvider:
    """Build the adapter for an ``openai`` or ``azure`` spec."""
    redactor = Redactor()
    timeout = spec.retry.timeout_ms / 1000.0 or None  # 0: no deadline (not zero seconds)
    what = f"provider '{spec.name}'"
    client: openai.AsyncOpenAI
    if isinstance(spec, AzureProvider):
        if spec.auth == "entra_id":
            token_provider = _entra_token_provider(spec)
            client = openai.AsyncAzureOpenAI(
                azure_endpoint=spec.base_url,
                api_version=spec.api_version,
                azure_ad_token_provider=token_provider,
                max_retries=0,
                timeout=timeout,
                **_http_client(),
            )
        else:
            key = resolve(spec.api_key, env, what=what, redactor=redactor)
            if key is None:
                raise ProviderError(
                    f"{what}: azure with auth api_key needs an api_key", provider=spec.name
                )
            client = openai.AsyncAzureOpenAI(
                api_key=key,
                azure_endpoint=spec.base_url,
                api_version=spec.api_version,
                max_retries=0,
                timeout=timeout,
                **_http_client(),
            )
        _know_platform(client)
        return OpenAIChatProvider(spec, client, redactor, stream=spec.stream)
    if not isinstance(spec, OpenAIProvider):
        raise ProviderError(
            f"{what}: not an OpenAI-style provider ({spec.type})", provider=spec.name
        )
    key = resolve(spec.api_key, env, what=what, redactor=redactor)
    if key is None:
        if spec.flavor != "compatible":
            raise ProviderError(
                f"{what}: an api_key is required for {spec.flavor} (e.g. api_key: ${{OPENAI_API_KEY}})",
                provider=spec.name,
            )
        key = _UNUSED_KEY
    base_url = spec.base_url or (GROQ_BASE_URL if spec.flavor == "groq" else None)
    client = openai.AsyncOpenAI(
        api_key=key, base_url=base_url, max_retries=0, timeout=timeout, **_http_client()
    )
    _know_platform(client)
    return OpenAIChatProvider(spec, client, redactor, stream=spec.stream)


def _know_platform(client: openai.AsyncOpenAI) -> None:
    """Give a new client its platform header value before its first request.

    The SDK computes it on a client's first request, in a worker thread, and every request
    that starts before the first one has it does the same: with 50 cases starting at once
    that is 50 thread hops on the event loop before the first wave's requests leave. The
    value is the process's (``platform`` caches it), so it is computed once here instead.
    An SDK without this private hook is left alone: it still works, only slower to start.
    """
    from openai import _base_client

    get_platform = getattr(_base_client, "get_platform", None)
    if get_platform is None or getattr(client, "_platform", "") is not None:
        return
    try:
        client._platform = get_platform()
    except Exception:  # the SDK's own fallback is to compute it on the first request
        return


def _http_client() -> dict[str, Any]:
    """The SDK's aiohttp transport (``openai[aiohttp]``) on asyncio, else the SDK's default
    (the choice and its reasons: runtime/providers/transport.py)."""
    return aiohttp_client(getattr(openai, "DefaultAioHttpClient", None))


def _entra_token_provider(spec: AzureProvider) -> Any:
    try:
        from azure.identity.aio import (  # type: ignore[import-not-found,unused-ignore]
            DefaultAzureCredential,
            get_bearer_token_provider,
        )
    except ImportError as exc:
        raise ProviderError(
            f"provider '{spec.name}' uses Entra ID authentication, which needs azure-identity: "
            "pip install azure-identity (from a checkout of bench: pip install '.[azure]')",
            provider=spec.name,
        ) from exc
    return get_bearer_token_provider(
        DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default"
    )


class OpenAIChatProvider:
    """A ``Provider`` over ``AsyncOpenAI.chat.completions``."""

    def __init__(
        self,
        spec: OpenAIProvider | AzureProvider,
        client: openai.AsyncOpenAI,
        redactor: Redactor,
        *,
        stream: bool,
    ) -> None:
        self.spec: ProviderSpec = spec
        self._client = client
        self._redactor = redactor
        self._stream = stream

    def __repr__(self) -> str:
        return f"OpenAIChatProvider(name={self.spec.name!r}, model={self.spec.model!r})"

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """One chat completion (streamed when the spec says so)."""
        kwargs: dict[str, Any] = {
            "model": self.spec.model,
            "messages": openai_messages(request.messages),
        }
        if request.tools:
            kwargs["tools"] = openai_tools(request.tools)
        kwargs.update(self._sampling(generation_of(self.spec, request)))
        try:
            if self._stream:
                return await self._generate_stream(request, kwargs)
            # The SDK's documented low-level call (``client.post``) with the body as bytes:
            # its auth, headers, Azure deployment routing, timeout and status errors all
            # apply, but it skips the per-call TypedDict transform of the (already plain)
            # params and the response model layer, parsed here once instead. That is about
            # a third of a call's CPU at high concurrency (benchmarks/runtime_bench.py).
            body = await self._client.post(
                "/chat/completions", body=kwargs, cast_to=bytes, options=_CHAT_OPTIONS
            )
            return self._parse(request, self._json_object(body))
        except ProviderCallError:
            raise
        except Exception as exc:  # every SDK failure is translated here, once
            raise self._error(exc) from exc

    def _sampling(self, gen: Generation) -> dict[str, Any]:
        """The generation parameters as chat completions takes them (unset ones left out).

        OpenAI itself takes the output cap as ``max_completion_tokens`` (its reasoning models
        refuse ``max_tokens``); Azure API versions, Groq and compatible servers (vLLM, Ollama,
        llama.cpp) know ``max_tokens``.
        """
        native = isinstance(self.spec, OpenAIProvider) and self.spec.flavor == "openai"
        return sampling_params(gen, _NATIVE_NAMES if native else _COMPATIBLE_NAMES)

    def _json_object(self, body: bytes) -> dict[str, Any]:
        """A 200 body as a JSON object; anything else is a malformed response."""
        data = json_body(self.spec.name, body)
        if not isinstance(data, dict):
            raise self._malformed(f"not a JSON object: {body[:200]!r}")
        return data

    def _parse(self, request: ChatRequest, completion: dict[str, Any]) -> ChatResponse:
        choices = completion.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            raise self._malformed(f"no choices in the response: {str(completion)[:200]!r}")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise self._malformed(f"no message in the response: {str(completion)[:200]!r}")
        calls = [
            _tool_request(c.get("id"), str(f.get("name") or ""), f.get("arguments"))
            for c in (message.get("tool_calls") or [])
            if isinstance(c, dict) and isinstance(f := c.get("function"), dict)
        ]
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        usage = _usage_dict(completion.get("usage")) or estimated_usage(request, text, calls)
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=usage,
            model=completion.get("model") or self.spec.model,
            stop_reason=choices[0].get("finish_reason"),
        )

    async def _generate_stream(self, request: ChatRequest, kwargs: dict[str, Any]) -> ChatResponse:
        started = time.perf_counter()
        ttft: float | None = None
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage: TokenUsage | None = None
        model = self.spec.model
        finish: str | None = None
        # As create(stream=True) sends it, without the per-call transform of the params.
        stream = await self._client.post(
            "/chat/completions",
            body={**kwargs, "stream": True, "stream_options": {"include_usage": True}},
            cast_to=ChatCompletionChunk,
            options=_CHAT_OPTIONS,
            stream=True,
            stream_cls=openai.AsyncStream[ChatCompletionChunk],
        )
        chunks = 0
        async with stream:
            async for chunk in stream:
                chunks += 1
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = _usage_dict(chunk.usage.model_dump())
                for choice in chunk.choices:
                    delta = choice.delta
                    if ttft is None and (delta.content or delta.tool_calls):
                        ttft = (time.perf_counter() - started) * 1000.0
                    if delta.content:
                        text.append(delta.content)
                    for part in delta.tool_calls or []:
                        slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = part.id or slot["id"]
                        if part.function is not None:
                            slot["name"] += part.function.name or ""
                            slot["arguments"] += part.function.arguments or ""
                    finish = choice.finish_reason or finish
        if not chunks:
            # A 200 whose body holds no event (a plain JSON body, an HTML page from a proxy)
            # is not an empty answer.
            raise self._malformed("the streamed response held no chunk")
        if finish is None:
            raise call_error(self.spec.name, cut_off("no finish_reason"))
        requests = [
            _tool_request(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())
        ]
        joined = "".join(text)
        return ChatResponse(
            text=joined,
            tool_calls=requests,
            usage=usage or estimated_usage(request, joined, requests),
            model=model,
            ttft_ms=ttft,
            stop_reason=finish,
        )

    def _malformed(self, detail: str) -> ProviderCallError:
        return call_error(self.spec.name, malformed(detail))

    def _error(self, exc: Exception) -> ProviderCallError:
        return call_error(self.spec.name, self.classify(exc), self._redactor.redact)

    def classify(self, exc: BaseException) -> RetryDecision:
        """Map openai SDK exceptions (and transport errors) to a ``RetryDecision``."""
        if isinstance(exc, ProviderCallError):
            return exc.decision
        if isinstance(exc, openai.APITimeoutError):
            refused = refused_cause(exc)
            if refused is not None:  # the aiohttp transport reports a refusal as a timeout
                return decide(None, str(refused), connection=True)
            return decide(None, str(exc), timeout=True)
        if isinstance(exc, openai.APIConnectionError):
            return decide(None, str(exc.__cause__ or exc), connection=True)
        if isinstance(exc, openai.APIResponseValidationError):
            return RetryDecision(
                kind="fatal", message=f"malformed response from the API: {exc.message}"
            )
        if isinstance(exc, openai.APIStatusError):
            return decide(exc.status_code, exc.message, headers=dict(exc.response.headers))
        if isinstance(exc, json.JSONDecodeError):  # a 200 whose body is not JSON
            return malformed(f"invalid JSON ({exc})")
        transport = transport_decision(exc)
        if transport is not None:
            return transport
        if isinstance(exc, TimeoutError):
            return decide(None, str(exc), timeout=True)
        return decide(None, f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        """Close the SDK client's connection pool."""
        await self._client.close()


def _tool_request(call_id: str | None, name: str, raw: str | None) -> ToolRequest:
    arguments, unparsed = parse_arguments(raw)
    return ToolRequest(id=call_id or "", name=name, arguments=arguments, raw_arguments=unparsed)


def _usage_dict(usage: Any) -> TokenUsage | None:
    """A completion's ``usage`` object (JSON) as bench's ``TokenUsage``; None when absent."""
    if not isinstance(usage, dict) or usage.get("prompt_tokens") is None:
        return None
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return TokenUsage(
        input=int(usage.get("prompt_tokens") or 0),
        output=int(usage.get("completion_tokens") or 0),
        cached=int(cached or 0),
    )
