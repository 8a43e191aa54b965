"""The Action's sharded stages (compile, shard, merge) with the real bench, on the fake GitHub API.

Each job of a sharded workflow is ``bench github run`` with its own $RUNNER_TEMP; the artifacts
between them are copied the way actions/download-artifact lays them out (one folder per
artifact under the download path). tests/action/test_act.py runs the same stages under act.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bench.gha.inputs import ActionInputs
from bench.gha.run import ActionResult, publish_step, run_action, run_links
from bench.gha.shards import matrix
from runtime.errors import InputError
from tests.action.fake_github import WRITE_TOKEN, FakeGitHub
from tests.action.test_files import _parse_outputs

REPO, PR = "octo/widgets", 12
SUITE = Path(__file__).parent / "fixtures" / "sharded.yaml"


def _job_env(tmp_path: Path, job: str, api: FakeGitHub) -> dict[str, str]:
    """The environment of one job of the workflow (its own RUNNER_TEMP, outputs, summary)."""
    jobdir = tmp_path / job
    jobdir.mkdir(parents=True, exist_ok=True)
    (tmp_path / "event.json").write_text(json.dumps({"pull_request": {"number": PR}}))
    return {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "777",
        "GITHUB_OUTPUT": str(jobdir / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(jobdir / "summary.md"),
        "GITHUB_WORKSPACE": str(tmp_path),
        "RUNNER_TEMP": str(jobdir / "temp"),
        "GITHUB_TOKEN": WRITE_TOKEN,
        "GITHUB_API_URL": api.url,
        "NO_PROXY": "127.0.0.1",
    }


def _inputs(env: dict[str, str], tmp_path: Path, **given: str) -> ActionInputs:
    variables = {f"INPUT_{k.upper()}": v for k, v in given.items()}
    variables["INPUT_WORKING_DIRECTORY"] = str(tmp_path)
    return ActionInputs.from_env({**env, **variables})


def _outputs(env: dict[str, str]) -> dict[str, str]:
    return _parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text())


def test_matrix_output_is_the_shard_list() -> None:
    assert json.loads(matrix(3)) == {"shard": ["1/3", "2/3", "3/3"]}


def test_stage_inputs() -> None:
    env = {"RUNNER_TEMP": "/t"}
    got = ActionInputs.from_env({**env, "INPUT_SUITE": "s.yaml", "INPUT_SHARDS": "3"})
    assert (got.mode, got.shards, got.plan_artifact) == ("compile", 3, "bench-report-plan")
    got = ActionInputs.from_env({**env, "INPUT_SHARD": " 2/3 ", "INPUT_ARTIFACT_NAME": "evals"})
    assert (got.mode, got.shard, got.shard_artifact) == ("shard", (2, 3), "evals-shard-2-of-3")
    assert got.target == "/t/bench-plan/plan.json"  # the compile job's plan, downloaded
    assert (
        ActionInputs.from_env({**env, "INPUT_SHARD": "1/2", "INPUT_PLAN": "p.json"}).target
        == "p.json"
    )
    got = ActionInputs.from_env({**env, "INPUT_MERGE": "true"})
    assert (got.mode, got.target, got.shards_dir) == ("merge", "", Path("/t/bench-shards"))
    assert not got.allow_partial
    assert ActionInputs.from_env(
        {**env, "INPUT_MERGE": "true", "INPUT_ALLOW_PARTIAL": "true"}
    ).allow_partial
    assert ActionInputs.from_env({**env, "INPUT_SUITE": "s", "INPUT_MERGE": "false"}).mode == "run"


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"INPUT_SHARDS": "3"}, "'shards' compiles a suite"),
        ({"INPUT_SUITE": "s", "INPUT_SHARDS": "0"}, "number of shard jobs"),
        ({"INPUT_SUITE": "s", "INPUT_SHARDS": "three"}, "number of shard jobs"),
        ({"INPUT_SUITE": "s", "INPUT_SHARD": "1/3"}, "not 'suite'"),
        ({"INPUT_SHARD": "4/3"}, "must be I/N"),
        ({"INPUT_SHARD": "1-3"}, "must be I/N"),
        ({"INPUT_MERGE": "true", "INPUT_PLAN": "p.json"}, "give no 'suite' or 'plan'"),
        ({"INPUT_MERGE": "yes please"}, "input 'merge'"),
        ({"INPUT_SHARD": "1/3", "INPUT_MERGE": "true"}, "at most one of"),
        ({"INPUT_SUITE": "s", "INPUT_SHARDS": "2", "INPUT_SHARD": "1/2"}, "at most one of"),
        ({"INPUT_SUITE": "s", "INPUT_ALLOW_PARTIAL": "true"}, "'allow-partial' is for the merge"),
        ({"INPUT_MERGE": "true", "INPUT_ALLOW_PARTIAL": "some"}, "input 'allow-partial'"),
    ],
)
def test_bad_stage_inputs(given: dict[str, str], words: str) -> None:
    with pytest.raises(InputError, match=words):
        ActionInputs.from_env({"RUNNER_TEMP": "/t", **given})


def test_downloading_stages_need_runner_temp() -> None:
    with pytest.raises(InputError, match="RUNNER_TEMP"):
        ActionInputs.from_env({"INPUT_MERGE": "true"})


def _compile_and_run_shards(tmp_path: Path, github_api: FakeGitHub, lines: list[str]) -> Path:
    """The compile job and its three shard jobs; the merge job's download folder, filled."""
    # Compile job: the plan and the matrix, nothing run, nothing posted.
    env = _job_env(tmp_path, "compile", github_api)
    result = run_action(
        _inputs(env, tmp_path, suite=str(SUITE), shards="3"),
        env,
        echo=lines.append,
        publish_now=False,
    )
    out = _outputs(env)
    assert result.exit_code == 0, lines
    assert json.loads(out["matrix"]) == {"shard": ["1/3", "2/3", "3/3"]}
    assert (out["upload-name"], out["upload-path"]) == ("bench-report-plan", out["plan"])
    assert "shard 3/3" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    plan = Path(out["plan"])

    # Three shard jobs: each downloads the plan, runs its slice, uploads its run, posts nothing.
    shards_dir = tmp_path / "merge" / "temp" / "bench-shards"
    for label in json.loads(out["matrix"])["shard"]:
        job = f"shard-{label.replace('/', '-of-')}"
        env = _job_env(tmp_path, job, github_api)
        download = Path(env["RUNNER_TEMP"]) / "bench-plan"
        download.mkdir(parents=True)
        shutil.copy2(plan, download / "plan.json")
        inputs = _inputs(env, tmp_path, shard=label)
        result = run_action(inputs, env, echo=lines.append, publish_now=False)
        shard_out = _outputs(env)
        assert result.exit_code == 0, lines
        assert shard_out["upload-name"] == f"bench-report-shard-{label.replace('/', '-of-')}"
        run_dir = Path(shard_out["run-dir"])
        assert shard_out["upload-path"] == str(run_dir) and (run_dir / "results.jsonl").is_file()
        outcome = publish_step(
            inputs, env, Path(shard_out["report-md"]), artifact_id="55", echo=lines.append
        )
        assert outcome.action == "skipped" and outcome.url == ""
        assert "bench-report" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
        shutil.copytree(run_dir, shards_dir / shard_out["upload-name"])
    return shards_dir


