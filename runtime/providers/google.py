"""Gemini through the official google-genai SDK: the Gemini API (GOOGLE) and Vertex AI (VERTEX).

Imported only by the registry's factory, so ``import runtime`` never loads ``google.genai``.
The SDK's own retries are off (one attempt): ``runtime/retry.py`` owns retrying. Tool schemas
go through ``convert.gemini_schema`` since Gemini accepts only an OpenAPI subset.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import pydantic
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..errors import ProviderError
from ..plan import GoogleProvider, ProviderSpec, VertexProvider
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
    malformed,
    transport_decision,
)
from .convert import gemini_contents, gemini_tools, system_text
from .usage import estimated_usage

__all__ = ["GeminiProvider", "create"]

_CONFIG_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_output_tokens",
    "seed": "seed",
    "stop": "stop_sequences",
}
"""Generation parameters as GenerateContentConfig names them."""


def _http_options(spec: GoogleProvider | VertexProvider) -> types.HttpOptions:
    return types.HttpOptions(
        base_url=spec.base_url,
        timeout=spec.retry.timeout_ms or None,  # milliseconds; 0: no deadline
        retry_options=types.HttpRetryOptions(attempts=1),
    )


def create(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> GeminiProvider:
    """Build the adapter for a ``google`` or ``vertex`` spec."""
    redactor = Redactor()
    what = f"provider '{spec.name}'"
    if isinstance(spec, VertexProvider):
        credentials = None
        path = resolve(spec.credentials_path, env, what=what)
        if path:
            credentials = _service_account(spec, path)
        client = genai.Client(
            vertexai=True,
            project=spec.project_id,
            location=spec.location,
            credentials=credentials,
            http_options=_http_options(spec),
        )
        return GeminiProvider(spec, client, redactor)
    if not isinstance(spec, GoogleProvider):
        raise ProviderError(f"{what}: not a Gemini provider ({spec.type})", provider=spec.name)
    key = resolve(spec.api_key, env, what=what, redactor=redactor)
    if key is None:
        raise ProviderError(
            f"{what}: an api_key is required (e.g. api_key: ${{GOOGLE_API_KEY}})",
            provider=spec.name,
        )
    client = genai.Client(api_key=key, http_options=_http_options(spec))
    return GeminiProvider(spec, client, redactor)


def _service_account(spec: VertexProvider, path: str) -> Any:
    from google.oauth2 import service_account

    try:
        return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            path, scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    except (OSError, ValueError) as exc:
        raise ProviderError(
            f"provider '{spec.name}': cannot read Vertex credentials from {path}: {exc}",
            provider=spec.name,
        ) from exc


class GeminiProvider:
    """A ``Provider`` over ``genai.Client.aio.models.generate_content``."""

    def __init__(
        self, spec: GoogleProvider | VertexProvider, client: genai.Client, redactor: Redactor
    ) -> None:
        self.spec: ProviderSpec = spec
        self._client = client
        self._redactor = redactor
        self._stream = spec.stream

    def __repr__(self) -> str:
        return f"GeminiProvider(name={self.spec.name!r}, model={self.spec.model!r})"

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """One generateContent call (streamGenerateContent when the spec says so)."""
        config: dict[str, Any] = {
            # bench's loop runs the tools; the SDK must not call Python functions itself.
            "automatic_function_calling": {"disable": True},
        }
        system = system_text(request.messages)
        if system:
            config["system_instruction"] = system
        if request.tools:
            config["tools"] = gemini_tools(request.tools)
        config.update(sampling_params(generation_of(self.spec, request), _CONFIG_NAMES))
        try:
            if self._stream:
                return await self._generate_stream(request, config)
            response = await self._client.aio.models.generate_content(
                model=self.spec.model,
                contents=gemini_contents(request.messages),
                config=config,  # type: ignore[arg-type]
            )
            return self._parse(request, response)
        except ProviderCallError:
            raise
        except Exception as exc:  # every SDK failure is translated here, once
            raise call_error(self.spec.name, self.classify(exc), self._redactor.redact) from exc

    async def _generate_stream(self, request: ChatRequest, config: dict[str, Any]) -> ChatResponse:
        """One streamGenerateContent call, its chunks folded into one response.

        Each chunk carries some parts of the first candidate; usage metadata is cumulative,
        so the last chunk that has it is the call's. ``ttft_ms`` is the time to the first
        answer part (text or a function call); thought parts do not count.
        """
        started = time.perf_counter()
        ttft: float | None = None
        texts: list[str] = []
        calls: list[ToolRequest] = []
        meta: Any = None
        model = self.spec.model
        reason: Any = None
        seen = False
        stream = await self._client.aio.models.generate_content_stream(
            model=self.spec.model,
            contents=gemini_contents(request.messages),
            config=config,  # type: ignore[arg-type]
        )
        async for chunk in stream:
            seen = True
            meta = getattr(chunk, "usage_metadata", None) or meta
            model = getattr(chunk, "model_version", None) or model
            for candidate in (getattr(chunk, "candidates", None) or [])[:1]:
                reason = candidate.finish_reason or reason
                before = len(texts) + len(calls)
                _collect(getattr(candidate.content, "parts", None) or [], texts, calls)
                if ttft is None and len(texts) + len(calls) > before:
                    ttft = (time.perf_counter() - started) * 1000.0
        if not seen:
            raise call_error(self.spec.name, malformed("the stream ended with no chunk"))
        if reason is None:
            raise call_error(self.spec.name, cut_off("no finish_reason"))
        text = "".join(texts)
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=_usage(meta) or estimated_usage(request, text, calls),
            model=model,
            ttft_ms=ttft,
            stop_reason=_reason(reason),
        )

    def _parse(self, request: ChatRequest, response: Any) -> ChatResponse:
        candidates = getattr(response, "candidates", None)
        if not candidates:
            feedback = getattr(response, "prompt_feedback", None)
            raise call_error(
                self.spec.name, malformed(f"no candidates (prompt feedback: {feedback})")
            )
        candidate = candidates[0]
        texts: list[str] = []
        calls: list[ToolRequest] = []
        _collect(getattr(candidate.content, "parts", None) or [], texts, calls)
        text = "".join(texts)
        usage = _usage(getattr(response, "usage_metadata", None)) or estimated_usage(
            request, text, calls
        )
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=usage,
            model=getattr(response, "model_version", None) or self.spec.model,
            stop_reason=_reason(candidate.finish_reason),
        )

    def classify(self, exc: BaseException) -> RetryDecision:
        """Map google-genai exceptions (and transport errors) to a ``RetryDecision``."""
        if isinstance(exc, ProviderCallError):
            return exc.decision
        if isinstance(exc, genai_errors.APIError):
            headers = getattr(getattr(exc, "response", None), "headers", None)
            text = exc.message or str(exc)
            return decide(exc.code, text, headers=dict(headers) if headers else None)
        if isinstance(exc, genai_errors.UnknownApiResponseError):  # e.g. an SSE chunk not JSON
            return malformed(f"invalid JSON ({exc})")
        if isinstance(exc, pydantic.ValidationError):
            return malformed(f"unexpected response shape ({exc.error_count()} validation errors)")
        if type(exc).__module__.startswith("google.auth"):
            return RetryDecision(kind="fatal", message=f"Google authentication failed: {exc}")
        transport = transport_decision(exc)
        if transport is not None:
            return transport
        if isinstance(exc, TimeoutError):
            return decide(None, str(exc), timeout=True)
        if isinstance(exc, json.JSONDecodeError):  # a 200 whose body is not JSON
            return malformed(f"invalid JSON ({exc})")
        return decide(None, f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        """Close the SDK's async client."""
        await self._client.aio.aclose()


def _collect(parts: list[Any], texts: list[str], calls: list[ToolRequest]) -> None:
    """Append the answer text and function calls of ``parts`` (thought parts skipped)."""
    for part in parts:
        if getattr(part, "thought", None):
            continue  # thinking summaries are not the answer
        if part.text:
            texts.append(part.text)
        if part.function_call is not None:
            call = part.function_call
            calls.append(
                ToolRequest(
                    # Gemini API calls often carry no id; bench needs one to pair results.
                    id=call.id or f"call_{uuid.uuid4().hex[:12]}",
                    name=call.name or "",
                    arguments=dict(call.args or {}),
                )
            )


def _reason(reason: Any) -> str | None:
    if not reason:
        return None
    return str(reason.value if hasattr(reason, "value") else reason)


def _usage(meta: Any) -> TokenUsage | None:
    if meta is None or getattr(meta, "prompt_token_count", None) is None:
        return None
    # Thinking tokens are billed as output.
    output = (meta.candidates_token_count or 0) + (getattr(meta, "thoughts_token_count", 0) or 0)
    return TokenUsage(
        input=int(meta.prompt_token_count or 0),
        output=int(output),
        cached=int(getattr(meta, "cached_content_token_count", 0) or 0),
    )
