"""Which tool-server instances a unit uses, by each server's ``lifecycle``.

``run`` servers live in one pool for the whole run (shared by every agent and unit: MCP
requests carry ids, so concurrent calls on one session are safe), ``agent`` servers in one
pool per agent, ``session`` servers in a pool of the unit's own, closed when it ends.

A bounded warm pool opens the per-session servers of the next units while earlier units
run: at most ``ahead`` pools are started and not yet claimed, in plan order. A unit whose
pool failed to start sees the same error, raised from its own ``tools_for``, as it would
have had it started them itself. Every pool is entered and left by one task (anyio cancel
scopes), all inside the ``async with RunServers(...)`` block, so every process is stopped
when the run ends, is cancelled (Ctrl-C twice, SIGTERM) or fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup

from .errors import ToolServerError
from .plan import BuiltinAgent, Plan, ServerSpec, Unit
from .providers.base import ToolSpec
from .services import Services, ToolPool
from .transcript import ToolResult

__all__ = ["RunServers"]


@dataclass
class _Warm:
    """A unit's per-session pool, opened ahead of the unit by a warm task."""

    ready: anyio.Event = field(default_factory=anyio.Event)
    done: anyio.Event = field(default_factory=anyio.Event)
    pool: ToolPool | None = None
    tools: list[tuple[ToolSpec, str]] | None = None
    error: BaseException | None = None


class RunServers:
    """The tool servers of one run: ``async with RunServers(plan, units, services, env, ahead=n)``."""

    def __init__(
        self,
        plan: Plan,
        units: Sequence[Unit],
        services: Services,
        env: Mapping[str, str] | None,
        *,
        ahead: int,
        agents: Sequence[str] | None = None,
    ) -> None:
        """``units``: the units whose per-session servers the warm pool may start ahead, in
        order (read one at a time as it goes); ``agents``: the agents of the run's units
        (read from ``units`` when not given)."""
        self.plan = plan
        self.services = services
        self.env = env
        self.ahead = max(0, ahead)
        self._lifecycles = {s.name: s.lifecycle for s in plan.servers}
        if agents is None:
            agents = list(dict.fromkeys(u.agent for u in units))
        self._units = units
        self._warmed = {a for a in agents if self._session_part_of(a) is not None}
        """The agents with per-session servers (or a skill): only their units are warmed."""
        self._stack = AsyncExitStack()
        self._run_pool: ToolPool | None = None
        self._agent_pools: dict[str, ToolPool] = {}
        self._warm: dict[str, _Warm] = {}
        self._claimed: set[str] = set()
        self._tg: TaskGroup | None = None
        self._slots = anyio.Semaphore(max(1, self.ahead))
        used = self._used_servers(agents)
        self._run_specs = [s for s in used if s.lifecycle == "run"]
        self._agent_specs: dict[str, list[ServerSpec]] = {}
        for name in agents:
            agent = plan.agent(name)
            if isinstance(agent, BuiltinAgent) and name not in self._agent_specs:
                specs = [s for s in self._specs(agent) if s.lifecycle == "agent"]
                if specs:
                    self._agent_specs[name] = specs

    def _specs(self, agent: BuiltinAgent) -> list[ServerSpec]:
        names = [s.name for s in agent.servers]
        return [s for s in self.plan.servers if s.name in names]

    def _used_servers(self, agents: Sequence[str]) -> list[ServerSpec]:
        used: dict[str, ServerSpec] = {}
        for name in agents:
            agent = self.plan.agent(name)
            if isinstance(agent, BuiltinAgent):
                for spec in self._specs(agent):
                    used.setdefault(spec.name, spec)
        return list(used.values())

    def _session_part(self, unit: Unit) -> BuiltinAgent | None:
        """The unit's agent narrowed to its per-session servers (and skill); None if none."""
        return self._session_part_of(unit.agent)

    def _session_part_of(self, name: str) -> BuiltinAgent | None:
        agent = self.plan.agent(name)
        if not isinstance(agent, BuiltinAgent):
            return None
        return self._session_agent(agent)

    def lifecycle(self, server: str) -> str:
        """The lifecycle of ``server`` (``session`` for a name the plan does not declare)."""
        return self._lifecycles.get(server, "session")

    def _session_agent(self, agent: BuiltinAgent) -> BuiltinAgent | None:
        refs = tuple(r for r in agent.servers if self.lifecycle(r.name) == "session")
        if not refs and agent.skill is None:
            return None
        return agent.model_copy(update={"servers": refs})

    async def __aenter__(self) -> RunServers:
        await self._stack.__aenter__()
        try:
            if self._run_specs:
                self._run_pool = await self._stack.enter_async_context(
                    self.services.open_pool(self._run_specs, self.env)
                )
            for name, specs in self._agent_specs.items():
                self._agent_pools[name] = await self._stack.enter_async_context(
                    self.services.open_pool(specs, self.env)
                )
            if self.ahead > 0 and self._warmed:
                self._tg = await self._stack.enter_async_context(anyio.create_task_group())
                self._tg.start_soon(self._warm_ahead)
        except BaseException:
            await self._stack.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        if self._tg is not None:
            self._tg.cancel_scope.cancel()  # warm pools nobody claimed are closed
        # The run's own error passes by, not through the pools' task groups, which would
        # wrap it in an ExceptionGroup (the CLI maps the bare error to an exit code).
        await self._stack.__aexit__(None, None, None)
        return None

    async def _warm_ahead(self) -> None:
        assert self._tg is not None
        for unit in self._units:
            if unit.agent not in self._warmed:
                continue
            await self._slots.acquire()  # given back when the unit claims its pool
            if unit.id in self._claimed:
                self._slots.release()
                continue
            warm = self._warm[unit.id] = _Warm()
            self._tg.start_soon(self._hold, unit, warm)

    async def _hold(self, unit: Unit, warm: _Warm) -> None:
        """Open the unit's per-session pool, start its servers, keep it until the unit ends."""
        part = self._session_part(unit)
        assert part is not None
        specs = self._specs(part)
        try:
            async with self.services.open_pool(specs, self.env) as pool:
                warm.pool = pool
                try:
                    warm.tools = await pool.tools_for(part)
                except Exception as exc:  # the unit raises it from its own tools_for
                    warm.error = exc
                warm.ready.set()
                await warm.done.wait()
        except Exception as exc:  # opening the pool itself failed
            warm.error = exc
        finally:
            warm.ready.set()

    @asynccontextmanager
    async def for_unit(self, unit: Unit, agent: BuiltinAgent) -> AsyncIterator[ToolPool]:
        """The unit's tools: run and agent pools shared, its per-session pool its own."""
        part = self._session_part(unit)
        warm = self._warm.pop(unit.id, None)
        if warm is None:
            self._claimed.add(unit.id)
        else:
            self._slots.release()
        if part is None:
            yield _Merged(self, agent, None, None)
        elif warm is not None:
            try:
                await warm.ready.wait()
                if warm.pool is None:
                    assert warm.error is not None
                    raise warm.error
                yield _Merged(self, agent, warm.pool, warm)
            finally:
                warm.done.set()
        else:
            async with self.services.open_pool(self._specs(part), self.env) as pool:
                yield _Merged(self, agent, pool, None)


