"""An external agent's own LLM calls, through the metrics proxy, recorded and replayed.

The agent (tests/runtime/agents/misbehaving_agent.py, ``llm``) calls OPENAI_BASE_URL itself,
streamed; the proxy records each call's body and answer, and in the replay answers from the
cassette after the fake has stopped: the agent gets the same bytes, the transcript the same
measured tokens.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import ExternalAgent
from runtime.plan.assertions import OutputContains
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app

from .runtime_helpers import case, make_plan, unit

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

AGENT = str(Path(__file__).parent / "agents" / "misbehaving_agent.py")


def plan_for(url: str, second: str = "llm"):  # type: ignore[no-untyped-def]
    agent = ExternalAgent(
        name="ext", command=(sys.executable, AGENT),
        env={"OPENAI_BASE_URL": f"{url}/v1"}, workers=2, timeout_ms=20_000,
    )  # fmt: skip
    units = [
        unit("u1", [case("u1", 0, "llm", assertions=[OutputContains(value="from the model")])],
             agent="ext"),
        unit("u2", [case("u2", 0, second, assertions=[OutputContains(value="nope")])],
             agent="ext"),
    ]  # fmt: skip
    return make_plan(units, agents=[agent])  # type: ignore[list-item]


async def test_the_proxy_records_and_replays_an_external_agents_calls(tmp_path: Path) -> None:
    fake = FakeLLM(default=Reply(text="from the model", usage=Usage(30, 6)))
    cassette = tmp_path / "cas"
    with serve_in_thread(openai_app(fake)) as url:
        live = await execute(plan_for(url), ExecuteOptions(output_dir=tmp_path, record=cassette))
    assert fake.count == 2
    statuses = {r.case_id: r.status for r in live.results}
    assert statuses == {"u1/0": "passed", "u2/0": "failed"}
    text = (cassette / "cassette.jsonl").read_text()
    assert '"kind":"http"' in text and "sk-test" not in text  # the agent's header: never

    replayed = await execute(plan_for(url), ExecuteOptions(output_dir=tmp_path, replay=cassette))
    assert {r.case_id: r.status for r in replayed.results} == statuses
    for a, b in zip(replayed.results, live.results, strict=True):
        assert a.transcript.final_output == b.transcript.final_output
        assert [c.usage for c in a.transcript.llm_calls] == [
            c.usage for c in b.transcript.llm_calls
        ]
        assert [c.latency_ms for c in a.transcript.llm_calls] == [
            c.latency_ms for c in b.transcript.llm_calls
        ]
    assert replayed.metadata.traffic is not None and replayed.metadata.traffic.replayed == 2


async def test_a_call_the_cassette_lacks_is_a_case_error(tmp_path: Path) -> None:
    fake = FakeLLM(default=Reply(text="from the model", usage=Usage(30, 6)))
    cassette = tmp_path / "cas"
    with serve_in_thread(openai_app(fake)) as url:
        # u2 makes no LLM call while recording ...
        await execute(
            plan_for(url, second="echo:x"), ExecuteOptions(output_dir=tmp_path, record=cassette)
        )
    # ... and one in the replay: the proxy answers 502 and the case is an error saying why
    edited = await execute(plan_for(url), ExecuteOptions(output_dir=tmp_path, replay=cassette))
    by_id = {r.case_id: r for r in edited.results}
    assert by_id["u1/0"].status == "passed"
    error = by_id["u2/0"].error or ""
    assert by_id["u2/0"].status == "error"
    assert "LLM request (metrics proxy) of case ext / session u2 / test 0 (attempt 0)" in error
    assert "nothing was recorded for this case" in error
    assert edited.metadata.traffic is not None and edited.metadata.traffic.misses == 1
