"""MCP servers through the official ``mcp`` client: stdio, SSE and streamable HTTP.

This module is the one boundary where ``mcp`` and transport exceptions (``MCPError``,
``httpx2`` errors, broken pipes, closed streams) become ``ToolServerError``; nothing from
the SDK escapes it. A failure that means the connection is gone is raised as
``ServerGoneError`` so the pool knows to restart the server before the next call.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TextIO

import anyio
import httpx2
import mcp_types
from anyio.abc import TaskStatus
from mcp import Client
from mcp.client._transport import Transport, TransportStreams
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from ..errors import ServerGoneError, ToolServerError
from ..plan import HttpServer, SseServer, StdioServer
from ..providers.base import ToolSpec
from ..secrets import resolve
from ..transcript import ToolResult
from ._stderr import StderrTail

__all__ = ["McpServer", "ServerGoneError", "open_mcp_server"]

McpSpec = StdioServer | SseServer | HttpServer
_log = logging.getLogger(__name__)

_CLIENT_INFO = mcp_types.Implementation(name="bench", version="0.1")
_LIST_PAGE_CAP = 100
"""Most tools/list pages followed; a server whose cursor never ends cannot hang start-up."""


class McpServer:
    """A connected MCP server; implements the ``ToolServer`` protocol."""

    def __init__(self, name: str, client: Client, stderr: StderrTail | None) -> None:
        self.name = name
        """The server's name in the suite."""
        self._client = client
        self._stderr = stderr
        self.gone = False
        """Set once a call found the connection gone; closing it then stays quiet."""

    async def list_tools(self) -> list[ToolSpec]:
        """Every tool the server lists, following pagination."""
        tools: list[ToolSpec] = []
        cursor: str | None = None
        with _translated(self.name, "listing tools"):
            for _ in range(_LIST_PAGE_CAP):
                page = await self._client.list_tools(cursor=cursor)
                tools.extend(
                    ToolSpec(
                        name=tool.name,
                        description=tool.description or "",
                        input_schema=dict(tool.input_schema),
                    )
                    for tool in page.tools
                )
                cursor = page.next_cursor
                if cursor is None:
                    break
        return tools

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Call ``name``; a timeout or transport failure raises ``ToolServerError``.

        A tool that answers ``isError`` is a normal result, not an exception.
        """
        try:
            with _translated(self.name, f"calling tool {name!r}"):
                try:
                    with anyio.fail_after(timeout_s if timeout_s is not None else math.inf):
                        result = await self._client.call_tool(name, arguments)
                except TimeoutError as exc:
                    raise ToolServerError(
                        f"tool {name!r} of server {self.name!r} did not answer within "
                        f"{timeout_s:g} s (tool timeout)",
                        server=self.name,
                    ) from exc
        except ServerGoneError as exc:
            self.gone = True
            hint = _stderr_hint(self._stderr)  # what a dying stdio server said on its way out
            if not hint:
                raise
            raise ServerGoneError(f"{exc}{hint}", server=self.name) from exc
        return ToolResult(
            content=[
                block.model_dump(mode="json", by_alias=True, exclude_none=True)
                for block in result.content
            ],
            structured=result.structured_content,
            is_error=result.is_error,
        )


class _translated:
    """Turns SDK and transport exceptions raised in the block into ``ToolServerError``."""

    def __init__(self, server: str, doing: str) -> None:
        self.server = server
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc is None:
            return
        error = _as_tool_error(exc, self.server, self.doing)
        if error is not None and error is not exc:
            raise error from exc
        # Anything else (a bug, cancellation) propagates untouched.


_GONE = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)


@asynccontextmanager
async def open_mcp_server(
    spec: McpSpec, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[McpServer]:
    """Start (stdio) or connect to (SSE, HTTP) one MCP server for the block's duration.

    Waits ``process_delay_ms`` after starting the process (or before connecting), then
    gives the MCP handshake ``server_delay_ms`` to finish. ``env`` is where secrets in
    headers and env values are looked up (``os.environ`` when None). Exceptions raised by
    the caller inside the block pass through untouched.

    The connection lives in a child task: when the transport fails mid-session the SDK
    cancels the scope it runs in, and that must be the child's, never the caller's; the
    caller's pending call then fails with ``ServerGoneError``.
    """
    stop = anyio.Event()
    body_error: BaseException | None = None
    try:
        async with anyio.create_task_group() as tg:
            server: McpServer = await tg.start(_hold, spec, env, stop)
            try:
                yield server
            except BaseException as exc:
                body_error = exc
                raise
            finally:
                stop.set()
    except BaseExceptionGroup as group:
        leaves = _leaves(group)
        if body_error is not None and any(leaf is body_error for leaf in leaves):
            raise body_error from None  # the task group wrapped the caller's own exception
        for leaf in leaves:
            if isinstance(leaf, ToolServerError):
                raise leaf from None
        raise


async def _hold(
    spec: McpSpec,
    env: Mapping[str, str] | None,
    stop: anyio.Event,
    *,
    task_status: TaskStatus[McpServer] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Connect, hand the server over, keep the connection until ``stop`` is set.

    Errors before the hand-over reach the ``start()`` caller as ``ToolServerError``;
    afterwards a failure only marks the server gone (the caller's calls report it).
    """
    stderr = StderrTail() if isinstance(spec, StdioServer) else None
    transport = _DelayedTransport(_transport(spec, env, stderr), spec.process_delay_ms / 1000)
    budget = (spec.process_delay_ms + spec.server_delay_ms) / 1000
    client = Client(transport, client_info=_CLIENT_INFO)
    server: McpServer | None = None
    if stderr is not None:
        stderr.start()
    try:
        # The deadline covers only start-up; it is lifted once the handshake is done, so
        # the scope stays open (properly nested around the client) for the whole session.
        with anyio.CancelScope(deadline=anyio.current_time() + budget) as scope:
            async with client:
                scope.deadline = math.inf
                if stderr is not None:
                    stderr.close_writer()
                server = McpServer(spec.name, client, stderr)
                task_status.started(server)
                await stop.wait()
    except Exception as exc:
        if server is not None:
            # Closing a connection that failed mid-session fails in transport ways; the
            # calls it broke already raised ServerGoneError.
            server.gone = True
            _log.debug("server %r: error while closing", spec.name, exc_info=True)
            return
        leaf = _first_translatable(exc, spec.name)
        error = _as_tool_error(leaf, spec.name, "starting")
        if error is None:
            raise
        hints = _stderr_hint(stderr) + _interpreter_hint(spec, env)
        raise type(error)(f"{error}{hints}", server=spec.name) from leaf
    finally:
        if stderr is not None:
            stderr.close()
    if server is None and scope.cancelled_caught:
        raise ToolServerError(
            f"server {spec.name!r} did not finish the MCP handshake within "
            f"{spec.server_delay_ms / 1000:g} s (server_delay){_stderr_hint(stderr)}"
            f"{_interpreter_hint(spec, env)}",
            server=spec.name,
        )
    if server is not None and scope.cancelled_caught:
        server.gone = True  # the transport cancelled the session from inside


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for exc in group.exceptions:
        found.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