class _Merged:
    """One unit's view of its servers: each call goes to the pool that owns the server."""

    def __init__(
        self, servers: RunServers, agent: BuiltinAgent, own: ToolPool | None, warm: _Warm | None
    ) -> None:
        self.servers = servers
        self.agent = agent
        self.own = own
        self.warm = warm
        self.route: dict[str, ToolPool] = {}

    def _parts(self) -> list[tuple[ToolPool, BuiltinAgent]]:
        s, agent = self.servers, self.agent
        parts: list[tuple[ToolPool, BuiltinAgent]] = []

        def narrowed(kind: str, skill: bool) -> BuiltinAgent:
            refs = tuple(r for r in agent.servers if s.lifecycle(r.name) == kind)
            return agent.model_copy(
                update={"servers": refs, "skill": agent.skill if skill else None}
            )

        if s._run_pool is not None and any(s.lifecycle(r.name) == "run" for r in agent.servers):
            parts.append((s._run_pool, narrowed("run", False)))
        pool = s._agent_pools.get(agent.name)
        if pool is not None:
            parts.append((pool, narrowed("agent", False)))
        return parts

    async def tools_for(self, agent: BuiltinAgent) -> list[tuple[ToolSpec, str]]:
        found: list[tuple[ToolSpec, str]] = []
        for pool, part in self._parts():
            for tool, server in await pool.tools_for(part):
                self.route[server] = pool
                found.append((tool, server))
        if self.own is not None:
            if self.warm is not None and self.warm.error is not None:
                raise self.warm.error
            if self.warm is not None and self.warm.tools is not None:
                own = self.warm.tools
            else:
                mine = self.servers._session_agent(agent)
                own = await self.own.tools_for(mine) if mine is not None else []
            for tool, server in own:
                self.route[server] = self.own
                found.append((tool, server))
        # First server in the agent's order wins a name collision; skill tools come last.
        order = {ref.name: i for i, ref in enumerate(agent.servers)}
        found.sort(key=lambda pair: order.get(pair[1], len(order)))
        offered: list[tuple[ToolSpec, str]] = []
        seen: set[str] = set()
        for tool, server in found:
            if tool.name not in seen:
                seen.add(tool.name)
                offered.append((tool, server))
        return offered

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        pool = self.route.get(server)
        if pool is None:
            raise ToolServerError(f"no tool server {server!r}", server=server)
        return await pool.call(server, tool, arguments, timeout_s=timeout_s)
