"""The injected tool server: declared tools answered from the plan's table, no process.

Scenarios (docs/scenarios.md) exercise a model's tool calling without running any tool: the
calls are answered with canned results. The turn a call belongs to (the 1-based position of
the running test in its session) and its session are read from the case scope the runner
opens around every case (``runtime.replay.scope``), so one server serves every session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ..plan import CannedResult, InjectedServer
from ..providers.base import ToolSpec
from ..replay.scope import current_scope
from ..transcript import ToolResult

__all__ = ["InjectedToolServer", "open_injected_server", "turn_of"]


def turn_of(case_id: str) -> int | None:
    """The 1-based turn of case ``<unit id>/<test index>`` (None for any other id)."""
    _, _, index = case_id.rpartition("/")
    return int(index) if index.isdigit() else None


class InjectedToolServer:
    """Implements the ``ToolServer`` protocol over an ``InjectedServer`` spec."""

    def __init__(self, spec: InjectedServer) -> None:
        self.spec = spec
        self.name = spec.name
        self._tools = [
            ToolSpec(
                name=t.name,
                description=t.description,
                input_schema=t.input_schema or {"type": "object", "properties": {}},
            )
            for t in spec.tools
        ]
        self._calls: dict[tuple[str, int, str, tuple[int, bool, bool, bool]], int] = {}
        """Calls answered so far per (case, attempt, tool, specificity): rows in order."""

    async def list_tools(self) -> list[ToolSpec]:
        """The declared tools."""
        return list(self._tools)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Answer from the table (see ``InjectedServer``); an undeclared tool is a tool error."""
        if name not in {t.name for t in self._tools}:
            return _text(f"unknown tool {name!r} on injected server {self.name!r}", error=True)
        scope = current_scope()
        case, attempt, session = (
            (scope.case, scope.attempt, scope.session) if scope is not None else ("", 0, "")
        )
        turn = turn_of(case)
        best: list[CannedResult] = []
        best_rank = (-1, False, False, False)
        for row in self.spec.results:
            if (
                (row.tool is not None and row.tool != name)
                or (row.turn is not None and row.turn != turn)
                or (row.session is not None and row.session != session)
            ):
                continue
            rank = _rank(row)
            if rank > best_rank:
                best, best_rank = [row], rank
            elif rank == best_rank:
                best.append(row)
        if best:
            key = (case, attempt, name, best_rank)
            seen = self._calls.get(key, 0)
            self._calls[key] = seen + 1
            return _answer(best[min(seen, len(best) - 1)])
        return _text(self.spec.default)


def _rank(row: CannedResult) -> tuple[int, bool, bool, bool]:
    """Specificity: fields set, then tool, turn and session set (more is more specific)."""
    fields = (row.tool is not None, row.turn is not None, row.session is not None)
    return (sum(fields), *fields)


def _answer(row: CannedResult) -> ToolResult:
    return _text(row.content, error=row.is_error)


def _text(text: str, *, error: bool = False) -> ToolResult:
    return ToolResult(content=[{"type": "text", "text": text}], is_error=error)


@asynccontextmanager
async def open_injected_server(spec: InjectedServer) -> AsyncIterator[InjectedToolServer]:
    """The server for the block's duration (nothing to start or stop)."""
    yield InjectedToolServer(spec)
