"""Every command exits quietly when its stdout is a pipe nobody reads any more.

``bench runs | head -1``: the reader is gone before bench writes. Each command runs as a real
subprocess whose stdout pipe is closed by the reader at once; it must exit 141 (128 + SIGPIPE,
what a shell reports for a writer killed by a closed pipe) with nothing on stderr: no
BrokenPipeError traceback, no "Exception ignored" at interpreter exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main

from .runtime_helpers import case, make_plan, reply, unit


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with three finished runs of a small plan, and its plan.json."""
    base = tmp_path_factory.mktemp("pipes")
    plan = make_plan(
        [unit(f"u{i}", [case(f"u{i}", 0, "hi")]) for i in range(3)], replies=[reply("hello")]
    )
    (base / "plan.json").write_text(plan.dumps())
    for _ in range(3):
        assert main(["execute", "-q", str(base / "plan.json"), "--output-dir", str(base)]) == 0
    return base


def _closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    env.pop("GITHUB_ACTIONS", None)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        return subprocess.run(
            [sys.executable, "-m", "bench", *args],
            cwd=cwd,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write_end)


COMMANDS = {
    "runs": ["runs"],
    "runs-json": ["runs", "--json"],
    "show": ["show", "-"],  # "-": the newest run (see below)
    "show-cases": ["show", "-", "--cases"],
    "export": ["export", "-"],
    "report": ["report", "-", "--format", "json", "-o", "out/r"],
    "execute": ["execute", "plan.json"],
    "compile": ["compile", "--help"],
    "help": ["--help"],
}


@pytest.mark.requirement("cli:closed-pipe")
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_closed_stdout_ends_every_command_quietly(store: Path, name: str) -> None:
    newest = sorted((store / "runs").iterdir())[-1].name
    args = [newest if a == "-" else a for a in COMMANDS[name]]
    if name == "report":
        args[1] = str(store / "runs" / newest)
    done = _closed_stdout(args, store)
    assert done.stderr.decode() == ""
    # argparse's own --help swallows the error and exits 0; every handler exits 141.
    assert done.returncode == (0 if "--help" in args else 141), done.returncode


@pytest.mark.requirement("cli:closed-pipe")
def test_bench_runs_into_head(store: Path) -> None:
    """The shell form: exit status of bench in ``bench runs | head -1`` with pipefail."""
    script = f'set -o pipefail; "{sys.executable}" -m bench runs | head -1; echo "status=$?"'
    done = subprocess.run(
        ["bash", "-c", script], cwd=store, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stdout.splitlines()[0].split()[0] == "RUN"
    assert done.stdout.splitlines()[-1] in ("status=0", "status=141")
