"""execute() end to end: scripted provider, real MCP servers over stdio, real evaluators.

Servers: bench's own notes_server (examples/servers) and mcp-server-time from PyPI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    ClarificationDetection,
    Criteria,
    JsonPathExtractor,
    RuntimeTemplate,
    ScriptedProvider,
    Settings,
    StdioServer,
)
from runtime.plan.assertions import (
    AllOf,
    AnyOf,
    NoClarificationQuestions,
    NoErrorMessages,
    NoHallucinatedTools,
    Not,
    OutputContains,
    ToolCalled,
    ToolParamEquals,
    ToolResultMatchesJson,
)

from .runtime_helpers import case, make_plan, reply, unit

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTES = StdioServer(
    name="notes",
    command=(sys.executable, str(ROOT / "examples" / "servers" / "notes_server.py")),
    process_delay_ms=0,
)
TIME = StdioServer(
    name="time",
    command=(sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"),
    process_delay_ms=0,
)


def plan_with_servers(**kw):  # type: ignore[no-untyped-def]
    agent = BuiltinAgent(
        name="agent",
        provider="p",
        servers=(AgentServer(name="notes"), AgentServer(name="time")),
        clarification=ClarificationDetection(
            mode="patterns", patterns=("(?i)would you like me to",)
        ),
    )
    u1 = unit(
        "u1",
        [
            case(
                "u1", 0, "create a note about milk",
                extractors=[JsonPathExtractor(tool="create_note", path="$.data.note.id", variable_name="note_id")],
                assertions=[
                    ToolCalled(tool="create_note"),
                    AnyOf(children=(
                        ToolCalled(tool="no_such_tool"),
                        AllOf(children=(
                            ToolParamEquals(tool="create_note", params={"title": "milk"}),
                            Not(child=OutputContains(value="error")),
                        )),
                    )),
                    NoHallucinatedTools(),
                ],
            ),
            case(
                "u1", 1, RuntimeTemplate(source="read note {{ note_id }}", variables=("note_id",)),
                assertions=[ToolParamEquals(tool="get_note", params={"id": "n1"}), OutputContains(value="milk")],
            ),
            case("u1", 2, "what time is it", assertions=[ToolCalled(tool="get_current_time")]),
            case("u1", 3, "anything else", assertions=[NoClarificationQuestions(), NoErrorMessages()]),
        ],
    )  # fmt: skip
    u2 = unit(
        "u2",
        [
            case("u2", 0, "crash please", assertions=[NoErrorMessages()]),
            case("u2", 1, "echo after crash", assertions=[OutputContains(value="still here")]),
        ],
    )  # fmt: skip
    u3 = unit(
        "u3",
        [
            case(
                "u3",
                0,
                "fresh notes",
                assertions=[
                    ToolResultMatchesJson(tool="create_note", path="$.data.note.id", value="n1")
                ],
            )
        ],
    )
    replies = [
        reply("", ("create_note", {"title": "milk"}), when="create a note"),
        reply("Created the note.", when="create a note"),
        reply("", ("get_note", {"id": "n1"}), when="read note n1"),
        reply("The note is about milk.", when="read note"),
        reply("", ("get_current_time", {"timezone": "UTC"}), when="what time"),
        reply("It is now.", when="what time"),
        reply("Would you like me to do more?", when="anything else"),
        reply("", ("crash", {}), when="crash please"),
        reply("", ("echo", {"text": "still here"}), when="echo after crash"),
        reply("still here", when="echo after crash"),
        reply("", ("create_note", {"title": "fresh"}), when="fresh notes"),
        reply("done", when="fresh notes"),
    ]
    return make_plan(
        [u1, u2, u3],
        replies=replies,
        providers=[ScriptedProvider(name="p", replies=tuple(replies))],
        agents=[agent],
        servers=[NOTES, TIME],
        **kw,
    )


@pytest.mark.requirement("loop:clarification")
async def test_end_to_end_with_real_servers(tmp_path: Path) -> None:
    plan = plan_with_servers(settings=Settings(concurrency=3), criteria=Criteria(success_rate=0.5))
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path))
    r = {x.case_id: x for x in summary.results}
    assert r["u1/0"].status == "passed", r["u1/0"].assertions
    assert r["u1/0"].extracted == {"note_id": "n1"}
    tree = r["u1/0"].assertions[1]
    assert tree.type == "anyOf" and tree.passed and len(tree.children) == 2
    assert r["u1/1"].prompt == "read note n1" and r["u1/1"].status == "passed"
    assert r["u1/2"].status == "passed"
    assert "get_current_time" in r["u1/2"].transcript.available_tools
    # Clarification: detected by pattern, level warning -> an error recorded, both fail.
    c = r["u1/3"]
    assert c.status == "failed" and c.transcript.clarification.count == 1
    assert any("asked for clarification" in e for e in c.transcript.errors)
    # The crash kills the server: that case is an infrastructure error...
    assert r["u2/0"].status == "error" and "notes" in (r["u2/0"].error or "")
    # ...and the next case of the session gets a restarted server.
    assert r["u2/1"].status == "passed"
    # Each session has its own server processes: notes start again at n1.
    assert r["u3/0"].status == "passed"
    assert summary.metadata.totals.passed == 5 and summary.exit_code == 0


async def test_tool_timeout_with_a_real_server(tmp_path: Path) -> None:
    agent = BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="notes"),))
    u = unit("u1", [case("u1", 0, "nap", assertions=[NoErrorMessages()])])
    plan = make_plan(
        [u],
        replies=[reply("", ("sleep", {"seconds": 5})), reply("woke")],
        agents=[agent],
        servers=[NOTES],
        settings=Settings(tool_timeout_ms=200),
    )
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path))
    (res,) = summary.results
    assert res.status == "failed"  # a timeout is the agent's problem, recorded as an error
    call = res.transcript.tool_calls[0]
    assert call.error and "tim" in call.error.lower()
    assert call.duration_ms < 4000
    assert res.transcript.final_output == "woke"


async def test_a_server_that_prints_a_secret_at_start_up_does_not_leak_it(
    tmp_path: Path,
) -> None:
    """The stderr tail in a start-up error passes the run's redactor like everything else."""
    from runtime.errors import ToolServerError
    from runtime.plan import SecretRef

    leaky = StdioServer(
        name="leaky",
        command=(
            sys.executable,
            "-c",
            "import os, sys; sys.stderr.write('bad token ' + os.environ['LEAKY_TOKEN'] + '\\n');"
            " sys.exit(1)",
        ),
        env={"LEAKY_TOKEN": SecretRef.from_env("LEAKY_TOKEN")},
        process_delay_ms=0,
    )
    agent = BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="leaky"),))
    plan = make_plan(
        [unit("u1", [case("u1", 0, "hi", assertions=[OutputContains(value="x")])])],
        agents=[agent],
        servers=[leaky],
    )
    secret = "tok-1234567890-very-secret"
    with pytest.raises(ToolServerError) as info:
        await execute(plan, ExecuteOptions(output_dir=tmp_path, env={"LEAKY_TOKEN": secret}))
    assert "bad token ***" in str(info.value)
    assert secret not in str(info.value)
    metadata = next(tmp_path.glob("runs/*/metadata.json")).read_text()
    assert "bad token ***" in metadata and secret not in metadata