def _as_tool_error(exc: BaseException, server: str, doing: str) -> ToolServerError | None:
    """``exc`` as a ``ToolServerError`` (``ServerGoneError`` when the link is gone), or None."""
    where = f"server {server!r}: {doing}"
    if isinstance(exc, ToolServerError):
        return exc
    if isinstance(exc, MCPError):
        if exc.code == mcp_types.CONNECTION_CLOSED:
            return ServerGoneError(
                f"{where}: connection closed (did the server exit?)", server=server
            )
        return ToolServerError(f"{where}: MCP error {exc.code}: {exc.message}", server=server)
    if isinstance(exc, (*_GONE, httpx2.HTTPError, OSError)):
        detail = str(exc) or type(exc).__name__
        return ServerGoneError(f"{where}: {detail}", server=server)
    return None


def _first_translatable(exc: BaseException, server: str) -> BaseException:
    """The first leaf of a task-group failure that maps to a ``ToolServerError``, else ``exc``."""
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    stack: list[BaseException] = [exc]
    while stack:
        item = stack.pop(0)
        if isinstance(item, BaseExceptionGroup):
            stack[:0] = list(item.exceptions)
        elif _as_tool_error(item, server, "") is not None:
            return item
    return exc


def _stderr_hint(stderr: StderrTail | None) -> str:
    text = stderr.text().strip() if stderr is not None else ""
    if not text:
        return ""
    return "\n--- server stderr (last lines) ---\n" + "\n".join(text.splitlines()[-20:])


