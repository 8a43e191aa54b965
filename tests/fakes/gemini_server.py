"""A fake Gemini API server (``POST /{version}/models/{model}:generateContent``), streaming included."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import MALFORMED_BODY, FakeLLM, Fault, Reply, Usage, receive, timed_stream

__all__ = ["gemini_app"]

_STATUS = {
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    401: "UNAUTHENTICATED",
    400: "INVALID_ARGUMENT",
}
_METHODS = ("generateContent", "streamGenerateContent")


def _parts(reply: Reply) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if reply.text:
        parts.append({"text": reply.text})
    for call in reply.tool_calls:
        function_call: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if call.id is not None:
            function_call["id"] = call.id
        parts.append({"functionCall": function_call})
    return parts


def _usage(reply: Reply) -> dict[str, Any] | None:
    if reply.usage is None:
        return None
    return {
        "promptTokenCount": reply.usage.input,
        "candidatesTokenCount": reply.usage.output,
        "cachedContentTokenCount": reply.usage.cached,
        "totalTokenCount": reply.usage.input + reply.usage.output,
    }


def _chunk(
    parts: list[dict[str, Any]], model: str, finish: str | None, usage: dict[str, Any] | None
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": "fake"}
    if usage is not None:
        body["usageMetadata"] = usage
    return body


def _response(reply: Reply, model: str) -> dict[str, Any]:
    return _chunk(_parts(reply), model, "STOP", _usage(reply))


def _error(fault: Fault) -> dict[str, Any]:
    status = _STATUS.get(fault.status, "UNKNOWN")
    return {"error": {"code": fault.status, "message": fault.message, "status": status}}


def _sse(body: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(body)}\r\n\r\n".encode()


async def _stream(reply: Reply | Fault, model: str) -> AsyncIterator[bytes]:
    """SSE chunks as ``alt=sse`` sends them: the text in two, one chunk per function call,
    then a last chunk with the finish reason and the usage (which is cumulative)."""
    if isinstance(reply, Fault):  # an error after the stream began
        yield _sse(_chunk([{"text": "par"}], model, None, None))
        yield _sse(_error(reply))
        return
    usage = _usage(reply)
    half = len(reply.text) // 2
    for piece in (reply.text[:half], reply.text[half:]):
        if piece:
            yield _sse(_chunk([{"text": piece}], model, None, None))
    for part in _parts(Reply(tool_calls=reply.tool_calls)):
        yield _sse(_chunk([part], model, None, None))
    if reply.truncated:
        return
    yield _sse(_chunk([], model, "STOP", usage))


def _timed(fake: FakeLLM, model: str) -> AsyncIterator[bytes]:
    """``fake.timing``'s answer: one text chunk per token, then the finish and usage."""
    assert fake.timing is not None
    timing = fake.timing
    usage = _usage(Reply(usage=Usage(10, timing.tokens))) if timing.usage else None
    tail = [_sse(_chunk([], model, "MAX_TOKENS", usage))]
    return timed_stream(
        fake, [], lambda i: _sse(_chunk([{"text": f"tok{i} "}], model, None, None)), tail
    )


def _fault(fault: Fault, *, stream: bool) -> Response:
    if fault.kind == "malformed":
        if stream:  # an SSE chunk whose data is not JSON
            body = b"data: " + MALFORMED_BODY + b"\r\n\r\n"
            return Response(body, media_type="text/event-stream")
        return Response(MALFORMED_BODY, media_type="application/json")
    return JSONResponse(_error(fault), status_code=fault.status, headers=fault.headers)


def gemini_app(fake: FakeLLM) -> Starlette:
    """A Starlette app speaking Gemini generateContent, following ``fake``'s script.

    Serves the Gemini API path ``/{version}/models/{model}:generateContent`` and Vertex's
    ``/{version}/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent``,
    and ``:streamGenerateContent?alt=sse`` on both (server-sent chunks).
    """

    async def generate(request: Request) -> Response:
        target = request.path_params["target"]
        model, _, method = target.rpartition(":")
        if method not in _METHODS:
            return JSONResponse(
                {"error": {"code": 404, "message": f"no {method}", "status": "NOT_FOUND"}},
                status_code=404,
            )
        item, recorded = await receive(fake, request)
        stream = method == "streamGenerateContent"
        if isinstance(item, Fault) and not (stream and item.kind == "in_stream"):
            return _fault(item, stream=stream)
        if stream:
            if recorded.query.get("alt") != "sse":
                return JSONResponse(_error(Fault.http(400, message="fake: alt=sse only")), 400)
            body = _timed(fake, model) if fake.timing and isinstance(item, Reply) else None
            return StreamingResponse(body or _stream(item, model), media_type="text/event-stream")
        assert isinstance(item, Reply)
        return JSONResponse(_response(item, model))

    return Starlette(
        routes=[
            Route("/{version}/models/{target}", generate, methods=["POST"]),
            Route(
                "/{version}/projects/{project}/locations/{location}/publishers/google/models/{target}",
                generate,
                methods=["POST"],
            ),
        ]
    )
