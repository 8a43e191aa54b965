"""Runtime benchmark: throughput, harness overhead per LLM call, memory, latency-bound wall time.

Prints figures; asserts nothing. Run from the repository root::

    .venv/bin/python benchmarks/runtime_bench.py [--cases 2000] [--slow-cases 500]

The fake OpenAI server (tests/fakes) runs in its own process so its CPU time is not counted
as the harness's. Scenarios:

1. overhead: the same number of sequential calls made (a) straight through the openai SDK
   and (b) as single-turn cases through ``runtime.execute`` at concurrency 1; the
   difference per call is the harness's own overhead (loop, transcript, evaluation,
   results.jsonl append + fsync, progress callback).
2. throughput: ``--cases`` single-turn cases against a zero-latency fake at concurrency 64:
   cases/s and peak RSS.
3. latency-bound: ``--slow-cases`` cases against a 200 ms fake at concurrency 50: wall time
   against the ideal ``cases x 0.2 / 50``, split into start-up, the cases and finish, beside
   the floor: the same calls at the same concurrency straight through the SDK (and its CPU
   per call). Run against each of ``--latency-fakes``: ``lean`` (tests/fakes/lean_openai.py,
   an asyncio.Protocol server with a canned answer, ~0.05 ms of CPU per request) and
   ``starlette`` (the tests' scripted fake, ~0.3 ms), each fake's CPU per request printed, so
   the harness's own share is visible apart from the measurement infrastructure's. The floor
   is measured twice: the plain SDK, and the SDK with bench's send order (on Python 3.11,
   aiohttp's request writer runs straight after the step that made it, as it does on 3.12+).
4. ``bench --help`` start-up time (best of 5).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402

from benchmarks.fake_process import FakeProcess, cpu_s  # noqa: E402
from runtime import ExecuteOptions, execute  # noqa: E402
from runtime.plan import (  # noqa: E402
    BuiltinAgent,
    Case,
    OpenAIProvider,
    Plan,
    RetryPolicy,
    SecretRef,
    Settings,
    SourceFile,
    Span,
    Unit,
)
from runtime.plan.assertions import OutputContains  # noqa: E402
from runtime.providers.send_order import prompt_request_writes  # noqa: E402

FAKES = {
    "lean": "asyncio.Protocol, canned reply (tests/fakes/lean_openai.py)",
    "starlette": "uvicorn + h11 + Starlette, scripted FakeLLM (tests/fakes/openai_server.py)",
}


def fake_server(latency_s: float, kind: str = "starlette") -> FakeProcess:
    """A fake OpenAI server in a child process: ``lean`` or ``starlette`` (see FAKES)."""
    if kind == "lean":
        return FakeProcess.lean(latency_s)
    return FakeProcess.starlette("ok, done", output_tokens=3, latency_s=latency_s)


def make_plan(url: str, cases: int, concurrency: int) -> Plan:
    """``cases`` single-turn cases, one unit each, one assertion each."""
    span = Span(file="bench.yaml", line=1, col=1)
    units = tuple(
        Unit(
            id=f"u{i:05d}",
            agent="agent",
            session=f"s{i}",
            file="bench.yaml",
            cases=(
                Case(
                    id=f"u{i:05d}/0",
                    test="t",
                    prompt=f"question {i}",
                    assertions=(OutputContains(value="ok"),),
                    span=span,
                ),
            ),
            span=span,
        )
        for i in range(cases)
    )
    return fake_plan(url, units, concurrency, name="runtime-bench")


def fake_plan(
    url: str, units: tuple[Unit, ...], concurrency: int, *, name: str, file: str = "bench.yaml"
) -> Plan:
    """A sealed plan of ``units`` for agent "agent" on the fake OpenAI server at ``url``."""
    return Plan(
        bench_version="bench",
        name=name,
        seed=0,
        compiled_now="2026-11-01T00:00:00Z",
        sources=(SourceFile(path=file, sha256="0" * 64),),
        providers=(
            OpenAIProvider(
                name="fake",
                model="gpt-fake",
                api_key=SecretRef.from_env("BENCH_FAKE_KEY"),
                base_url=url + "/v1",
                retry=RetryPolicy(max_retries=0, timeout_ms=30_000),
            ),
        ),
        agents=(BuiltinAgent(name="agent", provider="fake"),),
        units=units,
        settings=Settings(concurrency=concurrency),
    ).sealed()


ENV = {"BENCH_FAKE_KEY": "sk-bench-not-a-real-key"}


def transport_name() -> str:
    """The HTTP transport the OpenAI adapter picks (runtime/providers/openai.py)."""
    import importlib.util

    return "httpx" if importlib.util.find_spec("aiohttp") is None else "aiohttp"


def sdk_transport() -> dict[str, Any]:
    """The HTTP client the OpenAI adapter uses, so SDK-only figures compare like with like."""
    import openai

    return {"http_client": openai.DefaultAioHttpClient()} if transport_name() == "aiohttp" else {}


async def run_plan(plan: Plan, out: Path, concurrency: int) -> tuple[float, Any]:
    """Wall seconds and the summary of one execute()."""
    started = time.perf_counter()
    summary = await execute(
        plan,
        ExecuteOptions(output_dir=out, concurrency=concurrency, env=ENV, on_result=lambda r: None),
    )
    return time.perf_counter() - started, summary


def cpu_line(n: int, harness_s: float, fake_s: float) -> str:
    """CPU per case in bench's process and, apart, in the fake server's process."""
    return (f"             CPU per case: bench {harness_s / n * 1000:.2f} ms (SDK + harness), "
            f"fake server {fake_s / n * 1000:.2f} ms (its own process, not bench's)")  # fmt: skip


async def raw_sdk_calls(url: str, n: int) -> float:
    """Mean seconds per sequential chat.completions call straight through the SDK."""
    import openai

    client = openai.AsyncOpenAI(
        api_key=ENV["BENCH_FAKE_KEY"], base_url=url + "/v1", max_retries=0, **sdk_transport()
    )
    try:
        for _ in range(20):  # warm up the connection pool
            await client.chat.completions.create(
                model="gpt-fake", messages=[{"role": "user", "content": "warm"}]
            )
        started = time.perf_counter()
        for i in range(n):
            await client.chat.completions.create(
                model="gpt-fake", messages=[{"role": "user", "content": f"question {i}"}]
            )
        return (time.perf_counter() - started) / n
    finally:
        await client.close()


async def scenario_overhead(tmp: Path, n: int) -> None:
    server = fake_server(0.0)
    try:
        raw = await raw_sdk_calls(server.url, n)
        # Warm the harness (imports, SDK client) with a short run first.
        await run_plan(make_plan(server.url, 20, 1), tmp / "warm", 1)
        wall, summary = await run_plan(make_plan(server.url, n, 1), tmp / "overhead", 1)
    finally:
        server.close()
    per_case = wall / n
    assert summary.metadata.totals.passed == n, summary.metadata.totals
    # Time inside the provider call (SDK + HTTP + fake server), as the transcript measured it;
    # the rest of each case's wall time is the harness's own.
    in_provider = sum(c.latency_ms for r in summary.results for c in r.transcript.llm_calls) / 1000
    overhead = (wall - in_provider) / n
    print(f"[overhead]   {n} sequential cases: {per_case * 1000:.2f} ms/case, of which provider "
          f"call {in_provider / n * 1000:.2f} ms (raw SDK loop alone, {transport_name()}: {raw * 1000:.2f} ms) -> "
          f"harness overhead {overhead * 1000:.2f} ms per LLM call (run start-up included)")  # fmt: skip


async def scenario_throughput(tmp: Path, n: int) -> None:
    server = fake_server(0.0)
    try:
        plan = make_plan(server.url, n, 64)
        cpu0, fake0 = cpu_s(), server.cpu_s()
        wall, summary = await run_plan(plan, tmp / "throughput", 64)
        cpu, fake = cpu_s() - cpu0, server.cpu_s() - fake0
    finally:
        server.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert summary.metadata.totals.passed == n, summary.metadata.totals
    print(f"[throughput] {n} cases, concurrency 64, zero-latency fake: {wall:.2f} s, "
          f"{n / wall:.0f} cases/s, peak RSS {rss_mb:.0f} MB")  # fmt: skip
    print(cpu_line(n, cpu, fake))


async def raw_sdk_concurrent(url: str, n: int, concurrency: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds for ``n`` calls at ``concurrency`` straight through the SDK (no harness).

    The same call the harness makes (``client.post`` of the chat completion, one JSON
    parse), from ``concurrency`` workers on one warm client: the floor that the SDK, the
    event loop and the fake server set on this machine.
    """
    import json

    import openai

    client = openai.AsyncOpenAI(
        api_key=ENV["BENCH_FAKE_KEY"], base_url=url + "/v1", max_retries=0, **sdk_transport()
    )
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            body = {"model": "gpt-fake", "messages": [{"role": "user", "content": f"q{left}"}]}
            json.loads(await client.post("/chat/completions", body=body, cast_to=bytes))

    try:
        for warm_only in (True, False):
            left = concurrency if warm_only else n
            started, cpu0 = time.perf_counter(), cpu_s()
            async with anyio.create_task_group() as tg:
                for _ in range(concurrency):
                    tg.start_soon(worker)
        return time.perf_counter() - started, cpu_s() - cpu0
    finally:
        await client.close()


