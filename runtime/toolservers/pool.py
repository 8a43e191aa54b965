"""The servers of one run: started on first use, shared by every case, restarted when dead.

Each server lives in its own owner task inside the pool's task group, so a server started
(or restarted) from whichever case first needs it is still entered and exited by one task,
as anyio's cancel scopes require, and the pool's ``async with`` closes them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup, TaskStatus

from ..errors import ToolServerError
from ..plan import BuiltinAgent, ServerSpec, Skill
from ..providers.base import ToolSpec
from ..transcript import ToolResult
from .base import ToolServer
from .client import ServerGoneError
from .skills import SkillServer, skill_server_name

__all__ = ["ServerPool"]

_log = logging.getLogger(__name__)


@dataclass
class _Live:
    """One started incarnation of a server and its tool list."""

    server: ToolServer
    tools: list[ToolSpec]
    stop: anyio.Event


@dataclass
class _Slot:
    """A server of the plan: its spec and, while it runs, its live incarnation."""

    spec: ServerSpec
    live: _Live | None = None
    starts: int = 0
    lock: anyio.Lock = field(default_factory=anyio.Lock)


class ServerPool:
    """Owns the tool servers of one run: ``async with ServerPool(plan.servers) as pool:``.

    Servers start on first use (``tools_for`` or ``call``), list their tools once, and
    serve every case. A server whose connection is lost fails the call that saw it go
    (``ServerGoneError``) and is started again on the next call or ``tools_for``.
    """

    def __init__(
        self,
        servers: Iterable[ServerSpec],
        *,
        env: Mapping[str, str] | None = None,
        on_restart: Callable[[str], None] | None = None,
    ) -> None:
        """``env`` is where secrets are read (``os.environ`` when None); ``on_restart`` is
        called with a server's name each time a dead server is started again."""
        self._slots = {spec.name: _Slot(spec) for spec in servers}
        self._skills: dict[str, SkillServer] = {}
        self._env = env
        self._on_restart = on_restart
        self._tg: TaskGroup | None = None

    async def __aenter__(self) -> ServerPool:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        for slot in self._slots.values():
            if slot.live is not None:
                slot.live.stop.set()
                slot.live = None
        assert self._tg is not None
        tg, self._tg = self._tg, None
        return await tg.__aexit__(exc_type, exc, tb)

    def restarts(self, server: str) -> int:
        """How many times ``server`` was started again after it died."""
        slot = self._slots.get(server)
        return max(0, slot.starts - 1) if slot is not None else 0

    async def tools_for(self, agent: BuiltinAgent) -> list[tuple[ToolSpec, str]]:
        """The agent's tools with the server answering each, after agent-level allowed_tools.

        Servers are taken in the agent's order and the first server wins a name collision
        (agent-benchmark). An empty or absent ``allowed_tools`` offers every tool. A skill
        with references adds ``list_skill_references`` and ``read_skill_reference`` last.
        """
        lives: dict[str, _Live] = {}
        failures: dict[str, Exception] = {}

        async def start(name: str) -> None:
            try:
                lives[name] = await self._ensure(name)
            except Exception as exc:  # kept to re-raise bare, not inside an ExceptionGroup
                failures[name] = exc

        # Start the agent's servers side by side: start-up dominates a run's first case.
        async with anyio.create_task_group() as tg:
            for ref in agent.servers:
                tg.start_soon(start, ref.name)
        for ref in agent.servers:
            if ref.name in failures:
                raise failures[ref.name]
        offered: list[tuple[ToolSpec, str]] = []
        seen: set[str] = set()
        for ref in agent.servers:
            allowed = set(ref.allowed_tools) if ref.allowed_tools else None
            for tool in lives[ref.name].tools:
                if (allowed is None or tool.name in allowed) and tool.name not in seen:
                    seen.add(tool.name)
                    offered.append((tool, ref.name))
        if agent.skill is not None and agent.skill.references:
            skill = self._skill(agent.skill)
            for tool in await skill.list_tools():
                if tool.name not in seen:
                    seen.add(tool.name)
                    offered.append((tool, skill.name))
        return offered

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Call ``tool`` on ``server``; ``ToolServerError`` on failure or timeout.

        A call that finds the server gone raises ``ServerGoneError`` and retires it; the
        next call starts it again.
        """
        if server in self._skills:
            return await self._skills[server].call_tool(tool, arguments, timeout_s=timeout_s)
        live = await self._ensure(server)
        try:
            return await live.server.call_tool(tool, arguments, timeout_s=timeout_s)
        except ServerGoneError:
            self._retire(server, live)
            raise

    def _skill(self, skill: Skill) -> SkillServer:
        name = skill_server_name(skill)
        if name not in self._skills:
            self._skills[name] = SkillServer(skill)
        return self._skills[name]

    def _retire(self, name: str, live: _Live) -> None:
        slot = self._slots[name]
        if slot.live is live:
            slot.live = None
            live.stop.set()

    async def _ensure(self, name: str) -> _Live:
        slot = self._slots.get(name)
        if slot is None:
            raise ToolServerError(f"unknown tool server {name!r}", server=name)
        if self._tg is None:
            raise RuntimeError("ServerPool used outside its 'async with' block")
        async with slot.lock:
            if slot.live is None:
                live: _Live = await self._tg.start(self._own, slot.spec)
                slot.live = live
                slot.starts += 1
                if slot.starts > 1 and self._on_restart is not None:
                    self._on_restart(name)
            return slot.live

    async def _own(
        self, spec: ServerSpec, *, task_status: TaskStatus[_Live] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Owner task: open the server, hand it over, keep it open until told to stop."""
        from . import open_server

        started = False
        stop = anyio.Event()
        try:
            async with open_server(spec, env=self._env) as server:
                tools = await server.list_tools()
                started = True
                task_status.started(_Live(server, tools, stop))
                await stop.wait()
        except Exception:
            if not started:
                raise  # reaches the start() caller
            # Closing a server that died fails in transport-specific ways; the call that
            # saw it die already reported the failure, and an error here would tear down
            # the whole pool (the task group) with every other server in it.
            _log.debug("server %r: error while closing", spec.name, exc_info=True)
