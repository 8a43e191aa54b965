"""execute(): sessions, extractors feeding prompts, delays, statuses, criteria, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute
from runtime.errors import RunStoreError
from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    Criteria,
    JsonPathExtractor,
    RuntimeTemplate,
    ScriptedProvider,
    Settings,
    StdioServer,
)
from runtime.plan.assertions import OutputContains, ToolCalled
from runtime.store import read_results

from .runtime_helpers import FakePool, case, make_plan, reply, services, unit

pytestmark = pytest.mark.anyio


def counter_pool() -> FakePool:
    state = {"n": 0}

    def create(args: dict[str, Any]) -> str:
        state["n"] += 1
        return json.dumps({"id": f"n{state['n']}", "title": args.get("title")})

    return FakePool({"create_note": ("notes", create), "get_note": ("notes", lambda a: a["id"])})


def two_session_plan(**kw: Any):  # type: ignore[no-untyped-def]
    u1 = unit(
        "u1",
        [
            case(
                "u1", 0, "create a note",
                extractors=[JsonPathExtractor(tool="create_note", path="$.id", variable_name="nid")],
                assertions=[ToolCalled(tool="create_note")],
            ),
            case(
                "u1", 1, RuntimeTemplate(source="read note {{ nid }}", variables=("nid",)),
                assertions=[OutputContains(value="title is a")],
            ),
        ],
    )  # fmt: skip
    u2 = unit("u2", [case("u2", 0, "say hi", assertions=[OutputContains(value="bye")])])
    replies = [
        reply("", ("create_note", {"title": "a"}), when="create"),
        reply("created", when="create"),
        reply("", ("get_note", {"id": "n1"}), when="read note n1"),
        reply("title is a", when="read note"),
        reply("hi", when="say hi"),
    ]
    return make_plan(
        [u1, u2],
        replies=replies,
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="notes"),))],
        servers=[StdioServer(name="notes", command=("notes-server",))],
        **kw,
    )


@pytest.mark.requirement("run:extractor-feeds-prompt")
@pytest.mark.requirement("run:case-status")
async def test_sessions_extractors_and_statuses(tmp_path: Path) -> None:
    plan = two_session_plan()
    seen: list[str] = []
    summary = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, run_id="r", on_result=lambda r: seen.append(r.case_id)),
        services=services(counter_pool()),
    )
    by_id = {r.case_id: r for r in summary.results}
    assert [r.case_id for r in summary.results] == ["u1/0", "u1/1", "u2/0"]
    assert sorted(seen) == ["u1/0", "u1/1", "u2/0"]
    assert by_id["u1/0"].extracted == {"nid": "n1"}
    assert by_id["u1/1"].prompt == "read note n1"
    assert by_id["u1/1"].status == "passed"
    assert by_id["u2/0"].status == "failed"  # output 'hi' lacks 'bye'
    assert summary.metadata.status == "completed"
    assert summary.metadata.totals.passed == 2 and summary.metadata.totals.failed == 1
    assert summary.metadata.totals.input_tokens > 0
    assert not summary.criteria_met and summary.exit_code == 1
    meta = json.loads((tmp_path / "runs" / "r" / "metadata.json").read_text())
    assert meta["status"] == "completed" and meta["criteria_met"] is False


@pytest.mark.requirement("cli:criteria")
async def test_success_rate_criteria(tmp_path: Path) -> None:
    ok = await execute(
        two_session_plan(criteria=Criteria(success_rate=0.6)),
        ExecuteOptions(output_dir=tmp_path, run_id="a"),
        services=services(counter_pool()),
    )
    assert ok.criteria_met and ok.exit_code == 0
    strict = await execute(
        two_session_plan(criteria=Criteria(success_rate=0.7)),
        ExecuteOptions(output_dir=tmp_path, run_id="b"),
        services=services(counter_pool()),
    )
    assert not strict.criteria_met and strict.exit_code == 1


async def test_provider_failure_makes_error_cases_and_exit_3_when_nothing_ran(
    tmp_path: Path,
) -> None:
    plan = make_plan([unit("u1", [case("u1", 0, "hi"), case("u1", 1, "again")])], replies=[])
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=services())
    assert [r.status for r in summary.results] == ["error", "error"]
    assert "no reply left" in (summary.results[0].error or "")
    assert summary.exit_code == 3


@pytest.mark.requirement("run:delays")
async def test_delays_are_recorded(tmp_path: Path) -> None:
    plan = make_plan(
        [
            unit("u1", [case("u1", 0, "a", start_delay_ms=5), case("u1", 1, "b")]),
            unit("u2", [case("u2", 0, "c")]),
        ],
        replies=[reply("x"), reply("y")],
        settings=Settings(test_delay_ms=1, session_delay_ms=2, concurrency=1),
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=services())
    events = {
        r.case_id: [(e.kind, e.detail, e.wait_ms) for e in r.transcript.events]
        for r in summary.results
    }
    assert events == {
        "u1/0": [("delay", "start_delay", 5)],
        "u1/1": [],
        "u2/0": [("delay", "session_delay", 2)],
    }
    # start_delay is not part of the loop's latency
    assert summary.results[0].transcript.latency_ms < summary.results[0].duration_ms


@pytest.mark.requirement("run:resume")
async def test_resume_reruns_unfinished_units_only(tmp_path: Path) -> None:
    plan = two_session_plan()
    first = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, run_id="r"), services=services(counter_pool())
    )
    path = first.run_dir / "results.jsonl"
    lines = path.read_text().splitlines()
    by_id = {json.loads(line)["case_id"]: line for line in lines}
    # As if killed after u1/0 and u2/0 were written, with u1/1 torn mid-line.
    path.write_text(by_id["u1/0"] + "\n" + by_id["u2/0"] + "\n" + by_id["u1/1"][:30])
    pool = counter_pool()
    again = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, resume="r"), services=services(pool)
    )
    assert [(r.case_id, r.status, r.transcript.final_output, r.prompt) for r in again.results] == [
        (r.case_id, r.status, r.transcript.final_output, r.prompt) for r in first.results
    ]
    # u2 was complete and did not run again; u1 ran from its first case.
    assert [c[1] for c in pool.calls] == ["create_note", "get_note"]
    assert list(read_results(path)) == ["u1/0", "u2/0", "u1/1"]
    assert again.metadata.status == "completed" and again.metadata.totals.total == 3


@pytest.mark.requirement("run:resume-plan-mismatch")
async def test_resume_against_another_plan_is_refused(tmp_path: Path) -> None:
    await execute(
        two_session_plan(),
        ExecuteOptions(output_dir=tmp_path, run_id="r"),
        services=services(counter_pool()),
    )
    other = two_session_plan(name="changed")
    with pytest.raises(RunStoreError, match="different plan"):
        await execute(other, ExecuteOptions(output_dir=tmp_path, resume="r"), services=services())


async def test_judge_and_agent_providers_are_created_once(tmp_path: Path) -> None:
    created: list[str] = []
    svc = services()
    real = svc.create_provider

    def counting(spec: Any, env: Any) -> Any:
        created.append(spec.name)
        return real(spec, env)

    svc.create_provider = counting
    plan = make_plan(
        [unit(f"u{i}", [case(f"u{i}", 0, "hi")]) for i in range(5)],
        providers=[
            ScriptedProvider(name="p", replies=(reply("x"),)),
            ScriptedProvider(name="unused"),
        ],
        agents=[BuiltinAgent(name="agent", provider="p")],
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path, concurrency=3), services=svc)
    assert created == ["p"]
    assert [r.status for r in summary.results] == ["passed"] * 5


async def test_an_errored_case_is_not_judged_and_says_its_error_once(tmp_path: Path) -> None:
    # Issue 10 item 11: an error is an error, its assertions are not run on empty output;
    # and no message names the plan's internal ids (u0001, u0001/2).
    from runtime.plan.assertions import OutputContains

    plan = make_plan(
        [unit("u1", [case("u1", 0, "hi", assertions=[OutputContains(value="x")])])], replies=[]
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=services())
    (result,) = summary.results
    assert result.status == "error"
    assert result.assertions == []  # not evaluated
    assert result.error is not None and "u1" not in result.error
    assert result.transcript.errors.count(result.error) <= 1
