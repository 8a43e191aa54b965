"""``bench execute`` through the real CLI: exit codes, run directory, reports, SIGKILL + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cli import main
from runtime.plan import Criteria, Plan, ScriptedReply
from runtime.store import read_results

from .runtime_helpers import case, make_plan, reply, unit

ROOT = Path(__file__).resolve().parents[2]


def write(plan: Plan, tmp_path: Path, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(plan.dumps())
    return path


def run_cli(*args: str) -> int:
    return main(["execute", "-q", *map(str, args)])


def ok_plan(**kw: object) -> Plan:
    return make_plan(
        [unit(f"u{i}", [case(f"u{i}", 0, "hi")]) for i in range(2)],
        replies=[reply("hello")],
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.requirement("cli:exit-codes")
def test_exit_0_when_all_pass(tmp_path: Path) -> None:
    code = run_cli(write(ok_plan(), tmp_path), "--output-dir", tmp_path)
    assert code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "metadata.json",
        "plan.json",
        "results.jsonl",
    ]
    assert json.loads((run_dir / "metadata.json").read_text())["status"] == "completed"


@pytest.mark.requirement("cli:exit-codes")
def test_exit_1_when_criteria_not_met(tmp_path: Path) -> None:
    # u1 has no scripted reply left: an error case; one of two passes (50%).
    plan = make_plan(
        [unit("u0", [case("u0", 0, "hi")]), unit("u1", [case("u1", 0, "other")])],
        replies=[ScriptedReply(when="hi", text="hello")],
        criteria=Criteria(success_rate=0.9),
    )
    assert run_cli(write(plan, tmp_path), "--output-dir", tmp_path) == 1
    lenient = plan.model_copy(update={"criteria": Criteria(success_rate=0.5)}).sealed()
    assert run_cli(write(lenient, tmp_path, "p2.json"), "--output-dir", tmp_path) == 0


@pytest.mark.requirement("cli:exit-codes")
def test_exit_2_for_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(ok_plan(), tmp_path)
    data = json.loads(path.read_text())
    data["name"] = "edited"
    path.write_text(json.dumps(data))
    assert run_cli(path, "--output-dir", tmp_path) == 2
    assert "hash does not match" in capsys.readouterr().err
    assert run_cli(tmp_path / "missing.json") == 2
    assert run_cli(tmp_path / "suite.txt") == 2
    good = write(ok_plan(), tmp_path, "good.json")
    assert run_cli(good, "--report", "pdf") == 2
    assert run_cli(good, "--output-dir", tmp_path, "--resume", "nope") == 2


@pytest.mark.requirement("cli:exit-codes")
def test_exit_3_when_infrastructure_stops_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = make_plan([unit("u0", [case("u0", 0, "hi")])], replies=[])
    assert run_cli(write(plan, tmp_path), "--output-dir", tmp_path) == 3


def test_reports_are_written_where_asked(tmp_path: Path) -> None:
    pytest.importorskip("report")
    plan_path = write(ok_plan(), tmp_path)
    code = main(["execute", str(plan_path), "--output-dir", str(tmp_path),
                 "--report", "json,md", "-o", str(tmp_path / "out" / "r")])  # fmt: skip
    assert code == 0
    report = json.loads((tmp_path / "out" / "r.json").read_text())
    assert report["summary"]["total"] == 2 and report["summary"]["passed"] == 2
    assert (tmp_path / "out" / "r.md").exists()


# --- SIGKILL and resume ---------------------------------------------------------------


def slow_plan() -> Plan:
    """6 units x 3 cases, 60 ms per reply, each case's output names its case."""
    units = []
    replies = []
    for u in range(6):
        uid = f"u{u}"
        units.append(unit(uid, [case(uid, i, f"q {uid} {i}") for i in range(3)]))
    for u in range(6):
        for i in range(3):
            replies.append(
                ScriptedReply(when=f"^q u{u} {i}$", text=f"answer u{u}/{i}", delay_ms=60,
                              input_tokens=3, output_tokens=2)
            )  # fmt: skip
    return make_plan(units, replies=replies, criteria=Criteria(success_rate=1.0))


def _spawn(plan_path: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "bench", "execute", "-q", str(plan_path), "--output-dir", str(out),
         "--concurrency", "2", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _fingerprint(run_dir: Path) -> list[tuple[str, str, str, str]]:
    latest = read_results(run_dir / "results.jsonl")
    return sorted((cid, r.status, r.transcript.final_output, r.prompt) for cid, r in latest.items())


@pytest.mark.slow
@pytest.mark.requirement("run:resume")
@pytest.mark.parametrize("kill_after", [0, 1, 5, 11])
def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path: Path, kill_after: int) -> None:
    plan_path = write(slow_plan(), tmp_path)
    ref_dir, killed_dir = tmp_path / "ref", tmp_path / "killed"
    ref = _spawn(plan_path, ref_dir)
    _, err = ref.communicate(timeout=60)
    assert ref.returncode == 0, err
    victim = _spawn(plan_path, killed_dir)
    # Kill once `kill_after` results are durable (0: as soon as the run directory exists).
    deadline = time.monotonic() + 30
    results = None
    while time.monotonic() < deadline:
        found = (
            list((killed_dir / "runs").glob("*/results.jsonl"))
            if (killed_dir / "runs").exists()
            else []
        )
        if found:
            results = found[0]
            if results.read_bytes().count(b"\n") >= kill_after:
                break
        time.sleep(0.005)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=10)
    assert results is not None
    run_dir = results.parent
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["status"] == "running"  # killed: nobody could say otherwise
    done_before = len(read_results(results))
    assert kill_after <= done_before < 18
    resumed = _spawn(plan_path, killed_dir, "--resume", run_dir.name[:12])
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    (ref_run,) = (ref_dir / "runs").iterdir()
    assert _fingerprint(run_dir) == _fingerprint(ref_run)
    assert len(_fingerprint(run_dir)) == 18
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["status"] == "completed" and meta["totals"]["passed"] == 18


def test_quiet_without_report_files_builds_no_report_and_the_console_one_is_lean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The end-of-run report is read back from results.jsonl, only as far as it is shown: with
    -q and no --report, not at all; for the console alone, passing transcripts stay on disk."""
    import report

    asked: list[str] = []
    real = report.build_report

    def spy(source: object, *, details: str = "shown", plan: object = None) -> object:
        asked.append(details)
        assert plan is not None  # the run's plan, not read again from plan.json
        return real(source, details=details, plan=plan)  # type: ignore[arg-type]

    monkeypatch.setattr(report, "build_report", spy)
    plan = write(ok_plan(), tmp_path)
    assert run_cli(plan, "--output-dir", tmp_path) == 0
    assert asked == []
    assert main(["execute", str(plan), "--output-dir", str(tmp_path / "b")]) == 0
    assert asked == ["failures"] and "2 passed" in capsys.readouterr().out
    assert (
        main(["execute", str(plan), "--output-dir", str(tmp_path / "c"), "--report", "json"]) == 0
    )
    assert asked == ["failures", "shown"]
