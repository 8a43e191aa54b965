"""MCP tool-server specs: stdio, SSE, streamable HTTP, and agent-benchmark's cli wrapper."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Frozen, Span
from .scenario import CannedResult, InjectedTool
from .secrets import SecretRef

__all__ = [
    "CliServer",
    "Header",
    "HttpServer",
    "InjectedServer",
    "ServerSpec",
    "SseServer",
    "StdioServer",
]


class Header(Frozen):
    """One HTTP header; the value may carry a secret."""

    name: str
    value: str | SecretRef


class _ServerBase(Frozen):
    name: str
    server_delay_ms: int = 30_000
    """How long to wait for the MCP initialize handshake."""
    process_delay_ms: int = 300
    """Pause after starting the process (or before connecting) and before initializing."""
    lifecycle: Literal["run", "agent", "session"] = "session"
    """How long one started instance serves: a unit (``session``), all units of one agent
    (``agent``) or the whole run (``run``, shared by every agent and unit using it)."""
    span: Span | None = None


class StdioServer(_ServerBase):
    """A local process speaking MCP on stdin/stdout."""

    type: Literal["stdio"] = "stdio"
    command: tuple[str, ...]
    """argv; the suite's command string split with shell quoting rules."""
    env: dict[str, str | SecretRef] = {}
    """Extra environment for the process (inherits the runner's environment)."""
    working_dir: str | None = None


class SseServer(_ServerBase):
    """A remote MCP server over Server-Sent Events."""

    type: Literal["sse"] = "sse"
    url: str
    headers: tuple[Header, ...] = ()


class HttpServer(_ServerBase):
    """A remote MCP server over streamable HTTP."""

    type: Literal["http"] = "http"
    url: str
    headers: tuple[Header, ...] = ()


class CliServer(_ServerBase):
    """A shell command wrapped as one tool ``<tool_prefix>_execute`` taking ``args``."""

    type: Literal["cli"] = "cli"
    command: str
    shell: str = "bash"
    working_dir: str | None = None
    tool_prefix: str = "cli"
    help_commands: tuple[str, ...] = ()
    """Commands whose output describes the tool; auto-discovered when empty."""
    disable_help_auto_discovery: bool = False


class InjectedServer(_ServerBase):
    """Declared tools answered from a table of canned results: no process, no connection.

    A call is answered by the most specific rows of ``results`` that match it (a row matches
    when each of its ``tool``, ``turn`` and ``session`` is unset or equal to the call's; more
    fields set is more specific, ties go to ``tool``, then ``turn``), else by ``default``.
    Several equally specific rows answer that turn's successive calls in order (the last one
    repeats).
    """

    type: Literal["injected"] = "injected"
    tools: tuple[InjectedTool, ...]
    results: tuple[CannedResult, ...] = ()
    default: str = '{"status": "ok"}'
    """Answer to a call no row matches."""


ServerSpec = Annotated[
    StdioServer | SseServer | HttpServer | CliServer | InjectedServer,
    Field(discriminator="type"),
]
"""Any tool-server spec, discriminated on ``type``."""
