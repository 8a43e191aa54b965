"""Runs the units of one plan against one run store.

A unit is an (agent, session) pair: its cases run in order, share message history and
extracted variables, and use the tool servers their lifecycle gives them (runtime.unit_servers:
per session by default, so no state leaks between sessions; per agent or per run when the
suite says so), with the next units' per-session servers started ahead (a bounded warm pool). Providers are created once for the run and shared by every unit.

A drained ``StopRequest`` (the first Ctrl-C) is checked before each unit and each case: the
case in flight finishes and is written, and nothing after it starts.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import replace
from typing import Any

import anyio

from .agents.loop import AgentSetup, ModelClient, history_messages, run_turn
from .budget import Budget
from .case_finish import CaseRun
from .errors import ToolReplayMissError, ToolServerError
from .interrupt import StopRequest
from .plan import (
    AgentSpec,
    BuiltinAgent,
    Case,
    ExternalAgent,
    Generation,
    Plan,
    ProviderSpec,
    Unit,
    WorkItems,
)
from .plan.facts import unit_facts
from .providers.base import ChatRequest, ChatResponse, Provider, ToolSpec
from .providers.send_order import prompt_request_writes
from .replay.scope import case_scope
from .results import CaseResult, result_key
from .retry import call_with_retry
from .scheduler import run_concurrently
from .services import Services, ToolPool
from .store import ResultWriter, RunStore
from .transcript import Message, RunEvent, ToolResult, Transcript

__all__ = ["ProviderClient", "UnitRunner"]

log = logging.getLogger("bench.runtime")


class ProviderClient:
    """A provider with its retry policy and rate limiter: the loop's ModelClient."""

    def __init__(
        self,
        spec: ProviderSpec,
        provider: Provider,
        limiter: Any,
        generation: Generation | None = None,
    ) -> None:
        self.name = spec.name
        self.model = spec.model
        self.spec = spec
        self.provider = provider
        self.limiter = limiter
        self.generation = generation
        """An agent's generation parameters (over the provider's); None: the provider's."""

    def for_agent(self, agent: BuiltinAgent) -> ProviderClient:
        """This client with ``agent``'s generation parameters (the same provider and limiter)."""
        if agent.generation == Generation():
            return self
        merged = agent.generation.over(self.spec.generation)
        return ProviderClient(self.spec, self.provider, self.limiter, merged)

    async def chat(
        self,
        request: ChatRequest,
        on_event: Callable[[RunEvent], None],
        *,
        now_ms: Callable[[], float] | None = None,
    ) -> tuple[ChatResponse, int]:
        """One call through call_with_retry (the spec's retry policy, this provider's limiter)."""
        if self.generation is not None and request.generation is None:
            request = replace(request, generation=self.generation)
        return await call_with_retry(
            self.provider,
            request,
            policy=self.spec.retry,
            limiter=self.limiter,
            on_event=on_event,
            now_ms=now_ms,
        )


def import_mcp_client() -> None:
    """Import the MCP client library (about 2 s of CPU here), if it is installed."""
    try:
        import runtime.toolservers.client  # noqa: F401
    except ImportError:  # the pool reports a missing mcp when a server starts
        return


class _Preload:
    """The provider adapters' SDK imports, in a worker thread (see ``UnitRunner.run``)."""

    def __init__(self, specs: Sequence[ProviderSpec]) -> None:
        from .providers.registry import preload_adapters

        self._thread = threading.Thread(
            target=preload_adapters, args=(tuple(specs),), name="bench-sdk-import", daemon=True
        )
        self._started = False

    def start(self) -> None:
        """Begin importing."""
        self._thread.start()
        self._started = True

    async def wait(self) -> None:
        """Until the imports are done (at once when never started)."""
        if self._started and self._thread.is_alive():
            await anyio.to_thread.run_sync(self._thread.join, abandon_on_cancel=True)


