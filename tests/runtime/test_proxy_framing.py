"""How the metrics proxy frames what it relays: the upstream's length kept, bytes untouched.

The relay forwards the raw (still content-encoded) body, so the upstream's content-length is
exact and is passed on: the agent reads a plain body, not chunked framing. A streamed (SSE)
answer has no length and stays chunked.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.proxy import MetricsProxy
from tests.fakes import serve_in_thread

pytestmark = pytest.mark.anyio

COMPLETION = {
    "id": "x",
    "object": "chat.completion",
    "model": "gpt-served",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "framed"}}],
    "usage": {"prompt_tokens": 21, "completion_tokens": 4},
}


async def _completion(request: Request) -> Response:
    body = json.dumps(COMPLETION).encode()
    if request.query_params.get("gzip"):
        return Response(
            gzip.compress(body),
            media_type="application/json",
            headers={"content-encoding": "gzip"},
        )
    return Response(body, media_type="application/json")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/chat/completions", _completion, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield url


@pytest.mark.requirement("proxy:streaming-untouched")
@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "gzip"])
async def test_a_json_answer_keeps_the_upstream_length_and_bytes(
    upstream: str, encoded: bool
) -> None:
    query = "?gzip=1" if encoded else ""
    body = {"model": "gpt-asked", "messages": [{"role": "user", "content": "hi"}]}
    async with MetricsProxy({"openai": f"{upstream}/v1"}) as proxy:
        channel = proxy.channel()
        channel.begin("case")
        async with httpx.AsyncClient() as client:
            direct = await client.post(f"{upstream}/v1/chat/completions{query}", json=body)
            proxied = await client.post(
                f"{channel.base_urls['openai']}/chat/completions{query}", json=body
            )
        calls = channel.end()
    assert proxied.status_code == 200
    assert "transfer-encoding" not in proxied.headers
    assert proxied.headers["content-length"] == direct.headers["content-length"]
    assert proxied.headers.get("content-encoding") == direct.headers.get("content-encoding")
    assert proxied.json() == COMPLETION  # httpx inflates the gzip body itself
    assert len(calls) == 1
    call = calls[0]
    assert (call.model, call.usage.input, call.usage.output) == ("gpt-served", 21, 4)
    assert call.status == "ok" and call.ttft_ms is None
