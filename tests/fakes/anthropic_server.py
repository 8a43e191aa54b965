"""A fake Anthropic messages server (``POST /v1/messages``)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import MALFORMED_BODY, FakeLLM, Fault, Reply, receive

__all__ = ["anthropic_app"]

_ERROR_TYPES = {
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
    401: "authentication_error",
}


def _message(reply: Reply, model: str) -> dict[str, Any]:
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
    body: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
    }
    if reply.usage is not None:
        # The fake's ``input`` is the whole prompt; Anthropic reports cache reads apart.
        body["usage"] = {
            "input_tokens": reply.usage.input - reply.usage.cached,
            "output_tokens": reply.usage.output,
            "cache_read_input_tokens": reply.usage.cached,
            "cache_creation_input_tokens": 0,
        }
    else:
        # The SDK requires a usage object; zero input tokens signal "not reported".
        body["usage"] = None
    return body


def _fault(fault: Fault) -> Response:
    if fault.kind == "malformed":
        return Response(MALFORMED_BODY, media_type="application/json")
    kind = _ERROR_TYPES.get(fault.status, "api_error")
    body = {"type": "error", "error": {"type": kind, "message": fault.message}}
    return JSONResponse(body, status_code=fault.status, headers=fault.headers)


def anthropic_app(fake: FakeLLM) -> Starlette:
    """A Starlette app speaking the Anthropic messages API, following ``fake``'s script."""

    async def messages(request: Request) -> Response:
        item, recorded = await receive(fake, request)
        if isinstance(item, Fault):
            return _fault(item)
        return JSONResponse(_message(item, str(recorded.body.get("model") or "claude-fake")))

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])
