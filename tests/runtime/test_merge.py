"""Issue 13: `bench merge` pools shard runs into one ordinary run, with checks.

The acceptance test: a 400-case plan (40 sessions of 1 to 19 tests, two of them repeated)
against the fake OpenAI server; four `--shard i/4` runs merged equal the unsharded run case by
case (status, assertions, output), and the slices' estimates are within 15% of each other.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from compiler import compile_suite
from runtime.results import result_key
from runtime.shard import slices
from runtime.store import read_results
from tests.fakes import FakeLLM, Fault, RecordedRequest, Reply, serve_in_thread
from tests.fakes.openai_server import openai_app
from tests.runtime.test_shards import scripted_suite


class Echo(FakeLLM):
    """Answers "yes" or "no" by a hash of the whole conversation: deterministic, so any run
    of the same case gives the same answer, whichever shard or order it runs in."""

    def next_item(self, request: RecordedRequest) -> Reply | Fault:
        super().next_item(request)
        digest = hashlib.sha256(json.dumps(request.body["messages"]).encode()).digest()
        return Reply(text=f"{'yes' if digest[0] % 3 else 'no'} ({digest[:4].hex()})")


def _lengths() -> list[int]:
    lengths = [1 + k % 19 for k in range(40)]
    lengths[-1] += 400 - sum(lengths)
    return lengths


def _big_suite(tmp_path: Path, url: str) -> Path:
    out = [
        "providers:\n"
        f'  - {{name: local, type: OPENAI_COMPATIBLE, baseUrl: "{url}/v1", model: m}}\n'
        "agents:\n  - {name: a, provider: local}\n"
        "settings: {concurrency: 16}\n"
        "sessions:\n"
    ]
    for s, n in enumerate(_lengths()):
        out.append(
            f"  - name: s{s}\n" + ("    repeat: 2\n" if s in (5, 30) else "") + "    tests:\n"
        )
        for t in range(n):
            out.append(
                f'      - name: t{t}\n        prompt: "session {s} test {t} {"w" * (s % 7 * 9)}"\n'
                "        assertions: [{type: output_contains, value: 'yes'}]\n"
            )
    path = tmp_path / "big.yaml"
    path.write_text("".join(out))
    return path


def _essence(result: Any) -> tuple[Any, ...]:
    return (
        result.status,
        [a.model_dump() for a in result.assertions],
        result.transcript.final_output,
        result.error,
        result.unit_id,
        result.attempt,
    )


def test_four_shards_merged_equal_the_unsharded_run(tmp_path: Path) -> None:
    with serve_in_thread(openai_app(Echo())) as url:
        suite = _big_suite(tmp_path, url)
        plan_path = tmp_path / "plan.json"
        assert main(["compile", str(suite), "--seed", "3", "-o", str(plan_path)]) == 0
        plan = compile_suite(suite, seed=3)
        assert len(plan.cases) == 400 and len(plan.units) == 40
        loads = [s.estimated_tokens for s in slices(plan, 4)]
        assert max(loads) <= 1.15 * min(loads), loads
        whole = tmp_path / "whole"
        assert main(["execute", "-q", str(plan_path), "--output-dir", str(whole)]) == 1
        for i in range(1, 5):
            code = main(["execute", "-q", str(plan_path), "--shard", f"{i}/4",
                         "--output-dir", str(tmp_path / f"shard{i}")])  # fmt: skip
            assert code in (0, 1)
    shards = [str(tmp_path / f"shard{i}") for i in (3, 1, 4, 2)]  # any order
    merged = tmp_path / "store" / "runs" / "merged"
    assert main(["merge", *shards, "-o", str(merged)]) == 0
    (single,) = (whole / "runs").iterdir()
    expected = read_results(single / "results.jsonl")
    got = read_results(merged / "results.jsonl")
    assert len(expected) == plan.attempt_count == 400 + 6 + 12  # sessions 5 and 30 twice
    assert sorted(got) == sorted(expected)  # every attempt once
    assert list(got) == [result_key(c.id, a) for c, a in plan.attempts()]  # in plan order
    assert {k: _essence(r) for k, r in got.items()} == {k: _essence(r) for k, r in expected.items()}
    assert {r.status for r in got.values()} == {"passed", "failed"}
    lines = (merged / "results.jsonl").read_text().splitlines()
    assert len(lines) == len(set(lines)) == 418
    # Metadata and the pooled report are those of one run of the whole plan.
    meta = json.loads((merged / "metadata.json").read_text())
    one = json.loads((single / "metadata.json").read_text())
    assert meta["plan_hash"] == one["plan_hash"] == plan.hash
    assert meta["status"] == "completed" and meta["case_count"] == 418
    for key in ("total", "passed", "failed", "errors", "input_tokens", "output_tokens"):
        assert meta["totals"][key] == one["totals"][key]
    assert meta["criteria_met"] is one["criteria_met"] is False
    assert [s["index"] for s in meta["merge"]["merged"]] == [1, 2, 3, 4]
    assert (merged / "plan.json").read_text() == plan_path.read_text()
    assert main(["report", str(merged), "-q", "-f", "json", "-o", str(tmp_path / "m")]) == 0
    assert main(["report", str(single), "-q", "-f", "json", "-o", str(tmp_path / "u")]) == 0
    pooled = json.loads((tmp_path / "m.json").read_text())["summary"]
    unsharded = json.loads((tmp_path / "u.json").read_text())["summary"]
    for key in ("total", "passed", "failed", "errors", "not_run", "pass_rate", "tests", "sessions"):
        assert pooled[key] == unsharded[key]
    # The run store sees the merged run as one run.
    store = tmp_path / "store"
    assert main(["show", "merged", "--output-dir", str(store)]) == 0
    assert main(["runs", "--output-dir", str(store)]) == 0


@pytest.fixture
def three_shards(tmp_path: Path) -> tuple[Path, list[Path]]:
    suite = scripted_suite(tmp_path)
    plan = tmp_path / "plan.json"
    assert main(["compile", str(suite), "--seed", "1", "-o", str(plan)]) == 0
    runs = []
    for i in (1, 2, 3):
        out = tmp_path / f"s{i}"
        assert (
            main(["execute", "-q", str(plan), "--shard", f"{i}/3", "--output-dir", str(out)]) == 0
        )
        (run,) = (out / "runs").iterdir()
        runs.append(run)
    return plan, runs


def _merge(*args: Any) -> int:
    return main(["merge", *map(str, args)])


def test_merge_refuses_a_missing_shard_unless_partial(
    tmp_path: Path, three_shards: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, (one, _two, three) = three_shards
    out = tmp_path / "runs" / "m"
    assert _merge(one, three, "-o", out) == 2
    assert "shard 2/3 is missing (given: 1/3, 3/3)" in capsys.readouterr().err
    assert not out.exists()
    assert _merge(one, three, "-o", out, "--allow-partial") == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["merge"]["missing"] == [2] and meta["status"] == "interrupted"
    assert meta["criteria_met"] is False
    assert main(["report", str(out), "-q", "-f", "json,md", "-o", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert any("shard 2/3 missing" in w for w in report["warnings"])
    assert report["summary"]["not_run"] > 0
    assert "shard 2/3 missing" in (tmp_path / "r.md").read_text()
    capsys.readouterr()
    assert main(["show", "m", "--output-dir", str(tmp_path)]) == 0
    assert "missing 2/3" in capsys.readouterr().out


def test_merge_refuses_a_shard_given_twice(
    tmp_path: Path, three_shards: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, (one, two, three) = three_shards
    copy = tmp_path / "copy"
    shutil.copytree(three, copy)
    assert _merge(one, two, three, copy, "-o", tmp_path / "m") == 2
    assert f"shard 3/3 is given twice: {three} and {copy}" in capsys.readouterr().err


def test_merge_refuses_shards_of_different_plans(
    tmp_path: Path, three_shards: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, (one, two, _three) = three_shards
    other = scripted_suite(tmp_path, marker=" changed", name="other.yaml")
    out = tmp_path / "o"
    assert (
        main(
            ["execute", "-q", str(other), "--seed", "1", "--shard", "3/3", "--output-dir", str(out)]
        )
        == 0
    )
    (foreign,) = (out / "runs").iterdir()
    assert _merge(one, two, foreign, "-o", tmp_path / "m") == 2
    err = capsys.readouterr().err
    assert f"shard 3/3 ({foreign}) was cut from a different plan" in err
    assert f"than shard 1/3 ({one})" in err


def test_merge_refuses_a_case_recorded_twice(
    tmp_path: Path, three_shards: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, (one, two, three) = three_shards
    stray = (one / "results.jsonl").read_text().splitlines()[0]
    with open(two / "results.jsonl", "a") as fh:
        fh.write(stray + "\n")
    assert _merge(one, two, three, "-o", tmp_path / "m") == 2
    err = capsys.readouterr().err
    assert "is recorded twice: in shard 1/3" in err and "and in shard 2/3" in err


def test_merge_reads_zip_archives_and_refuses_an_existing_output(
    tmp_path: Path, three_shards: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, runs = three_shards
    archives = []
    for n, run in enumerate(runs, start=1):
        archive = tmp_path / f"shard-{n}.zip"
        with zipfile.ZipFile(archive, "w") as zf:  # as upload-artifact of runs/ packs it
            for f in run.iterdir():
                zf.write(f, f"runs/{run.name}/{f.name}")
        archives.append(archive)
    out = tmp_path / "m"
    assert _merge(*archives, "-o", out) == 0
    assert (
        len(read_results(out / "results.jsonl"))
        == json.loads((out / "metadata.json").read_text())["case_count"]
    )
    assert _merge(*archives, "-o", out) == 2
    assert "already exists" in capsys.readouterr().err
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside/metadata.json", "{}")
    assert _merge(evil, "-o", tmp_path / "n") == 2
    assert "points outside the archive" in capsys.readouterr().err
    assert not (tmp_path / "outside").exists()


def test_a_retried_shard_merges_in_place_of_its_shard(tmp_path: Path) -> None:
    suite = scripted_suite(tmp_path, failing=0)
    plan = tmp_path / "plan.json"
    assert main(["compile", str(suite), "--seed", "1", "-o", str(plan)]) == 0
    runs = []
    for i in (1, 2, 3):
        out = tmp_path / f"s{i}"
        code = main(["execute", "-q", str(plan), "--shard", f"{i}/3", "--output-dir", str(out)])
        (run,) = (out / "runs").iterdir()
        runs.append((out, run, code))
    ((base, failed, _),) = [r for r in runs if r[2] == 1]  # the shard holding session s0
    assert main(["retry", failed.name, "-q", "--output-dir", str(base)]) == 1
    (retried,) = [p for p in (base / "runs").iterdir() if p != failed]
    meta = json.loads((retried / "metadata.json").read_text())
    assert meta["parent_run"] == failed.name
    assert meta["shard"] == json.loads((failed / "metadata.json").read_text())["shard"]
    inputs = [retried if run == failed else run for _, run, _ in runs]
    out = tmp_path / "m"
    assert _merge(*inputs, "-o", out) == 0
    merged = read_results(out / "results.jsonl")
    assert {r.retry for r in merged.values() if r.session == "s0"} == {1}


def test_merge_streams_records_without_parsing_whole_results(
    tmp_path: Path, three_shards: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory that does not grow with the run: the merge keeps outcomes and byte offsets per
    case (duplicates found by key), and copies each record as its shard wrote it."""
    from runtime.results import CaseResult

    _, runs = three_shards
    written = {line for run in runs for line in (run / "results.jsonl").read_bytes().splitlines()}

    def whole(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("bench merge parsed a whole result")

    monkeypatch.setattr(CaseResult, "model_validate_json", classmethod(whole))
    out = tmp_path / "m"
    assert _merge(*runs, "-o", out) == 0
    monkeypatch.undo()
    merged = (out / "results.jsonl").read_bytes().splitlines()
    assert set(merged) == written and len(merged) == len(written)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["status"] == "completed" and meta["totals"]["total"] == len(written)
