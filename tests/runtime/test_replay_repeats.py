"""Repeats and concurrency: each attempt has its own answers; replay ignores arrival order.

The tool answers a counter, so every call of every attempt returns a different value: a
replay that gave any request another request's answer would show in the final outputs.
Recording a resumed run keeps what the first part recorded.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import AgentServer, BuiltinAgent, ScriptedProvider, StdioServer
from runtime.plan.assertions import OutputContains

from .runtime_helpers import FakePool, case, make_plan, reply, services, unit

pytestmark = pytest.mark.anyio


def counter_pool() -> FakePool:
    count = itertools.count(1)
    return FakePool({"tick": ("clock", lambda _a: json.dumps({"n": next(count)}))})


def plan():  # type: ignore[no-untyped-def]
    agent = BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="clock"),))
    replies = [reply("", ("tick", {})), reply("ticked")]
    units = [
        unit(f"u{i}", [case(f"u{i}", 0, f"tick {i}", assertions=[OutputContains(value="ticked")])
                       .model_copy(update={"repeat": 3})])
        for i in range(6)
    ]  # fmt: skip
    return make_plan(
        units,
        providers=[ScriptedProvider(name="p", replies=tuple(replies))],
        agents=[agent],
        servers=[StdioServer(name="clock", command=("unused",))],
    )


def tool_results(summary) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {
        f"{r.case_id}@{r.attempt}": [c.result.text for c in r.transcript.tool_calls if c.result]
        for r in summary.results
    }


async def test_attempts_are_independent_and_order_does_not_matter(tmp_path: Path) -> None:
    p = plan()
    cassette = tmp_path / "cas"
    live = await execute(
        p, ExecuteOptions(output_dir=tmp_path / "live", record=cassette, concurrency=4),
        services=services(counter_pool()),
    )  # fmt: skip
    recorded = tool_results(live)
    assert len(recorded) == 18 and len({v[0] for v in recorded.values()}) == 18
    for concurrency in (1, 16):
        replayed = await execute(
            p, ExecuteOptions(output_dir=tmp_path / f"r{concurrency}", replay=cassette,
                              concurrency=concurrency),
            services=services(counter_pool()),
        )  # fmt: skip
        assert tool_results(replayed) == recorded
        assert replayed.metadata.traffic is not None and replayed.metadata.traffic.misses == 0


async def test_recording_a_resumed_run_keeps_the_first_part(tmp_path: Path) -> None:
    from runtime.interrupt import StopRequest

    p = plan()
    cassette = tmp_path / "cas"
    stop = StopRequest()
    seen: list[str] = []

    def on_result(result) -> None:  # type: ignore[no-untyped-def]
        seen.append(result.case_id)
        if len(seen) == 4:
            stop.drain()

    first = await execute(
        p, ExecuteOptions(output_dir=tmp_path, record=cassette, concurrency=1, stop=stop,
                          on_result=on_result),
        services=services(counter_pool()),
    )  # fmt: skip
    assert first.metadata.status == "interrupted"
    done = await execute(
        p, ExecuteOptions(output_dir=tmp_path, record=cassette, resume=first.run_id),
        services=services(counter_pool()),
    )  # fmt: skip
    assert done.metadata.status == "completed"
    replayed = await execute(
        p,
        ExecuteOptions(output_dir=tmp_path / "r", replay=cassette),
        services=services(counter_pool()),
    )
    assert replayed.metadata.traffic is not None and replayed.metadata.traffic.misses == 0
    assert [r.status for r in replayed.results] == ["passed"] * 18
