"""Checking untrusted text never holds the event loop: a run busy evaluating answers stops at once.

Issue 14: ``output_regex: "^(a+)+$"`` against an answer of 32 ``a``s and a ``b`` kept a run busy
for minutes with Ctrl-C unable to stop it (Python's backtracking ``re`` held the event loop).
Suite regexes are RE2 now (linear), and a case's extractors and assertions run in a worker
thread, so signals and other units are served while a case is being checked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from runtime import ExecuteOptions, execute
from runtime.interrupt import StopRequest
from runtime.plan import Criteria, Plan, ScriptedReply
from runtime.plan.assertions import Assertion, Not, OutputRegex
from runtime.results import AssertionResult
from runtime.store import read_results
from runtime.transcript import Transcript

from .runtime_helpers import case, make_plan, services, unit

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "a" * 10_000 + "b"
# Each pattern backtracks exponentially in Python's re on ANSWER; each is linear on RE2.
CATASTROPHIC = (r"^(a+)+$", r"^(a|aa)+$", r"^(a|a?)+$")


def busy_plan(units: int, cases: int) -> Plan:
    """Every case answers ANSWER at once and checks it against the catastrophic patterns."""
    checks: list[Assertion] = [Not(child=OutputRegex(pattern=p)) for p in CATASTROPHIC]
    checks.append(OutputRegex(pattern=r"^a{1000}"))
    us, replies = [], []
    for u in range(units):
        uid = f"u{u}"
        us.append(
            unit(uid, [case(uid, i, f"q {uid} {i}", assertions=checks) for i in range(cases)])
        )
        replies += [ScriptedReply(when=f"^q {uid} {i}$", text=ANSWER) for i in range(cases)]
    return make_plan(us, replies=replies, criteria=Criteria(success_rate=1.0))


def test_backtracking_patterns_are_judged_with_go_verdicts(tmp_path: Path) -> None:
    from runtime.evaluate import EvalContext, evaluate

    tr = Transcript(final_output=ANSWER)
    nodes = [OutputRegex(pattern=p) for p in CATASTROPHIC]
    verdicts = [r.passed for r in evaluate(nodes, EvalContext(transcript=tr, variables={}))]
    assert verdicts == [False, False, False]


@pytest.mark.slow
@pytest.mark.requirement("run:interrupt-drain")
@pytest.mark.requirement("run:interrupt-resume")
def test_sigint_stops_a_run_busy_evaluating_answers_and_resume_completes_it(
    tmp_path: Path,
) -> None:
    plan = busy_plan(2, 40)
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.dumps())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "bench", "execute", "-q", str(plan_path),
           "--output-dir", str(tmp_path), "--concurrency", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    results: Path | None = None
    while time.monotonic() < deadline and results is None:
        found = list(tmp_path.glob("runs/*/results.jsonl"))
        if found and found[0].read_bytes().count(b"\n") >= 1:
            results = found[0]
        time.sleep(0.005)
    assert results is not None, "the run produced no result in time"
    proc.send_signal(signal.SIGINT)
    # Generous bound on "stops": with the old matcher the first case never finished.
    _, err = proc.communicate(timeout=30)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "finishing the cases in flight" in text
    run_dir = results.parent
    assert json.loads((run_dir / "metadata.json").read_text())["status"] == "interrupted"
    assert len(read_results(results)) < len(plan.cases)
    resumed = subprocess.run(
        [*cmd, "--resume", run_dir.name], env=env, capture_output=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    final = read_results(results)
    assert sorted(final) == sorted(c.id for c in plan.cases)
    assert {r.status for r in final.values()} == {"passed"}


@pytest.mark.anyio
async def test_assertions_run_off_the_event_loop(tmp_path: Path) -> None:
    """The evaluator waits for a task of the event loop to act: possible only off the loop."""
    started, loop_ran = threading.Event(), threading.Event()
    seen: list[bool] = []
    base = services()
    real = base.evaluate

    def evaluate(
        assertions: Sequence[Assertion],
        transcript: Transcript,
        variables: Mapping[str, str],
        clarification_enabled: bool,
        **kwargs: Any,
    ) -> list[AssertionResult]:
        started.set()
        seen.append(loop_ran.wait(timeout=5))
        return real(assertions, transcript, variables, clarification_enabled, **kwargs)

    base.evaluate = evaluate

    async def answer_when_started() -> None:
        while not started.is_set():
            await anyio.sleep(0.005)
        loop_ran.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(answer_when_started)
        summary = await execute(busy_plan(1, 1), ExecuteOptions(output_dir=tmp_path), services=base)
    assert seen == [True]
    assert summary.metadata.status == "completed"


@pytest.mark.anyio
@pytest.mark.requirement("run:interrupt-stop")
async def test_stop_now_abandons_a_case_stuck_in_evaluation(tmp_path: Path) -> None:
    release = threading.Event()
    started = threading.Event()
    base = services()

    def stuck(*args: Any, **kwargs: Any) -> list[AssertionResult]:
        started.set()
        release.wait(timeout=30)
        return []

    base.evaluate = stuck
    stop = StopRequest()

    async def stop_when_stuck() -> None:
        while not started.is_set():
            await anyio.sleep(0.01)
        stop.stop_now()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(stop_when_stuck)
            summary = await execute(
                busy_plan(1, 2), ExecuteOptions(output_dir=tmp_path, stop=stop), services=base
            )
    finally:
        release.set()
    assert summary.metadata.status == "interrupted"
    assert read_results(summary.run_dir / "results.jsonl") == {}
