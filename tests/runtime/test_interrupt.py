"""Graceful Ctrl-C: drain on the first SIGINT, stop on the second; either way resumable.

In-process tests drive ``ExecuteOptions.stop`` from the progress callback (deterministic);
the subprocess tests send real signals to a real ``bench execute`` and resume it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from runtime import ExecuteOptions, execute
from runtime.interrupt import StopRequest, run_with_signals
from runtime.plan import Criteria, Plan, ScriptedReply, ScriptedToolCall
from runtime.results import CaseResult
from runtime.store import read_results

from .runtime_helpers import case, make_plan, services, unit

ROOT = Path(__file__).resolve().parents[2]


def plan_of(units: int, cases: int, delay_ms: int) -> Plan:
    """``units`` x ``cases``; every reply names its case and takes ``delay_ms``."""
    us, replies = [], []
    for u in range(units):
        uid = f"u{u}"
        us.append(unit(uid, [case(uid, i, f"q {uid} {i}") for i in range(cases)]))
        for i in range(cases):
            replies.append(
                ScriptedReply(when=f"^q {uid} {i}$", text=f"answer {uid}/{i}",
                              delay_ms=delay_ms, input_tokens=3, output_tokens=2)
            )  # fmt: skip
    return make_plan(us, replies=replies, criteria=Criteria(success_rate=1.0))


def fingerprint(run_dir: Path) -> list[tuple[str, str, str, str]]:
    latest = read_results(run_dir / "results.jsonl")
    return sorted((cid, r.status, r.transcript.final_output, r.prompt) for cid, r in latest.items())


# --- in process ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.requirement("run:interrupt-drain")
async def test_drain_finishes_the_case_in_flight_and_starts_nothing_else(tmp_path: Path) -> None:
    plan = plan_of(3, 3, 0)
    stop = StopRequest()
    seen: list[CaseResult] = []

    def on_result(result: CaseResult) -> None:
        seen.append(result)
        stop.drain()  # as if Ctrl-C came while the first case ran

    summary = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, concurrency=1, stop=stop, on_result=on_result),
        services=services(),
    )
    assert [r.case_id for r in seen] == ["u0/0"]
    assert summary.metadata.status == "interrupted"
    assert summary.exit_code == 130
    assert summary.metadata.criteria_met is False
    assert list(read_results(summary.run_dir / "results.jsonl")) == ["u0/0"]
    # Resume completes it: the unfinished unit u0 runs again from its first case.
    resumed = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, resume=summary.run_id), services=services()
    )
    assert resumed.metadata.status == "completed" and resumed.exit_code == 0
    assert [r.case_id for r in resumed.results] == [c.id for c in plan.cases]


@pytest.mark.anyio
@pytest.mark.requirement("run:interrupt-stop")
async def test_stop_now_abandons_cases_in_flight_without_a_result(tmp_path: Path) -> None:
    plan = plan_of(2, 2, 200)
    stop = StopRequest()

    async def stop_soon() -> None:
        await anyio.sleep(0.05)  # both units are waiting on their first 200 ms reply
        stop.stop_now()

    async with anyio.create_task_group() as tg:
        tg.start_soon(stop_soon)
        summary = await execute(
            plan,
            ExecuteOptions(output_dir=tmp_path, concurrency=2, stop=stop),
            services=services(),
        )
    assert summary.metadata.status == "interrupted"
    assert summary.results == []
    assert read_results(summary.run_dir / "results.jsonl") == {}
    meta = json.loads((summary.run_dir / "metadata.json").read_text())
    assert meta["status"] == "interrupted" and meta["ended_at"]


@pytest.mark.anyio
async def test_run_with_signals_returns_the_result_and_unwraps_errors() -> None:
    stop = StopRequest()

    async def ok() -> int:
        return 7

    assert await run_with_signals(ok, stop) == 7

    async def bad() -> int:
        from runtime.errors import RunStoreError

        raise RunStoreError("no such run")

    from runtime.errors import RunStoreError

    with pytest.raises(RunStoreError, match="no such run"):
        await run_with_signals(bad, stop)


# --- real process, real signals ---------------------------------------------------------


def _spawn(plan_path: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "bench", "execute", "-q", str(plan_path), "--output-dir", str(out),
         "--concurrency", "2", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_for_results(out: Path, at_least: int) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = list(out.glob("runs/*/results.jsonl"))
        if found and found[0].read_bytes().count(b"\n") >= at_least:
            return found[0]
        time.sleep(0.005)
    raise AssertionError("the run produced no results in time")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, ...]]]:
    """The plan and the fingerprint of its uninterrupted run."""
    tmp = tmp_path_factory.mktemp("ref")
    plan_path = tmp / "plan.json"
    plan_path.write_text(plan_of(4, 3, 150).dumps())
    proc = _spawn(plan_path, tmp)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (run_dir,) = (tmp / "runs").iterdir()
    return plan_path, fingerprint(run_dir)  # type: ignore[return-value]


@pytest.mark.slow
@pytest.mark.requirement("run:interrupt-drain")
@pytest.mark.requirement("run:interrupt-resume")
def test_one_sigint_drains_then_resume_equals_an_uninterrupted_run(
    tmp_path: Path, reference: tuple[Path, list[tuple[str, ...]]]
) -> None:
    plan_path, expected = reference
    proc = _spawn(plan_path, tmp_path)
    results = _wait_for_results(tmp_path, 1)
    before = len(read_results(results))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "finishing the cases in flight" in text
    run_dir = results.parent
    assert f"--resume {run_dir.name}" in text
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["status"] == "interrupted"
    after = read_results(results)
    # The cases in flight (at most one per concurrent unit) finished and were written; no
    # unit beyond the first two started. (On a loaded machine both may have finished before
    # the signal arrived: then nothing was in flight.)
    assert before <= len(after) <= before + 2
    assert {cid.split("/")[0] for cid in after} <= {"u0", "u1"}
    assert all(r.status == "passed" for r in after.values())
    resumed = _spawn(plan_path, tmp_path, "--resume", run_dir.name)
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert fingerprint(run_dir) == expected
    assert json.loads((run_dir / "metadata.json").read_text())["status"] == "completed"


@pytest.mark.slow
@pytest.mark.requirement("run:interrupt-stop")
@pytest.mark.requirement("run:interrupt-resume")
@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_second_signal_stops_at_once_then_resume_equals_an_uninterrupted_run(
    tmp_path: Path, reference: tuple[Path, list[tuple[str, ...]]], second: signal.Signals
) -> None:
    plan_path, expected = reference
    proc = _spawn(plan_path, tmp_path)
    results = _wait_for_results(tmp_path, 1)
    proc.send_signal(signal.SIGINT)
    # Wait until bench has taken the first signal: two signals of one kind that arrive
    # before the process handles the first are merged into one by the OS.
    assert proc.stderr is not None
    first = proc.stderr.readline().decode()
    assert "finishing the cases in flight" in first
    proc.send_signal(second)
    _, err = proc.communicate(timeout=30)
    text = first + err.decode()
    assert proc.returncode == 130, text
    assert "stopping now" in text
    run_dir = results.parent
    assert json.loads((run_dir / "metadata.json").read_text())["status"] == "interrupted"
    assert len(read_results(results)) < 12
    resumed = _spawn(plan_path, tmp_path, "--resume", run_dir.name[:15])
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert fingerprint(run_dir) == expected


@pytest.mark.slow
@pytest.mark.requirement("run:interrupt-stop")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_alone_stops_at_once(
    tmp_path: Path, reference: tuple[Path, list[tuple[str, ...]]], signum: signal.Signals
) -> None:
    # SIGHUP: the terminal or SSH session went away; the run must still end resumable.
    plan_path, _ = reference
    proc = _spawn(plan_path, tmp_path)
    results = _wait_for_results(tmp_path, 1)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert json.loads((results.parent / "metadata.json").read_text())["status"] == "interrupted"


@pytest.mark.slow
@pytest.mark.requirement("run:interrupt-drain")
def test_terminal_ctrl_c_reaches_bench_only_so_tool_servers_outlive_the_drain(
    tmp_path: Path,
) -> None:
    """A terminal sends SIGINT to the whole foreground process group, not just bench.

    The MCP servers run in sessions of their own, so the cases in flight still reach their
    server while draining, and finish as passed rather than as server errors.
    """
    from runtime.plan import AgentServer, BuiltinAgent, StdioServer
    from runtime.plan.assertions import ToolCalled

    notes = StdioServer(
        name="notes",
        command=(sys.executable, str(ROOT / "examples" / "servers" / "notes_server.py")),
        process_delay_ms=0,
    )
    units, replies = [], []
    for u in range(3):
        uid = f"u{u}"
        units.append(unit(uid, [case(uid, i, f"note {uid} {i}",
                                     assertions=[ToolCalled(tool="create_note")])
                                for i in range(2)]))  # fmt: skip
        for i in range(2):
            when = f"^note {uid} {i}$"
            replies += [
                ScriptedReply(when=when, delay_ms=250, tool_calls=(
                    ScriptedToolCall(name="create_note", arguments={"title": f"{uid}/{i}"}),)),
                ScriptedReply(when=when, text=f"created {uid}/{i}", delay_ms=250),
            ]  # fmt: skip
    plan = make_plan(
        units,
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="notes"),))],
        servers=[notes],
        replies=replies,
    )
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.dumps())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "execute", "-q", str(plan_path),
         "--output-dir", str(tmp_path), "--concurrency", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    results = _wait_for_results(tmp_path, 1)
    time.sleep(0.1)  # the next cases are under way: first reply given, tool call pending
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    written = read_results(results)
    assert 1 < len(written) < 6
    assert {r.status for r in written.values()} == {"passed"}, [r.error for r in written.values()]
    resumed = subprocess.run(
        [sys.executable, "-m", "bench", "execute", "-q", str(plan_path),
         "--output-dir", str(tmp_path), "--resume", results.parent.name],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert len(read_results(results)) == 6
