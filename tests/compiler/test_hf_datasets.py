"""Datasets from the Hugging Face Hub (``source: hf:``) against a fake Hub on 127.0.0.1.

huggingface_hub is pointed at the fake with HF_ENDPOINT and caches into a tmp HF_HOME; the
suites compile and run through ``bench`` with an external agent (a stdlib script).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.cli import main
from compiler.datasets import DatasetError, load_dataset_with_info
from compiler.suite import DatasetDef
from runtime.store import read_results
from tests.fakes.hf_hub import FakeHub, hub_app
from tests.fakes.serve import serve_in_thread

AGENT = Path(__file__).parent.parent / "runtime" / "agents" / "misbehaving_agent.py"
REPO = "acme/capitals"


def parquet(rows: list[dict[str, object]]) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


TRAIN = [{"id": f"tr{i}", "question": f"Q{i}", "answer": f"Q{i}"} for i in range(5)]
TEST = [
    {"id": "te1", "question": "Paris", "answer": "Paris", "topic": "fr"},
    {"id": "te2", "question": "Rome", "answer": "Rome", "topic": "it"},
]
VALIDATION = [{"id": "v1", "question": "Oslo", "answer": "Oslo"}]
FILES = {
    ".gitattributes": b"*.parquet filter=lfs\n",
    "data/train-00000-of-00001.parquet": parquet(TRAIN),
    "data/test-00000-of-00001.parquet": parquet(TEST),
    "data/validation.jsonl": jsonl(VALIDATION),
}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FakeHub, str]]:
    fake = FakeHub()
    fake.push(REPO, FILES)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "bench-cache"))
    with serve_in_thread(hub_app(fake)) as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield fake, url


def write_suite(root: Path, dataset: str, prompt: str = "echo:{{input}}") -> Path:
    suite = root / "suite.yaml"
    suite.write_text(
        "agents:\n"
        f'  - {{name: ext, command: "{sys.executable} {AGENT}"}}\n'
        "datasets:\n" + textwrap.indent(dataset, "  ") + "sessions:\n"
        "  - name: capitals\n"
        "    dataset: caps\n"
        "    tests:\n"
        f'      - {{name: ask, prompt: "{prompt}", assertions: [{{type: exact_match}}]}}\n'
    )
    return suite


TEST_SPLIT = f"""\
- name: caps
  source: hf:{REPO}
  split: test
  input_map: {{input: question, expected: answer}}
