"""Forward one request to its upstream with httpx, streaming the answer back untouched.

The request body is read whole (prompts are small and must be sent with a length); the
response is relayed chunk by chunk as httpx receives it, so a streaming answer reaches the
agent as it is produced. A copy of each chunk goes to a ``Meter``; when the body ends (or the
agent hangs up) one ``LlmCall`` is handed to ``record``. Headers pass through except the
hop-by-hop ones; nothing from them (keys included) is ever recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from ..clock import monotonic_ms
from ..transcript import LlmCall, TokenUsage
from .usage import Meter, detect_wire

__all__ = ["CallStart", "Capture", "forward"]

# RFC 9110 §7.6.1 hop-by-hop headers, plus the ones httpx and uvicorn set themselves.
_DROP_REQUEST = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# content-length is kept: the relay forwards the raw (still content-encoded) bytes, so the
# upstream's length is exact, and the agent gets a plain body instead of chunked framing
# (one write fewer per call, and no chunk parsing on its side).
_DROP_RESPONSE = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "trailer",
        "upgrade",
        "date",
        "server",
    }
)


@dataclass(frozen=True)
class CallStart:
    """Where a call belongs, fixed when it arrives (a case can end while it is in flight)."""

    provider: str
    """The upstream's name (``openai``, ``anthropic``, ``gemini`` or a configured one)."""
    started_ms: float
    """Arrival, in ms since the case began (0 when no case was active)."""
    record: Callable[[LlmCall], None]
    """Receives the finished call."""
    scope: Any = None
    """The case's ``runtime.replay.scope.CallScope`` (record and replay match calls on it)."""
    miss: Callable[[str], None] | None = None
    """Told when a replay has no recorded answer (the case becomes an error)."""


Capture = Callable[[int, dict[str, str], bytes, float, float | None], None]
"""Receives a finished answer: status, headers kept, body as sent, latency ms, TTFT ms."""


def _error_kind(status: int, body: bytes) -> str:
    """A short reason for an error status, without the provider's free-text message.

    Providers echo masked keys in some messages ("Incorrect API key provided: sk-...");
    only the machine-readable type or code is kept.
    """
    import json

    kind = ""
    try:
        data = json.loads(body[:65536])
    except ValueError:
        data = None
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            for key in ("type", "code", "status"):
                value = err.get(key)
                if isinstance(value, str) and value:
                    kind = value
                    break
    return f"HTTP {status}" + (f" {kind}" if kind else "")


async def forward(
    request: Request,
    client: httpx.AsyncClient,
    url: str,
    start: CallStart,
    capture: Capture | None = None,
) -> Response:
    """Send ``request`` to ``url`` and relay the response; measure it when it is an LLM call.

    ``capture`` (record mode) receives a finished LLM answer whole, once it is relayed.
    """
    t0 = monotonic_ms()
    body = await request.body()
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
    query = request.url.query
    target = f"{url}?{query}" if query else url
    wire = detect_wire(request.method, request.url.path)
    upstream_request = client.build_request(request.method, target, headers=headers, content=body)
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        reason = (
            f"bench metrics proxy: upstream {start.provider} unreachable ({type(exc).__name__})"
        )
        if wire is not None:
            meter = Meter(wire, body)
            start.record(
                LlmCall(
                    provider=start.provider,
                    model=meter.model or "unknown",
                    started_ms=start.started_ms,
                    latency_ms=round(monotonic_ms() - t0, 2),
                    status="error",
                    error=reason,
                )
            )
        return JSONResponse({"error": {"type": "proxy_error", "message": reason}}, status_code=502)

    out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP_RESPONSE}
    if wire is None:
        return RelayResponse(_relay(upstream), upstream.status_code, out_headers)
    meter = Meter(wire, body, model_hint=_model_in_path(request.url.path))
    meter.start(
        upstream.headers.get("content-type", ""), upstream.headers.get("content-encoding", "")
    )
    kept = {
        k: v for k, v in out_headers.items() if k.lower() in ("content-type", "content-encoding")
    }
    body_iter = _metered(upstream, meter, start, t0, capture, kept)
    return RelayResponse(body_iter, upstream.status_code, out_headers)


def _model_in_path(path: str) -> str | None:
    """Gemini names the model in the path (``.../models/gemini-2.5-flash:generateContent``)."""
    _, found, tail = path.rpartition("/models/")
    return tail.split(":", 1)[0] or None if found else None


class RelayResponse(Response):
    """Send each chunk as it comes, with nothing else per chunk.

    Starlette's StreamingResponse runs a task group that watches for the client going away;
    here that costs more than the proxy's whole budget (issue 6: under 1 ms added per call).
    If the agent hangs up, uvicorn drops what is sent after, the upstream body is read to its
    end, and the call is still recorded whole.
    """

    def __init__(
        self, body: AsyncIterator[bytes], status_code: int, headers: dict[str, str]
    ) -> None:
        self.body_iterator = body
        self.status_code = status_code
        self.raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Relay start, chunks and end to the ASGI server."""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await upstream.aclose()


async def _metered(
    upstream: httpx.Response,
    meter: Meter,
    start: CallStart,
    t0: float,
    capture: Capture | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[bytes]:
    """Relay the body as it arrives, then record the call (also when the agent hangs up)."""
    ttft: float | None = None
    error_body = bytearray()
    whole = bytearray() if capture is not None else None
    failed = upstream.status_code >= 400
    finished = False
    try:
        async for chunk in upstream.aiter_raw():
            if failed:
                if len(error_body) < 65536:
                    error_body += chunk
            elif meter.feed(chunk) and ttft is None:
                ttft = round(monotonic_ms() - t0, 2)
            if whole is not None:
                whole += chunk
            yield chunk
        finished = True
    finally:
        status: Literal["ok", "error"] = "ok"
        error: str | None = None
        if failed:
            status, error = "error", _error_kind(upstream.status_code, bytes(error_body))
        elif not finished:
            status, error = "error", "response not finished (agent disconnected or upstream failed)"
        # usage() parses a buffered JSON body, which also sets the model: call it first.
        usage = meter.usage() if not failed else TokenUsage()
        latency = round(monotonic_ms() - t0, 2)
        if capture is not None and whole is not None and finished and not failed:
            capture(upstream.status_code, headers or {}, bytes(whole), latency, ttft)
        # Recorded before closing: on a disconnect this block runs under cancellation, and
        # the record must not depend on another await succeeding.
        start.record(
            LlmCall(
                provider=start.provider,
                model=meter.model or "unknown",
                started_ms=start.started_ms,
                latency_ms=latency,
                # TTFT is a streaming measure: a JSON body arrives all at once.
                ttft_ms=ttft if meter.streaming else None,
                usage=usage,
                status=status,
                error=error,
            )
        )
        with anyio.CancelScope(shield=True):
            await upstream.aclose()
