"""Datasets: local JSONL/JSON/CSV, git sources (a local bare repo over file://), prepare,
input_map, limit and seeded sample."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from compiler.datasets import DatasetError, load_dataset, load_dataset_with_info
from compiler.suite.datasets import DatasetDef

ROWS = [
    {"id": "q1", "question": "2+2?", "answer": "4", "topic": "math"},
    {"id": "q2", "question": "capital of France?", "answer": "Paris", "topic": "geo"},
    {"id": "q3", "question": "H2O is?", "answer": "water", "topic": "chem"},
]


def ds(**kw: Any) -> DatasetDef:
    base: dict[str, Any] = {"name": "qa", "input_map": {"input": "question", "expected": "answer"}}
    base.update(kw)
    return DatasetDef.model_validate(base)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.requirement("dataset:local")
def test_jsonl_rows_are_mapped(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "qa.jsonl", ROWS)
    rows = load_dataset(ds(source="qa.jsonl"), tmp_path)
    assert [r.id for r in rows] == ["q1", "q2", "q3"]
    assert (rows[1].input, rows[1].expected) == ("capital of France?", "Paris")
    assert rows[0].metadata == {"topic": "math"}  # every unmapped field
    assert rows[2].line == 3


@pytest.mark.requirement("dataset:local")
def test_json_and_csv_give_the_same_rows(tmp_path: Path) -> None:
    (tmp_path / "qa.json").write_text(json.dumps({"data": ROWS}), encoding="utf-8")
    with (tmp_path / "qa.csv").open("w", encoding="utf-8", newline="") as f:
        f.write("id,question,answer,topic\n")
        for r in ROWS:
            f.write(f'{r["id"]},"{r["question"]}",{r["answer"]},{r["topic"]}\n')
    from_json = load_dataset(ds(source="qa.json"), tmp_path)
    from_csv = load_dataset(ds(source="qa.csv"), tmp_path)
    strip = [(r.id, r.input, r.expected, r.metadata) for r in from_json]
    assert strip == [(r.id, r.input, r.expected, r.metadata) for r in from_csv]


@pytest.mark.requirement("dataset:input-map")
def test_input_map_reaches_nested_fields_history_and_chosen_metadata(tmp_path: Path) -> None:
    rows = [
        {
            "q": {"text": "and then?"},
            "gold": {"label": "B"},
            "turns": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
            "level": 3,
            "noise": "x",
        }
    ]
    write_jsonl(tmp_path / "d.jsonl", rows)
    spec = ds(
        source="d.jsonl",
        input_map={
            "input": "q.text",
            "expected": "gold",
            "history": "turns",
            "metadata": ["level"],
        },
    )
    [row] = load_dataset(spec, tmp_path)
    assert row.input == "and then?"
    assert row.expected == '{"label": "B"}'  # non-text expected values become JSON text
    assert [m["role"] for m in row.history] == ["user", "assistant"]
    assert row.metadata == {"level": 3}
    assert row.id == "0"  # no id field: the position


@pytest.mark.requirement("dataset:limit-sample")
def test_sample_is_deterministic_per_seed_and_keeps_file_order(tmp_path: Path) -> None:
    many = [{"id": f"r{i}", "question": f"q{i}", "answer": str(i)} for i in range(100)]
    write_jsonl(tmp_path / "big.jsonl", many)
    spec = ds(source="big.jsonl", sample=10)
    a = [r.id for r in load_dataset(spec, tmp_path, seed=7)]
    b = [r.id for r in load_dataset(spec, tmp_path, seed=7)]
    c = [r.id for r in load_dataset(spec, tmp_path, seed=8)]
    assert a == b and a != c and len(a) == 10
    assert a == sorted(a, key=lambda x: int(x[1:]))
    pinned = [
        r.id for r in load_dataset(ds(source="big.jsonl", sample=10, seed=7), tmp_path, seed=99)
    ]
    assert pinned == a  # the dataset's own seed wins over the plan's
    limited = load_dataset(ds(source="big.jsonl", sample=10, limit=3), tmp_path, seed=7)
    assert [r.id for r in limited] == a[:3]
    assert [r.id for r in load_dataset(ds(source="big.jsonl", limit=2), tmp_path)] == ["r0", "r1"]


@pytest.mark.requirement("dataset:prepare")
def test_prepare_runs_only_while_the_local_file_is_missing(tmp_path: Path) -> None:
    script = "echo run >> prepare.log; printf '%s\\n' '{\"input\": \"made\"}' > data/gen.jsonl"
    (tmp_path / "data").mkdir()
    spec = DatasetDef.model_validate(
        {"name": "gen", "source": ".", "path": "data/gen.jsonl", "prepare": script}
    )
    rows = load_dataset(spec, tmp_path)
    load_dataset(spec, tmp_path)
    assert [r.input for r in rows] == ["made"]
    assert (tmp_path / "prepare.log").read_text() == "run\n"


def test_failing_prepare_names_the_dataset_and_stderr(tmp_path: Path) -> None:
    spec = DatasetDef.model_validate(
        {"name": "gen", "source": "x.jsonl", "prepare": "echo broken >&2; exit 3"}
    )
    with pytest.raises(DatasetError, match=r"'gen': prepare command exited with code 3: broken"):
        load_dataset(spec, tmp_path)


@pytest.fixture
def bare_repo(tmp_path: Path) -> tuple[str, str]:
    """A bare git repository with data/qa.jsonl and a script, served over file://."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").mkdir()
    write_jsonl(work / "data" / "qa.jsonl", ROWS)
    (work / "prep.sh").write_text("echo prepared >> data/prepared.txt\n")
    env_args = [
        "-c",
        "user.email=t@example.invalid",
        "-c",
        "user.name=t",
        "-c",
        "commit.gpgsign=false",
    ]

    def git(*args: str, cwd: Path = work) -> str:
        done = subprocess.run(
            ["git", *env_args, *args], cwd=cwd, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    first = git("rev-parse", "HEAD")
    write_jsonl(work / "data" / "qa.jsonl", ROWS[:1])
    git("commit", "-q", "-am", "two")
    bare = tmp_path / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return f"file://{bare}", first


@pytest.mark.requirement("dataset:git")
def test_git_source_is_cloned_once_into_the_cache(
    tmp_path: Path, bare_repo: tuple[str, str]
) -> None:
    url, _ = bare_repo
    cache = tmp_path / "cache"
    spec = ds(source=f"git:{url}", path="data/qa.jsonl", prepare="sh prep.sh")
    rows, info = load_dataset_with_info(spec, tmp_path, cache_dir=cache)
    assert [r.id for r in rows] == ["q1"]  # the newest commit has one row
    assert info.revision and len(info.revision) == 40
    # A second load reads the cache: prepare does not run again, the network is not needed.
    rows2, _ = load_dataset_with_info(spec, tmp_path, cache_dir=cache)
    assert rows2 == rows
    [clone] = [p for p in cache.iterdir() if p.is_dir()]
    assert (clone / "data" / "prepared.txt").read_text() == "prepared\n"


@pytest.mark.requirement("dataset:git")
def test_git_ref_pins_a_commit(tmp_path: Path, bare_repo: tuple[str, str]) -> None:
    url, first = bare_repo
    spec = ds(source=f"git:{url}#{first}", path="data/qa.jsonl")
    rows, info = load_dataset_with_info(spec, tmp_path, cache_dir=tmp_path / "c")
    assert [r.id for r in rows] == ["q1", "q2", "q3"] and info.revision == first


def test_git_failure_is_a_dataset_error(tmp_path: Path) -> None:
    spec = ds(source=f"git:file://{tmp_path}/nope.git", path="x.jsonl")
    with pytest.raises(DatasetError, match=r"'qa'.*git clone failed"):
        load_dataset(spec, tmp_path, cache_dir=tmp_path / "c")
    assert not any((tmp_path / "c").iterdir())  # no half clone left behind


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ('{"question": "a"}\nnot json\n', "d.jsonl", r"d.jsonl:2: not JSON"),
        ('{"other": "a"}\n', "d.jsonl", r"d.jsonl:1: no field 'question' for the input"),
        (
            '{"question": "a", "id": 1}\n{"question": "b", "id": 1}\n',
            "d.jsonl",
            r"row id '1' repeats line 1",
        ),
        ("[1, 2]", "d.json", r"row 0 must be a JSON object"),
        ("a,b\n", "d.txt", r"cannot tell the format of d.txt"),
    ],
)
def test_bad_files_name_the_place(tmp_path: Path, content: str, name: str, message: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_dataset(ds(source=name, input_map={"input": "question"}), tmp_path)


def test_missing_file_and_escaping_path(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(ds(source="missing.jsonl"), tmp_path)
    with pytest.raises(DatasetError, match="leaves its source folder"):
        load_dataset(ds(source=".", path="../../etc/passwd"), tmp_path)


def test_suite_model_forbids_unknown_keys() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        DatasetDef.model_validate({"name": "x", "source": "a.jsonl", "smaple": 3})
    with pytest.raises(ValidationError):
        DatasetDef.model_validate({"name": "x", "source": "a.jsonl", "limit": 0})