def _stamp(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def scenario_latency(tmp: Path, n: int, kind: str) -> None:
    server = fake_server(0.2, kind)
    try:
        floor, floor_cpu = await raw_sdk_concurrent(server.url, n, 50)
        with prompt_request_writes():
            floor_prompt, _ = await raw_sdk_concurrent(server.url, n, 50)
        await run_plan(make_plan(server.url, 50, 50), tmp / "warm2", 50)
        plan = make_plan(server.url, n, 50)
        cpu0, fake0 = cpu_s(), server.cpu_s()
        called = time.time()
        wall, summary = await run_plan(plan, tmp / "latency", 50)
        returned = time.time()
        cpu, fake = cpu_s() - cpu0, server.cpu_s() - fake0
    finally:
        server.close()
    ideal = n * 0.2 / 50
    _report_errors(summary)
    # Start-up: execute() called -> first case started (run dir, plan.json, providers);
    # finish: last case ended -> execute() returned (metadata, summary). Stamps are ms.
    first = min(_stamp(r.started_at) for r in summary.results)
    last = max(_stamp(r.ended_at) for r in summary.results)
    startup, finish, cases = first - called, returned - last, last - first
    print(f"[latency]    {kind} fake: {FAKES[kind]}")
    print(f"             {n} cases, concurrency 50, 200 ms fake: wall {wall:.2f} s vs ideal "
          f"{ideal:.2f} s ({(wall / ideal - 1) * 100:+.1f}%); start-up {startup * 1000:.0f} ms, "
          f"cases {cases:.2f} s ({(cases / ideal - 1) * 100:+.1f}%), finish "
          f"{finish * 1000:.0f} ms")  # fmt: skip
    print(f"             floor: the same {n} calls at concurrency 50 straight through the SDK "
          f"({transport_name()} transport), no harness: {floor:.2f} s "
          f"({(floor / ideal - 1) * 100:+.1f}%), CPU {floor_cpu / n * 1000:.2f} ms per call; "
          f"with bench's send order (runtime/providers/send_order.py): {floor_prompt:.2f} s "
          f"({(floor_prompt / ideal - 1) * 100:+.1f}%)")  # fmt: skip
    print(cpu_line(n, cpu, fake) + f"; bench busy {cpu / wall * 100:.0f}% of the wall time")
    bound = ideal * 1.1 + startup
    print(f"             target: wall <= ideal x 1.10 + start-up = {bound:.2f} s: "
          f"{'met' if wall <= bound else 'NOT met'} (Python {sys.version.split()[0]})")  # fmt: skip


def _report_errors(summary: Any) -> None:
    errors = [r for r in summary.results if r.status != "passed"]
    if errors:
        print(f"[warning]    {len(errors)} case(s) not passed; first: {errors[0].error}")


def scenario_help() -> None:
    bench = ROOT / ".venv" / "bin" / "bench"
    cmd = [str(bench), "--help"] if bench.exists() else [sys.executable, "-m", "bench", "--help"]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    print(f"[startup]    bench --help: {best * 1000:.0f} ms (best of 5)")


def scenario_fsync(tmp: Path) -> None:
    """The disk's fsync cost: paid once per case (results.jsonl durability) at concurrency 1."""
    path = tmp / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        started = time.perf_counter()
        for _ in range(200):
            os.write(fd, b"x" * 2000 + b"\n")
            os.fsync(fd)
        per = (time.perf_counter() - started) / 200
    finally:
        os.close(fd)
    load = os.getloadavg()[0]
    print(f"[context]    fsync of one result line: {per * 1000:.2f} ms; load average {load:.1f} "
          f"on {os.cpu_count()} CPUs (figures scale with contention)")  # fmt: skip


def main() -> None:
    """Run every scenario and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--slow-cases", type=int, default=500)
    parser.add_argument("--overhead-calls", type=int, default=300)
    parser.add_argument(
        "--only",
        default="overhead,throughput,latency,startup",
        help="comma-separated scenarios to run (default: all)",
    )
    parser.add_argument(
        "--latency-fakes",
        default="lean,starlette",
        help="comma-separated fake servers for the latency scenario (lean, starlette)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
        scenario_fsync(Path(tmp))
        if "overhead" in only:
            anyio.run(scenario_overhead, Path(tmp), args.overhead_calls)
        if "throughput" in only:
            anyio.run(scenario_throughput, Path(tmp), args.cases)
        for kind in args.latency_fakes.split(","):
            if "latency" in only:
                anyio.run(scenario_latency, Path(tmp), args.slow_cases, kind)
    if "startup" in only:
        scenario_help()


if __name__ == "__main__":
    main()
