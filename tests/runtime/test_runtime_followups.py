"""Runtime follow-ups: evaluators get the case's inputs, built-in cases are priced, event clock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from runtime import ExecuteOptions, execute
from runtime.agents.loop import AgentSetup, run_turn
from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    ExternalAgent,
    ModelPrice,
    ScriptedProvider,
    StdioServer,
)
from runtime.plan.assertions import ExactMatch, MultipleChoice
from runtime.providers.base import ChatRequest, ChatResponse, RetryDecision, ToolRequest
from runtime.runner import ProviderClient
from runtime.services import Services
from runtime.transcript import TokenUsage

from .runtime_helpers import FakePool, case, make_plan, reply, unit
from .runtime_helpers import services as helper_services

pytestmark = pytest.mark.anyio

AGENT = str(Path(__file__).parent / "agents" / "misbehaving_agent.py")


def dataset_case(uid: str, prompt: str, expected: str, metadata: dict[str, Any]) -> Any:
    """A case as a dataset row makes it: the evaluators take expected/metadata from the case."""
    assertions = [ExactMatch(), MultipleChoice()]
    return case(uid, 0, prompt, assertions=assertions).model_copy(
        update={"expected": expected, "metadata": metadata}
    )


@pytest.mark.requirement("eval:inputs")
async def test_builtin_cases_pass_expected_and_metadata_to_evaluators(tmp_path: Path) -> None:
    plan = make_plan(
        [
            unit("u0", [dataset_case("u0", "q1", "B", {"choices": ["red", "blue"]})]),
            unit("u1", [dataset_case("u1", "q2", "A", {"choices": ["red", "blue"]})]),
        ],
        replies=[reply("B", when="q1"), reply("B", when="q2")],
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=Services.default())
    by_id = {r.case_id: r for r in summary.results}
    good, bad = by_id["u0/0"], by_id["u1/0"]
    assert good.status == "passed", [a.message for a in good.assertions]
    assert [a.passed for a in bad.assertions] == [False, False]
    # exact_match compared with the case's expected; multiple_choice read its choices from
    # the case's metadata.
    assert bad.assertions[0].expected == "A"
    assert bad.assertions[1].details["choices"] == ["red", "blue"]
    assert (bad.assertions[1].expected, bad.assertions[1].actual) == ("A", "B")


@pytest.mark.requirement("eval:inputs")
async def test_external_cases_pass_expected_and_metadata_to_evaluators(tmp_path: Path) -> None:
    agent = ExternalAgent(name="ext", command=(sys.executable, AGENT), timeout_ms=20_000)
    plan = make_plan(
        [
            unit("u0", [dataset_case("u0", "echo:B", "B", {"choices": ["x", "y"]})], agent="ext"),
            unit("u1", [dataset_case("u1", "echo:B", "A", {"choices": ["x", "y"]})], agent="ext"),
        ],
        agents=[agent],  # type: ignore[list-item]
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=Services.default())
    by_id = {r.case_id: r for r in summary.results}
    assert by_id["u0/0"].status == "passed", [a.message for a in by_id["u0/0"].assertions]
    assert by_id["u1/0"].status == "failed"


@pytest.mark.requirement("cost:case-agent-run")
@pytest.mark.requirement("cost:overrides")
async def test_builtin_case_cost_uses_the_plan_prices_and_sums_into_the_run(
    tmp_path: Path,
) -> None:
    plan = make_plan(
        [unit("u0", [case("u0", 0, "a")]), unit("u1", [case("u1", 0, "b")])],
        replies=[reply("x", ("t", {}), when="^a"), reply("done"), reply("y", when="^b")],
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="s"),))],
        servers=[StdioServer(name="s", command=("unused",))],
    )
    plan = plan.model_copy(
        update={"prices": {"scripted": ModelPrice(input=1.0, output=2.0)}, "hash": ""}
    ).sealed()
    pool = FakePool({"t": ("s", lambda _a: "ok")})
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=real_eval(pool))
    by_id = {r.case_id: r for r in summary.results}
    per_call = (10 * 1.0 + 5 * 2.0) / 1_000_000  # reply(): 10 in, 5 out
    assert len(by_id["u0/0"].transcript.llm_calls) == 2
    assert by_id["u0/0"].cost_usd == pytest.approx(2 * per_call)
    assert by_id["u1/0"].cost_usd == pytest.approx(per_call)
    assert by_id["u0/0"].judge_cost_usd is None
    assert summary.metadata.totals.cost_usd == pytest.approx(3 * per_call)


def real_eval(pool: FakePool) -> Services:
    """The fake pool with the real evaluators."""
    base = helper_services(pool)
    real = Services.default()
    base.evaluate, base.extract = real.evaluate, real.extract
    return base


@pytest.mark.requirement("cost:case-agent-run")
async def test_unpriced_model_costs_none(tmp_path: Path) -> None:
    plan = make_plan([unit("u0", [case("u0", 0, "a")])], replies=[reply("x")])
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=Services.default())
    assert summary.results[0].cost_usd is None
    assert summary.metadata.totals.cost_usd == 0.0


class _FlakyOnce:
    """A provider whose second call fails once (transient, no wait), then answers."""

    def __init__(self) -> None:
        self.spec = ScriptedProvider(name="p")
        self.calls = 0

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        if self.calls == 1:
            return ChatResponse(
                text="", tool_calls=[ToolRequest(id="c1", name="slow", arguments={})]
            )
        if self.calls == 2:
            raise ConnectionError("reset")
        return ChatResponse(text="done", usage=TokenUsage(input=1, output=1))

    def classify(self, exc: BaseException) -> RetryDecision:
        return RetryDecision(kind="transient", retry_after=0.0, message=str(exc))

    async def aclose(self) -> None:
        return None


@pytest.mark.requirement("retry:case-clock")
async def test_retry_events_are_timed_from_the_case_start() -> None:
    async def slow(_args: dict[str, Any]) -> str:
        await anyio.sleep(0.03)
        return "ok"

    provider = _FlakyOnce()
    client = ProviderClient(provider.spec, provider, None)
    pool = FakePool({"slow": ("s", slow)})
    out = await run_turn(
        AgentSetup(model=client, tools=await pool.tools_for(None), caller=pool),  # type: ignore[arg-type]
        history=[],
        prompt="go",
        conversation_id="u",
    )
    tr = out.transcript
    [retry] = [e for e in tr.events if e.kind == "retry"]
    second = tr.llm_calls[1]
    # On the call's own clock the retry would be at ~0 ms, before the second call started.
    assert second.started_ms > 0
    assert retry.at_ms >= second.started_ms
    assert second.attempts == 2
