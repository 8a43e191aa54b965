"""A PawBench-format scenario (written for these tests) through compile, execute and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import ScenarioTarget, SuiteInvalid, compile_suite
from report import build_report, render
from runtime.plan import InjectedServer
from tests.fakes import FakeLLM
from tests.report.cdp import Browser
from tests.report.conftest import browser as browser  # the headless chromium fixture

from .conftest import Script, Step, by_test, results_of, run_scenario, tool_messages

HOSTILE = '<img src=x onerror="alert(1)">'

SCENARIO = {
    "id": "notes-app",
    "name": "Notes app, two agents",
    "description": "ignored, as PawBench ignores it",
    "agents": [
        {
            "id": "api",
            "name": "API agent",
            "turns": [
                {"turn": 1, "role": "user", "tools": ["write_file"],
                 "content": "Write notes_api.py with GET /notes. {{ not a template }}",
                 "expect": {"tool_calls_min": 1, "tool_name_any": ["write_file"],
                            "output_mentions": ["notes", "GET"]}},
                {"turn": 2, "role": "tool_result", "tools": ["write_file"],
                 "inject_tool_results": [{"tool_call_id": "auto", "name": "write_file",
                                          "content": '{"written": "notes_api.py", "bytes": 812}'}],
                 "content": "STEERING EVENT: notes now need a DELETE /notes/<id> route.",
                 "steering_event": True,
                 "expect": {"tool_calls_min": 1, "steering_followed": True,
                            "steering_keywords": ["delete"]}},
            ],
        },
        {
            "id": HOSTILE,
            "name": "UI agent",
            "turns": [
                {"turn": 1, "content": "Write notes.html listing the notes.", "tools": ["write_file"],
                 "expect": {"tool_name_any": ["write_file"], "output_mentions": ["html"]}},
            ],
        },
    ],
    "tools_schema": [
        {"type": "function", "function": {
            "name": "write_file", "description": "Write a file",
            "parameters": {"type": "object",
                           "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                           "required": ["path", "content"]}}},
    ],
}  # fmt: skip

STATUS = (
    "STATUS:ok\nFILES_CREATED:notes_api.py\nFILES_MODIFIED:\nTESTS:pass:0\nBUILD:pass\nLEARNED:x"
)


def script(*, follow: bool) -> Script:
    return Script(
        [
            Step("GET /notes", [("write_file", {"path": "notes_api.py", "content": "GET notes"})],
                 answer="Wrote it."),
            Step("STEERING EVENT", [("write_file", {"path": "notes_api.py",
                                                    "content": "DELETE route" if follow else "GET"})],
                 answer=STATUS),
            Step("notes.html", [("write_file", {"path": "notes.html", "content": "<html>"})],
                 answer=STATUS),
        ]
    )  # fmt: skip


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(SCENARIO, indent=2))
    return path


def test_translation_to_the_plan(scenario_file: Path) -> None:
    plan = compile_suite(scenario_file, seed=1, scenario=ScenarioTarget("http://h:8000", "m"))
    assert plan.providers[0].base_url == "http://h:8000/v1"  # type: ignore[union-attr]
    assert plan.settings.concurrency == 2  # the scenario's agents run in parallel
    (server,) = plan.servers
    assert isinstance(server, InjectedServer)
    assert [t.name for t in server.tools] == ["write_file"]
    # Turn 2's injected result answers the calls of turn 1, in the api session only.
    (row,) = server.results
    assert (row.session, row.turn, row.tool) == ("api", 1, "write_file")
    api = next(u for u in plan.units if u.session == "api")
    first, second = api.cases
    assert first.allowed_tools == ("write_file",)
    assert second.steer is not None and second.steer.keywords == ("delete",)
    assert second.expect is not None and second.expect.format is not None  # last turn


def test_bad_scenario_reports_every_mistake_at_its_key(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(SCENARIO))
    del bad["agents"][1]["id"]
    bad["agents"][0]["turns"][0]["tools"] = ["write_fil"]
    bad["agents"][0]["turns"][1]["expect"]["steering_keywords"] = "delete"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, indent=2))
    with pytest.raises(SuiteInvalid) as err:
        compile_suite(path)
    found = {(d.code, d.line) for d in err.value.diagnostics}
    text = path.read_text().splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, ln in enumerate(text, 1) if needle in ln)

    assert ("invalid-value", line_of('"write_fil"')) in found
    assert ("invalid-value", line_of('"steering_keywords"')) in found
    assert ("missing-key", line_of('"name": "UI agent"') - 1) in found  # the agent's "{"


def test_a_scenario_without_tools_schema_is_told_so(tmp_path: Path) -> None:
    """It was read as a bench suite: "no providers", "unknown key 'turns' in agent"."""
    bad = json.loads(json.dumps(SCENARIO))
    del bad["tools_schema"]
    path = tmp_path / "no-tools.json"
    path.write_text(json.dumps(bad, indent=2))
    with pytest.raises(SuiteInvalid) as err:
        compile_suite(path)
    messages = [d.message for d in err.value.diagnostics]
    assert any("'tools_schema' must be a list" in m for m in messages), messages
    assert not any("no providers" in m or "unknown key 'turns'" in m for m in messages)


def test_pawbench_scenario_runs_and_scores(
    fake: FakeLLM, endpoint: str, scenario_file: Path, tmp_path: Path
) -> None:
    fake.responder = script(follow=True)
    out = tmp_path / "out"
    assert run_scenario(scenario_file, endpoint, out) == 0
    got = by_test(results_of(out))
    steered = got[("api", "turn 2")].scores
    assert steered is not None and steered["steering"] == 1.0 and steered["format"] == 1.0
    # The injected result of turn 2 answered turn 1's call, inside turn 1.
    assert '{"written": "notes_api.py", "bytes": 812}' in tool_messages(fake)
    # Turn 1's prompt went out literally, not rendered as a template.
    assert any(
        "{{ not a template }}" in str(m.get("content"))
        for r in fake.requests for m in r.body["messages"]
    )  # fmt: skip


def test_steering_rate_follows_the_model(
    fake: FakeLLM, endpoint: str, scenario_file: Path, tmp_path: Path
) -> None:
    rates = {}
    for follow in (True, False):
        fake.reset().responder = script(follow=follow)
        out = tmp_path / str(follow)
        run_scenario(scenario_file, endpoint, out)
        (run_dir,) = (out / "runs").iterdir()
        report = build_report(run_dir)
        assert report.scenarios is not None
        (agent,) = report.scenarios.agents
        rates[follow] = (agent.steering_rate, agent.composite)
    assert rates[True][0] == 1.0
    assert rates[False][0] == 0.0
    assert rates[False][1] < rates[True][1]


def test_scores_in_every_format_and_foreign_names_escaped(
    fake: FakeLLM, endpoint: str, scenario_file: Path, tmp_path: Path
) -> None:
    fake.responder = script(follow=True)
    run_scenario(scenario_file, endpoint, tmp_path)
    (run_dir,) = (tmp_path / "runs").iterdir()
    report = build_report(run_dir)
    data = json.loads(render(report, "json"))
    assert data["scenarios"]["version"] == "scenario-score/1"
    assert {s["session"] for s in data["scenarios"]["sessions"]} == {"api", HOSTILE}
    assert all("scores" in c for c in data["detailed_results"])

    md = render(report, "md")
    assert "### Scenarios" in md and "scenario-score/1" in md
    assert HOSTILE not in md
    from markdown_it import MarkdownIt

    shown = MarkdownIt("commonmark").enable("table").render(md)
    assert "<th>Agent / session</th>" in shown  # the table renders as a table
    assert "<img" not in shown and "&lt;img" in shown

    html = render(report, "html")
    assert 'id="scenarios"' in html
    assert HOSTILE not in html and "&lt;img" in html

    junit = render(report, "junit")
    assert 'name="score.steering" value="1"' in junit
    assert 'name="scenario.fake-model.composite"' in junit
    assert HOSTILE not in junit


@pytest.mark.slow
def test_scenario_section_in_headless_chromium(
    fake: FakeLLM, endpoint: str, scenario_file: Path, tmp_path: Path, browser: Browser
) -> None:
    fake.responder = script(follow=True)
    run_scenario(scenario_file, endpoint, tmp_path)
    (run_dir,) = (tmp_path / "runs").iterdir()
    html_path = tmp_path / "report.html"
    html_path.write_text(render(build_report(run_dir), "html"), encoding="utf-8")
    page = browser.page()
    try:
        page.load(html_path)
        assert page.requests() == [html_path.resolve().as_uri()]
        assert page.problems() == []
        rows = "document.querySelectorAll('#scenarios table.scenario-scores tr').length"
        assert page.eval(rows) == 1 + 2 + 1  # header, two sessions, the agent's total
        names = (
            "[...document.querySelectorAll('#scenarios td:first-child')].map(e => e.textContent)"
        )
        assert f"fake-model / {HOSTILE}" in page.eval(names)  # shown as text, not markup
        assert page.eval("document.querySelectorAll('#scenarios img').length") == 0
        page.screenshot(tmp_path / "scenarios.png")
    finally:
        page.close()
