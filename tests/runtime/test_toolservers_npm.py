"""Real npm MCP servers: server-everything over streamable HTTP and SSE, server-filesystem
over stdio. Installed by scripts/bootstrap into tests/npm; network servers are started with
tests/npm/preload.cjs, which forces them onto 127.0.0.1 and logs the headers they receive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runtime.plan import Header, HttpServer, SecretRef, SseServer, StdioServer
from runtime.toolservers import open_server

from .toolserver_fixtures import REPO, free_port, serving

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]

NPM = REPO / "tests" / "npm"
EVERYTHING = (
    NPM / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
)
FILESYSTEM = (
    NPM / "node_modules" / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"
)
HEADERS = (
    Header(name="X-Bench-Suite", value="npm"),
    Header(name="Authorization", value=SecretRef(template="Bearer ${BENCH_NPM_TOKEN}")),
)


@pytest.fixture(autouse=True)
def _installed() -> None:
    if not EVERYTHING.exists() or not FILESYSTEM.exists():
        pytest.fail("npm test servers missing: run scripts/bootstrap (npm ci in tests/npm)")


def everything(transport: str, port: int, headers_log: Path) -> list[str]:
    return [
        "env",
        f"PORT={port}",
        f"BENCH_HEADERS_LOG={headers_log}",
        "node",
        "--require",
        str(NPM / "preload.cjs"),
        str(EVERYTHING),
        transport,
    ]


def logged_headers(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.requirement("server:http")
async def test_server_everything_over_streamable_http(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "headers.jsonl"
    spec = HttpServer(
        name="everything", url=f"http://127.0.0.1:{port}/mcp", headers=HEADERS, process_delay_ms=0
    )
    async with (
        serving(everything("streamableHttp", port, log), port),
        open_server(spec, env={"BENCH_NPM_TOKEN": "npm-tok"}) as server,
    ):
        names = {tool.name for tool in await server.list_tools()}
        echoed = await server.call_tool("echo", {"message": "hello"}, timeout_s=20)
    assert {"echo", "get-sum"} <= names
    assert echoed.text == "Echo: hello"
    seen = logged_headers(log)
    assert seen and all(h["x-bench-suite"] == "npm" for h in seen)
    assert all(h["authorization"] == "Bearer npm-tok" for h in seen)


@pytest.mark.requirement("server:sse")
async def test_server_everything_over_sse(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "headers.jsonl"
    spec = SseServer(
        name="everything", url=f"http://127.0.0.1:{port}/sse", headers=HEADERS, process_delay_ms=0
    )
    async with (
        serving(everything("sse", port, log), port),
        open_server(spec, env={"BENCH_NPM_TOKEN": "npm-tok"}) as server,
    ):
        summed = await server.call_tool("get-sum", {"a": 2, "b": 40}, timeout_s=20)
    assert "42" in summed.text
    seen = logged_headers(log)
    assert len(seen) >= 2  # the event stream and at least one message POST
    assert all(h["authorization"] == "Bearer npm-tok" for h in seen)


@pytest.mark.requirement("server:stdio")
async def test_server_filesystem_over_stdio(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi from disk")
    spec = StdioServer(
        name="fs", command=("node", str(FILESYSTEM), str(tmp_path)), process_delay_ms=0
    )
    async with open_server(spec) as server:
        names = {tool.name for tool in await server.list_tools()}
        read = await server.call_tool(
            "read_text_file", {"path": str(tmp_path / "hello.txt")}, timeout_s=20
        )
        outside = await server.call_tool("read_text_file", {"path": "/etc/hostname"}, timeout_s=20)
    assert {"read_text_file", "list_directory"} <= names
    assert read.text == "hi from disk"
    assert outside.is_error
