"""Anthropic messages through the official SDK, and Anthropic models on Amazon Bedrock.

Imported only by the registry's factory, so ``import runtime`` never loads ``anthropic``.
The SDK's own retries are off (``max_retries=0``): ``runtime/retry.py`` owns retrying.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Mapping
from typing import Any

import anthropic

from ..errors import ProviderError
from ..plan import AnthropicProvider, BedrockAnthropicProvider, ProviderSpec
from ..secrets import Redactor, resolve
from ..transcript import TokenUsage
from .base import ChatRequest, ChatResponse, RetryDecision, ToolRequest, generation_of
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
from .convert import anthropic_messages, anthropic_tools, parse_arguments, system_text
from .transport import aiohttp_client
from .usage import estimated_usage

__all__ = ["AnthropicMessagesProvider", "create"]

_CREATE_OPTIONS: Any = {}
"""Request options of the non-streamed post: none, as messages.create() sets none for the
parameters bench sends (headers, auth and the timeout are the client's own)."""


def create(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> AnthropicMessagesProvider:
    """Build the adapter for an ``anthropic`` or ``bedrock_anthropic`` spec."""
    redactor = Redactor()
    what = f"provider '{spec.name}'"
    timeout = spec.retry.timeout_ms / 1000.0 or None  # 0: no deadline (not zero seconds)
    client: Any
    if isinstance(spec, BedrockAnthropicProvider):
        client = _bedrock_client(spec, env, redactor, timeout)
        return AnthropicMessagesProvider(
            spec, client, redactor, max_tokens=spec.max_tokens, stream=spec.stream
        )
    if not isinstance(spec, AnthropicProvider):
        raise ProviderError(f"{what}: not an Anthropic provider ({spec.type})", provider=spec.name)
    key = resolve(spec.api_key, env, what=what, redactor=redactor)
    if key is None:
        raise ProviderError(
            f"{what}: an api_key is required (e.g. api_key: ${{ANTHROPIC_API_KEY}})",
            provider=spec.name,
        )
    client = anthropic.AsyncAnthropic(
        api_key=key, base_url=spec.base_url, max_retries=0, timeout=timeout, **_http_client()
    )
    return AnthropicMessagesProvider(
        spec, client, redactor, max_tokens=spec.max_tokens, stream=spec.stream
    )


def _bedrock_client(
    spec: BedrockAnthropicProvider,
    env: Mapping[str, str] | None,
    redactor: Redactor,
    timeout: float | None,
) -> Any:
    """``AsyncAnthropicBedrock`` for ``spec``, or a ``ProviderError`` saying what is missing."""
    what = f"provider '{spec.name}'"
    if any(importlib.util.find_spec(name) is None for name in ("boto3", "botocore")):
        # The SDK signs each request with boto3 and decodes the event stream with botocore.
        # anthropic's own extra, not bench's: it installs the versions the SDK declares into
        # whichever environment bench runs from (a checkout, the Action's venv), while the
        # name "bench" on PyPI belongs to an unrelated project.
        raise ProviderError(
            f"{what} uses Amazon Bedrock, which needs boto3 (the anthropic SDK signs requests "
            "with it): pip install 'anthropic[bedrock]' in the environment bench runs in",
            provider=spec.name,
        )
    try:
        return anthropic.AsyncAnthropicBedrock(
            aws_access_key=resolve(spec.access_key, env, what=what, redactor=redactor),
            aws_secret_key=resolve(spec.secret_key, env, what=what, redactor=redactor),
            aws_region=spec.region,
            base_url=spec.base_url,
            max_retries=0,
            timeout=timeout,
            # Signing happens on the request before the transport sends it, and the event
            # stream is decoded from its bytes: both work the same over aiohttp.
            **_http_client(),
        )
    except ValueError as exc:
        # No region from the suite, AWS_REGION or a profile; or keys next to an
        # AWS_BEARER_TOKEN_BEDROCK in the environment. The SDK's text names its own
        # arguments, so say which suite key sets the region.
        hint = " (in the suite: location: us-east-1)" if spec.region is None else ""
        raise ProviderError(f"{what}: {exc}{hint}", provider=spec.name) from exc


def _http_client() -> dict[str, Any]:
    """The SDK's aiohttp transport (``anthropic[aiohttp]``) on asyncio, else the SDK's default
    (the choice and its reasons: runtime/providers/transport.py)."""
    return aiohttp_client(getattr(anthropic, "DefaultAioHttpClient", None))


class AnthropicMessagesProvider:
    """A ``Provider`` over ``AsyncAnthropic.messages`` (or its Bedrock twin)."""

    def __init__(
        self,
        spec: AnthropicProvider | BedrockAnthropicProvider,
        client: Any,
        redactor: Redactor,
        *,
        max_tokens: int,
        stream: bool = False,
    ) -> None:
        self.spec: ProviderSpec = spec
        self._client = client
        self._redactor = redactor
        self._max_tokens = max_tokens
        self._stream = stream

    def __repr__(self) -> str:
        return f"AnthropicMessagesProvider(name={self.spec.name!r}, model={self.spec.model!r})"

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """One messages call (streamed when the spec says so)."""
        # In messages.create()'s order, so the body is byte for byte the one it sends.
        gen = generation_of(self.spec, request)
        body: dict[str, Any] = {
            "max_tokens": gen.max_tokens if gen.max_tokens is not None else self._max_tokens,
            "messages": anthropic_messages(request.messages),
            "model": self.spec.model,
        }
        if gen.stop:
            body["stop_sequences"] = list(gen.stop)
        system = system_text(request.messages)
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = anthropic_tools(request.tools)
        # The messages API takes no temperature, top_p or seed (the compiler warns).
        try:
            if self._stream:
                return await self._generate_stream(request, body)
            # The SDK's documented low-level call (``client.post``) to the path
            # messages.create() posts to, the answer as bytes: its auth, headers
            # (anthropic-version), timeout, status errors and Bedrock's rewrite of the path
            # to /model/{id}/invoke (with SigV4 signing) all apply, but the response model
            # layer is skipped: the JSON is read once, here (about a third of a call's CPU).
            raw = await self._client.post(
                "/v1/messages", body=body, cast_to=bytes, options=_CREATE_OPTIONS
            )
            return self._parse(request, self._json_message(raw))
        except ProviderCallError:
            raise
        except Exception as exc:  # every SDK failure is translated here, once
            raise call_error(self.spec.name, self.classify(exc), self._redactor.redact) from exc

    def _json_message(self, raw: bytes) -> dict[str, Any]:
        """A 200 body as a message's JSON object; anything else is a malformed response."""
        message = json_body(self.spec.name, raw)
        if not isinstance(message, dict) or not isinstance(message.get("content"), list):
            raise self._malformed(f"no content: {raw[:200].decode('utf-8', 'replace')!r}")
        return message

    def _parse(self, request: ChatRequest, message: dict[str, Any]) -> ChatResponse:
        texts: list[str] = []
        calls: list[ToolRequest] = []
        for block in message["content"]:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                text = block.get("text")
                if not isinstance(text, str):
                    raise self._malformed(f"a text block without text: {str(block)[:200]!r}")
                texts.append(text)
            elif kind == "tool_use":
                call_id, name, arguments = block.get("id"), block.get("name"), block.get("input")
                if not isinstance(call_id, str) or not isinstance(name, str):
                    raise self._malformed(
                        f"a tool_use block without an id or name: {str(block)[:200]!r}"
                    )
                arguments = arguments if isinstance(arguments, dict) else {}
                calls.append(ToolRequest(id=call_id, name=name, arguments=arguments))
            # Other blocks (thinking, redacted_thinking, server tool results) are not the answer.
        text = "".join(texts)
        usage = _usage(message.get("usage")) or estimated_usage(request, text, calls)
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=usage,
            model=message.get("model") or self.spec.model,
            stop_reason=message.get("stop_reason"),
        )

    def _malformed(self, detail: str) -> ProviderCallError:
        return call_error(self.spec.name, malformed(detail))

    async def _generate_stream(self, request: ChatRequest, body: dict[str, Any]) -> ChatResponse:
        """One ``stream=True`` messages call, its server-sent events folded into a response.

        The raw event stream rather than ``messages.stream()``: that helper re-parses the
        partial tool input JSON on every delta; here each block's JSON is parsed once, at
        the end. ``ttft_ms`` is the time to the first answer content (a text delta or a tool
        call's start); thinking deltas are not the answer and do not count.
        """
        started = time.perf_counter()
        ttft: float | None = None
        blocks: dict[int, _Block] = {}
        usage: dict[str, int] = {}
        model = self.spec.model
        stop: str | None = None
        started_message = False
        stream = await self._client.messages.create(**body, stream=True)
        async with stream:
            async for event in stream:
                kind = event.type
                if kind == "message_start":
                    started_message = True
                    model = event.message.model or model
                    _merge_usage(usage, event.message.usage)
                elif kind == "content_block_start":
                    block = _Block.start(event.content_block)
                    blocks[event.index] = block
                    if ttft is None and block.kind == "tool_use":
                        ttft = (time.perf_counter() - started) * 1000.0
                elif kind == "content_block_delta":
                    delta = event.delta
                    slot = blocks.setdefault(event.index, _Block("text"))
                    if delta.type == "text_delta" and delta.text:
                        slot.parts.append(delta.text)
                    elif delta.type == "input_json_delta":
                        slot.parts.append(delta.partial_json)
                    else:
                        continue  # thinking, signatures, citations: not the answer
                    if ttft is None:
                        ttft = (time.perf_counter() - started) * 1000.0
                elif kind == "message_delta":
                    stop = event.delta.stop_reason or stop
                    _merge_usage(usage, event.usage)
        if not started_message:
            raise self._malformed("the stream ended with no message")
        if stop is None:
            raise call_error(self.spec.name, cut_off("no stop_reason, no message_stop"))
        return self._streamed_response(request, blocks, usage, model, stop, ttft)

    def _streamed_response(
        self,
        request: ChatRequest,
        blocks: dict[int, _Block],
        usage: dict[str, int],
        model: str,
        stop: str | None,
        ttft: float | None,
    ) -> ChatResponse:
        texts: list[str] = []
        calls: list[ToolRequest] = []
        for _, block in sorted(blocks.items()):
            if block.kind == "text":
                texts.append("".join(block.parts))
            elif block.kind == "tool_use":
                arguments, raw = parse_arguments("".join(block.parts) or block.initial)
                calls.append(
                    ToolRequest(
                        id=block.id, name=block.name, arguments=arguments, raw_arguments=raw
                    )
                )
        text = "".join(texts)
        tokens = _usage_from(usage) or estimated_usage(request, text, calls)
        return ChatResponse(
            text=text, tool_calls=calls, usage=tokens, model=model, ttft_ms=ttft, stop_reason=stop
        )

    def classify(self, exc: BaseException) -> RetryDecision:
        """Map anthropic SDK exceptions (and transport errors) to a ``RetryDecision``."""
        if isinstance(exc, ProviderCallError):
            return exc.decision
        if isinstance(exc, anthropic.APITimeoutError):
            refused = refused_cause(exc)
            if refused is not None:  # an aiohttp transport may report a refusal as a timeout
                return decide(None, str(refused), connection=True)
            return decide(None, str(exc), timeout=True)
        if isinstance(exc, anthropic.APIConnectionError):
            return decide(None, str(exc.__cause__ or exc), connection=True)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return malformed(exc.message)
        if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
            # An ``error`` event in a stream that began with 200: its type says what it is.
            return self._stream_error(exc)
        if isinstance(exc, anthropic.APIStatusError):
            # 529 "overloaded" is Anthropic's transient capacity error (5xx, so transient).
            text = exc.api_message or _aws_error_text(exc) or exc.message
            return decide(exc.status_code, text, headers=dict(exc.response.headers))
        if isinstance(exc, json.JSONDecodeError):  # a 200 whose body is not JSON
            return malformed(f"invalid JSON ({exc})")
        if type(exc).__module__ == "botocore.eventstream":
            # Bedrock's event stream, decoded by botocore: a frame failing its CRC or length
            # checks is a broken response (ChecksumMismatch, InvalidPayloadLength, ...).
            return malformed(f"{type(exc).__name__}: {exc}")
        transport = transport_decision(exc)
        if transport is not None:
            return transport
        if isinstance(exc, TimeoutError):
            return decide(None, str(exc), timeout=True)
        return decide(None, f"{type(exc).__name__}: {exc}")

    def _stream_error(self, exc: anthropic.APIStatusError) -> RetryDecision:
        error = exc.body.get("error") if isinstance(exc.body, dict) else None
        kind = error.get("type") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        status = _STREAM_ERROR_STATUS.get(str(kind), 500 if kind is None else 400)
        return decide(status, f"{kind}: {message or exc.message}", headers=None)

    async def aclose(self) -> None:
        """Close the SDK client's connection pool."""
        await self._client.close()


def _aws_error_text(exc: anthropic.APIStatusError) -> str | None:
    """Bedrock's error as "ThrottlingException: Too many requests" (None when not AWS-shaped).

    AWS answers ``{"message": ...}`` with the error type in ``x-amzn-ErrorType``
    ("ThrottlingException:http://internal.amazon.com/..."), not Anthropic's ``error`` object.
    """
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return None
    kind = exc.response.headers.get("x-amzn-errortype", "").split(":", 1)[0]
    return f"{kind}: {message}" if kind else message


_STREAM_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
    # Bedrock's exception frames (InvokeModelWithResponseStream's ResponseStream), which the
    # SDK's decoder hands on as ``error`` events of that type; statuses from its service model.
    "throttlingException": 429,
    "internalServerException": 500,
    "serviceUnavailableException": 503,
    "modelTimeoutException": 408,
    "validationException": 400,
    "modelStreamErrorException": 424,
}
"""HTTP status of each documented Anthropic (and Bedrock) error type sent inside a stream."""


