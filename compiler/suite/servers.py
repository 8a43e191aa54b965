"""MCP server entries: stdio, sse, http (streamable) and cli."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from .base import SuiteModel
from .scalars import Duration, Text
from .scenario import CannedResultDef, InjectedToolDef

__all__ = ["LIFECYCLES", "SERVER_TYPES", "ServerDef"]

SERVER_TYPES = ("stdio", "sse", "http", "cli", "injected")
LIFECYCLES = ("run", "agent", "session")


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class ServerDef(SuiteModel):
    """A tool server, referenced by agents through its ``name``."""

    name: Text
    """Name agents use in ``servers:``."""
    type: Annotated[Literal["stdio", "sse", "http", "cli", "injected"], BeforeValidator(_lower)]
    """stdio (local process), sse, http (streamable HTTP), cli (a shell command as one tool) or
    injected (declared tools answered from a table, no process: docs/scenarios.md)."""
    command: Text | None = None
    """stdio: the command line; cli: the program wrapped as a tool."""
    url: Text | None = None
    """sse / http: the endpoint."""
    headers: list[Text] | None = None
    """sse / http: ``"Key: Value"`` strings; secrets as environment references."""
    env: dict[str, Text] | None = None
    """stdio: extra environment variables for the process (bench extension)."""
    server_delay: Duration | None = None
    """How long to wait for the MCP handshake (default 30s)."""
    process_delay: Duration | None = None
    """Pause after starting the process, before the handshake (default 300ms)."""
    shell: Text | None = None
    """cli: bash, sh, zsh, pwsh, powershell or cmd (default bash)."""
    working_dir: Text | None = None
    """stdio / cli: working directory."""
    tool_prefix: Text | None = None
    """cli: the tool is named ``<tool_prefix>_execute`` (default ``cli``)."""
    help_commands: list[Text] | None = None
    """cli: commands whose output describes the tool."""
    help_command: Text | None = None
    """cli: deprecated single form of ``help_commands``."""
    disable_help_auto_discovery: bool = False
    """cli: do not run ``--help`` to describe the tool."""
    lifecycle: Annotated[Literal["run", "agent", "session"], BeforeValidator(_lower)] = "session"
    """How long one started instance serves (bench extension): ``session`` (default) a fresh
    instance for every (agent, session) unit, ``agent`` one per agent for all its sessions,
    ``run`` one for the whole run, shared by every agent and session that uses it."""
    tools: list[InjectedToolDef] | None = None
    """injected: the tools declared to the model."""
    results: list[CannedResultDef] | None = None
    """injected: the canned results calls are answered with."""
    default: Any = None
    """injected: the answer to a call no row of ``results`` matches (default ``{"status": "ok"}``)."""
    tools_from_cli: Any = None
    """Accepted for compatibility; agent-benchmark ignores it and so does bench."""
