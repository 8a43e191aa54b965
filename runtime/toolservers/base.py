"""The tool-server seam: list tools, call one; MCP and cli servers both implement it."""

from __future__ import annotations

from typing import Any, Protocol

from ..providers.base import ToolSpec
from ..transcript import ToolResult

__all__ = ["ToolServer"]


class ToolServer(Protocol):
    """A started tool server (an ``async with`` resource opened by ``toolservers.open_server``)."""

    name: str

    async def list_tools(self) -> list[ToolSpec]:
        """The server's tools."""
        ...

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Call a tool; raise ``ToolServerError`` on transport failure or timeout."""
        ...