@pytest.mark.slow
@pytest.mark.requirement("action:shards")
@pytest.mark.requirement("action:html-link")
def test_compile_three_shards_and_merge_comment_once(
    tmp_path: Path, github_api: FakeGitHub
) -> None:
    lines: list[str] = []
    _compile_and_run_shards(tmp_path, github_api, lines)
    # A shard job makes no call to GitHub at all: no comment, no status, no check.
    assert github_api.requests == []

    # Merge job: one run of every case, one comment, the gate.
    env = _job_env(tmp_path, "merge", github_api)
    inputs = _inputs(env, tmp_path, merge="true")
    result = run_action(inputs, env, echo=lines.append, publish_now=False)
    merged = _outputs(env)
    assert result.exit_code == 0, lines
    assert (merged["passed"], merged["failed"], merged["criteria-met"]) == ("6", "0", "true")
    report = json.loads(Path(merged["report-json"]).read_text())
    tests = [(c["session"], c["test"], c["status"]) for c in report["detailed_results"]]
    assert len(tests) == len(set(tests)) == 6 and {t[2] for t in tests} == {"passed"}
    outcome = publish_step(
        inputs, env, Path(merged["report-md"]), artifact_id="4711", echo=lines.append
    )
    assert outcome.action == "created"
    (body,) = github_api.bodies(REPO, PR)
    assert [r.method for r in github_api.writes()] == ["POST"]
    # The comment links the uploaded HTML report (the artifact), escaped as a link.
    html = MarkdownIt("commonmark").render(body)
    assert 'href="https://github.example/octo/widgets/actions/runs/777/artifacts/4711"' in html
    assert WRITE_TOKEN not in "\n".join(lines)


