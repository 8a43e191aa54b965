"""MCP over streamable HTTP and SSE with our notes server on 127.0.0.1; headers reach it."""

from __future__ import annotations

import json

import pytest

from runtime.errors import ToolServerError
from runtime.plan import Header, HttpServer, SecretRef, SseServer
from runtime.toolservers import ServerGoneError, ServerPool, open_server

from .toolserver_fixtures import free_port, notes_http, notes_sse, serving

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

HEADERS = (
    Header(name="X-Bench-Run", value="r1"),
    Header(name="Authorization", value=SecretRef(template="Bearer ${BENCH_TEST_TOKEN}")),
)
ENV = {"BENCH_TEST_TOKEN": "tok-123"}


@pytest.mark.requirement("server:http")
async def test_streamable_http_with_headers() -> None:
    port = free_port()
    spec = HttpServer(
        name="notes", url=f"http://127.0.0.1:{port}/mcp", headers=HEADERS, process_delay_ms=0
    )
    async with serving(notes_http(port), port), open_server(spec, env=ENV) as server:
        assert "create_note" in {t.name for t in await server.list_tools()}
        created = await server.call_tool("create_note", {"title": "t"}, timeout_s=10)
        seen = json.loads((await server.call_tool("whoami", {}, timeout_s=10)).text)
    assert json.loads(created.text)["data"]["note"]["id"] == "n1"
    assert seen["x-bench-run"] == "r1"
    assert seen["authorization"] == "Bearer tok-123"


@pytest.mark.requirement("server:sse")
async def test_sse_with_headers() -> None:
    port = free_port()
    spec = SseServer(
        name="notes", url=f"http://127.0.0.1:{port}/sse", headers=HEADERS, process_delay_ms=0
    )
    async with serving(notes_sse(port), port), open_server(spec, env=ENV) as server:
        echoed = await server.call_tool("echo", {"text": "over sse"}, timeout_s=10)
        seen = json.loads((await server.call_tool("whoami", {}, timeout_s=10)).text)
    assert echoed.text == "over sse"
    assert seen["x-bench-run"] == "r1"
    assert seen["authorization"] == "Bearer tok-123"


@pytest.mark.requirement("server:http")
async def test_nothing_listening_is_a_tool_server_error() -> None:
    spec = HttpServer(name="down", url=f"http://127.0.0.1:{free_port()}/mcp", process_delay_ms=0)
    with pytest.raises(ToolServerError, match="server 'down'"):
        async with open_server(spec):
            pass


@pytest.mark.requirement("server:restart")
async def test_http_server_killed_mid_session_then_back() -> None:
    port = free_port()
    spec = HttpServer(name="notes", url=f"http://127.0.0.1:{port}/mcp", process_delay_ms=0)
    async with ServerPool([spec]) as pool:
        async with serving(notes_http(port), port):
            await pool.call("notes", "create_note", {"title": "a"}, timeout_s=10)
            with pytest.raises(ServerGoneError):
                await pool.call("notes", "crash", {}, timeout_s=10)
        async with serving(notes_http(port), port):
            listed = await pool.call("notes", "list_notes", {}, timeout_s=10)
    assert json.loads(listed.text)["data"]["total"] == 0
    assert pool.restarts("notes") == 1


@pytest.mark.requirement("server:restart")
async def test_closing_a_dead_http_server_is_quiet() -> None:
    port = free_port()
    spec = HttpServer(name="notes", url=f"http://127.0.0.1:{port}/mcp", process_delay_ms=0)
    async with serving(notes_http(port), port), open_server(spec) as server:
        with pytest.raises(ServerGoneError):
            await server.call_tool("crash", {}, timeout_s=10)
    # Leaving both blocks raised nothing: the failure was reported once, by the call.
