"""ServerPool: tools per agent, allowed tools, collisions, restarts, concurrency."""

from __future__ import annotations

import json
import sys

import anyio
import pytest

from runtime.errors import ToolServerError
from runtime.plan import AgentServer, BuiltinAgent, CliServer, Skill, StdioServer
from runtime.toolservers import ServerGoneError, ServerPool

from .toolserver_fixtures import notes_stdio

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TIME = StdioServer(
    name="time",
    command=(sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"),
    process_delay_ms=0,
)


def agent(*servers: AgentServer, skill: Skill | None = None) -> BuiltinAgent:
    return BuiltinAgent(name="a", provider="p", servers=servers, skill=skill)


@pytest.mark.requirement("tools:allowed-agent")
@pytest.mark.requirement("server:tools-listed")
async def test_agent_allowed_tools_filter_and_empty_means_all() -> None:
    async with ServerPool([notes_stdio(), TIME]) as pool:
        narrowed = await pool.tools_for(
            agent(
                AgentServer(name="notes", allowed_tools=("echo", "get_note")),
                AgentServer(name="time"),
            )
        )
        everything = await pool.tools_for(agent(AgentServer(name="notes", allowed_tools=())))
    assert [(t.name, s) for t, s in narrowed] == [
        ("get_note", "notes"),
        ("echo", "notes"),
        ("get_current_time", "time"),
        ("convert_time", "time"),
    ]
    assert len(everything) == 8


@pytest.mark.requirement("tools:first-server-wins")
async def test_first_server_wins_a_name_collision() -> None:
    second = notes_stdio("notes2")
    async with ServerPool([notes_stdio(), second]) as pool:
        tools = await pool.tools_for(
            agent(AgentServer(name="notes2", allowed_tools=("echo",)), AgentServer(name="notes"))
        )
    owners = {tool.name: server for tool, server in tools}
    assert owners["echo"] == "notes2"
    assert owners["create_note"] == "notes"
    assert [t.name for t, _ in tools].count("echo") == 1


@pytest.mark.requirement("server:restart")
async def test_dead_server_fails_the_call_then_restarts() -> None:
    restarted: list[str] = []
    async with ServerPool([notes_stdio()], on_restart=restarted.append) as pool:
        await pool.call("notes", "create_note", {"title": "before"}, timeout_s=10)
        with pytest.raises(ServerGoneError):
            await pool.call("notes", "crash", {}, timeout_s=10)
        # A fresh process: the note made before the crash is gone, the server answers.
        listed = await pool.call("notes", "list_notes", {}, timeout_s=10)
        assert json.loads(listed.text)["data"]["total"] == 0
        assert restarted == ["notes"]
        assert pool.restarts("notes") == 1
        assert len(await pool.tools_for(agent(AgentServer(name="notes")))) == 8


@pytest.mark.requirement("tools:timeout")
async def test_timeout_does_not_retire_the_server() -> None:
    async with ServerPool([notes_stdio()]) as pool:
        await pool.call("notes", "create_note", {"title": "kept"}, timeout_s=10)
        with pytest.raises(ToolServerError, match="tool timeout"):
            await pool.call("notes", "sleep", {"seconds": 30}, timeout_s=0.2)
        listed = await pool.call("notes", "list_notes", {}, timeout_s=10)
    assert json.loads(listed.text)["data"]["total"] == 1
    assert pool.restarts("notes") == 0


async def test_concurrent_cases_share_one_server_started_once() -> None:
    async with ServerPool([notes_stdio()]) as pool:
        results: list[str] = []

        async def case(i: int) -> None:
            await pool.tools_for(agent(AgentServer(name="notes")))
            results.append((await pool.call("notes", "echo", {"text": str(i)}, timeout_s=10)).text)

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(case, i)
        created = await pool.call("notes", "create_note", {"title": "x"}, timeout_s=10)
    assert sorted(results) == [str(i) for i in range(8)]
    # One process served every case: the first note of that process is n1.
    assert json.loads(created.text)["data"]["note"]["id"] == "n1"


async def test_unknown_server_and_failed_start_are_tool_server_errors() -> None:
    broken = StdioServer(name="broken", command=("/nonexistent/x",), process_delay_ms=0)
    async with ServerPool([broken]) as pool:
        with pytest.raises(ToolServerError, match="unknown tool server 'nope'"):
            await pool.call("nope", "echo", {}, timeout_s=1)
        with pytest.raises(ToolServerError, match="cannot start"):
            await pool.tools_for(agent(AgentServer(name="broken")))
        # A failed start is tried again next time rather than cached.
        with pytest.raises(ToolServerError, match="cannot start"):
            await pool.call("broken", "echo", {}, timeout_s=1)


@pytest.mark.requirement("skill:reference-tools")
async def test_skill_tools_come_after_server_tools_and_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    refs = tmp_path / "weather" / "references"
    refs.mkdir(parents=True)
    (refs / "guide.md").write_text("wear a coat below 10C")
    skill = Skill(
        path=str(tmp_path / "weather"),
        content="---\nname: weather\n---\n",
        references=("guide.md",),
    )
    cli = CliServer(name="sh", command="echo", disable_help_auto_discovery=True)
    async with ServerPool([cli]) as pool:
        tools = await pool.tools_for(agent(AgentServer(name="sh"), skill=skill))
        assert [(t.name, s) for t, s in tools] == [
            ("cli_execute", "sh"),
            ("list_skill_references", "skill:weather"),
            ("read_skill_reference", "skill:weather"),
        ]
        listed = await pool.call("skill:weather", "list_skill_references", {}, timeout_s=None)
        read = await pool.call(
            "skill:weather", "read_skill_reference", {"filename": "guide.md"}, timeout_s=None
        )
        echoed = await pool.call("sh", "cli_execute", {"args": "hi"}, timeout_s=10)
    assert listed.text == "guide.md"
    assert read.text == "wear a coat below 10C"
    assert json.loads(echoed.text) == {"exit_code": 0, "stdout": "hi\n", "stderr": ""}
