"""Run a unit (agent x session) of an external agent: the runner's seam for command agents.

The runner opens one ``ExternalAgentPool`` per external agent for the whole run (its
workers are shared by that agent's units, up to ``workers`` cases at once) and, for each
unit, calls ``run_external_unit``. Cases run in order; each sends the rendered prompt with the
session's history so far (the system prompt, a dataset row's earlier turns, earlier prompts and
answers) and the case's metadata (plus ``expected`` for dataset cases), then the case finishes
as the built-in loop's do (``runtime.case_finish``). A fault of the process is a case
``error``; the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any

import anyio

from ..case_finish import CaseRun
from ..cost import PriceTable
from ..judging import Judges
from ..plan import Case, ExternalAgent, Plan, Unit
from ..replay.scope import case_scope
from ..results import CaseResult, result_key
from ..services import Services
from ..transcript import Message
from .external import ExternalAgentPool, open_external_agent

__all__ = ["ExternalPools", "run_external_unit"]

log = logging.getLogger("bench.runtime")


class ExternalPools:
    """One pool (behind its own metrics proxy) per external agent a run uses."""

    def __init__(self, plan: Plan, env: Mapping[str, str] | None, *, traffic: Any = None) -> None:
        """``traffic``: the run's record/replay (runtime.replay.seam.Traffic), if any."""
        self.plan = plan
        self.env = env
        self.traffic = traffic
        self.pools: dict[str, ExternalAgentPool] = {}
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> ExternalPools:
        await self._stack.__aenter__()
        return self

    async def open(self, names: list[str]) -> None:
        """Start the pools of ``names`` (setup commands run here, once per agent)."""
        for name in dict.fromkeys(names):
            agent = self.plan.agent(name)
            assert isinstance(agent, ExternalAgent)
            tape = None
            if self.traffic is not None:
                from ..replay.proxy_tape import ProxyTape

                tape = ProxyTape(self.traffic)
            self.pools[name] = await self._stack.enter_async_context(
                open_external_agent(agent, self.env, tape=tape)
            )

    async def __aexit__(self, *exc: Any) -> None:
        # No shield here: the pools' task groups must exit in the scope they were entered in.
        await self._stack.__aexit__(*exc)


async def run_external_unit(
    unit: Unit,
    agent: ExternalAgent,
    pool: ExternalAgentPool,
    *,
    services: Services,
    write: Callable[[CaseResult], Awaitable[None]],
    draining: Callable[[], bool] = lambda: False,
    attempt: int = 0,
    retries: Mapping[str, int] | None = None,
    judges: Judges | None = None,
    prices: PriceTable | None = None,
) -> None:
    """Run ``unit``'s cases in order on ``pool``; ``write`` each result before the next.

    ``judges`` asks the llm_judge nodes (none are asked without it); ``prices`` prices the
    agent's and the judges' calls (the shipped table when None).
    """
    judges = judges or Judges({})
    history: list[Message | Mapping[str, Any]] = []
    if unit.system_prompt:
        history.append(Message(role="system", content=unit.system_prompt))
    variables: dict[str, str] = {}
    for case in unit.cases:
        if draining():
            return  # the unit stays unfinished: a resume runs it again from the start
        label = f"{unit.agent} / {unit.session} / {case.test}"
        with case_scope(case.id, attempt, label):  # its judges' requests are matched to it
            result = await _run_case(
                unit, agent, pool, case, history, variables, services, judges, prices
            )
        result.attempt = attempt
        if retries:
            result.retry = retries.get(result_key(case.id, attempt), 0)
        await write(result)


async def _run_case(
    unit: Unit,
    agent: ExternalAgent,
    pool: ExternalAgentPool,
    case: Case,
    history: list[Message | Mapping[str, Any]],
    variables: dict[str, str],
    services: Services,
    judges: Judges,
    prices: PriceTable | None,
) -> CaseResult:
    run = CaseRun(unit, case)
    try:
        if case.start_delay_ms > 0:
            await anyio.sleep(case.start_delay_ms / 1000)
        run.render_prompt(variables)
        if case.history and case is unit.cases[0]:
            # A dataset row's earlier turns open its unit's conversation, after the system
            # prompt, as the dataset wrote them; later cases see them as session history.
            history.extend(case.history)
        metadata = dict(case.metadata)
        if case.expected is not None:
            metadata.setdefault("expected", case.expected)
        outcome = await pool.run_case(
            case.id, run.prompt, history, metadata, timeout_s=agent.timeout_ms / 1000
        )
        pre_errors = list(run.transcript.errors)
        run.transcript = outcome.to_transcript(run.prompt)
        run.transcript.errors[:0] = pre_errors
        history.extend(run.transcript.messages)
        if outcome.error is not None:
            run.fault(outcome.error)
        await run.check(variables, services=services, judges=judges)
        run.score({})  # an external agent's tools are its own: their schemas are unknown here
    except (anyio.get_cancelled_exc_class(), KeyboardInterrupt):
        raise
    except Exception as exc:  # one broken case must not take the run down with it
        run.crashed(exc)
    models = [c.model for c in run.transcript.llm_calls if c.purpose == "agent"]
    return run.result(agent=agent.name, prices=prices, model=models[-1] if models else None)