class UnitRunner:
    """Runs units of one plan against one store: providers once, units under the scheduler."""

    def __init__(
        self,
        plan: Plan,
        store: RunStore,
        services: Services,
        *,
        concurrency: int | None = None,
        env: Mapping[str, str] | None = None,
        on_result: Callable[[CaseResult], None] | None = None,
        stop: StopRequest | None = None,
        retries: Mapping[str, int] | None = None,
        warm_ahead: int | None = None,
        budget: Budget | None = None,
    ) -> None:
        """``warm_ahead``: how many units' per-session servers may be started ahead of the
        units that use them (default: ``concurrency``; 0 turns the warm pool off)."""
        self.plan = plan
        self.store = store
        self.services = services
        self.concurrency = concurrency or plan.settings.concurrency
        self.env = env
        self.on_result = on_result
        self.stop = stop
        self.retries = retries or {}
        self.clients: dict[str, ProviderClient] = {}
        self._models: dict[str, ProviderClient] = {}
        """Each built-in agent's client (its provider's, with the agent's generation)."""
        self._specs: dict[str, ProviderSpec] = {}
        self._agents: dict[str, AgentSpec] = {}
        self.judges: Any = None
        """runtime.judging.Judges (llm_judge) while a run is in progress."""
        self.prices: Any = None
        """runtime.cost.PriceTable: the shipped prices with the plan's overrides."""
        self.writer: ResultWriter | None = None
        self.external_pools: Any = None
        """runtime.agents.external_unit.ExternalPools while a run is in progress."""
        self.servers: Any = None
        """runtime.unit_servers.RunServers while a run is in progress."""
        self.warm_ahead = warm_ahead
        self.budget = budget
        """The run's budget (runtime/budget.py); reached: the run drains like a first Ctrl-C."""
        facts = unit_facts(plan.units)  # a streamed plan gathered them when it was opened
        self.last_case_id = facts.last_case_id
        self.first_unit_of_agent: dict[str, str] = dict(facts.agents)

    async def run(self, work: Sequence[tuple[Unit, int]]) -> None:
        """Run each (unit, attempt) of ``work`` (``runtime.plan.work_items``), concurrently."""
        from .agents.external_unit import ExternalPools
        from .cost import table_for
        from .judging import JudgeCache, Judges, judge_providers
        from .unit_servers import RunServers

        # The agents and the judges' providers the work needs: WorkItems know them (from
        # the plan's facts, or from the one pass that chose the items); other work is read.
        if isinstance(work, WorkItems):
            agents = dict.fromkeys(work.agents)
            judges = dict.fromkeys(work.judges)
        else:
            agents, judges = {}, {}
            for unit, _ in work:
                agents[unit.agent] = None
                for case in unit.cases:
                    judges.update(dict.fromkeys(judge_providers(case.assertions)))
        external = [a for a in agents if isinstance(self.plan.agent(a), ExternalAgent)]
        specs = self._needed_providers(list(agents), list(judges))
        preload = _Preload(specs)
        try:
            if not self._answered_from_cassette():
                if self._uses_mcp(agents):
                    # The MCP client library first (servers cannot start without it), then
                    # the provider SDKs in a worker thread while the servers' processes
                    # start: their start-up runs on another core instead of after the SDKs.
                    import_mcp_client()
                preload.start()
            self.prices = table_for(self.plan.prices)
            cache = JudgeCache.for_run(self.store.path, redact=self.store.redact)
            await cache.load()
            # A repeated unit's later attempts reuse its id: the warm pool starts servers
            # for each unit's first run; later attempts start theirs when they begin.
            first_runs: Sequence[Unit] = (
                work.first_runs()
                if isinstance(work, WorkItems)
                else list({u.id: u for u, a in reversed(work) if a == 0}.values())[::-1]
            )
            servers = RunServers(
                self.plan,
                first_runs,
                self.services,
                self.env,
                ahead=self._warm_ahead(first_runs),
                agents=list(agents),
            )
            async with (
                self.store.writer() as writer,
                ExternalPools(self.plan, self.env, traffic=self.services.traffic) as pools,
            ):
                # Before the servers: the pools' task groups (agent processes, proxies) must
                # be entered, and so exited, on the same side of the servers' task group.
                await pools.open(external)  # setup commands and metrics proxies, once per agent
                async with servers:
                    await preload.wait()
                    self._create_providers(specs)
                    self.judges = Judges(self.clients, cache, asked=bool(judges))
                    self.servers = servers
                    self.writer = writer
                    self.external_pools = pools
                    with _frozen_heap(), prompt_request_writes():
                        await run_concurrently(work, self._run_unit, concurrency=self.concurrency)
        finally:
            await preload.wait()
            with anyio.CancelScope(shield=True):
                for client in self.clients.values():
                    try:
                        await client.provider.aclose()
                    except Exception as exc:  # closing must not hide the run's outcome
                        log.warning("closing provider %s failed: %s", client.name, exc)

    def _needed_providers(self, agents: Sequence[str], judges: Sequence[str]) -> list[ProviderSpec]:
        """The providers of these agents (built-in ones' and their clarification judges') and
        of these llm_judge judges (external agents bring their own LLM clients)."""
        needed = list(judges)
        for name in agents:
            agent = self.plan.agent(name)
            if not isinstance(agent, BuiltinAgent):
                continue
            needed.append(agent.provider)
            judge = agent.clarification.judge_provider if agent.clarification else None
            if judge and judge != "$self":
                needed.append(judge)
        return [self.plan.provider(name) for name in dict.fromkeys(needed)]

    def _answered_from_cassette(self) -> bool:
        """A replay without ``--record-missing``: no provider is called and no server starts,
        so neither the SDKs (1.5-3.4 s of CPU each) nor the MCP client are imported; a
        provider made for a miss would import its SDK when created."""
        traffic = self.services.traffic
        return traffic is not None and traffic.replay and not traffic.record_missing

    def _uses_mcp(self, agents: Iterable[str]) -> bool:
        """True when these agents use an MCP server (stdio, SSE or HTTP)."""
        used = {
            s.name
            for a in agents
            if isinstance(agent := self.plan.agent(a), BuiltinAgent)
            for s in agent.servers
        }
        return any(s.name in used and s.type != "cli" for s in self.plan.servers)

    def _create_providers(self, specs: Sequence[ProviderSpec]) -> None:
        from .ratelimit import RateLimiter

        for spec in specs:
            provider = self.services.create_provider(spec, self.env)
            limiter = RateLimiter.from_spec(spec.rate_limits)
            self.clients[spec.name] = ProviderClient(spec, provider, limiter)

    def _warm_ahead(self, units: Sequence[Unit]) -> int:
        """Units whose per-session servers start ahead: ``concurrency`` unless set. Even when
        every unit runs at once this starts the first servers while the SDKs import."""
        if self.warm_ahead is not None:
            return self.warm_ahead
        return self.concurrency

    def _draining(self) -> bool:
        return self.stop is not None and self.stop.draining

    async def _write(self, result: CaseResult, *, last: bool = False) -> None:
        """Append ``result`` (durable before the unit's next case starts), then report it.

        ``last``: the unit's last case, which no case of its conversation waits for: its line
        is queued and reported once written while the worker goes on to the next unit (a
        budget, which must stop the run before its next case starts, waits for every line).
        """
        assert self.writer is not None
        if last and self.budget is None and self.writer.append_later(result, self._written):
            return
        await self.writer.append(result)
        self._written(result)

    def _written(self, result: CaseResult) -> None:
        if self.budget is not None and self.budget.add(result) and self.stop is not None:
            self.stop.drain()
        if self.on_result is not None:
            self.on_result(result)

    async def _run_external_unit(self, unit: Unit, attempt: int, agent: ExternalAgent) -> None:
        from .agents.external_unit import run_external_unit

        await run_external_unit(
            unit,
            agent,
            self.external_pools.pools[agent.name],
            services=self.services,
            write=self._write,
            draining=self._draining,
            attempt=attempt,
            retries=self.retries,
            judges=self.judges,
            prices=self.prices,
        )

    async def _run_unit(self, item: tuple[Unit, int]) -> None:
        unit, attempt = item
        if self._draining():
            return
        agent = self._agents.get(unit.agent)
        if agent is None:
            agent = self._agents[unit.agent] = self.plan.agent(unit.agent)
        if isinstance(agent, ExternalAgent):
            await self._run_external_unit(unit, attempt, agent)
            return
        settings = self.plan.settings
        pending_events: list[RunEvent] = []
        if settings.session_delay_ms > 0 and self.first_unit_of_agent[unit.agent] != unit.id:
            await anyio.sleep(settings.session_delay_ms / 1000)
            pending_events.append(
                RunEvent(
                    kind="delay",
                    at_ms=0.0,
                    wait_ms=settings.session_delay_ms,
                    detail="session_delay",
                )
            )
        model = self._models.get(agent.name)
        if model is None:  # once per agent: comparing generation settings is not free
            model = self._models[agent.name] = self.clients[agent.provider].for_agent(agent)
        judge: ModelClient | None = None
        if agent.clarification is not None:
            name = agent.clarification.judge_provider
            judge = self.clients[name] if name and name != "$self" else model
        if agent.servers or agent.skill is not None:
            assert self.servers is not None
            pool_cm: AbstractAsyncContextManager[ToolPool] = self.servers.for_unit(unit, agent)
        else:
            pool_cm = _NO_SERVERS  # no MCP import, no task group: the common fast path
        async with pool_cm as pool:
            try:
                tools = await pool.tools_for(agent)
            except ToolReplayMissError as exc:
                # Replay without the recorded tool list (the agent's servers or allowed tools
                # changed): a miss, like any other, is each case's error, not the run's end.
                await self._unit_missed(unit, agent, attempt, exc)
                return
            setup = AgentSetup(
                model=model,
                tools=tools,
                caller=pool,
                max_iterations=settings.max_iterations,
                tool_timeout_s=settings.tool_timeout_ms / 1000
                if settings.tool_timeout_ms
                else None,
                clarification=agent.clarification,
                judge=judge,
            )
            session = _Session(unit, attempt)
            for case in unit.cases:
                if self._draining():
                    return  # the unit stays unfinished: a resume runs it again from the start
                result = await self._run_case(setup, agent, session, case, pending_events, attempt)
                pending_events = []
                await self._write(result, last=case is unit.cases[-1])
                if settings.test_delay_ms > 0 and case.id != self.last_case_id:
                    await anyio.sleep(settings.test_delay_ms / 1000)

    async def _unit_missed(
        self, unit: Unit, agent: BuiltinAgent, attempt: int, exc: ToolReplayMissError
    ) -> None:
        """Every case of ``unit`` ends in ``exc`` (a replay miss of its tool listing)."""
        for case in unit.cases:
            run = CaseRun(unit, case)
            run.fault(str(exc))
            await self._write(self._finished(run, agent, attempt))

    def _finished(self, run: CaseRun, agent: BuiltinAgent, attempt: int) -> CaseResult:
        """The result record of ``run``, a case of ``agent``'s, priced."""
        spec = self._specs.get(agent.provider)
        if spec is None:
            spec = self._specs[agent.provider] = self.plan.provider(agent.provider)
        return run.result(
            agent=agent.name,
            prices=self.prices,
            model=spec.model,
            provider=spec.name,
            provider_type=spec.type,
            attempt=attempt,
            retry=self.retries.get(result_key(run.case.id, attempt), 0),
        )

    async def _run_case(
        self,
        setup: AgentSetup,
        agent: BuiltinAgent,
        session: _Session,
        case: Case,
        events: list[RunEvent],
        attempt: int = 0,
    ) -> CaseResult:
        # Every request the case makes is matched to it (record/replay), on the case's clock.
        label = f"{session.unit.agent} / {session.unit.session} / {case.test}"
        with case_scope(case.id, attempt, label, session.unit.session):
            return await self._run_case_in_scope(setup, agent, session, case, events, attempt)

    async def _run_case_in_scope(
        self,
        setup: AgentSetup,
        agent: BuiltinAgent,
        session: _Session,
        case: Case,
        events: list[RunEvent],
        attempt: int,
    ) -> CaseResult:
        run = CaseRun(session.unit, case, Transcript(events=list(events)))
        if case.start_delay_ms > 0:
            run.transcript.events.append(
                RunEvent(kind="delay", at_ms=0.0, wait_ms=case.start_delay_ms, detail="start_delay")
            )
            await anyio.sleep(case.start_delay_ms / 1000)
        try:
            run.render_prompt(session.variables)
            if case.history and case is session.unit.cases[0]:
                # A dataset row's earlier turns open its unit's conversation (after the
                # system prompt); later cases see them as part of the session's history.
                session.history.extend(history_messages(case.history))
            if case.steer is not None and case.steer.message:
                # A steering event or nudge arrives before the turn's prompt (docs/scenarios.md).
                steering = Message(role="user", content=case.steer.message, at_ms=0.0)
                session.history.append(steering)
            outcome = await run_turn(
                setup,
                history=session.history,
                prompt=run.prompt,
                conversation_id=session.conversation_id,
                session_allowed=session.unit.allowed_tools,
                test_allowed=case.allowed_tools,
                transcript=run.transcript,
            )
            session.history.extend(outcome.new_messages)
            if case.steer is not None and case.steer.message:
                run.transcript.messages.insert(0, steering)
            if outcome.fault is not None:
                run.fault(outcome.fault)
            run.score({spec.name: spec.input_schema for spec, _ in setup.tools})
            await run.check(
                session.variables,
                services=self.services,
                judges=self.judges,
                clarification_enabled=agent.clarification is not None,
            )
        except (anyio.get_cancelled_exc_class(), KeyboardInterrupt):
            raise
        except Exception as exc:  # one broken case must not take the run down with it
            run.crashed(exc)
        return self._finished(run, agent, attempt)


