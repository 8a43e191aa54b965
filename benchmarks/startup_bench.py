"""Start-up benchmark: time from ``bench execute`` starting to its first request arriving.

Prints figures; asserts nothing. Run from the repository root::

    .venv/bin/python benchmarks/startup_bench.py [--reps 5] [--scenarios openai,mcp,...]
    .venv/bin/python benchmarks/startup_bench.py --importtime   # also the top import costs

Each repetition starts a fresh ``bench execute`` process on a one-case suite whose provider
is a fake server on 127.0.0.1 (tests/fakes, served from this process's threads, so the
harness pays nothing for it), and records when the fake receives its first request (both
clocks are the system-wide ``time.monotonic``) and when the process exits. Scenarios:

- ``openai``: an OPENAI provider, the suite YAML (compiled in memory);
- ``openai-plan``: the same, from a plan.json compiled beforehand (no compiler);
- ``anthropic``: an ANTHROPIC provider;
- ``mcp``: OPENAI plus one Python stdio MCP server (mcp-server-time), which must be up and
  initialised before the first request;
- ``report``: ``openai`` with ``--report html,md,json,junit`` (the report path's imports).

With ``--importtime`` one more run of each scenario is made under ``python -X importtime`` and
the top packages by import time are printed (each top-level package's modules' own times,
so ``openai`` counts every ``openai.*`` module and ``runtime`` none of them).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import FakeLLM, serve_in_thread  # noqa: E402
from tests.fakes.anthropic_server import anthropic_app  # noqa: E402
from tests.fakes.openai_server import openai_app  # noqa: E402

BENCH = [sys.executable, "-m", "bench"]
SCENARIOS = ("openai", "openai-plan", "anthropic", "mcp", "report")

_SUITE = """\
providers:
  - name: p
    type: {type}
    token: "{{{{{key}}}}}"
    model: m
    baseUrl: {url}
{servers}agents:
  - name: a
    provider: p
{agent_servers}sessions:
  - name: s
    tests:
      - name: t
        prompt: hi
        assertions:
          - type: output_contains
            value: ok
"""

_MCP_SERVER = """\
servers:
  - name: time
    type: stdio
    command: {python} -m mcp_server_time --local-timezone UTC
    process_delay: 0s
"""


class _FirstRequest:
    """ASGI middleware: remembers the monotonic time of the first request it sees."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.first: float | None = None
        self.seen = threading.Event()

    def reset(self) -> None:
        self.first = None
        self.seen.clear()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.first is None:
            self.first = time.monotonic()
            self.seen.set()
        await self.app(scope, receive, send)


@contextmanager
def _fakes() -> Iterator[dict[str, tuple[str, _FirstRequest]]]:
    """The fake OpenAI and Anthropic servers, each behind a first-request recorder."""
    openai = _FirstRequest(openai_app(_ok()))
    anthropic = _FirstRequest(anthropic_app(_ok()))
    with serve_in_thread(openai) as o_url, serve_in_thread(anthropic) as a_url:
        yield {"openai": (o_url + "/v1", openai), "anthropic": (a_url, anthropic)}


def _ok() -> FakeLLM:
    fake = FakeLLM()
    fake.record_requests = False
    return fake


