"""A loopback upstream speaking the wire formats tests/fakes does not stream.

OpenAI chat completions come from tests/fakes (``openai_app``); this app adds the OpenAI
responses API, Anthropic messages and Gemini generateContent, each JSON and streamed (SSE),
with fixed usage (``USAGE``) so tests can compare what the proxy measured with what was
served. ``/slow-stream`` sends a first event, waits, then the rest (for TTFT).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["TEXT", "USAGE", "upstream_app"]

USAGE = {"input": 120, "output": 7, "cached": 20}
"""What every reply of this app reports (input includes cached, bench's convention)."""
TEXT = "Hello there"


def _sse(
    events: list[dict[str, Any]], *, named: bool = False, delay_s: float = 0.0
) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for n, event in enumerate(events):
            prefix = f"event: {event['type']}\n" if named else ""
            yield f"{prefix}data: {json.dumps(event)}\n\n".encode()
            if n == 0 and delay_s:
                await asyncio.sleep(delay_s)

    return StreamingResponse(body(), media_type="text/event-stream")


def _response_object(model: str) -> dict[str, Any]:
    return {
        "id": "resp_fake",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": TEXT, "annotations": []}],
            }
        ],
        "usage": {
            "input_tokens": USAGE["input"],
            "output_tokens": USAGE["output"],
            "total_tokens": USAGE["input"] + USAGE["output"],
            "input_tokens_details": {"cached_tokens": USAGE["cached"]},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


async def responses(request: Request) -> Response:
    body = json.loads(await request.body())
    model = body.get("model", "gpt-fake")
    final = _response_object(model)
    if not body.get("stream"):
        return JSONResponse(final)
    created = dict(final, status="in_progress", output=[], usage=None)
    events = [
        {"type": "response.created", "sequence_number": 0, "response": created},
        {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "delta": TEXT[:5], "logprobs": []},
        {"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "delta": TEXT[5:], "logprobs": []},
        {"type": "response.completed", "sequence_number": 3, "response": final},
    ]  # fmt: skip
    return _sse(events, named=True)


def _anthropic_usage() -> dict[str, int]:
    return {
        "input_tokens": USAGE["input"] - USAGE["cached"],
        "cache_read_input_tokens": USAGE["cached"],
        "cache_creation_input_tokens": 0,
        "output_tokens": USAGE["output"],
    }


async def messages(request: Request) -> Response:
    body = json.loads(await request.body())
    model = body.get("model", "claude-fake")
    if not body.get("stream"):
        return JSONResponse(
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": TEXT}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": _anthropic_usage(),
            }
        )
    start_usage = dict(_anthropic_usage(), output_tokens=1)
    events = [
        {"type": "message_start", "message": {"id": "msg_fake", "type": "message",
         "role": "assistant", "model": model, "content": [], "stop_reason": None,
         "stop_sequence": None, "usage": start_usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": TEXT[:5]}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": TEXT[5:]}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": USAGE["output"]}},
        {"type": "message_stop"},
    ]  # fmt: skip
    return _sse(events, named=True)


def _gemini_chunk(text: str, model: str, usage: bool) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}],
        "modelVersion": model,
    }
    if usage:
        chunk["candidates"][0]["finishReason"] = "STOP"
        chunk["usageMetadata"] = {
            "promptTokenCount": USAGE["input"],
            "candidatesTokenCount": USAGE["output"],
            "cachedContentTokenCount": USAGE["cached"],
            "totalTokenCount": USAGE["input"] + USAGE["output"],
        }
    return chunk


async def gemini(request: Request) -> Response:
    model, _, method = request.path_params["target"].rpartition(":")
    if method == "generateContent":
        return JSONResponse(_gemini_chunk(TEXT, model, True))
    chunks = [_gemini_chunk(TEXT[:5], model, False), _gemini_chunk(TEXT[5:], model, True)]
    if request.query_params.get("alt") == "sse":
        return _sse(chunks)
    return JSONResponse(chunks)


async def slow_stream(request: Request) -> Response:
    """OpenAI chat chunks: the first after 0 s, the rest after ``delay`` seconds."""
    delay = float(request.query_params.get("delay", "0.2"))
    chunk = {
        "id": "x",
        "object": "chat.completion.chunk",
        "model": "gpt-slow",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    last = {"id": "x", "object": "chat.completion.chunk", "model": "gpt-slow", "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1}}  # fmt: skip
    return _sse([chunk, last], delay_s=delay)


def upstream_app() -> Starlette:
    """The app; mount it with tests.fakes.serve_in_thread."""
    return Starlette(
        routes=[
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/{version}/models/{target}", gemini, methods=["POST"]),
            Route("/slow/chat/completions", slow_stream, methods=["POST"]),
        ]
    )
