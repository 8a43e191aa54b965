"""The built-in scenarios against the fake OpenAI server: scores, steering, injected results."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import toolservers
from tests.fakes import FakeLLM

from .conftest import Script, Step, by_test, results_of, run_scenario, tool_messages

API = "catalogue/api.py"
WEB = "catalogue/index.html"


def catalogue_script(*, follow_steering: bool) -> Script:
    overdue = "GET /loans/overdue lists loans past due_date (21 days)"
    return Script(
        [
            Step("GET /books listing", [("write_file", {"path": API, "content": "books isbn 404"})],
                 answer="Wrote the books API."),
            Step("Add POST /loans", [("write_file", {"path": API, "content": "loans 409 member"})],
                 answer="Sure, here it is."),
            Step(
                "Carry on with the API",
                [("write_file", {"path": API, "content": overdue if follow_steering else "x"}),
                 ("run_tests", {"target": "tests/"})],
                answer='{"status": "ok", "files": ["catalogue/api.py"]}'
                if follow_steering else "All done!",
            ),
            Step("Write catalogue/index.html", [("write_file", {"path": WEB, "content": "<table> fetch books"})]),
            Step("Add a search box", [("write_file", {"path": WEB, "content": "search filter"})]),
            Step("Add a Borrow button", [("write_file", {"path": WEB, "content": "borrow loans 409"})],
                 answer='{"status": "ok", "files": ["catalogue/index.html"]}'),
        ]
    )  # fmt: skip


def test_builtin_catalogue_scores_every_turn(fake: FakeLLM, endpoint: str, tmp_path: Path) -> None:
    fake.responder = catalogue_script(follow_steering=True)
    assert run_scenario("builtin:library-catalogue", endpoint, tmp_path) == 0
    got = by_test(results_of(tmp_path))
    assert len(got) == 6
    first = got[("catalogue-api", "books endpoint")].scores
    assert first is not None
    assert first["tool_accuracy"] == 1.0
    assert first["keywords"] == 1.0
    assert first["output_tokens"] == 80.0  # two calls of 40 output tokens
    steered = got[("catalogue-api", "due dates")].scores
    assert steered is not None
    assert steered["steering"] == 1.0
    assert steered["format"] == 1.0
    assert steered["tool_accuracy"] == 1.0
    # "Sure, here it is." is filler: the ratio drops below 1, but tool arguments keep it up.
    filler = got[("catalogue-api", "loans endpoint")].scores
    assert filler is not None and 0.5 < filler["useful_ratio"] < 1.0


def test_ignored_steering_event_scores_zero(fake: FakeLLM, endpoint: str, tmp_path: Path) -> None:
    fake.responder = catalogue_script(follow_steering=False)
    run_scenario("builtin:library-catalogue", endpoint, tmp_path)
    steered = by_test(results_of(tmp_path))[("catalogue-api", "due dates")].scores
    assert steered is not None
    assert steered["steering"] == 0.0
    assert steered["format"] == 0.0


def test_steering_message_reaches_the_model_before_the_prompt(
    fake: FakeLLM, endpoint: str, tmp_path: Path
) -> None:
    fake.responder = catalogue_script(follow_steering=True)
    run_scenario("builtin:library-catalogue", endpoint, tmp_path)
    for req in fake.requests:
        users = [m["content"] for m in req.body["messages"] if m["role"] == "user"]
        if users and "Carry on with the API" in users[-1]:
            assert "CHANGE OF PLAN" in users[-2]
            break
    else:
        pytest.fail("the steered turn never reached the model")


def test_injected_results_reach_the_model_without_a_process(
    fake: FakeLLM, endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("an injected server must not start a process or connect")

    monkeypatch.setattr(toolservers, "open_mcp_server", no_process)
    monkeypatch.setattr(toolservers, "open_cli_server", no_process)
    fake.responder = catalogue_script(follow_steering=True)
    assert run_scenario("builtin:library-catalogue", endpoint, tmp_path) == 0
    sent = tool_messages(fake)
    assert '{"ok": true}' in sent  # write_file's canned result
    assert '{"passed": 7, "failed": 0}' in sent  # run_tests's


def test_weather_alerts_nudges(fake: FakeLLM, endpoint: str, tmp_path: Path) -> None:
    fake.responder = Script(
        [
            Step("Write alerts/cli.py", [("write_file", {"path": "alerts/cli.py", "content": "argparse region"}),
                                         ("run_command", {"command": "python alerts/cli.py --help"})]),
            Step("Add --min-severity", [("write_file", {"path": "alerts/cli.py", "content": "level min-severity moderate"})]),
            Step("Finish the tool", [("run_command", {"command": "python alerts/cli.py"})],
                 answer="STATUS: done\nFILES: alerts/cli.py\nNOTES: upper case for severe"),
            Step("Write alerts/feed.py", [("write_file", {"path": "alerts/feed.py", "content": "load_alerts datetime"})]),
            Step("Make load_alerts reject", [("write_file", {"path": "alerts/feed.py", "content": "ValueError extreme"})]),
            Step("Write alerts/feed.json", [("write_file", {"path": "alerts/feed.json", "content": "minor severe"})],
                 answer="STATUS: done\nFILES: alerts/feed.json\nNOTES: four samples"),
        ]
    )  # fmt: skip
    assert run_scenario("builtin:weather-alerts", endpoint, tmp_path) == 0
    got = by_test(results_of(tmp_path))
    followed = got[("alerts-cli", "severity filter")].scores
    ignored = got[("alerts-cli", "extreme level")].scores
    assert followed is not None and followed["steering"] == 1.0
    assert ignored is not None and ignored["steering"] == 0.0  # never mentions "extreme"
    assert ignored["format"] == 1.0
    # The help call got the turn-1 answer, the later run the default row of run_command.
    sent = tool_messages(fake)
    assert "usage: alerts [--region REGION] [--min-severity LEVEL]" in sent
    assert "3 alerts: storm (severe), frost (moderate), fog (minor)" in sent


def test_rescore_recomputes_the_scenario_scores(
    fake: FakeLLM, endpoint: str, tmp_path: Path
) -> None:
    from bench.cli import main

    fake.responder = catalogue_script(follow_steering=True)
    run_scenario("builtin:library-catalogue", endpoint, tmp_path)
    (run_dir,) = (tmp_path / "runs").iterdir()
    out = tmp_path / "rescored"
    code = main(
        ["rescore", "-q", str(run_dir), str(run_dir / "plan.json"), "--output-dir", str(out)]
    )
    assert code == 0
    got = by_test(results_of(out))
    steered = got[("catalogue-api", "due dates")].scores
    assert steered is not None and steered["steering"] == 1.0 and steered["tool_accuracy"] == 1.0


def test_console_scenario_table_fits_80_columns(
    fake: FakeLLM, endpoint: str, tmp_path: Path
) -> None:
    import io

    from rich.console import Console

    from report import build_report
    from report.console import print_console_report

    fake.responder = catalogue_script(follow_steering=False)
    run_scenario("builtin:library-catalogue", endpoint, tmp_path)
    (run_dir,) = (tmp_path / "runs").iterdir()
    out = io.StringIO()
    print_console_report(build_report(run_dir), Console(width=80, file=out, force_terminal=False))
    text = out.getvalue()
    table = text[text.index("SCENARIOS") :].splitlines()
    assert all(len(line) <= 80 for line in table)
    assert any("catalogue-api" in line for line in table)
    assert any(" 0/1 " in line for line in table)  # the ignored steering event
    assert "scenario-score/1" in text


def test_adaptability_compares_steered_turns_with_the_others(
    fake: FakeLLM, endpoint: str, tmp_path: Path
) -> None:
    from report import build_report, render

    agents = {}
    for follow in (True, False):
        fake.reset().responder = catalogue_script(follow_steering=follow)
        out = tmp_path / str(follow)
        run_scenario("builtin:library-catalogue", endpoint, out)
        (run_dir,) = (out / "runs").iterdir()
        report = build_report(run_dir)
        assert report.scenarios is not None
        agents[follow] = {a.agent: a for a in report.scenarios.agents}
        sessions = {s.session: s for s in report.scenarios.sessions}
        web = sessions["catalogue-web"]  # never steered: no delta
        assert web.steered_quality is None and web.quality_delta is None
    followed, ignored = agents[True]["fake-model"], agents[False]["fake-model"]
    assert followed.steered_quality == 1.0
    assert ignored.steered_quality is not None and ignored.steered_quality < 1.0
    assert ignored.unsteered_quality == followed.unsteered_quality
    assert ignored.quality_delta is not None and followed.quality_delta is not None
    assert ignored.quality_delta < 0 <= followed.quality_delta
    md = render(report, "md")  # the ignored run's report
    assert "Adaptability:" in md and "quality on steered or nudged turns" in md
    assert "points)" in render(report, "html")
    assert 'scenario.fake-model.quality_delta" value="-' in render(report, "junit")
