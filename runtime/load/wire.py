"""Each provider family's streaming request and event format, as the load generator speaks it.

The generator sends raw HTTP (runtime/load/client.py says why not the SDKs), so this module
holds what the SDKs would otherwise know: the URL, the auth header, the request body with
streaming on, and how one server-sent event reads (content or not, token counts, an error).

- OpenAI chat completions (OpenAI, Groq, Azure with an API key, any compatible server: vLLM,
  llama.cpp, Ollama, TGI): ``stream: true`` with ``stream_options.include_usage``.
- Anthropic messages: ``stream: true``; ``message_start`` and ``message_delta`` carry usage.
- Gemini (API key): ``:streamGenerateContent?alt=sse``; ``usageMetadata`` is cumulative.

Vertex AI, Bedrock and Azure with Entra ID sign or mint credentials through their SDKs'
auth libraries; ``bench load`` refuses them with a clear error rather than half-supporting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..errors import InputError
from ..plan import (
    AnthropicProvider,
    AzureProvider,
    GoogleProvider,
    OpenAIProvider,
    ProviderSpec,
)
from ..secrets import Redactor, resolve

__all__ = ["Event", "Wire", "http_class", "wire_for"]

_OPENAI = "https://api.openai.com/v1"
_GROQ = "https://api.groq.com/openai/v1"
_ANTHROPIC = "https://api.anthropic.com"
_GEMINI = "https://generativelanguage.googleapis.com"
_ANTHROPIC_VERSION = "2023-06-01"
_UNUSED_KEY = "unused"


@dataclass(slots=True)
class Event:
    """What one server-sent event said."""

    content: str = ""
    """Text (or tool-call argument) delta; empty when the event carries none."""
    output_tokens: int | None = None
    input_tokens: int | None = None
    error: str | None = None
    """An error class when the event reports a failure inside the stream."""
    done: bool = False
    """The event ends the answer (a finish reason, ``message_stop``, ``[DONE]``)."""


@dataclass(frozen=True)
class Wire:
    """One provider's streaming endpoint: where to send, how, and how to read the events."""

    family: str
    """``openai``, ``anthropic`` or ``gemini``."""
    url: str
    headers: Mapping[str, str]
    model: str
    token_field: str
    """The output cap's name in the body (``max_tokens`` / ``max_completion_tokens``)."""
    default_max_tokens: int | None = None
    """The cap sent when none is given (Anthropic requires one: the provider's)."""

    def body(self, prompt: str, max_tokens: int | None) -> bytes:
        """The request body for one prompt as a single user message."""
        data: dict[str, Any]
        if max_tokens is None:
            max_tokens = self.default_max_tokens
        if self.family == "gemini":
            data = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
            if max_tokens is not None:
                data["generationConfig"] = {"maxOutputTokens": max_tokens}
        else:
            data = {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "stream": True,
            }
            if self.family == "openai":
                data["stream_options"] = {"include_usage": True}
            if max_tokens is not None:
                data[self.token_field] = max_tokens
        return json.dumps(data, separators=(",", ":")).encode()

    def parse(self, data: bytes) -> Event:
        """Read one event's ``data:`` payload (raises ValueError when it is not JSON)."""
        if self.family == "openai":
            return _openai_event(data)
        if self.family == "anthropic":
            return _anthropic_event(data)
        return _gemini_event(data)


def _openai_event(data: bytes) -> Event:
    if data.strip() == b"[DONE]":
        return Event(done=True)
    obj = json.loads(data)
    ev = Event()
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if "error" in obj:
        ev.error = _error_class(obj["error"])
        return ev
    usage = obj.get("usage")
    if isinstance(usage, dict):
        ev.output_tokens = _int(usage.get("completion_tokens"))
        ev.input_tokens = _int(usage.get("prompt_tokens"))
    for choice in obj.get("choices") or ():
        delta = choice.get("delta") or {}
        text = delta.get("content") or delta.get("reasoning_content") or ""
        for call in delta.get("tool_calls") or ():
            fn = call.get("function") or {}
            text += (fn.get("name") or "") + (fn.get("arguments") or "")
        ev.content += text
        if choice.get("finish_reason"):
            ev.done = True
    return ev


def _anthropic_event(data: bytes) -> Event:
    obj = json.loads(data)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    kind = obj.get("type")
    ev = Event()
    if kind == "content_block_delta":
        delta = obj.get("delta") or {}
        ev.content = delta.get("text") or delta.get("partial_json") or delta.get("thinking") or ""
    elif kind == "message_start":
        usage = (obj.get("message") or {}).get("usage") or {}
        ev.input_tokens = _int(usage.get("input_tokens"))
        if ev.input_tokens is not None:
            ev.input_tokens += _int(usage.get("cache_read_input_tokens")) or 0
    elif kind == "message_delta":
        ev.output_tokens = _int((obj.get("usage") or {}).get("output_tokens"))
    elif kind == "message_stop":
        ev.done = True
    elif kind == "error":
        ev.error = _error_class(obj.get("error"))
    return ev


