"""Tool servers: MCP (stdio, SSE, streamable HTTP), agent-benchmark's cli type, skills,
and injected servers (canned results, no process).

``open_server(spec)`` starts or connects one server as an ``async with`` resource;
``ServerPool`` owns the servers of a run and restarts one that died.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from ..plan import CliServer, InjectedServer, ServerSpec
from .base import ToolServer as ToolServer
from .cli import CliToolServer as CliToolServer
from .cli import open_cli_server
from .client import McpServer as McpServer
from .client import ServerGoneError as ServerGoneError
from .client import open_mcp_server
from .injected import InjectedToolServer as InjectedToolServer
from .injected import open_injected_server
from .pool import ServerPool as ServerPool
from .skills import SkillServer as SkillServer

__all__ = [
    "CliToolServer",
    "InjectedToolServer",
    "McpServer",
    "ServerGoneError",
    "ServerPool",
    "SkillServer",
    "ToolServer",
    "open_server",
]


@asynccontextmanager
async def open_server(
    spec: ServerSpec, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[ToolServer]:
    """Start or connect the server ``spec`` describes, for the block's duration.

    MCP servers honour ``process_delay_ms`` and then ``server_delay_ms`` as the initialize
    timeout; a cli server runs its help discovery. Secrets in headers and env values are
    resolved from ``env`` (``os.environ`` when None) at this moment only. Failures to start
    raise ``ToolServerError``.
    """
    if isinstance(spec, InjectedServer):
        async with open_injected_server(spec) as injected:
            yield injected
    elif isinstance(spec, CliServer):
        async with open_cli_server(spec, env=env) as cli:
            yield cli
    else:
        async with open_mcp_server(spec, env=env) as mcp:
            yield mcp