@pytest.mark.slow
@pytest.mark.requirement("action:shards")
def test_compile_stage_errors_are_annotations_and_no_plan(
    tmp_path: Path, github_api: FakeGitHub
) -> None:
    lines: list[str] = []
    env = _job_env(tmp_path, "compile", github_api)
    (tmp_path / "bad.yaml").write_text(SUITE.read_text().replace("sessions:", "sesions:"))
    result = run_action(
        _inputs(env, tmp_path, suite="bad.yaml", shards="3"), env, echo=lines.append
    )
    assert result.exit_code == 2 and result.outputs["matrix"] == ""
    assert any(line.startswith("::error file=bad.yaml,line=") for line in lines), lines
    assert github_api.requests == []


@pytest.mark.slow
@pytest.mark.requirement("action:shards")
def test_more_shards_than_sessions_gives_one_job_per_session(
    tmp_path: Path, github_api: FakeGitHub
) -> None:
    """A session is never split: `shards` is the most jobs, and the matrix says how many."""
    lines: list[str] = []
    env = _job_env(tmp_path, "compile", github_api)
    inputs = _inputs(env, tmp_path, suite=str(SUITE), shards="5")
    result = run_action(inputs, env, echo=lines.append)
    assert result.exit_code == 0, lines
    assert json.loads(result.outputs["matrix"]) == {"shard": ["1/4", "2/4", "3/4", "4/4"]}
    assert any(
        line.startswith("::warning title=bench::") and "4 shard jobs" in line for line in lines
    )
    assert "shard 4/4" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


@pytest.mark.slow
def test_merge_refusal_fails_the_step_without_a_comment(
    tmp_path: Path, github_api: FakeGitHub
) -> None:
    env = _job_env(tmp_path, "merge", github_api)
    (Path(env["RUNNER_TEMP"]) / "bench-shards").mkdir(parents=True)
    with pytest.raises(InputError, match="no shard runs were downloaded"):
        run_action(_inputs(env, tmp_path, merge="true"), env, echo=lambda _l: None)
    assert github_api.requests == []


@pytest.mark.parametrize(
    ("artifact_id", "href"),
    [
        ("4711", "https://github.example/o/r/actions/runs/9/artifacts/4711"),
        ("", "https://github.example/o/r/actions/runs/9#artifacts"),
        ("12) [x](javascript:alert(1)", "https://github.example/o/r/actions/runs/9#artifacts"),
        ("<b>1</b>", "https://github.example/o/r/actions/runs/9#artifacts"),
        ("\u0661\u0662", "https://github.example/o/r/actions/runs/9#artifacts"),  # not ASCII
    ],
)
@pytest.mark.requirement("action:html-link")
def test_run_links_point_at_the_artifact_when_known(artifact_id: str, href: str) -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "9",
    }
    line = run_links(env, "bench-report", artifact_id)
    tokens = [t for t in MarkdownIt("commonmark").parseInline(line.strip())[0].children or []]
    links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert links == ["https://github.example/o/r/actions/runs/9", href]
    assert "javascript" not in line and "<b>" not in line
    assert run_links({**env, "GITHUB_SERVER_URL": "javascript:alert(1)//"}, "x", "1") == ""


