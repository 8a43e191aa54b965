"""execute() runs a plan with an external (command) agent end to end, behind the metrics proxy."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.cost import cost_of
from runtime.plan import ExternalAgent
from runtime.plan.assertions import OutputContains
from runtime.store import read_results
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app

from .runtime_helpers import case, make_plan, unit

pytestmark = pytest.mark.anyio

AGENT = str(Path(__file__).parent / "agents" / "misbehaving_agent.py")


@pytest.fixture
def fake_url() -> Iterator[str]:
    fake = FakeLLM(default=Reply(text="from the model", usage=Usage(30, 6, cached=10)))
    with serve_in_thread(openai_app(fake)) as url:
        yield url


@pytest.mark.requirement("external:run")
async def test_execute_runs_an_external_agent_and_records_measured_calls(
    tmp_path: Path, fake_url: str
) -> None:
    agent = ExternalAgent(
        name="ext",
        command=(sys.executable, AGENT),
        env={"OPENAI_BASE_URL": f"{fake_url}/v1"},
        workers=2,
        timeout_ms=20_000,
    )
    plan = make_plan(
        [
            unit(
                "u1",
                [
                    case("u1", 0, "llm", assertions=[OutputContains(value="from the model")]),
                    case("u1", 1, "history"),
                    case("u1", 2, "echo:nope", assertions=[OutputContains(value="yes")]),
                ],
                agent="ext",
            ),
            unit("u2", [case("u2", 0, "segv"), case("u2", 1, "echo:after")], agent="ext"),
        ],
        agents=[agent],  # type: ignore[list-item]  # make_plan is typed for built-in agents
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path))
    by_id = {r.case_id: r for r in summary.results}
    llm = by_id["u1/0"]
    assert llm.status == "passed" and llm.agent == "ext" and llm.model == "gpt-4o-mini"
    [call] = llm.transcript.llm_calls
    assert (call.usage.input, call.usage.output, call.usage.cached) == (30, 6, 10)
    assert call.ttft_ms is not None
    assert (llm.transcript.usage.input, llm.transcript.usage.output) == (30, 6)
    assert llm.cost_usd == cost_of("gpt-4o-mini", call.usage)
    # The second case of the session saw the first one's prompt and answer as history.
    assert by_id["u1/1"].transcript.final_output == "2"
    assert by_id["u1/2"].status == "failed"
    crash = by_id["u2/0"]
    assert crash.status == "error" and "SIGSEGV" in (crash.error or "")
    assert by_id["u2/1"].status == "passed"  # the run went on after the crash
    totals = summary.metadata.totals
    assert (totals.passed, totals.failed, totals.errors) == (3, 1, 1)
    stored = read_results(summary.run_dir / "results.jsonl")
    assert set(stored) == set(by_id)