"""


def compile_plan(suite: Path, out: Path) -> dict[str, object]:
    assert main(["compile", str(suite), "-o", str(out), "--seed", "7"]) == 0
    plan: dict[str, object] = json.loads(out.read_text())
    return plan


def hub_sources(plan: dict[str, object]) -> list[dict[str, str]]:
    sources = plan["sources"]
    assert isinstance(sources, list)
    return [s for s in sources if s["path"].startswith("hf:")]


@pytest.mark.slow
def test_compile_and_execute_a_split_with_an_external_agent(
    hub: tuple[FakeHub, str], tmp_path: Path
) -> None:
    fake, _ = hub
    suite = write_suite(tmp_path, TEST_SPLIT)
    assert main(["execute", "-q", str(suite), "--output-dir", str(tmp_path / "out")]) == 0
    (run_dir,) = (tmp_path / "out" / "runs").iterdir()
    results = sorted(read_results(run_dir / "results.jsonl").values(), key=lambda r: r.test)
    assert [(r.test, r.status) for r in results] == [
        ("ask [te1]", "passed"),
        ("ask [te2]", "passed"),
    ]
    assert [r.transcript.final_output for r in results] == ["Paris", "Rome"]
    # The plan names exactly the data it ran: the commit and the file's own hash.
    plan = compile_plan(suite, tmp_path / "plan.json")
    sha = fake.repos[REPO].refs["main"]
    name = "data/test-00000-of-00001.parquet"
    assert hub_sources(plan) == [
        {
            "path": f"hf:{REPO}:{name}",
            "sha256": hashlib.sha256(FILES[name]).hexdigest(),
            "revision": sha,
        }
    ]


def test_second_compile_with_the_hub_stopped_reads_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeHub()
    fake.push(REPO, FILES)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    suite = write_suite(tmp_path, TEST_SPLIT)
    with serve_in_thread(hub_app(fake)) as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        online = compile_plan(suite, tmp_path / "a.json")
    served = len(fake.requests)
    capsys.readouterr()
    offline = compile_plan(suite, tmp_path / "b.json")  # the port is closed now
    assert offline["hash"] == online["hash"] and len(fake.requests) == served
    assert "using cached revision main" in capsys.readouterr().err
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert compile_plan(suite, tmp_path / "c.json")["hash"] == online["hash"]
    # A split that was never downloaded is not in the cache: a located error.
    write_suite(tmp_path, TEST_SPLIT.replace("split: test", "split: train"))
    assert main(["compile", str(suite), "-o", str(tmp_path / "d.json")]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:5:" in err and "no split 'train'" in err and "splits: test" in err


def test_unknown_split_is_a_located_compile_error(
    hub: tuple[FakeHub, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = write_suite(tmp_path, TEST_SPLIT.replace("split: test", "split: tset"))
    assert main(["compile", str(suite), "-o", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:5:" in err and "error[dataset]" in err
    assert "no split 'tset'" in err and "splits: test, train, validation" in err
    assert "did you mean 'test'?" in err


def spec(**kw: object) -> DatasetDef:
    base: dict[str, object] = {
        "name": "caps",
        "source": f"hf:{REPO}",
        "input_map": {"input": "question", "expected": "answer"},
    }
    return DatasetDef.model_validate({**base, **kw})


def test_splits_formats_revisions_and_upstream_changes(
    hub: tuple[FakeHub, str], tmp_path: Path
) -> None:
    fake, _ = hub
    first = fake.repos[REPO].refs["main"]
    rows, info = load_dataset_with_info(spec(split="validation"), tmp_path)
    assert [(r.id, r.input) for r in rows] == [("v1", "Oslo")] and info.revision == first
    rows, _ = load_dataset_with_info(spec(), tmp_path)  # default: train
    assert [r.id for r in rows] == [f"tr{i}" for i in range(5)]
    rows, _ = load_dataset_with_info(spec(sample=2, limit=1, seed=3), tmp_path)
    assert len(rows) == 1 and rows[0].id.startswith("tr")
    fake.tag(REPO, "v1", first)
    second = fake.push(REPO, {**FILES, "data/validation.jsonl": jsonl(VALIDATION * 0 + TEST)})
    _, moved = load_dataset_with_info(spec(split="validation"), tmp_path)
    assert moved.revision == second and moved.parts != info.parts
    rows, pinned = load_dataset_with_info(spec(split="validation", revision="v1"), tmp_path)
    assert pinned.revision == first and pinned.parts == info.parts
    rows, by_sha = load_dataset_with_info(spec(split="validation", revision=first), tmp_path)
    assert by_sha.parts == info.parts


def test_card_configs_csv_and_errors(hub: tuple[FakeHub, str], tmp_path: Path) -> None:
    fake, _ = hub
    card = textwrap.dedent(
        """\
        ---
        configs:
          - config_name: easy
            default: true
            data_files:
              - {split: train, path: "easy/*.csv"}
          - config_name: hard
            data_files: [{split: sample, path: "hard/**"}]
        ---
        # Capitals
        """
    ).encode()
    fake.push(
        "acme/cfg",
        {
            "README.md": card,
            "easy/a.csv": b"id,question,answer\ne1,Lima,Lima\n",
            "hard/x/b.jsonl": jsonl(VALIDATION),
        },
    )
    rows, info = load_dataset_with_info(spec(source="hf:acme/cfg"), tmp_path)
    assert [r.id for r in rows] == ["e1"] and [p[0] for p in info.parts] == ["easy/a.csv"]
    rows, _ = load_dataset_with_info(spec(source="hf:acme/cfg", subset="hard"), tmp_path)
    assert [r.id for r in rows] == ["v1"]
    with pytest.raises(DatasetError, match=r"no config 'hrad'.*did you mean 'hard'"):
        load_dataset_with_info(spec(source="hf:acme/cfg", config="hrad"), tmp_path)
    with pytest.raises(DatasetError, match=r"'caps' \(hf:acme/nope\): no such dataset"):
        load_dataset_with_info(spec(source="hf:acme/nope"), tmp_path)
    with pytest.raises(DatasetError, match=r"no revision 'v9'"):
        load_dataset_with_info(spec(revision="v9"), tmp_path)
    with pytest.raises(DatasetError, match=r"needs a dataset repository OWNER/NAME"):
        load_dataset_with_info(spec(source="hf:just-a-name"), tmp_path)


def test_prepare_runs_once_on_a_copy_of_the_split(hub: tuple[FakeHub, str], tmp_path: Path) -> None:
    prep = "cat data/validation.jsonl data/validation.jsonl | sed 1s/v1/v0/ > both.jsonl"
    got = spec(split="validation", prepare=prep, path="both.jsonl")
    rows, info = load_dataset_with_info(got, tmp_path)
    assert [r.id for r in rows] == ["v0", "v1"]
    assert [p[0] for p in info.parts] == ["data/validation.jsonl", "both.jsonl (prepared)"]


def test_the_extra_missing_is_an_error_naming_the_dataset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(
        DatasetError, match=r"'caps' \(hf:acme/capitals\).*pip install 'bench\[hf\]'"
    ):
        load_dataset_with_info(spec(), tmp_path)


def test_hub_unreachable_and_nothing_cached_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: refused
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token_value")
    with pytest.raises(DatasetError) as err:
        load_dataset_with_info(spec(), tmp_path)
    text = str(err.value)
    assert "the Hub is unreachable" in text and "not in the cache" in text
    assert "hf_secret_token_value" not in text
