"""Issue 13: `bench execute --shard I/N` runs one slice of the plan; `bench compile --shards N`
prints the slices. Slices are a pure function of the plan, never split a (agent, session) unit
and are balanced by estimated tokens (runtime/estimate.py, runtime/shard.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from compiler import compile_suite
from runtime.errors import InputError
from runtime.estimate import calls_per_case, unit_tokens
from runtime.plan import LazyUnits, Plan, open_plan
from runtime.shard import SHARD_OF_FILE, parse_shard, slices, take_shard
from runtime.store import read_results


def scripted_suite(
    tmp_path: Path, sessions: int = 8, marker: str = "", name: str = "s.yaml", failing: int = -1
) -> Path:
    """One scripted agent, ``sessions`` sessions of 1..5 tests with prompts of growing length;
    session 3 is repeated twice; the tests of session ``failing`` fail."""
    lines = [
        "providers:\n  - {name: m, type: SCRIPTED, model: s, replies: ["
        + ", ".join(["{text: ok}"] * 12)
        + "]}\n",
        "agents:\n  - {name: a, provider: m}\n",
        "sessions:\n",
    ]
    for s in range(sessions):
        lines.append(f"  - name: s{s}\n" + ("    repeat: 2\n" if s == 3 else "") + "    tests:\n")
        for t in range(1 + s % 5):
            prompt = "x" * (10 * (s + 1)) + f" {t}{marker}"
            lines.append(
                f'      - name: t{t}\n        prompt: "{prompt}"\n'
                "        assertions: [{type: output_contains, value: "
                + ("nope" if s == failing else "ok")
                + "}]\n"
            )
    path = tmp_path / name
    path.write_text("".join(lines))
    return path


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return compile_suite(scripted_suite(tmp_path), seed=1, now="2026-12-01T00:00:00Z")


def test_shard_flag_is_i_of_n_counted_from_one() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1/1 ") == (1, 1)
    for bad in ("0/4", "5/4", "2", "a/b", "2/0", "-1/3", "/"):
        with pytest.raises(InputError):
            parse_shard(bad)


def test_slices_partition_the_units_deterministically_in_plan_order(plan: Plan) -> None:
    cut = slices(plan, 3)
    again = slices(plan, 3)
    assert [[u.id for u in s.units] for s in cut] == [[u.id for u in s.units] for s in again]
    ids = [u.id for s in cut for u in s.units]
    assert sorted(ids) == sorted(u.id for u in plan.units)  # each unit in exactly one slice
    order = [u.id for u in plan.units]
    for s in cut:  # plan order inside a slice
        assert [u.id for u in s.units] == sorted((u.id for u in s.units), key=order.index)
    assert sum(s.attempts for s in cut) == plan.attempt_count  # repeats stay with their unit
    calls = calls_per_case(plan)
    for s in cut:
        assert s.estimated_tokens == sum(unit_tokens(u, calls) for u in s.units)


def test_slices_balance_estimated_tokens_not_case_counts(plan: Plan) -> None:
    cut = slices(plan, 3)
    loads = [s.estimated_tokens for s in cut]
    assert max(loads) <= 1.15 * min(loads)
    # The longest-prompted sessions weigh most: case counts are deliberately not equal.
    assert len({s.cases for s in cut}) > 1


def test_a_longer_session_is_estimated_dearer(plan: Plan) -> None:
    one, two = plan.units[0], plan.units[1]  # s0: 1 short test; s1: 2 longer tests
    calls = calls_per_case(plan)
    assert unit_tokens(two, calls) > 2 * unit_tokens(one, calls)


def test_more_slices_than_units_is_refused(plan: Plan) -> None:
    with pytest.raises(InputError, match="at most 8 shards"):
        slices(plan, 9)


def test_take_shard_records_the_whole_plan_hash(plan: Plan) -> None:
    part, record = take_shard(plan, 2, 3)
    assert part.hash != plan.hash and part.hash == part.compute_hash()
    assert (record.index, record.count, record.plan_hash) == (2, 3, plan.hash)
    assert record.units == len(part.units) and record.of_units == len(plan.units)


def test_execute_shard_runs_its_slice_and_resume_keeps_it(tmp_path: Path, plan: Plan) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.dumps())
    out = tmp_path / "out"
    assert main(["execute", "-q", str(plan_path), "--shard", "2/3", "--output-dir", str(out)]) == 0
    (run_dir,) = (out / "runs").iterdir()
    meta = json.loads((run_dir / "metadata.json").read_text())
    expected = slices(plan, 3)[1]
    assert meta["shard"]["index"] == 2 and meta["shard"]["count"] == 3
    assert meta["shard"]["plan_hash"] == plan.hash != meta["plan_hash"]
    assert meta["case_count"] == expected.attempts
    assert json.loads((run_dir / SHARD_OF_FILE).read_text())["hash"] == plan.hash
    results_path = run_dir / "results.jsonl"
    keys = set(read_results(results_path))
    assert {r.split("@")[0].rsplit("/", 1)[0] for r in keys} == {u.id for u in expected.units}
    # A killed shard: only its first result survived. Resume by id alone keeps the slice.
    first = results_path.read_text().splitlines()[0]
    results_path.write_text(first + "\n")
    assert main(["execute", "-q", "--resume", run_dir.name, "--output-dir", str(out)]) == 0
    assert set(read_results(results_path)) == keys
    # ... and with the plan, too; a different slice is refused.
    assert main(["execute", "-q", str(plan_path), "--resume", run_dir.name,
                 "--output-dir", str(out)]) == 0  # fmt: skip
    assert main(["execute", "-q", str(plan_path), "--resume", run_dir.name, "--shard", "1/3",
                 "--output-dir", str(out)]) == 2  # fmt: skip


def test_execute_shard_of_a_suite_and_a_bad_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = scripted_suite(tmp_path)
    out = tmp_path / "out"
    code = main(
        ["execute", "-q", str(suite), "--seed", "1", "--shard", "3/3", "--output-dir", str(out)]
    )
    assert code == 0
    with pytest.raises(SystemExit) as exc:
        main(["execute", "-q", str(suite), "--shard", "4/3"])
    assert exc.value.code == 2
    assert "I must be from 1 to 3" in capsys.readouterr().err
    assert main(["execute", "-q", str(suite), "--shard", "1/9", "--output-dir", str(out)]) == 2
    assert "use at most 8 shards" in capsys.readouterr().err


def test_compile_shards_prints_the_slices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = scripted_suite(tmp_path)
    assert main(["compile", str(suite), "--check", "--seed", "1", "--shards", "3"]) == 0
    text = capsys.readouterr().out
    assert "3 shards (bench execute PLAN --shard I/3)" in text
    assert text.count("  shard ") == 3 and "tokens (" in text
    assert main(["compile", str(suite), "--check", "--seed", "1", "--shards", "3",
                 "--diagnostics-format", "json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    rows = data["summary"]["shards"]
    assert [r["shard"] for r in rows] == ["1/3", "2/3", "3/3"]
    assert sum(r["attempts"] for r in rows) == data["summary"]["attempts"]
    assert sum(r["share"] for r in rows) == pytest.approx(1, abs=1e-3)


def test_a_streamed_plan_is_sliced_as_the_whole_one_reading_each_unit_twice_at_most(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The estimates and ids come from one pass, the chosen slice from a second (each unit
    read anew from plan.json: a sort keyed on ``units[k].id`` read a unit per comparison)."""
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    streamed = open_plan(path)
    assert isinstance(streamed.units, LazyUnits)
    reads = []
    get, each = LazyUnits.__getitem__, LazyUnits.__iter__
    monkeypatch.setattr(LazyUnits, "__getitem__", lambda s, i: reads.append(i) or get(s, i))
    monkeypatch.setattr(LazyUnits, "__iter__", lambda s: (reads.append(-1) or u for u in each(s)))
    for index in (1, 2, 3):
        reads.clear()
        part, record = take_shard(streamed, index, 3)
        assert len(reads) <= 2 * len(plan.units), len(reads)
        whole_part, whole_record = take_shard(plan, index, 3)
        assert part.hash == whole_part.hash and record == whole_record
    assert [s.units for s in slices(streamed, 3)] == [s.units for s in slices(plan, 3)]
