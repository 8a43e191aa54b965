"""``bench runs``, ``show``, ``export``, ``init`` and ``execute --limit/--agents`` via the real CLI."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bench.cli import main
from runtime.plan import BuiltinAgent, Criteria, Plan, ScriptedReply, load_plan
from runtime.plan.assertions import OutputContains
from runtime.results import RunMetadata
from runtime.store import read_results

from .runtime_helpers import case, make_plan, unit

ROOT = Path(__file__).resolve().parents[2]


def three_outcomes_plan() -> Plan:
    """u0 passes, u1 fails (wrong answer), u2 errors (no scripted reply: a provider fault)."""
    ok = [OutputContains(value="ok")]
    return make_plan(
        [
            unit("u0", [case("u0", 0, "pass me", assertions=ok)], session="S0"),
            unit("u1", [case("u1", 0, "fail me", assertions=ok)], session="S1"),
            unit("u2", [case("u2", 0, "break me", assertions=ok)], session="S2"),
        ],
        replies=[
            ScriptedReply(when="pass me", text="ok", input_tokens=5, output_tokens=2),
            ScriptedReply(when="fail me", text="nope", input_tokens=5, output_tokens=2),
        ],
        name="outcomes",
    )


def execute(plan: Plan, tmp_path: Path, *extra: str) -> int:
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    return main(["execute", "-q", str(path), "--output-dir", str(tmp_path), *extra])


def run_dirs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "runs").iterdir())


@pytest.mark.requirement("runs:three-outcomes")
def test_passed_failed_and_error_are_counted_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert execute(three_outcomes_plan(), tmp_path) == 1  # criteria not met, not all errors
    out = capsys.readouterr().out
    assert "1 passed, 1 failed, 1 errors" in out
    (run_dir,) = run_dirs(tmp_path)
    totals = RunMetadata.model_validate_json((run_dir / "metadata.json").read_text()).totals
    assert (totals.passed, totals.failed, totals.errors) == (1, 1, 1)
    assert main(["runs", "--output-dir", str(tmp_path)]) == 0
    assert "1/3 passed, 1 failed, 1 errors" in capsys.readouterr().out


@pytest.mark.requirement("runs:list")
def test_runs_lists_newest_first_with_status_hash_and_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = three_outcomes_plan()
    execute(plan, tmp_path)
    execute(make_plan([unit("u0", [case("u0", 0, "hi")])], replies=[ScriptedReply(text="ok")],
                      name="second"), tmp_path)  # fmt: skip
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "metadata.json").write_text("{not json")
    capsys.readouterr()
    assert main(["runs", "--output-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "STATUS", "SUITE", "PLAN", "RESULTS", "STARTED"]
    assert "second" in lines[1] and "1/1 passed" in lines[1]  # newest first
    assert "outcomes" in lines[2] and plan.hash.split(":")[1][:12] in lines[2]
    assert "completed" in lines[2]
    assert lines[3].startswith("broken") and "unreadable" in lines[3]
    assert main(["runs", "--output-dir", str(tmp_path), "--json", "-n", "1"]) == 0
    (row,) = capsys.readouterr().out.splitlines()
    assert json.loads(row)["plan_name"] == "second"


def test_runs_with_no_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "--output-dir", str(tmp_path)]) == 0
    assert "no runs under" in capsys.readouterr().out


@pytest.mark.requirement("runs:list")
def test_a_killed_run_is_counted_from_its_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(three_outcomes_plan(), tmp_path)
    (run_dir,) = run_dirs(tmp_path)
    meta = json.loads((run_dir / "metadata.json").read_text())
    meta.update(status="running", totals={})  # what a SIGKILL leaves behind
    (run_dir / "metadata.json").write_text(json.dumps(meta))
    capsys.readouterr()
    main(["runs", "--output-dir", str(tmp_path)])
    assert "running" in capsys.readouterr().out.splitlines()[1]
    main(["show", "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "1/3 passed, 1 failed, 1 errors" in out
    assert f"--resume {run_dir.name}" in out


@pytest.mark.requirement("runs:show")
def test_show_latest_cases_and_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    execute(make_plan([unit("u0", [case("u0", 0, "hi")])], replies=[ScriptedReply(text="ok")],
                      name="older"), tmp_path)  # fmt: skip
    execute(three_outcomes_plan(), tmp_path)
    capsys.readouterr()
    assert main(["show", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "outcomes" in out and "status     completed" in out
    assert "1/3 passed, 1 failed, 1 errors" in out and "tokens     10 in, 4 out" in out
    assert main(["show", "--cases", "--output-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["PASS", "FAIL", "ERROR"]
    assert "agent / S1 / test 0" in lines[1]
    assert "no reply left" in lines[2]
    assert main(["show", "--failures", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PASS" not in out
    assert "[output_contains]" in out and "'ok'" in out
    assert out.rstrip().endswith("1 failed, 1 errors")


@pytest.mark.requirement("runs:partial-id")
def test_show_accepts_unambiguous_parts_and_refuses_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(three_outcomes_plan(), tmp_path)
    execute(three_outcomes_plan(), tmp_path)
    first, second = run_dirs(tmp_path)
    capsys.readouterr()
    assert main(["show", second.name[-6:], "--output-dir", str(tmp_path)]) == 0
    assert second.name in capsys.readouterr().out
    assert main(["show", "2026", "--output-dir", str(tmp_path)]) == 2
    assert "ambiguous" in capsys.readouterr().err
    assert main(["show", "zzz", "--output-dir", str(tmp_path)]) == 2
    assert main(["show", "--output-dir", str(tmp_path / "empty")]) == 2
    assert "no runs under" in capsys.readouterr().err


@pytest.mark.requirement("runs:export")
def test_export_json_and_md(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    execute(three_outcomes_plan(), tmp_path)
    (run_dir,) = run_dirs(tmp_path)
    capsys.readouterr()
    assert main(["export", run_dir.name[:17], "--output-dir", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == run_dir.name
    assert (data["summary"]["passed"], data["summary"]["failed"], data["summary"]["errors"]) == (
        1,
        1,
        1,
    )
    out_file = tmp_path / "out" / "r.md"
    assert main(["export", run_dir.name, "--format", "md", "-o", str(out_file),
                 "--output-dir", str(tmp_path)]) == 0  # fmt: skip
    assert "outcomes" in out_file.read_text()
    assert main(["export", run_dir.name, "--format", "pdf", "--output-dir", str(tmp_path)]) == 2
    assert main(["export", "nope", "--output-dir", str(tmp_path)]) == 2


# --- execute --limit / --agents ---------------------------------------------------------


def two_agent_plan() -> Plan:
    units = []
    for agent in ("alpha", "beta"):
        for s in range(2):
            uid = f"{agent}{s}"
            units.append(unit(uid, [case(uid, i, f"q {i}") for i in range(3)], agent=agent))
    return make_plan(
        units,
        agents=[BuiltinAgent(name="alpha", provider="p"), BuiltinAgent(name="beta", provider="p")],
        replies=[ScriptedReply(text="ok") for _ in range(3)],
        criteria=Criteria(success_rate=1.0),
    )


@pytest.mark.requirement("runs:filter")
def test_limit_keeps_the_first_cases_of_each_agent_and_is_recorded(tmp_path: Path) -> None:
    plan = two_agent_plan()
    assert execute(plan, tmp_path, "--limit", "4") == 0
    (run_dir,) = run_dirs(tmp_path)
    ran = load_plan(run_dir / "plan.json")
    assert [c.id for c in ran.cases] == [
        "alpha0/0", "alpha0/1", "alpha0/2", "alpha1/0", "beta0/0", "beta0/1", "beta0/2", "beta1/0",
    ]  # fmt: skip
    assert sorted(read_results(run_dir / "results.jsonl")) == sorted(c.id for c in ran.cases)
    meta = RunMetadata.model_validate_json((run_dir / "metadata.json").read_text())
    assert meta.filter is not None
    assert (meta.filter.limit, meta.filter.agents, meta.filter.selected, meta.filter.of) == (
        4,
        None,
        8,
        12,
    )
    assert meta.case_count == 8 and meta.plan_hash == ran.hash != plan.hash


@pytest.mark.requirement("runs:filter")
def test_agents_filter_and_its_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = two_agent_plan()
    assert execute(plan, tmp_path, "--agents", "beta", "--limit", "2") == 0
    (run_dir,) = run_dirs(tmp_path)
    assert sorted(read_results(run_dir / "results.jsonl")) == ["beta0/0", "beta0/1"]
    meta = RunMetadata.model_validate_json((run_dir / "metadata.json").read_text())
    assert meta.filter is not None and meta.filter.agents == ("beta",)
    capsys.readouterr()
    assert execute(plan, tmp_path, "--agents", "bta") == 2
    assert "did you mean 'beta'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        execute(plan, tmp_path, "--limit", "0")
    assert exit_.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


@pytest.mark.requirement("runs:filter")
def test_resume_reapplies_the_recorded_filter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = two_agent_plan()
    assert execute(plan, tmp_path, "--agents", "alpha") == 0
    (run_dir,) = run_dirs(tmp_path)
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    (run_dir / "results.jsonl").write_text("\n".join(lines[:2]) + "\n")  # as if killed
    capsys.readouterr()
    assert execute(plan, tmp_path, "--resume", run_dir.name, "--agents", "beta") == 2
    assert "keeps the case filter it was started with (--agents alpha)" in capsys.readouterr().err
    # The full plan plus the recorded filter hashes to the run's plan: accepted.
    assert execute(plan, tmp_path, "--resume", run_dir.name) == 0
    assert sorted(read_results(run_dir / "results.jsonl")) == [
        f"alpha{s}/{i}" for s in range(2) for i in range(3)
    ]


# --- init -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.requirement("runs:init")
def test_init_scaffolds_a_suite_that_runs_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()  # a repository root: the workflow goes to its .github/
    target = tmp_path / "agents-tests"
    assert main(["init", str(target)]) == 0
    # runs/ is ignored where `bench execute` runs from: the repository's root.
    assert "runs/" in (tmp_path / ".gitignore").read_text().splitlines()
    workflow = tmp_path / ".github" / "workflows" / "bench.yml"
    assert workflow.is_file()
    assert "suite: agents-tests/suite.yaml" in workflow.read_text()
    assert (target / "agents" / "echo_agent.py").is_file()
    # The suite runs at once: scripted provider, the scaffold's own MCP server over stdio.
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.chdir(tmp_path)
    assert main(["execute", "-q", str(target / "suite.yaml")]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    results = read_results(run_dir / "results.jsonl")
    assert [r.status for r in results.values()] == ["passed", "passed"]
    assert results[next(iter(results))].transcript.tool_calls[0].name == "create_note"


@pytest.mark.requirement("runs:init")
def test_init_shards_writes_the_three_stage_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ruamel.yaml import YAML

    (tmp_path / ".git").mkdir()
    assert main(["init", str(tmp_path / "evals"), "--shards", "4"]) == 0
    workflow = YAML(typ="safe").load((tmp_path / ".github" / "workflows" / "bench.yml").read_text())
    compile_job, agents, report = (workflow["jobs"][n] for n in ("compile", "agents", "report"))
    assert compile_job["steps"][-1]["with"] == {"suite": "evals/suite.yaml", "shards": 4}
    assert agents["strategy"]["matrix"] == "${{ fromJSON(needs.compile.outputs.matrix) }}"
    assert agents["steps"][-1]["with"] == {"shard": "${{ matrix.shard }}"}
    assert report["steps"][-1]["with"]["merge"] is True
    with pytest.raises(SystemExit) as exited:
        main(["init", str(tmp_path / "other"), "--shards", "1"])
    assert exited.value.code == 2
    assert "at least 2 shard jobs" in capsys.readouterr().err


@pytest.mark.requirement("runs:init")
def test_init_refuses_to_overwrite_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")  # the user's own: kept, runs/ appended
    assert main(["init", str(tmp_path), "--no-workflow"]) == 0
    assert (tmp_path / ".gitignore").read_text().splitlines()[0] == "*.pyc"
    assert "runs/" in (tmp_path / ".gitignore").read_text().splitlines()
    (tmp_path / "suite.yaml").write_text("mine")
    assert main(["init", str(tmp_path), "--no-workflow"]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert (tmp_path / "suite.yaml").read_text() == "mine"
    assert main(["init", str(tmp_path), "--no-workflow", "--force"]) == 0
    assert "SCRIPTED" in (tmp_path / "suite.yaml").read_text()
    assert (tmp_path / ".gitignore").read_text().splitlines().count("runs/") == 1  # not twice
    assert not (tmp_path / ".github").exists()


@pytest.mark.parametrize("activated", [True, False])
def test_init_says_when_the_python_on_path_is_not_benchs(
    activated: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to("/bin/false")  # some other python first on PATH
    first = Path(sys.executable).parent if activated else bin_dir
    monkeypatch.setenv("PATH", f"{first}{os.pathsep}{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert main(["init", str(tmp_path / "e"), "--no-workflow"]) == 0
    out = capsys.readouterr().out
    assert ("not the Python bench runs in" in out) is not activated


def test_the_example_external_agent_speaks_json_lines() -> None:
    import subprocess

    agent = ROOT / "bench" / "scaffold" / "agents" / "echo_agent.py"
    lines = [json.dumps({"case_id": "1", "input": "Hi", "history": [], "metadata": {}}), "[1, 2]"]
    proc = subprocess.run([sys.executable, str(agent)], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first == {"output": "You said: Hi", "error": None}
    assert second["output"] is None and "AttributeError" in second["error"]


def test_a_filter_reads_back_as_the_flags_that_made_it() -> None:
    from runtime.results import RunFilter

    assert RunFilter(limit=2, agents=("a", "b")).flags() == "--limit 2 --agents a,b"
    assert RunFilter(agents=("beta",)).flags() == "--agents beta"