def _write_suites(work: Path, fakes: dict[str, tuple[str, _FirstRequest]]) -> dict[str, Path]:
    python = shutil.which("python", path=str(Path(sys.executable).parent)) or sys.executable
    suites: dict[str, Path] = {}
    for name, ptype, key, fake, servers in (
        ("openai", "OPENAI", "OPENAI_API_KEY", "openai", ""),
        ("anthropic", "ANTHROPIC", "ANTHROPIC_API_KEY", "anthropic", ""),
        ("mcp", "OPENAI", "OPENAI_API_KEY", "openai", _MCP_SERVER.format(python=python)),
    ):
        path = work / f"{name}.yaml"
        path.write_text(
            _SUITE.format(
                type=ptype,
                key=key,
                url=fakes[fake][0],
                servers=servers,
                agent_servers="    servers: [{name: time}]\n" if servers else "",
            ),
            encoding="utf-8",
        )
        suites[name] = path
    plan = work / "openai.plan.json"
    subprocess.run(
        [*BENCH, "compile", str(suites["openai"]), "-o", str(plan)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    suites["openai-plan"] = plan
    suites["report"] = suites["openai"]
    return suites


def _command(scenario: str, suites: dict[str, Path], out: Path) -> list[str]:
    args = ["execute", str(suites[scenario]), "--output-dir", str(out)]
    if scenario == "report":
        args += ["--report", "html,md,json,junit"]
    return args


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OPENAI_API_KEY="sk-bench", ANTHROPIC_API_KEY="sk-bench")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(
    argv: list[str], recorder: _FirstRequest, *, extra: tuple[str, ...] = ()
) -> tuple[float, float, float, str]:
    """(s to the first request, s to exit, CPU s, stderr) of one bench process.

    The CPU seconds are the process's and its children's (the MCP server's): on a shared
    machine they vary far less than wall times do.
    """
    recorder.reset()
    cpu0 = _children_cpu()
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, *extra, "-m", "bench", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    end = time.monotonic()
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0 or recorder.first is None:
        raise RuntimeError(f"bench {' '.join(argv)} exit {proc.returncode}:\n{proc.stderr}")
    return recorder.first - t0, end - t0, cpu, proc.stderr


def _importtime(stderr: str, top: int = 14) -> list[tuple[str, float]]:
    """Import time per top-level package (sum of its modules' own times), largest first (s).

    Self times, not cumulative ones, so ``runtime`` does not also count the ``openai`` its
    provider adapter imported: each package is charged what its own modules cost.
    """
    per: dict[str, float] = {}
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)")
    for line in stderr.splitlines():
        m = pattern.match(line)
        if m is not None:
            package = m.group(2).split(".")[0]
            per[package] = per.get(package, 0.0) + int(m.group(1)) / 1e6
    return sorted(per.items(), key=lambda kv: -kv[1])[:top]


def _fmt_range(values: list[float]) -> str:
    values = sorted(values)
    median = values[len(values) // 2]
    return f"median {median:.2f} s  (min {values[0]:.2f}, max {values[-1]:.2f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--importtime", action="store_true", help="print top import costs")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    print(f"bench start-up to first request ({cores} cores, load {load:.1f}), {args.reps} reps")
    with _fakes() as fakes, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        suites = _write_suites(work, fakes)
        recorders = {s: fakes["anthropic" if s == "anthropic" else "openai"][1] for s in SCENARIOS}
        first: dict[str, list[float]] = {s: [] for s in scenarios}
        total: dict[str, list[float]] = {s: [] for s in scenarios}
        cpu: dict[str, list[float]] = {s: [] for s in scenarios}
        for _ in range(args.reps):  # interleaved, so drifting load hits every scenario alike
            for s in scenarios:
                f, t, c, _err = _once(_command(s, suites, work / "out"), recorders[s])
                first[s].append(f)
                total[s].append(t)
                cpu[s].append(c)
        for s in scenarios:
            print(f"  {s:<12} first request {_fmt_range(first[s])}")
            print(f"  {'':<12} process exit  {_fmt_range(total[s])}")
            print(f"  {'':<12} CPU (+servers) {_fmt_range(cpu[s])}")
        if args.importtime:
            for s in scenarios:
                _f, _t, _c, err = _once(
                    _command(s, suites, work / "out"), recorders[s], extra=("-X", "importtime")
                )
                costs = ", ".join(f"{name} {sec:.2f}" for name, sec in _importtime(err))
                print(f"  imports of {s} (s, own time per package): {costs}")


if __name__ == "__main__":
    main()