class _Block:
    """One content block of a streamed message, as its deltas arrive."""

    __slots__ = ("id", "initial", "kind", "name", "parts")

    def __init__(self, kind: str, id: str = "", name: str = "", initial: Any = None) -> None:
        self.kind = kind
        self.id = id
        self.name = name
        self.initial = initial
        """A tool_use block's ``input`` as started (used when no JSON delta follows)."""
        self.parts: list[str] = []

    @classmethod
    def start(cls, block: Any) -> _Block:
        """The state for a ``content_block_start`` event's block."""
        kind = getattr(block, "type", "")
        if kind == "tool_use":
            initial = block.input if isinstance(block.input, dict) and block.input else None
            return cls(kind, id=block.id, name=block.name, initial=initial)
        out = cls(kind)
        if kind == "text" and getattr(block, "text", ""):
            out.parts.append(block.text)
        return out


def _merge_usage(into: dict[str, int], usage: Any) -> None:
    """Keep the latest value of each count (message_delta's counts are cumulative).

    ``usage`` is a streamed event's SDK object or a whole message's JSON object.
    """
    if usage is None:
        return
    for key in (
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ):
        value = usage.get(key) if isinstance(usage, dict) else getattr(usage, key, None)
        if value is not None:
            into[key] = int(value)


def _usage_from(counts: dict[str, int]) -> TokenUsage | None:
    if "input_tokens" not in counts:
        return None
    # Anthropic's input_tokens excludes cache reads and writes; bench's input counts the
    # whole prompt (as OpenAI's prompt_tokens does), with the cached part in ``cached``.
    cached = counts.get("cache_read_input_tokens", 0)
    written = counts.get("cache_creation_input_tokens", 0)
    return TokenUsage(
        input=counts["input_tokens"] + cached + written,
        output=counts.get("output_tokens", 0),
        cached=cached,
    )


def _usage(usage: Any) -> TokenUsage | None:
    """A whole message's ``usage`` (JSON) as bench's ``TokenUsage`` (None when it has no input)."""
    counts: dict[str, int] = {}
    _merge_usage(counts, usage)
    return _usage_from(counts)
