"""The YAML scenario constructs: located diagnostics, and the injected server's table."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from compiler import SuiteInvalid, compile_suite
from runtime.plan import CannedResult, InjectedServer, InjectedTool
from runtime.replay.scope import case_scope
from runtime.toolservers import open_server

SUITE = """\
servers:
  - name: inj
    type: injected
    tools:
      - name: write_file
        parameters: {type: object, properties: {path: {type: string}}}
      - name: bad_schema
        parameters: {type: object, properties: {path: {type: 12}}}
    results:
      - {tool: wrte_file, content: x}
sessions:
  - name: s
    tests:
      - name: t
        prompt: hi
        steer: {kind: nudge, keywords: []}
        expect: {format: {type: yaml}}
"""


def test_every_mistake_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(SUITE)
    with pytest.raises(SuiteInvalid) as err:
        compile_suite(path)
    got = {(d.code, d.line) for d in err.value.diagnostics}
    assert ("invalid-value", 8) in got  # the schema that is not a JSON schema
    assert ("unknown-reference", 10) in got  # result for an undeclared tool
    hint = next(d.hint for d in err.value.diagnostics if d.code == "unknown-reference")
    assert hint is not None and "write_file" in hint
    lines = {d.line for d in err.value.diagnostics}
    assert 16 in lines and 17 in lines  # empty keywords; unknown format type


def test_a_scenario_file_gets_its_agent_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(SUITE.replace("{type: 12}", "{type: string}").replace("wrte_file", "write_file")
                    .replace("keywords: []", "keywords: [x]").replace("type: yaml", "type: json"))  # fmt: skip
    from compiler import ScenarioTarget

    plan = compile_suite(path, scenario=ScenarioTarget("http://127.0.0.1:9", "m1"))
    (agent,) = plan.agents
    assert agent.name == "m1"
    assert plan.providers[0].base_url == "http://127.0.0.1:9/v1"  # type: ignore[union-attr]


def _server() -> InjectedServer:
    return InjectedServer(
        name="inj",
        tools=(InjectedTool(name="a"), InjectedTool(name="b")),
        results=(
            CannedResult(content="any"),
            CannedResult(tool="a", content="a-any-turn"),
            CannedResult(tool="a", turn=2, content="a-turn-2 first"),
            CannedResult(tool="a", turn=2, content="a-turn-2 then"),
            CannedResult(tool="a", turn=2, session="s2", content="a-turn-2-s2"),
        ),
        default="default",
    )


@pytest.mark.parametrize(
    ("case", "session", "calls", "answers"),
    [
        ("u1/1", "s1", ["a", "b"], ["a-any-turn", "any"]),
        ("u1/2", "s1", ["a", "a", "a"], ["a-turn-2 first", "a-turn-2 then", "a-turn-2 then"]),
        ("u2/2", "s2", ["a"], ["a-turn-2-s2"]),
    ],
)
def test_the_most_specific_rows_answer_in_order(
    case: str, session: str, calls: list[str], answers: list[str]
) -> None:
    async def main() -> list[str]:
        out = []
        async with open_server(_server()) as server:
            with case_scope(case, 0, session=session):
                for name in calls:
                    result = await server.call_tool(name, {}, timeout_s=None)
                    out.append(result.text)
        return out

    assert anyio.run(main) == answers


def test_unmatched_and_undeclared_calls() -> None:
    spec = _server().model_copy(update={"results": ()})

    async def main() -> tuple[str, bool]:
        async with open_server(spec) as server:
            plain = await server.call_tool("b", {}, timeout_s=None)
            unknown = await server.call_tool("zzz", {}, timeout_s=None)
        return plain.text, unknown.is_error

    assert anyio.run(main) == ("default", True)
