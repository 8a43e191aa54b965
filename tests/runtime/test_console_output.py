"""``bench execute``'s console, pytest-like (issue 10 item 10): one short line per case when
piped, a live bar with the run's phase on a terminal, details only for what failed, one table."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench.commands.execute import _starting
from bench.progress import RunProgress
from bench.terminal import make_console
from runtime.plan import Criteria, ExternalAgent, StdioServer
from runtime.plan.assertions import OutputContains

from .runtime_helpers import case, make_plan, reply, unit

LONG = "a test whose name is long " * 12  # ~300 characters: wrapped at 80 it would break


def _thirty_plan(tmp_path: Path) -> Path:
    ok = [OutputContains(value="hello")]
    units = [
        unit(f"u{i}", [case(f"u{i}", j, f"hi {i}{j}", assertions=ok) for j in range(10)])
        for i in range(3)
    ]
    bad = case("u9", 0, "other", assertions=ok).model_copy(update={"test": LONG.strip()})
    units.append(unit("u9", [bad]))
    plan = make_plan(
        units,
        replies=[
            *(reply("hello", when=f"hi {i}{j}") for i in range(3) for j in range(10)),
            reply("goodbye", when="other"),
        ],
        criteria=Criteria(success_rate=0.5),
    )
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    return path


@pytest.mark.requirement("console:pytest-like")
@pytest.mark.requirement("console:no-guessed-wrap")
def test_piped_console_is_a_line_per_case_then_failures_and_one_table(tmp_path: Path) -> None:
    plan = _thirty_plan(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "execute", str(plan), "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env={"COLUMNS": "80", "PATH": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    per_case = [ln for ln in lines if re.match(r"\[\d+/31\] (PASS |FAIL |ERROR)", ln)]
    assert len(per_case) == 31
    assert all(ln.endswith("s)") for ln in per_case)  # name, status, duration; nothing more
    # Nothing wrapped at a guessed width: the long name is whole on its lines.
    assert sum(LONG.strip() in ln for ln in lines) == 2  # its progress line and its failure
    # Details only for the failure; one table; no per-test comparison.
    assert "COMPARISON SUMMARY" not in done.stdout and "DETAILED" not in done.stdout
    assert done.stdout.count("FAILURES AND ERRORS (1)") == 1
    assert done.stdout.count("expected: hello") == 1  # the 30 passing cases are not detailed
    assert (
        len(re.findall(r"^agent +cases +passed +failed +errors +pass rate", done.stdout, re.M)) == 1
    )
    assert re.search(r"^agent SCRIPTED +31 +30 +1 +0 +96\.8%", done.stdout, re.M)
    # 537 lines for 30 cases before; now the case lines and a handful more.
    assert len(lines) <= 31 + 15, done.stdout


def _result(status: str) -> Any:
    """What RunProgress reads of a CaseResult."""
    return SimpleNamespace(
        agent="a", session="s", test="t", status=status, attempt=0, duration_ms=1200.0
    )


class _Store:
    run_id = "20261201-000000-abcdef"
    path = Path("runs/20261201-000000-abcdef")


@pytest.mark.requirement("console:pytest-like")
def test_terminal_bar_shows_the_phase_then_running() -> None:
    buf = io.StringIO()
    console = make_console(file=buf, force_terminal=True, width=100)
    with RunProgress(console, 2, live=True, starting="starting servers") as progress:
        task = progress._progress.tasks[0]
        assert task.description == "starting servers"
        progress.on_start(_Store(), 0)  # type: ignore[arg-type]
        assert task.description == "starting servers"  # until the first case ends
        progress.on_result(_result("passed"))
        assert task.description == "running" and task.completed == 1
        progress.on_result(_result("failed"))
    out = buf.getvalue()
    # A failed case is also printed above the bar; a passed one only counts.
    assert "FAIL  a / s / t (1.20s)" in out and "PASS  a / s / t" not in out


def test_the_phase_names_what_a_run_starts_first() -> None:
    plain = make_plan([unit("u", [case("u", 0, "hi")])], replies=[reply("x")])
    assert _starting(plain) == "running"
    server = StdioServer(name="srv", command=("python", "-c", "pass"))
    assert _starting(plain.model_copy(update={"servers": (server,)})) == "starting servers"
    external = ExternalAgent(name="ext", command=("python",))
    both = plain.model_copy(update={"servers": (server,), "agents": (external,)})
    assert _starting(both) == "starting servers and agents"
