"""Record a run against real MCP servers over stdio, then replay it with every server gone.

The replayed plan's servers are replaced by a command that leaves a marker file and fails if
it is ever started: a missing marker proves no server started. (Zero provider connections are
proven against the fake provider servers in test_replay_providers.py.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import Criteria, Settings, StdioServer
from runtime.plan.assertions import OutputContains

from .test_execute_servers import plan_with_servers

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def tripwire(plan, marker: Path):  # type: ignore[no-untyped-def]
    """``plan`` with servers that fail (leaving ``marker``) if started."""
    code = f"import pathlib, sys; pathlib.Path({str(marker)!r}).write_text('started'); sys.exit(7)"
    servers = tuple(
        StdioServer(name=s.name, command=(sys.executable, "-c", code), process_delay_ms=0)
        for s in plan.servers
    )
    return plan.model_copy(update={"servers": servers}).sealed()


def statuses(summary) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.case_id: r.status for r in summary.results}


async def test_replay_gives_the_recorded_outcome_without_servers_or_provider(
    tmp_path: Path,
) -> None:
    plan = plan_with_servers(settings=Settings(concurrency=3), criteria=Criteria(success_rate=0.5))
    cassette = tmp_path / "cassette"
    live = await execute(plan, ExecuteOptions(output_dir=tmp_path / "live", record=cassette))
    assert live.metadata.traffic is not None and live.metadata.traffic.mode == "record"
    lines = (cassette / "cassette.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "bench-cassette" and header["version"] == 1
    kinds = {json.loads(line)["kind"] for line in lines[1:]}
    assert kinds == {"llm", "tool_call", "tools"}

    marker = tmp_path / "server-started"
    replay_plan = tripwire(plan, marker)
    for concurrency in (1, 16):
        summary = await execute(
            replay_plan,
            ExecuteOptions(output_dir=tmp_path / f"replay{concurrency}", replay=cassette,
                           concurrency=concurrency),
        )  # fmt: skip
        assert not marker.exists()
        assert statuses(summary) == statuses(live)
        assert summary.exit_code == live.exit_code
        assert summary.metadata.traffic is not None
        assert summary.metadata.traffic.mode == "replay"
        assert summary.metadata.traffic.misses == 0
        by_id = {r.case_id: r for r in summary.results}
        for r in live.results:
            again = by_id[r.case_id]
            assert again.transcript.final_output == r.transcript.final_output
            assert [c.result for c in again.transcript.tool_calls] == [
                c.result for c in r.transcript.tool_calls
            ]
            assert again.transcript.usage == r.transcript.usage
            # the recorded latencies, though nothing waited
            for a, b in zip(again.transcript.tool_calls, r.transcript.tool_calls, strict=True):
                assert a.duration_ms == pytest.approx(b.duration_ms, rel=0.1, abs=50)


async def test_an_edited_prompt_is_a_case_error_with_a_diff(tmp_path: Path) -> None:
    plan = plan_with_servers()
    cassette = tmp_path / "cassette"
    await execute(plan, ExecuteOptions(output_dir=tmp_path / "live", record=cassette))
    unit = plan.units[2]  # u3: one case, "fresh notes"
    edited_case = unit.cases[0].model_copy(update={"prompt": "fresh notes, please"})
    edited = plan.model_copy(
        update={
            "units": (*plan.units[:2], unit.model_copy(update={"cases": (edited_case,)})),
        }
    ).sealed()
    marker = tmp_path / "server-started"
    summary = await execute(
        tripwire(edited, marker), ExecuteOptions(output_dir=tmp_path / "r", replay=cassette)
    )
    result = {r.case_id: r for r in summary.results}["u3/0"]
    assert result.status == "error"
    # named as the user wrote it (agent / session / test), never by its internal id
    assert "case agent / session u3 / test 0 (attempt 0)" in (result.error or "")
    assert "u3/0" not in (result.error or "")
    assert '- recorded messages[0].content = "fresh notes"' in (result.error or "")
    assert '+ made     messages[0].content = "fresh notes, please"' in (result.error or "")
    assert summary.metadata.traffic is not None and summary.metadata.traffic.misses == 1
    assert not marker.exists()
    others = {r.case_id: r.status for r in summary.results if r.case_id != "u3/0"}
    assert "error" in others.values()  # u2/0's recorded server crash stays an error
    assert others["u1/0"] == "passed"


async def test_record_missing_asks_only_for_the_misses(tmp_path: Path) -> None:
    plan = plan_with_servers()
    cassette = tmp_path / "cassette"
    await execute(plan, ExecuteOptions(output_dir=tmp_path / "live", record=cassette))
    before = len((cassette / "cassette.jsonl").read_text().splitlines())
    unit = plan.units[2]
    edited_case = unit.cases[0].model_copy(
        update={"prompt": "fresh notes again", "assertions": (OutputContains(value="done"),)}
    )
    edited = plan.model_copy(
        update={"units": (*plan.units[:2], unit.model_copy(update={"cases": (edited_case,)}))}
    ).sealed()
    summary = await execute(
        edited,
        ExecuteOptions(output_dir=tmp_path / "r", replay=cassette, record_missing=True),
    )
    traffic = summary.metadata.traffic
    assert traffic is not None and traffic.misses == 0 and traffic.recorded == 2
    assert {r.case_id: r.status for r in summary.results}["u3/0"] == "passed"
    after = len((cassette / "cassette.jsonl").read_text().splitlines())
    # two model answers; the tool call (same server, tool, arguments) matched its recording
    assert after == before + 2
    # the filled cassette now replays the edited suite without misses
    marker = tmp_path / "server-started"
    again = await execute(
        tripwire(edited, marker), ExecuteOptions(output_dir=tmp_path / "r2", replay=cassette)
    )
    assert again.metadata.traffic is not None and again.metadata.traffic.misses == 0
    assert statuses(again) == statuses(summary) and not marker.exists()


async def test_a_changed_tool_list_is_a_case_error_not_a_failed_run(tmp_path: Path) -> None:
    """The agent's servers or allowed tools changed since the recording: the tool list has no
    recording, so each case of that agent is an error saying so; the run itself completes."""
    plan = plan_with_servers()
    cassette = tmp_path / "cassette"
    live = await execute(plan, ExecuteOptions(output_dir=tmp_path / "live", record=cassette))
    agent = plan.agents[0]
    narrowed = agent.model_copy(
        update={"servers": (agent.servers[0].model_copy(update={"allowed_tools": ("create_note",)}), agent.servers[1])}
    )  # fmt: skip
    edited = plan.model_copy(update={"agents": (narrowed,)}).sealed()
    marker = tmp_path / "server-started"
    summary = await execute(
        tripwire(edited, marker), ExecuteOptions(output_dir=tmp_path / "r", replay=cassette)
    )
    assert not marker.exists()
    assert summary.metadata.status == "completed"
    assert summary.exit_code == 3  # every case an infrastructure error: nothing ran
    assert {r.case_id for r in summary.results} == {r.case_id for r in live.results}
    for r in summary.results:
        assert r.status == "error"
        assert "no recorded tool list for servers notes, time" in (r.error or "")
        assert "servers or allowed tools changed since the recording" in (r.error or "")
        assert '+ made     servers[0].allowed_tools[0] = "create_note"' in (r.error or "")
    assert summary.metadata.traffic is not None and summary.metadata.traffic.misses >= 1


async def test_a_replay_never_imports_the_mcp_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server starts in a replay, so the MCP library (~2 s of CPU) is not loaded for it."""
    import runtime.runner

    plan = plan_with_servers(settings=Settings(concurrency=3), criteria=Criteria(success_rate=0.5))
    cassette = tmp_path / "cassette"
    await execute(plan, ExecuteOptions(output_dir=tmp_path / "live", record=cassette))

    def no_mcp() -> None:
        raise AssertionError("a replay imported the MCP client")

    monkeypatch.setattr(runtime.runner, "import_mcp_client", no_mcp)
    summary = await execute(
        tripwire(plan, tmp_path / "marker"),
        ExecuteOptions(output_dir=tmp_path / "replay", replay=cassette),
    )
    assert summary.metadata.traffic is not None and summary.metadata.traffic.misses == 0
