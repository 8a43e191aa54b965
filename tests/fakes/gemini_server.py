"""A fake Gemini API server (``POST /{version}/models/{model}:generateContent``)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import MALFORMED_BODY, FakeLLM, Fault, Reply, receive

__all__ = ["gemini_app"]

_STATUS = {
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    401: "UNAUTHENTICATED",
    400: "INVALID_ARGUMENT",
}


def _response(reply: Reply, model: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if reply.text:
        parts.append({"text": reply.text})
    for call in reply.tool_calls:
        function_call: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if call.id is not None:
            function_call["id"] = call.id
        parts.append({"functionCall": function_call})
    body: dict[str, Any] = {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
        ],
        "modelVersion": model,
        "responseId": "fake",
    }
    if reply.usage is not None:
        body["usageMetadata"] = {
            "promptTokenCount": reply.usage.input,
            "candidatesTokenCount": reply.usage.output,
            "cachedContentTokenCount": reply.usage.cached,
            "totalTokenCount": reply.usage.input + reply.usage.output,
        }
    return body


def _fault(fault: Fault) -> Response:
    if fault.kind == "malformed":
        return Response(MALFORMED_BODY, media_type="application/json")
    status = _STATUS.get(fault.status, "UNKNOWN")
    body = {"error": {"code": fault.status, "message": fault.message, "status": status}}
    return JSONResponse(body, status_code=fault.status, headers=fault.headers)


def gemini_app(fake: FakeLLM) -> Starlette:
    """A Starlette app speaking Gemini generateContent, following ``fake``'s script.

    Serves the Gemini API path ``/{version}/models/{model}:generateContent`` and Vertex's
    ``/{version}/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent``.
    """

    async def generate(request: Request) -> Response:
        target = request.path_params["target"]
        model, _, method = target.rpartition(":")
        if method != "generateContent":
            return JSONResponse(
                {"error": {"code": 404, "message": f"no {method}", "status": "NOT_FOUND"}},
                status_code=404,
            )
        item, _ = await receive(fake, request)
        if isinstance(item, Fault):
            return _fault(item)
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
