"""A fake OpenAI chat-completions server (``POST /v1/chat/completions``), streaming included."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import MALFORMED_BODY, FakeLLM, Fault, Reply, receive, timed_stream

__all__ = ["openai_app"]


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id or f"call_{n}",
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": call.raw_arguments
                if call.raw_arguments is not None
                else json.dumps(call.arguments),
            },
        }
        for n, call in enumerate(reply.tool_calls)
    ]


def _usage(reply: Reply) -> dict[str, Any] | None:
    if reply.usage is None:
        return None
    return {
        "prompt_tokens": reply.usage.input,
        "completion_tokens": reply.usage.output,
        "total_tokens": reply.usage.input + reply.usage.output,
        "prompt_tokens_details": {"cached_tokens": reply.usage.cached},
    }


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    body: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
    }
    usage = _usage(reply)
    if usage is not None:
        body["usage"] = usage
    return body


async def _stream(reply: Reply, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    # Split text in two so clients must join deltas.
    half = len(reply.text) // 2
    for piece in (reply.text[:half], reply.text[half:]):
        if piece:
            yield chunk({"content": piece})
    for n, call in enumerate(_tool_calls(reply)):
        args = call["function"]["arguments"]
        cut = len(args) // 2
        first = {
            "index": n,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": args[:cut]},
        }
        yield chunk({"tool_calls": [first]})
        yield chunk({"tool_calls": [{"index": n, "function": {"arguments": args[cut:]}}]})
    if reply.truncated:
        return
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    usage = _usage(reply)
    if include_usage and usage is not None:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [],
            "usage": usage,
        }
        yield f"data: {json.dumps(body)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def _timed(fake: FakeLLM, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    """``fake.timing``'s answer: one content chunk per token, then finish, usage, [DONE]."""
    assert fake.timing is not None
    tokens = fake.timing.tokens

    def chunk(body: dict[str, Any]) -> bytes:
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
        return f"data: {json.dumps(base | {'model': model} | body)}\n\n".encode()

    def delta(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return chunk({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    tail = [delta({}, "length")]
    if include_usage and fake.timing.usage:
        usage = {"prompt_tokens": 10, "completion_tokens": tokens, "total_tokens": 10 + tokens}
        tail.append(chunk({"choices": [], "usage": usage}))
    tail.append(b"data: [DONE]\n\n")
    head = [delta({"role": "assistant", "content": ""})]
    return timed_stream(fake, head, lambda i: delta({"content": f"tok{i} "}), tail)


def _fault(fault: Fault) -> Response:
    if fault.kind == "malformed":
        return Response(MALFORMED_BODY, media_type="application/json")
    kind = "rate_limit_exceeded" if fault.status == 429 else "server_error"
    body = {"error": {"message": fault.message, "type": kind, "param": None, "code": kind}}
    return JSONResponse(body, status_code=fault.status, headers=fault.headers)


def openai_app(fake: FakeLLM) -> Starlette:
    """A Starlette app speaking OpenAI chat completions, following ``fake``'s script.

    Serves ``/v1/chat/completions`` and Azure's
    ``/openai/deployments/{deployment}/chat/completions``.
    """

    async def completions(request: Request) -> Response:
        item, recorded = await receive(fake, request)
        if isinstance(item, Fault):
            return _fault(item)
        body = recorded.body
        model = str(body.get("model") or request.path_params.get("deployment") or "fake-model")
        if body.get("stream"):
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            if fake.timing is not None:
                return StreamingResponse(
                    _timed(fake, model, include), media_type="text/event-stream"
                )
            return StreamingResponse(_stream(item, model, include), media_type="text/event-stream")
        return JSONResponse(_completion(item, model))

    return Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/chat/completions", completions, methods=["POST"]),
            Route(
                "/openai/deployments/{deployment}/chat/completions", completions, methods=["POST"]
            ),
        ]
    )