class _Session:
    """A unit's running state: message history and extracted variables."""

    def __init__(self, unit: Unit, attempt: int = 0) -> None:
        self.unit = unit
        self.conversation_id = result_key(unit.id, attempt)
        """The unit's id, with ``@attempt`` for a repeated unit's later attempts: each attempt
        is its own conversation (a scripted provider replays its script for each)."""
        self.history: list[Message] = []
        if unit.system_prompt:
            self.history.append(Message(role="system", content=unit.system_prompt))
        self.variables: dict[str, str] = {}


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Leave everything alive before the units start out of the collector's scans meanwhile.

    Imported modules (the SDKs above all), the plan and the clients live for the whole run,
    yet each full collection walks them: measured 60-90 ms a time, with the event loop
    stopped, several times a run (benchmarks/runtime_bench.py). ``gc.freeze`` moves them to
    the permanent generation, which collections skip; ``gc.unfreeze`` hands them back to the
    oldest generation afterwards, so nothing stays uncollectable. Objects made during the run
    are collected as usual. A host program that froze its own heap is left alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _EmptyPool:
    """The pool of an agent without servers or skill: no tools; calls never reach it. Its
    own context manager (``async with``: itself), shared by every such unit."""

    async def __aenter__(self) -> _EmptyPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def tools_for(self, agent: BuiltinAgent) -> list[tuple[ToolSpec, str]]:
        return []

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        raise ToolServerError(f"no tool server {server!r}", server=server)


_NO_SERVERS = _EmptyPool()