def _interpreter_hint(spec: McpSpec, env: Mapping[str, str] | None) -> str:
    """For a ``python ...`` server that failed to start under another interpreter than bench's.

    bench runs a server's command as written, so ``python`` is the first one on PATH; when bench
    itself runs from a virtual environment that is not activated, that is often a Python
    without the server's packages. Say which one ran (a hint, the behaviour stays).
    """
    if not isinstance(spec, StdioServer) or spec.command[0] not in ("python", "python3"):
        return ""
    path = _process_env(spec, env).get("PATH")
    found = shutil.which(spec.command[0], path=path)
    if found is None or os.path.realpath(found) == os.path.realpath(sys.executable):
        return ""
    return (
        f"\nhint: '{spec.command[0]}' here is {found}, not the Python bench runs in "
        f"({sys.executable}): install the server's packages for it, or activate bench's "
        "environment (or write the interpreter's full path in the command)"
    )


def _transport(
    spec: McpSpec, env: Mapping[str, str] | None, stderr: StderrTail | None
) -> Transport:
    """The SDK transport for ``spec``, with secrets resolved at this moment only."""
    if isinstance(spec, StdioServer):
        assert stderr is not None
        params = StdioServerParameters(
            command=spec.command[0],
            args=list(spec.command[1:]),
            # The SDK merges this over a minimal safe set; we pass the whole runner
            # environment (agent-benchmark inherits it all) plus the spec's own.
            env=_process_env(spec, env),
            cwd=spec.working_dir,
        )
        errlog: TextIO = stderr.writer()
        return _Spawn(stdio_client(params, errlog=errlog), spec)
    headers = _headers(spec, env)
    if isinstance(spec, SseServer):
        return sse_client(spec.url, headers=headers or None)
    return _streamable_http(spec.url, headers)


@asynccontextmanager
async def _streamable_http(url: str, headers: dict[str, str]) -> AsyncIterator[TransportStreams]:
    """Streamable HTTP with our headers on every request (agent-benchmark drops them)."""
    async with create_mcp_http_client(headers=headers or None) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


class _Spawn:
    """Wraps the stdio transport so a failed spawn names the command."""

    def __init__(
        self, inner: AbstractAsyncContextManager[TransportStreams], spec: StdioServer
    ) -> None:
        self._inner = inner
        self._spec = spec

    async def __aenter__(self) -> TransportStreams:
        try:
            return await self._inner.__aenter__()
        except OSError as exc:
            raise ToolServerError(
                f"server {self._spec.name!r}: cannot start {self._spec.command[0]!r}: {exc}",
                server=self._spec.name,
            ) from exc

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return await self._inner.__aexit__(*exc_info)


class _DelayedTransport:
    """Enters a transport, then waits ``delay`` seconds before the handshake may start."""

    def __init__(self, inner: Transport, delay: float) -> None:
        self._inner = inner
        self._delay = delay

    async def __aenter__(self) -> TransportStreams:
        streams = await self._inner.__aenter__()
        if self._delay > 0:
            try:
                await anyio.sleep(self._delay)
            except BaseException:
                await self._inner.__aexit__(None, None, None)
                raise
        return streams

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return await self._inner.__aexit__(*exc_info)


def _process_env(spec: StdioServer, env: Mapping[str, str] | None) -> dict[str, str]:
    base = dict(os.environ if env is None else env)
    for key, value in spec.env.items():
        base[key] = resolve(value, env, what=f"env {key} of server {spec.name!r}") or ""
    return base


def _headers(spec: SseServer | HttpServer, env: Mapping[str, str] | None) -> dict[str, str]:
    return {
        h.name: resolve(h.value, env, what=f"header {h.name} of server {spec.name!r}") or ""
        for h in spec.headers
    }
