"""Reading token usage, model and first-token time out of LLM responses as they stream past.

The proxy never changes a byte it forwards; it feeds a copy of each chunk to a ``Meter``,
which understands four wire formats:

- ``openai_chat``: OpenAI chat completions (``/chat/completions``), JSON or SSE; usage from
  ``usage`` (streams carry it in a last chunk when the agent asked for
  ``stream_options.include_usage``).
- ``openai_responses``: the OpenAI responses API (``/responses``), JSON or SSE; usage from
  ``response.usage`` in the ``response.completed`` event.
- ``anthropic``: Anthropic messages (``/messages``), JSON or SSE; input counts in
  ``message_start``, output counts (cumulative) in ``message_delta``.
- ``gemini``: Gemini ``:generateContent`` (JSON) and ``:streamGenerateContent`` (SSE with
  ``alt=sse``, else one JSON array streamed); the last ``usageMetadata`` wins.

Token counts follow bench's convention (runtime/providers): ``input`` is the whole prompt,
cached part included, and ``cached`` is that cached part. When a response reports no usage at
all (an OpenAI stream without ``include_usage``), both counts are estimated at chars / 4 and
marked ``estimated``.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Literal

from ..transcript import TokenUsage

__all__ = ["Meter", "Wire", "detect_wire"]

Wire = Literal["openai_chat", "openai_responses", "anthropic", "gemini"]
"""The LLM wire formats the proxy measures."""

# A non-streaming body is parsed once complete; beyond this size it is forwarded but not
# parsed, so one enormous response cannot make the proxy hold unbounded memory.
_MAX_BUFFER = 32 * 1024 * 1024


def detect_wire(method: str, path: str) -> Wire | None:
    """The wire format of a request by its path, or None for anything that is not an LLM call."""
    if method != "POST":
        return None
    path = path.rstrip("/")
    if path.endswith("/chat/completions"):
        return "openai_chat"
    if path.endswith("/responses"):
        return "openai_responses"
    if path.endswith("/messages"):
        return "anthropic"
    if path.endswith((":generateContent", ":streamGenerateContent")):
        return "gemini"
    return None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


class Meter:
    """Follows one response: usage, model, and whether a chunk carried the first output."""

    def __init__(self, wire: Wire, request_body: bytes, *, model_hint: str | None = None) -> None:
        self.wire: Wire = wire
        self._response_model: str | None = None
        self._model_hint = model_hint
        # The request's model is only a fallback, so its body is parsed when first asked
        # for (after the answer is relayed), not on the way to the agent: a long prompt
        # costs a JSON parse that would otherwise delay the first byte.
        self._request_body: bytes | None = request_body
        self.first_output = False
        """True once any output token (text, tool call, reasoning) has been seen."""
        self._request_chars = len(request_body)
        self._output_chars = 0
        self._usage: dict[str, int] = {}
        self._sse = False
        self._buffer = bytearray()
        self._overflow = False
        self._pending = b""
        self._event_data: list[bytes] = []
        self._decoder: Any = None

    @property
    def model(self) -> str | None:
        """The model the response names; else the request's (its body, or the URL path)."""
        if self._response_model is not None:
            return self._response_model
        body, self._request_body = self._request_body, None
        if body:
            try:
                request = json.loads(body)
            except ValueError:
                request = None
            if isinstance(request, dict) and isinstance(request.get("model"), str):
                self._model_hint = request["model"]
        return self._model_hint

    def start(self, content_type: str, content_encoding: str) -> None:
        """Set how the body is framed, from the response's headers."""
        self._sse = content_type.split(";")[0].strip().lower() == "text/event-stream"
        encoding = content_encoding.strip().lower()
        if encoding in ("gzip", "deflate"):
            # Agents may ask for compression; the bytes go through as they are, and the meter
            # reads an inflated copy. 47 = zlib or gzip header, detected automatically.
            self._decoder = zlib.decompressobj(47 if encoding == "gzip" else 15)
        elif encoding not in ("", "identity"):
            self._overflow = True  # e.g. brotli: forwarded, not measured

    @property
    def streaming(self) -> bool:
        """Whether the response is a server-sent event stream."""
        return self._sse

    def feed(self, chunk: bytes) -> bool:
        """Take the next body chunk; True when it carried the response's first output."""
        if self._overflow or not chunk:
            return False
        if self._decoder is not None:
            try:
                chunk = self._decoder.decompress(chunk)
            except zlib.error:
                self._overflow = True
                return False
        before = self.first_output
        if self._sse:
            self._feed_sse(chunk)
        else:
            if len(self._buffer) + len(chunk) > _MAX_BUFFER:
                self._overflow = True
                self._buffer.clear()
                return False
            self._buffer += chunk
            # A JSON body is read whole at the end; its first byte is its first output.
            self.first_output = True
        return self.first_output and not before

    def usage(self) -> TokenUsage:
        """The call's usage: as reported, or estimated at chars / 4 when nothing was reported."""
        if self._buffer and not self._overflow:
            self._parse_body(bytes(self._buffer))
            self._buffer.clear()
        if self._sse and self._pending.strip():
            self._line(self._pending)
            self._flush_event()
        u = self._usage
        if not u:
            return TokenUsage(
                input=self._request_chars // 4 if self._request_chars else 0,
                output=self._output_chars // 4 if self._output_chars else 0,
                estimated=True,
            )
        if self.wire == "anthropic":
            # Anthropic's input_tokens excludes cache reads and writes; bench's input is the
            # whole prompt (runtime/providers/anthropic.py does the same).
            cached = u.get("cache_read_input_tokens", 0)
            written = u.get("cache_creation_input_tokens", 0)
            return TokenUsage(
                input=u.get("input_tokens", 0) + cached + written,
                output=u.get("output_tokens", 0),
                cached=cached,
            )
        return TokenUsage(
            input=u.get("input", 0), output=u.get("output", 0), cached=u.get("cached", 0)
        )

    # -- framing ------------------------------------------------------------------------

    def _feed_sse(self, chunk: bytes) -> None:
        data = self._pending + chunk
        lines = data.split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            self._line(line)

    def _line(self, line: bytes) -> None:
        line = line.rstrip(b"\r")
        if not line:
            self._flush_event()
        elif line.startswith(b"data:"):
            self._event_data.append(line[5:].lstrip(b" "))

    def _flush_event(self) -> None:
        if not self._event_data:
            return
        data = b"\n".join(self._event_data)
        self._event_data = []
        if data.strip() == b"[DONE]":
            return
        try:
            obj = json.loads(data)
        except ValueError:
            return
        if isinstance(obj, dict):
            self._event(obj)

    def _parse_body(self, body: bytes) -> None:
        try:
            obj = json.loads(body)
        except ValueError:
            return
        # Gemini's streamGenerateContent without alt=sse is one JSON array of responses.
        for item in obj if isinstance(obj, list) else [obj]:
            if isinstance(item, dict):
                self._event(item)

    # -- per wire -----------------------------------------------------------------------

    def _event(self, obj: dict[str, Any]) -> None:
        if self.wire == "openai_chat":
            self._openai_chat(obj)
        elif self.wire == "openai_responses":
            self._openai_responses(obj)
        elif self.wire == "anthropic":
            self._anthropic(obj)
        else:
            self._gemini(obj)

    def _model(self, value: Any) -> None:
        if isinstance(value, str) and value:
            self._response_model = value

    def _output(self, text: Any) -> None:
        if isinstance(text, str) and text:
            self._output_chars += len(text)
            self.first_output = True

    def _openai_chat(self, obj: dict[str, Any]) -> None:
        self._model(obj.get("model"))
        for choice in obj.get("choices") or ():
            part = choice.get("delta") or choice.get("message") or {}
            if not isinstance(part, dict):
                continue
            for key in ("content", "refusal", "reasoning_content", "reasoning"):
                self._output(part.get(key))
            for call in part.get("tool_calls") or ():
                fn = call.get("function") or {}
                self._output((fn.get("name") or "") + (fn.get("arguments") or ""))
        usage = obj.get("usage")
        if isinstance(usage, dict):
            details = usage.get("prompt_tokens_details") or {}
            self._usage = {
                "input": _int(usage.get("prompt_tokens")),
                "output": _int(usage.get("completion_tokens")),
                "cached": _int(details.get("cached_tokens")),
            }

    def _openai_responses(self, obj: dict[str, Any]) -> None:
        kind = obj.get("type")
        response = obj.get("response") if isinstance(obj.get("response"), dict) else None
        if obj.get("object") == "response":
            response = obj  # a non-streaming body is the response itself
            for item in obj.get("output") or ():
                for part in item.get("content") or ():
                    self._output(part.get("text"))
                self._output(item.get("arguments"))
        if isinstance(kind, str) and kind.endswith(".delta"):
            self._output(obj.get("delta"))
        if response is not None:
            self._model(response.get("model"))
            usage = response.get("usage")
            if isinstance(usage, dict):
                details = usage.get("input_tokens_details") or {}
                self._usage = {
                    "input": _int(usage.get("input_tokens")),
                    "output": _int(usage.get("output_tokens")),
                    "cached": _int(details.get("cached_tokens")),
                }

    def _anthropic(self, obj: dict[str, Any]) -> None:
        kind = obj.get("type")
        message = obj.get("message") if kind == "message_start" else obj
        if isinstance(message, dict):
            self._model(message.get("model"))
            for block in message.get("content") or ():
                if isinstance(block, dict):
                    self._output(block.get("text"))
                    if block.get("type") == "tool_use":
                        self._output(block.get("name", "") + json.dumps(block.get("input")))
        if kind == "content_block_delta":
            delta = obj.get("delta") or {}
            for key in ("text", "partial_json", "thinking"):
                self._output(delta.get(key))
        usage = (message or {}).get("usage") if kind != "message_delta" else obj.get("usage")
        if isinstance(usage, dict):
            # message_delta's counts are cumulative, so later values replace earlier ones.
            for key, value in usage.items():
                if isinstance(value, int):
                    self._usage[key] = value

    def _gemini(self, obj: dict[str, Any]) -> None:
        self._model(obj.get("modelVersion"))
        for candidate in obj.get("candidates") or ():
            for part in (candidate.get("content") or {}).get("parts") or ():
                self._output(part.get("text"))
                call = part.get("functionCall")
                if isinstance(call, dict):
                    self._output(str(call.get("name", "")) + json.dumps(call.get("args")))
        meta = obj.get("usageMetadata")
        if isinstance(meta, dict) and "promptTokenCount" in meta:
            # Thinking tokens are billed as output (runtime/providers/google.py agrees).
            self._usage = {
                "input": _int(meta.get("promptTokenCount")),
                "output": _int(meta.get("candidatesTokenCount"))
                + _int(meta.get("thoughtsTokenCount")),
                "cached": _int(meta.get("cachedContentTokenCount")),
            }
