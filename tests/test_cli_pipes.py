"""Every command on a closed pipe (`bench ... | head -1`): a quiet exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _closed_pipe(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run bench with its stdout read once (like `head -c 1`) and then closed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    code = proc.wait(timeout=60)
    return subprocess.CompletedProcess(proc.args, code, b"", err)


@pytest.mark.parametrize(
    "args",
    [["schema"], ["--help"], ["runs"], ["compile", str(ROOT / "examples/quickstart/suite.yaml")]],
)
def test_a_closed_stdout_ends_the_command_quietly(args: list[str], tmp_path: Path) -> None:
    # Enough runs that `bench runs` writes more than a pipe holds.
    for i in range(400):
        run = tmp_path / "runs" / f"20261201-0000{i:02d}-{i:06x}"
        run.mkdir(parents=True)
        meta = {
            "run_id": run.name,
            "plan_hash": "sha256:0",
            "plan_name": f"a suite with a long name to fill the pipe {i}",
            "bench_version": "0",
            "status": "completed",
            "started_at": "2026-12-01T00:00:00Z",
            "case_count": 1,
        }
        (run / "metadata.json").write_text(json.dumps(meta))
    done = _closed_pipe(args, tmp_path)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    assert b"BrokenPipeError" not in done.stderr
    assert done.returncode in (0, 141), done.stderr.decode()