@pytest.mark.slow
@pytest.mark.requirement("action:shards")
def test_merge_finds_a_single_shard_downloaded_flat(tmp_path: Path, github_api: FakeGitHub) -> None:
    """download-artifact puts a pattern's only match at `path` itself, not in a subfolder."""
    from tests.action.plans import quiz_plan, write_plan

    plan = write_plan(quiz_plan(success_rate=None, failing=False), tmp_path / "plan.json")
    env = _job_env(tmp_path, "shard", github_api)
    result = run_action(
        _inputs(env, tmp_path, shard="1/1", plan=str(plan)), env, echo=lambda _l: None
    )
    assert result.exit_code == 0
    env = _job_env(tmp_path, "merge", github_api)
    shutil.copytree(
        _outputs(_job_env(tmp_path, "shard", github_api))["run-dir"],
        Path(env["RUNNER_TEMP"]) / "bench-shards",
    )
    result = run_action(_inputs(env, tmp_path, merge="true"), env, echo=lambda _l: None)
    assert result.exit_code == 0 and _outputs(env)["passed"] == "3"


def test_a_stopped_shard_still_uploads_its_run(tmp_path: Path, github_api: FakeGitHub) -> None:
    """A slice stopped early (a budget, a cancel) has no report, but its run is uploaded, so
    the merge job reports the whole run as interrupted instead of a missing shard."""
    env = _job_env(tmp_path, "shard", github_api)

    def stopped(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        out = Path(cmd[cmd.index("--output-dir") + 1]) / "runs" / "20261205-000000-abcdef"
        out.mkdir(parents=True)
        (out / "metadata.json").write_text("{}")
        return subprocess.CompletedProcess(cmd, 130)

    inputs = _inputs(env, tmp_path, shard="2/3", plan="plan.json")
    result = run_action(inputs, env, runner=stopped, echo=lambda _l: None, publish_now=False)
    out = _outputs(env)
    assert result.exit_code == 130
    assert out["upload-name"] == "bench-report-shard-2-of-3"
    assert out["upload-path"] == out["run-dir"] and out["run-dir"].endswith(
        "20261205-000000-abcdef"
    )
    assert out["report-md"] == ""  # nothing to publish


def _merge_without(
    tmp_path: Path, github_api: FakeGitHub, lines: list[str], missing: str, **given: str
) -> tuple[ActionResult, dict[str, str], ActionInputs]:
    """Three shard jobs, then the merge job with shard ``missing`` (e.g. ``2-of-3``) not
    downloaded: its result, environment and inputs."""
    shards_dir = _compile_and_run_shards(tmp_path, github_api, lines)
    shutil.rmtree(shards_dir / f"bench-report-shard-{missing}")
    env = _job_env(tmp_path, "merge", github_api)
    inputs = _inputs(env, tmp_path, merge="true", **given)
    return run_action(inputs, env, echo=lines.append, publish_now=False), env, inputs


@pytest.mark.slow
@pytest.mark.requirement("action:shards")
def test_a_refused_merge_is_the_pr_comment(tmp_path: Path, github_api: FakeGitHub) -> None:
    """A shard job that uploaded nothing: the merge job fails, and the PR says why."""
    lines: list[str] = []
    result, env, _ = _merge_without(tmp_path, github_api, lines, "2-of-3")
    assert result.exit_code not in (0, 1)
    assert _outputs(env)["report-md"] == ""  # no report to publish after the upload
    assert any(x.startswith("::error") and "shard 2/3 is missing" in x for x in lines), lines
    (body,) = github_api.bodies(REPO, PR)
    shown = MarkdownIt("commonmark").render(body)
    assert "could not be merged" in shown and "shard 2/3 is missing" in shown
    assert "bench-report-shard-1-of-3" in shown and "allow-partial: true" in shown
    assert "could not be merged" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


@pytest.mark.slow
@pytest.mark.requirement("action:shards")
def test_allow_partial_reports_the_shards_that_ran(tmp_path: Path, github_api: FakeGitHub) -> None:
    lines: list[str] = []
    result, env, inputs = _merge_without(
        tmp_path, github_api, lines, "3-of-3", allow_partial="true"
    )
    merged = _outputs(env)
    assert result.exit_code == 3, lines  # an incomplete run is never a pass
    report = json.loads(Path(merged["report-json"]).read_text())
    assert 0 < len(report["detailed_results"]) < 6
    publish_step(inputs, env, Path(merged["report-md"]), echo=lines.append)
    (body,) = github_api.bodies(REPO, PR)
    assert "3/3" in body and "missing" in body.lower()
