"""Dataset sessions: one unit per row, row fields in templates and cases, provenance, seed."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import compile_suite
from runtime.plan.assertions import ExactMatch
from tests.compiler.conftest import BASE, NOW, compile_errors, compile_ok

ROWS = [
    {"id": "q1", "question": "Capital of France?", "answer": "Paris", "topic": "geo"},
    {
        "id": "q2",
        "question": "2+2?",
        "answer": 4,
        "topic": "math",
        "turns": [
            {"role": "user", "content": "let's do sums"},
            {"role": "assistant", "content": "ok"},
        ],
    },
    {"id": "q3", "question": "Say {{hi}}", "answer": "hi", "topic": "misc"},
]

DATASET = """\
datasets:
  - name: qa
    source: data/qa.jsonl
    input_map: {input: question, expected: answer, history: turns}
"""

SESSION = """\
sessions:
  - name: trivia
    dataset: qa
    tests:
      - name: answer
        prompt: "Q ({{row_id}}): {{input}}"
        assertions:
          - type: exact_match
          - type: output_contains
            value: "{{expected}}"
"""


def write_rows(root: Path, rows: list[dict[str, object]] = ROWS) -> Path:
    path = root / "data" / "qa.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.requirement("suite:dataset-cases")
@pytest.mark.requirement("dataset:input-map")
def test_dataset_session_expands_one_unit_per_row(write: Callable[..., Path]) -> None:
    path = write(BASE + DATASET + SESSION)
    write_rows(path.parent)
    plan = compile_ok(path)
    assert [u.session for u in plan.units] == ["trivia"] * 3
    cases = plan.cases
    assert [c.test for c in cases] == ["answer [q1]", "answer [q2]", "answer [q3]"]
    assert [c.prompt for c in cases] == [
        "Q (q1): Capital of France?",
        "Q (q2): 2+2?",
        "Q (q3): Say {{hi}}",  # row text is data, never a template
    ]
    assert [c.expected for c in cases] == ["Paris", "4", "hi"]
    assert cases[0].metadata == {"topic": "geo"} and cases[0].history == ()
    assert cases[1].history == tuple(ROWS[1]["turns"])  # type: ignore[arg-type]
    assert cases[0].assertions[0] == ExactMatch(span=cases[0].assertions[0].span)
    assert cases[0].assertions[1].value == "Paris"  # type: ignore[union-attr]
    assert len({c.id for c in cases}) == 3


@pytest.mark.requirement("suite:dataset-provenance")
def test_dataset_file_is_recorded_in_sources(write: Callable[..., Path]) -> None:
    path = write(BASE + DATASET + SESSION)
    data = write_rows(path.parent)
    plan = compile_ok(path)
    [source] = [s for s in plan.sources if s.path.endswith("qa.jsonl")]
    assert source.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    assert source.revision is None
    # Editing the data changes the plan hash.
    before = plan.hash
    write_rows(path.parent, ROWS[:2])
    assert compile_ok(path).hash != before


@pytest.mark.requirement("suite:dataset-provenance")
@pytest.mark.requirement("dataset:git")
def test_git_dataset_records_its_commit(
    write: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    write_rows(repo)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "rows"], check=True)
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    text = BASE + DATASET.replace(
        "source: data/qa.jsonl", f"source: 'git:file://{repo}'\n    path: data/qa.jsonl"
    )
    plan = compile_ok(write(text + SESSION, "s/suite.yaml"))
    [source] = [s for s in plan.sources if s.path.startswith("git:")]
    assert source.revision == commit and len(plan.units) == 3


@pytest.mark.requirement("suite:dataset-deterministic")
@pytest.mark.requirement("dataset:limit-sample")
def test_sample_follows_the_plan_seed(write: Callable[..., Path]) -> None:
    rows = [{"id": f"r{i}", "question": f"q{i}", "answer": str(i)} for i in range(40)]
    path = write(
        BASE + DATASET.replace("history: turns}", "history: turns}\n    sample: 5") + SESSION
    )
    write_rows(path.parent, rows)  # type: ignore[arg-type]

    def picked(seed: int) -> list[str]:
        return [c.test for c in compile_suite(path, seed=seed, now=NOW, env={}).cases]

    assert picked(1) == picked(1) and len(picked(1)) == 5
    assert picked(1) != picked(2)
    assert (
        compile_suite(path, seed=3, now=NOW, env={}).dumps()
        == compile_suite(path, seed=3, now=NOW, env={}).dumps()
    )


@pytest.mark.requirement("suite:dataset-cases")
def test_a_suite_file_shares_its_datasets_with_test_files(write: Callable[..., Path]) -> None:
    suite = write(BASE + DATASET + "test_files: [t.yaml]\n")
    write(SESSION, "t.yaml")
    write_rows(suite.parent)
    assert len(compile_ok(suite).units) == 3


@pytest.mark.requirement("suite:dataset-cases")
@pytest.mark.parametrize(
    ("dataset", "code", "line", "needle"),
    [
        (DATASET.replace("data/qa.jsonl", "data/nope.jsonl"), "dataset", 11, "does not exist"),
        (DATASET.replace("name: qa", "name: qb"), "unknown-dataset", 15, "defined datasets: qb"),
        (DATASET.replace("input: question", "input: q"), "dataset", 11, "q"),
    ],
)
def test_dataset_problems_are_diagnostics(
    write: Callable[..., Path], dataset: str, code: str, line: int, needle: str
) -> None:
    path = write(BASE + dataset + SESSION)
    write_rows(path.parent)
    errors = compile_errors(path)
    assert any(
        e.code == code and e.line == line and needle in f"{e.message} {e.hint or ''}"
        for e in errors
    ), errors


@pytest.mark.requirement("suite:dataset-cases")
def test_row_names_outside_a_dataset_session_are_undefined(write: Callable[..., Path]) -> None:
    path = write(
        BASE + "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: '{{input}}'}\n"
    )
    assert any(e.code == "undefined-variable" for e in compile_errors(path))
