"""Record and replay for the metrics proxy: an external agent's own LLM calls in the cassette.

An external agent brings its own SDK; the proxy (runtime/proxy) sees its calls as HTTP. In a
recorded run each LLM call the proxy forwards is written as an ``http`` entry: the canonical
request (upstream name, method, path, the query without credentials, the JSON body; never a
header) and the answer as the upstream sent it (status, content type and encoding, the body,
latency and time to first token). In a replay the proxy answers from the entry without
forwarding, so the agent's SDK gets the same bytes; its measurements (tokens, model, TTFT,
latency) are the recorded ones. A miss answers 502 and makes the case an error with the diff.
Matching is per case and attempt, as for the built-in agent (the channel takes the case's
scope when the case begins).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..proxy.forward import CallStart, Capture
from ..proxy.usage import Meter, detect_wire
from ..sanitize import looks_secret
from ..transcript import LlmCall
from .seam import Traffic

__all__ = ["ProxyTape"]

_CREDENTIAL_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "access_token", "token"})


def _query(raw: str) -> list[list[str]]:
    """The query's parameters, sorted, without any that carries a credential (Gemini's key)."""
    kept = [
        [k, v]
        for k, v in parse_qsl(raw, keep_blank_values=True)
        if k.lower() not in _CREDENTIAL_PARAMS and not looks_secret(k)
    ]
    return sorted(kept)


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"sha256": hashlib.sha256(raw).hexdigest()}


class ProxyTape:
    """What the metrics proxy consults for each LLM call in a recorded or replayed run."""

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic

    async def serve(
        self,
        request: Request,
        upstream: str,
        rest: str,
        start: CallStart,
        forward: Callable[[Capture | None], Awaitable[Response]],
    ) -> Response:
        """Answer ``request`` from the cassette, or forward it (recording the answer)."""
        wire = detect_wire(request.method, request.url.path)
        if wire is None:  # not an LLM call (a model listing, say): passed through as is
            return await forward(None)
        traffic = self.traffic
        raw = await request.body()  # Starlette keeps it: forward() reads it again for free
        doc = {
            "upstream": upstream,
            "method": request.method,
            "path": rest,
            "query": _query(request.url.query),
            "body": _body(raw),
        }
        key = traffic.key(doc)
        scope = start.scope or traffic.scope()
        n = scope.occurrence(key)
        cassette = traffic.cassette
        assert cassette is not None
        if traffic.replay:
            entry = cassette.find("http", scope.case, scope.attempt, key, n)
            if entry is not None:
                scope.answered(key)
                traffic.counts.replayed += 1
                return self._answer(entry, wire, raw, request.url.path, start)
            if not traffic.record_missing:
                text = traffic.miss_text("LLM request (metrics proxy)", "http", scope, doc)
                if start.miss is not None:
                    start.miss(text)
                start.record(
                    LlmCall(provider=start.provider, model="unknown", started_ms=start.started_ms,
                            status="error", error="replay: no recorded answer")
                )  # fmt: skip
                return JSONResponse(
                    {"error": {"type": "replay_miss", "message": text}}, status_code=502
                )

        def capture(
            status: int, headers: dict[str, str], body: bytes, latency: float, ttft: float | None
        ) -> None:
            scope.answered(key)
            traffic.counts.recorded += 1
            answer: dict[str, Any] = {"status": status, "headers": headers}
            if "content-encoding" in {k.lower() for k in headers}:
                answer["body_b64"] = base64.b64encode(body).decode("ascii")
            else:
                try:
                    answer["body"] = body.decode("utf-8")
                except UnicodeDecodeError:
                    answer["body_b64"] = base64.b64encode(body).decode("ascii")
            cassette.add(
                {"kind": "http", "key": key, "case": scope.case, "attempt": scope.attempt,
                 "n": n, "request": doc, "response": answer, "latency_ms": latency,
                 "ttft_ms": ttft}
            )  # fmt: skip

        return await forward(capture)

    def _answer(
        self, entry: dict[str, Any], wire: Any, raw: bytes, path: str, start: CallStart
    ) -> Response:
        answer = entry["response"]
        headers: dict[str, str] = dict(answer.get("headers") or {})
        if "body_b64" in answer:
            body = base64.b64decode(answer["body_b64"])
        else:
            body = str(answer.get("body", "")).encode("utf-8")
        lower = {k.lower(): v for k, v in headers.items()}
        meter = Meter(wire, raw, model_hint=_model_in_path(path))
        meter.start(lower.get("content-type", ""), lower.get("content-encoding", ""))
        meter.feed(body)
        usage = meter.usage()
        start.record(
            LlmCall(
                provider=start.provider,
                model=meter.model or "unknown",
                started_ms=start.started_ms,
                latency_ms=float(entry.get("latency_ms") or 0.0),
                ttft_ms=entry.get("ttft_ms") if meter.streaming else None,
                usage=usage,
            )
        )
        return Response(body, status_code=int(answer.get("status", 200)), headers=headers)


def _model_in_path(path: str) -> str | None:
    _, found, tail = path.rpartition("/models/")
    return tail.split(":", 1)[0] or None if found else None