def _gemini_event(data: bytes) -> Event:
    obj = json.loads(data)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    ev = Event()
    if "error" in obj:
        ev.error = _error_class(obj["error"])
        return ev
    usage = obj.get("usageMetadata")
    if isinstance(usage, dict):
        ev.output_tokens = _int(usage.get("candidatesTokenCount"))
        ev.input_tokens = _int(usage.get("promptTokenCount"))
    for cand in obj.get("candidates") or ():
        for part in (cand.get("content") or {}).get("parts") or ():
            if "text" in part:
                ev.content += str(part["text"])
            elif "functionCall" in part:
                ev.content += json.dumps(part["functionCall"])
        if cand.get("finishReason"):
            ev.done = True
    return ev


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_class(error: Any) -> str:
    """An in-stream error as one of the HTTP classes when it says which, else ``stream``."""
    if isinstance(error, dict):
        code = error.get("code")
        kind = str(error.get("type") or error.get("status") or "")
        if isinstance(code, int) and 400 <= code < 600:
            return http_class(code)
        if "rate_limit" in kind or kind == "RESOURCE_EXHAUSTED":
            return "http_429"
        if kind in ("overloaded_error", "api_error", "UNAVAILABLE", "INTERNAL"):
            return "http_5xx"
    return "stream"


def http_class(status: int) -> str:
    """``http_429``, ``http_4xx`` or ``http_5xx`` for an error status."""
    if status == 429:
        return "http_429"
    return "http_5xx" if status >= 500 else "http_4xx"


def wire_for(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> Wire:
    """The streaming endpoint of ``spec``, its key resolved from ``env`` (the environment)."""
    what = f"provider '{spec.name}'"
    redactor = Redactor()
    if isinstance(spec, OpenAIProvider):
        key = resolve(spec.api_key, env, what=what, redactor=redactor)
        if key is None and spec.flavor != "compatible":
            raise InputError(f"{what}: an api_key is required for {spec.flavor}")
        base = spec.base_url or (_GROQ if spec.flavor == "groq" else _OPENAI)
        return Wire(
            family="openai",
            url=base.rstrip("/") + "/chat/completions",
            headers=_json_headers({"authorization": f"Bearer {key or _UNUSED_KEY}"}),
            model=spec.model,
            token_field="max_completion_tokens" if spec.flavor == "openai" else "max_tokens",
        )
    if isinstance(spec, AzureProvider) and spec.auth == "api_key":
        key = resolve(spec.api_key, env, what=what, redactor=redactor)
        if key is None:
            raise InputError(f"{what}: azure with auth api_key needs an api_key")
        url = (
            f"{spec.base_url.rstrip('/')}/openai/deployments/{quote(spec.model, safe='')}"
            f"/chat/completions?api-version={quote(spec.api_version, safe='')}"
        )
        return Wire("openai", url, _json_headers({"api-key": key}), spec.model, "max_tokens")
    if isinstance(spec, AnthropicProvider):
        key = resolve(spec.api_key, env, what=what, redactor=redactor)
        if key is None:
            raise InputError(f"{what}: an api_key is required for anthropic")
        headers = {"x-api-key": key, "anthropic-version": _ANTHROPIC_VERSION}
        return Wire(
            family="anthropic",
            url=(spec.base_url or _ANTHROPIC).rstrip("/") + "/v1/messages",
            headers=_json_headers(headers),
            model=spec.model,
            token_field="max_tokens",
            default_max_tokens=spec.max_tokens,
        )
    if isinstance(spec, GoogleProvider):
        key = resolve(spec.api_key, env, what=what, redactor=redactor)
        if key is None:
            raise InputError(f"{what}: an api_key is required for google")
        url = (
            f"{(spec.base_url or _GEMINI).rstrip('/')}/v1beta/models/"
            f"{quote(spec.model, safe='')}:streamGenerateContent?alt=sse"
        )
        return Wire("gemini", url, _json_headers({"x-goog-api-key": key}), spec.model, "")
    raise InputError(
        f"{what}: bench load speaks the OpenAI-compatible, Anthropic and Gemini (API key) "
        f"streaming APIs; a {spec.type} provider"
        + (" with Entra ID auth" if isinstance(spec, AzureProvider) else "")
        + " is not supported"
    )


def _json_headers(auth: Mapping[str, str]) -> dict[str, str]:
    return {"content-type": "application/json", "accept": "text/event-stream", **auth}
