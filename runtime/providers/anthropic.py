"""Anthropic messages through the official SDK, and Anthropic models on Amazon Bedrock.

Imported only by the registry's factory, so ``import runtime`` never loads ``anthropic``.
The SDK's own retries are off (``max_retries=0``): ``runtime/retry.py`` owns retrying.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import Any

import anthropic

from ..errors import ProviderError
from ..plan import AnthropicProvider, BedrockAnthropicProvider, ProviderSpec
from ..secrets import Redactor, resolve
from ..transcript import TokenUsage
from .base import ChatRequest, ChatResponse, RetryDecision, ToolRequest
from .classify import (
    ProviderCallError,
    call_error,
    decide,
    malformed,
    transport_decision,
)
from .convert import anthropic_messages, anthropic_tools, system_text
from .usage import estimated_usage

__all__ = ["AnthropicMessagesProvider", "create"]


def create(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> AnthropicMessagesProvider:
    """Build the adapter for an ``anthropic`` or ``bedrock_anthropic`` spec."""
    redactor = Redactor()
    what = f"provider '{spec.name}'"
    timeout = spec.retry.timeout_ms / 1000.0
    client: Any
    if isinstance(spec, BedrockAnthropicProvider):
        if importlib.util.find_spec("botocore") is None:
            raise ProviderError(
                f"{what} uses Amazon Bedrock, which needs boto3: pip install 'anthropic[bedrock]'",
                provider=spec.name,
            )
        client = anthropic.AsyncAnthropicBedrock(
            aws_access_key=resolve(spec.access_key, env, what=what, redactor=redactor),
            aws_secret_key=resolve(spec.secret_key, env, what=what, redactor=redactor),
            aws_region=spec.region,
            base_url=spec.base_url,
            max_retries=0,
            timeout=timeout,
        )
        return AnthropicMessagesProvider(spec, client, redactor, max_tokens=spec.max_tokens)
    if not isinstance(spec, AnthropicProvider):
        raise ProviderError(f"{what}: not an Anthropic provider ({spec.type})", provider=spec.name)
    key = resolve(spec.api_key, env, what=what, redactor=redactor)
    if key is None:
        raise ProviderError(
            f"{what}: an api_key is required (e.g. api_key: ${{ANTHROPIC_API_KEY}})",
            provider=spec.name,
        )
    client = anthropic.AsyncAnthropic(
        api_key=key, base_url=spec.base_url, max_retries=0, timeout=timeout
    )
    return AnthropicMessagesProvider(spec, client, redactor, max_tokens=spec.max_tokens)


class AnthropicMessagesProvider:
    """A ``Provider`` over ``AsyncAnthropic.messages`` (or its Bedrock twin)."""

    def __init__(
        self,
        spec: AnthropicProvider | BedrockAnthropicProvider,
        client: Any,
        redactor: Redactor,
        *,
        max_tokens: int,
    ) -> None:
        self.spec: ProviderSpec = spec
        self._client = client
        self._redactor = redactor
        self._max_tokens = max_tokens

    def __repr__(self) -> str:
        return f"AnthropicMessagesProvider(name={self.spec.name!r}, model={self.spec.model!r})"

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """One messages call."""
        kwargs: dict[str, Any] = {
            "model": self.spec.model,
            "max_tokens": self._max_tokens,
            "messages": anthropic_messages(request.messages),
        }
        system = system_text(request.messages)
        if system:
            kwargs["system"] = system
        if request.tools:
            kwargs["tools"] = anthropic_tools(request.tools)
        try:
            message = await self._client.messages.create(**kwargs)
            return self._parse(request, message)
        except ProviderCallError:
            raise
        except Exception as exc:  # every SDK failure is translated here, once
            raise call_error(self.spec.name, self.classify(exc), self._redactor.redact) from exc

    def _parse(self, request: ChatRequest, message: Any) -> ChatResponse:
        content = getattr(message, "content", None)
        if not isinstance(content, list):
            raise call_error(self.spec.name, malformed(f"no content: {str(message)[:200]!r}"))
        texts: list[str] = []
        calls: list[ToolRequest] = []
        for block in content:
            kind = getattr(block, "type", None)
            if kind == "text":
                texts.append(block.text)
            elif kind == "tool_use":
                arguments = block.input if isinstance(block.input, dict) else {}
                calls.append(ToolRequest(id=block.id, name=block.name, arguments=arguments))
        text = "".join(texts)
        usage = _usage(getattr(message, "usage", None)) or estimated_usage(request, text, calls)
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=usage,
            model=getattr(message, "model", None) or self.spec.model,
            stop_reason=getattr(message, "stop_reason", None),
        )

    def classify(self, exc: BaseException) -> RetryDecision:
        """Map anthropic SDK exceptions (and transport errors) to a ``RetryDecision``."""
        if isinstance(exc, ProviderCallError):
            return exc.decision
        if isinstance(exc, anthropic.APITimeoutError):
            return decide(None, str(exc), timeout=True)
        if isinstance(exc, anthropic.APIConnectionError):
            return decide(None, str(exc.__cause__ or exc), connection=True)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return malformed(exc.message)
        if isinstance(exc, anthropic.APIStatusError):
            # 529 "overloaded" is Anthropic's transient capacity error (5xx, so transient).
            text = exc.api_message or exc.message
            return decide(exc.status_code, text, headers=dict(exc.response.headers))
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


def _usage(usage: Any) -> TokenUsage | None:
    if usage is None or getattr(usage, "input_tokens", None) is None:
        return None
    # Anthropic's input_tokens excludes cache reads and writes; bench's input counts the
    # whole prompt (as OpenAI's prompt_tokens does), with the cached part in ``cached``.
    cached = int(getattr(usage, "cache_read_input_tokens", None) or 0)
    written = int(getattr(usage, "cache_creation_input_tokens", None) or 0)
    return TokenUsage(
        input=int(usage.input_tokens or 0) + cached + written,
        output=int(usage.output_tokens or 0),
        cached=cached,
    )
