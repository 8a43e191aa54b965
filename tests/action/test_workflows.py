"""The workflows and action.yml: actionlint (with shellcheck), and the Action's safety rules."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SCAFFOLD_WORKFLOW = ROOT / "bench" / "scaffold" / "workflows" / "bench.yml"
"""The workflow `bench init` writes into new projects."""
SHARDED_SCAFFOLD = ROOT / "bench" / "scaffold" / "workflows" / "bench-sharded.yml"
"""The workflow `bench init --shards N` writes."""


def _which(name: str) -> str | None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return shutil.which(name, path=path)


def _action() -> dict:  # type: ignore[type-arg]
    return YAML(typ="safe").load((ROOT / "action.yml").read_text())


@pytest.mark.requirement("action:actionlint")
def test_actionlint_passes_on_every_workflow() -> None:
    actionlint = _which("actionlint")
    assert actionlint, "actionlint is not installed: run scripts/bootstrap (dev extra)"
    assert _which("shellcheck"), "shellcheck is not installed: scripts/bootstrap installs it"
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "action-selftest.yml", "example.yml"}
    done = subprocess.run(
        [
            actionlint,
            "-shellcheck",
            _which("shellcheck") or "",
            *map(str, WORKFLOWS),
            str(SCAFFOLD_WORKFLOW),
            str(SHARDED_SCAFFOLD),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.requirement("action:actionlint")
def test_actionlint_checks_the_action_through_uses_dot(tmp_path: Path) -> None:
    # A workflow giving `uses: ./` an input action.yml does not declare must be flagged.
    actionlint = _which("actionlint")
    assert actionlint
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy2(ROOT / "action.yml", tmp_path / "action.yml")
    (tmp_path / ".github" / "workflows" / "x.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: ./\n        with:\n          suite: s.yaml\n          suit: typo\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run([actionlint], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and 'input "suit" is not defined' in done.stdout


@pytest.mark.requirement("action:actionlint")
def test_action_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = _which("shellcheck")
    assert shellcheck, "shellcheck is not installed: scripts/bootstrap installs it"
    steps = [s for s in _action()["runs"]["steps"] if "run" in s]
    assert len(steps) >= 3
    for i, step in enumerate(steps):
        script = tmp_path / f"step{i}.sh"
        # Expressions are replaced by a placeholder word, as the runner substitutes them first.
        body = re.sub(r"\$\{\{.*?\}\}", "EXPR", step["run"])
        script.write_text(f"#!/usr/bin/env bash\n{body}")
        done = subprocess.run(
            [shellcheck, "-s", "bash", str(script)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout}"


@pytest.mark.requirement("action:env-only")
def test_inputs_reach_scripts_only_through_env() -> None:
    action = _action()
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), (
            f"expression inside run: in step {step.get('name')}"
        )
    run_env = next(s for s in action["runs"]["steps"] if s.get("id") == "run")["env"]
    for name in action["inputs"]:
        if name in ("python-version", "cache"):
            continue  # consumed by actions/setup-python and an `if:`, not by a script
        if name == "github-token":
            assert run_env["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
            continue
        key = "INPUT_" + name.upper().replace("-", "_")
        assert run_env.get(key) == f"${{{{ inputs.{name} }}}}", key


def test_action_declares_what_the_docs_promise() -> None:
    action = _action()
    promised_outputs = {
        "passed", "failed", "errors", "pass-rate", "criteria-met",
        "report-json", "report-md", "report-html", "comment-url",
    }  # fmt: skip
    promised_inputs = {
        "suite", "plan", "args", "working-directory", "comment", "comment-mode",
        "github-token", "baseline", "fail-on", "report-formats",
    }  # fmt: skip
    assert promised_outputs <= set(action["outputs"])
    assert promised_inputs <= set(action["inputs"])
    docs = (ROOT / "docs" / "github-action.md").read_text()
    for name in set(action["inputs"]) | set(action["outputs"]):
        assert f"`{name}`" in docs, f"docs/github-action.md does not document {name}"
    assert action["runs"]["using"] == "composite"


def test_no_workflow_needs_pull_request_target() -> None:
    for path in WORKFLOWS:
        assert "pull_request_target" not in path.read_text(), path.name
    docs = (ROOT / "docs" / "github-action.md").read_text()
    assert "pull-requests: write" in docs and "contents: read" in docs


def test_docs_workflow_matches_example_yml() -> None:
    docs = (ROOT / "docs" / "github-action.md").read_text()
    block = re.search(r"```yaml\n(name: Agent tests\n.*?)```", docs, re.S)
    assert block, "docs/github-action.md lacks the copy-paste workflow"
    yaml = YAML(typ="safe")
    documented = yaml.load(block.group(1))
    example = yaml.load((ROOT / ".github" / "workflows" / "example.yml").read_text())
    # Same job; only the trigger, the name and the action reference differ.
    doc_steps = documented["jobs"]["agents"]["steps"]
    ex_steps = example["jobs"]["agents"]["steps"]
    assert [s.get("uses", "").replace("OWNER/bench@v1", "./") for s in doc_steps] == [
        s.get("uses", "") for s in ex_steps
    ]
    assert [s.get("with") for s in doc_steps] == [s.get("with") for s in ex_steps]
    assert (
        documented["permissions"]
        == example["permissions"]
        == {
            "contents": "read",
            "pull-requests": "write",
            "actions": "read",
        }
    )
    assert "pull_request" in documented["on"]


@pytest.mark.requirement("action:shards")
def test_sharded_workflow_is_the_same_in_docs_init_and_the_act_selftest() -> None:
    """docs/github-action.md shows what `bench init --shards 3` writes; act runs its twin."""
    yaml = YAML(typ="safe")
    docs = (ROOT / "docs" / "github-action.md").read_text()
    block = re.search(r"```yaml\n(name: Agent tests\n(?:(?!```).)*?compile:.*?)```", docs, re.S)
    assert block, "docs/github-action.md lacks the sharded workflow"
    template = SHARDED_SCAFFOLD.read_text()
    filled = template.replace("__SUITE__", "examples/quickstart/suite.yaml").replace(
        "__SHARDS__", "3"
    )
    assert yaml.load(block.group(1)) == yaml.load(filled)
    scaffold = yaml.load(filled)
    selftest = yaml.load((ROOT / ".github" / "workflows" / "action-sharded.yml").read_text())
    assert list(scaffold["jobs"]) == list(selftest["jobs"]) == ["compile", "agents", "report"]
    for name, job in scaffold["jobs"].items():
        twin = selftest["jobs"][name]
        for key in ("needs", "if", "outputs", "strategy"):
            assert job.get(key) == twin.get(key), (name, key)
        stage = [s["with"] for s in job["steps"] if "with" in s]
        twin_stage = [s["with"] for s in twin["steps"] if "with" in s]
        for given in (*stage, *twin_stage):
            given.pop("python-version", None)
            given.pop("suite", None)
        assert stage == twin_stage, name
    agents = scaffold["jobs"]["agents"]["strategy"]
    assert agents["fail-fast"] is False
    assert agents["matrix"] == "${{ fromJSON(needs.compile.outputs.matrix) }}"
    assert scaffold["jobs"]["report"]["if"] == "${{ !cancelled() }}"
