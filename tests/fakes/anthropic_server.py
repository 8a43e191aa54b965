"""A fake Anthropic messages server (``POST /v1/messages``), streaming included."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import MALFORMED_BODY, FakeLLM, Fault, Reply, receive, timed_stream

__all__ = ["anthropic_app", "error_type", "message_body", "start_event", "stream_events"]

_ERROR_TYPES = {
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
    401: "authentication_error",
}


def _tool_input(call: Any) -> str:
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def _usage(reply: Reply) -> dict[str, Any] | None:
    if reply.usage is None:
        return None
    # The fake's ``input`` is the whole prompt; Anthropic reports cache reads apart.
    return {
        "input_tokens": reply.usage.input - reply.usage.cached,
        "output_tokens": reply.usage.output,
        "cache_read_input_tokens": reply.usage.cached,
        "cache_creation_input_tokens": 0,
    }


def message_body(reply: Reply, model: str) -> dict[str, Any]:
    """The JSON of a whole (non-streamed) message answering with ``reply``."""
    content: list[dict[str, Any]] = []
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    for n, call in enumerate(reply.tool_calls):
        content.append(
            {
                "type": "tool_use",
                "id": call.id or f"toolu_{n}",
                "name": call.name,
                "input": call.arguments,
            }
        )
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        # None when the reply reports no usage (the SDK then has no counts to give).
        "usage": _usage(reply),
    }


def start_event(model: str) -> dict[str, Any]:
    """The ``message_start`` event a stream that then fails begins with."""
    start = message_body(Reply(), model) | {"content": [], "stop_reason": None}
    return {"type": "message_start", "message": start}


def error_type(status: int) -> str:
    """Anthropic's error ``type`` for an HTTP ``status``."""
    return _ERROR_TYPES.get(status, "api_error")


def stream_events(reply: Reply, model: str) -> Iterator[dict[str, Any]]:
    """The messages stream's events (each with its ``type``); text and tool input split in two.

    The Anthropic fake sends them as server-sent events, the Bedrock fake as event-stream
    frames.
    """
    usage = _usage(reply)
    start = message_body(reply, model) | {"content": [], "stop_reason": None}
    if usage is not None:  # message_start carries the input counts, output so far 1
        start["usage"] = usage | {"output_tokens": 1}
    yield {"type": "message_start", "message": start}
    yield {"type": "ping"}
    index = 0
    if reply.text:
        block: dict[str, Any] = {"type": "text", "text": ""}
        yield {"type": "content_block_start", "index": index, "content_block": block}
        half = len(reply.text) // 2
        for piece in (reply.text[:half], reply.text[half:]):
            if piece:
                delta = {"type": "text_delta", "text": piece}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
        index += 1
    for n, call in enumerate(reply.tool_calls):
        block = {"type": "tool_use", "id": call.id or f"toolu_{n}", "name": call.name, "input": {}}
        yield {"type": "content_block_start", "index": index, "content_block": block}
        raw = _tool_input(call)
        cut = len(raw) // 2
        for piece in (raw[:cut], raw[cut:]):
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
        index += 1
    if reply.truncated:
        return
    stop = {"stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None}
    final = {"output_tokens": usage["output_tokens"]} if usage is not None else None
    yield {"type": "message_delta", "delta": stop, "usage": final}
    yield {"type": "message_stop"}


def _sse(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


async def _stream(reply: Reply | Fault, model: str) -> AsyncIterator[bytes]:
    """The messages event stream as the API sends it (server-sent events)."""
    if isinstance(reply, Fault):  # an error after the stream began
        yield _sse(start_event(model))
        error = {"type": error_type(reply.status), "message": reply.message}
        yield _sse({"type": "error", "error": error})
        return
    for event in stream_events(reply, model):
        yield _sse(event)


def _timed(fake: FakeLLM, model: str) -> AsyncIterator[bytes]:
    """``fake.timing``'s answer: one text delta per token, the output count at the end."""
    assert fake.timing is not None
    timing = fake.timing
    start = message_body(Reply(), model) | {"content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": 10, "output_tokens": 1} if timing.usage else None
    block = {"type": "text", "text": ""}
    head = [
        _sse({"type": "message_start", "message": start}),
        _sse({"type": "content_block_start", "index": 0, "content_block": block}),
    ]

    def token(i: int) -> bytes:
        delta = {"type": "text_delta", "text": f"tok{i} "}
        return _sse({"type": "content_block_delta", "index": 0, "delta": delta})

    stop = {"stop_reason": "max_tokens", "stop_sequence": None}
    final = {"output_tokens": timing.tokens} if timing.usage else None
    tail = [
        _sse({"type": "content_block_stop", "index": 0}),
        _sse({"type": "message_delta", "delta": stop, "usage": final}),
        _sse({"type": "message_stop"}),
    ]
    return timed_stream(fake, head, token, tail)


def _fault(fault: Fault, *, stream: bool) -> Response:
    if fault.kind == "malformed":
        if stream:  # an event whose data is not JSON
            body = b"event: message_start\ndata: " + MALFORMED_BODY + b"\n\n"
            return Response(body, media_type="text/event-stream")
        return Response(MALFORMED_BODY, media_type="application/json")
    body = {"type": "error", "error": {"type": error_type(fault.status), "message": fault.message}}
    return JSONResponse(body, status_code=fault.status, headers=fault.headers)


def anthropic_app(fake: FakeLLM) -> Starlette:
    """A Starlette app speaking the Anthropic messages API, following ``fake``'s script.

    A request with ``"stream": true`` gets the server-sent event stream (message_start,
    content blocks with text and input_json deltas, message_delta with the output count).
    """

    async def messages(request: Request) -> Response:
        item, recorded = await receive(fake, request)
        stream = bool(recorded.body.get("stream"))
        model = str(recorded.body.get("model") or "claude-fake")
        if isinstance(item, Fault) and not (stream and item.kind == "in_stream"):
            return _fault(item, stream=stream)
        if stream:
            body = _timed(fake, model) if fake.timing and isinstance(item, Reply) else None
            return StreamingResponse(body or _stream(item, model), media_type="text/event-stream")
        assert isinstance(item, Reply)
        return JSONResponse(message_body(item, model))

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])
