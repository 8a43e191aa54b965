"""The Action's install step, cold and warm: scripts/action-install run twice, as two jobs would.

Cold: a new runner, nothing cached (fresh uv and pip caches: every package is downloaded from
the registry). Warm: the next job, whose environment actions/cache restored (the same venv
folder; the uv and pip caches again empty, as on a new runner). Target (issue 18): the warm
install under 10% of the cold one's wall time. Figures are printed, never asserted.

    .venv/bin/python benchmarks/action_install_bench.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "scripts" / "action-install"


def _install(venv: Path, scratch: Path) -> float:
    caches = {"UV_CACHE_DIR": scratch / "uv-cache", "PIP_CACHE_DIR": scratch / "pip-cache"}
    for path in caches.values():
        shutil.rmtree(path, ignore_errors=True)  # every job starts on a new runner
    env = {**os.environ, **{k: str(v) for k, v in caches.items()}, "PYTHON": sys.executable}
    env.pop("BENCH_UV", None)
    t0 = time.perf_counter()
    subprocess.run([str(INSTALL), str(venv)], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    """Time a cold and a warm install, ``--repeat`` times, and print them against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            venv = scratch / "bench-venv"
            cold = _install(venv, scratch)
            warm = _install(venv, scratch)
            check = subprocess.run(
                [str(venv / "bin" / "bench"), "version", "--check-lock", str(ROOT / "uv.lock")],
                capture_output=True,
                text=True,
                check=False,
            )
            verdict = "met" if warm < 0.1 * cold else "NOT met"
            print(
                f"run {i + 1}: cold {cold:6.1f} s, warm {warm:5.2f} s = {warm / cold:5.1%} of cold "
                f"(target < 10%: {verdict}); {check.stdout.strip().splitlines()[-1]}"
            )


if __name__ == "__main__":
    main()
