"""bench load's generator beside guidellm, against the same lean streaming fake on loopback.

    .venv/bin/python benchmarks/load_bench.py [--rates 50,100,200,400] [--duration 5]
        [--guidellm .venv-guidellm/bin/guidellm] [--skip-guidellm] [--skip-clients]

Three figures, each printed against its target:

1. clients: CPU per streamed request (µs, this process) reading the same 16-token stream with
   the openai SDK (its aiohttp transport, as ``bench execute`` uses it), raw httpx, and raw
   aiohttp (runtime/load/client.py, what ``bench load`` uses). Why the generator reads raw.
2. sustained rate: open loop (constant arrivals, both tools) at each offered rate against a
   zero-latency streaming server (tests/fakes/lean_openai.py, its own process); a rate is
   sustained when the achieved rate (successful requests / level duration) is at least 95% of
   offered. The highest sustained rate of each tool; target: bench >= guidellm.
3. TTFT error: the server sends its first token 50 ms after the request; each tool's median
   TTFT minus 50 ms at a modest rate. Target: bench's error <= guidellm's.

guidellm is installed in its own venv (``python3 -m venv .venv-guidellm &&
.venv-guidellm/bin/pip install guidellm``), never in bench's; it runs as its own process (it
spreads its workers over several processes), bench's generator in this one.
The server's own CPU is printed too: when it nears a full core the server, not the client, is
the limit, and the figures say so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKENS = 16
TTFT_S = 0.05


@contextmanager
def lean_server(latency_s: float) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The lean fake in its own process: (base URL, process); stdin lines ask its CPU."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.lean_openai", str(latency_s), str(TOKENS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = proc.stdout.readline().strip()
    try:
        yield url, proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def server_cpu(proc: subprocess.Popen[str]) -> float:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    return float(proc.stdout.readline())


def _wire(url: str) -> object:
    from runtime.load.wire import wire_for
    from runtime.plan import OpenAIProvider

    spec = OpenAIProvider(name="lean", model="m", flavor="compatible", base_url=f"{url}/v1")
    return wire_for(spec, {})


# -- 1. clients -----------------------------------------------------------------------------


async def _clients(url: str, n: int, width: int) -> dict[str, float]:
    import aiohttp
    import httpx
    import openai

    from runtime.load.client import new_session, send

    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    out: dict[str, float] = {}

    async def fan(one: object) -> float:
        sem = asyncio.Semaphore(width)

        async def go() -> None:
            async with sem:
                await one()  # type: ignore[operator]

        await one()  # type: ignore[operator]  # connection set up outside the measure
        cpu = time.process_time()
        await asyncio.gather(*(go() for _ in range(n)))
        return (time.process_time() - cpu) / n * 1e6

    sdk = openai.AsyncOpenAI(
        api_key="x", base_url=f"{url}/v1", max_retries=0, http_client=openai.DefaultAioHttpClient()
    )

    async def via_sdk() -> None:
        stream = await sdk.chat.completions.create(**body)  # type: ignore[call-overload]
        async for _ in stream:
            pass

    out["openai SDK (aiohttp transport)"] = await fan(via_sdk)
    await sdk.close()
    async with httpx.AsyncClient(timeout=30) as hx:

        async def via_httpx() -> None:
            async with hx.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
                async for line in r.aiter_lines():
                    if line.startswith("data:") and line[5:].strip() != "[DONE]":
                        json.loads(line[5:])

        out["raw httpx"] = await fan(via_httpx)
    wire = _wire(url)
    async with new_session(0, 30) as session:
        assert isinstance(session, aiohttp.ClientSession)

        async def via_aiohttp() -> None:
            await send(session, wire, "hi", None)  # type: ignore[arg-type]

        out["raw aiohttp (bench load)"] = await fan(via_aiohttp)
    return out


# -- 2 and 3. bench and guidellm ------------------------------------------------------------


def bench_levels(url: str, rates: list[float], duration: float) -> list[dict[str, float]]:
    import anyio

    from runtime.load.sweep import LoadConfig, Sweep

    # Constant arrivals, as guidellm's constant profile: gamma gaps of shape 1e6 (CV 0.1%).
    cfg = LoadConfig(
        mode="rate", levels=tuple(rates), duration_s=duration, burstiness=1e6, stop_early=False
    )
    sweep = Sweep(_wire(url), ["hello there"], cfg)  # type: ignore[arg-type]
    anyio.run(sweep.run)
    return [
        {
            "offered": lv.rate or 0.0,
            "achieved": lv.requests_per_s,
            "errors": float(sum(lv.errors.values())),
            "ttft_p50": lv.ttft_ms.p50 or 0.0,
        }
        for lv in sweep.levels
    ]


def guidellm_levels(
    exe: str, url: str, rates: list[float], duration: float, work: Path
) -> list[dict[str, float]]:
    data = work / "prompts.jsonl"
    with data.open("w") as f:
        for i in range(int(max(rates) * duration * 2) + 100):
            f.write(json.dumps({"prompt": f"hello there {i}"}) + "\n")
    out = work / "guidellm.json"
    cmd = [
        exe, "run",
        "--backend", f"kind=openai_http,target={url},model=m,validate_backend=false",
        "--profile", f"kind=constant,rate={rates[0]}",
        "--override", "profile.rate", ",".join(f"{r:g}" for r in rates),
        "--constraint", f"kind=max_duration,seconds={duration}",
        "--data", f"kind=json_file,path={data}",
        "--output", f"kind=json,path={out}",
        "--disable-console",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    doc = json.loads(out.read_text())
    levels = []
    for rate, b in zip(rates, doc["benchmarks"], strict=False):
        m = b["metrics"]
        totals = m["request_totals"]
        ok = totals["successful"] if isinstance(totals, dict) else 0
        levels.append(
            {
                "offered": rate,
                "achieved": ok / b["duration"] if b["duration"] else 0.0,
                "errors": float(totals.get("errored", 0)),
                "ttft_p50": m["time_to_first_token_ms"]["successful"]["median"],
            }
        )
    return levels


def _sustained(levels: list[dict[str, float]]) -> float:
    ok = [lv["offered"] for lv in levels if lv["achieved"] >= 0.95 * lv["offered"]]
    return max(ok) if ok else 0.0


def _print_levels(name: str, levels: list[dict[str, float]]) -> None:
    for lv in levels:
        print(
            f"  {name:9} offered {lv['offered']:6.0f}/s  achieved {lv['achieved']:7.1f}/s  "
            f"errors {lv['errors']:4.0f}  TTFT p50 {lv['ttft_p50']:6.1f} ms"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rates", default="50,100,200,400")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--guidellm", default=str(ROOT / ".venv-guidellm" / "bin" / "guidellm"))
    p.add_argument("--skip-guidellm", action="store_true")
    p.add_argument("--skip-clients", action="store_true")
    p.add_argument("--clients-n", type=int, default=400)
    p.add_argument("--ttft-reps", type=int, default=3)
    args = p.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    have_guidellm = not args.skip_guidellm and os.path.exists(args.guidellm)
    print(f"load_bench: {os.cpu_count()} cores, {TOKENS}-token streams, lean fake server")

    with lean_server(0.0) as (url, proc):
        if not args.skip_clients:
            print(f"\n1. client CPU per streamed request ({args.clients_n} requests, 16 at once)")
            for name, us in asyncio.run(_clients(url, args.clients_n, 16)).items():
                print(f"  {name:32} {us:7.0f} µs")
        print(f"\n2. sustained open-loop rate, zero-latency server, {args.duration:g} s per rate")
        cpu0 = server_cpu(proc)
        t0 = time.perf_counter()
        ours = bench_levels(url, rates, args.duration)
        share = (server_cpu(proc) - cpu0) / (time.perf_counter() - t0)
        _print_levels("bench", ours)
        print(f"  (server CPU during bench's sweep: {share:.0%} of a core)")
        theirs: list[dict[str, float]] = []
        if have_guidellm:
            with tempfile.TemporaryDirectory() as tmp:
                theirs = guidellm_levels(args.guidellm, url, rates, args.duration, Path(tmp))
            _print_levels("guidellm", theirs)
        print(f"  highest sustained (>= 95% of offered): bench {_sustained(ours):g}/s", end="")
        if theirs:
            verdict = "met" if _sustained(ours) >= _sustained(theirs) else "NOT met"
            print(f", guidellm {_sustained(theirs):g}/s  (target bench >= guidellm: {verdict})")
        else:
            print("  (guidellm not run)")

    with lean_server(TTFT_S) as (url, _):
        reps = args.ttft_reps
        print(f"\n3. median TTFT error against a configured {TTFT_S * 1000:.0f} ms "
              f"(rate 10/s, 5 s), {reps} rounds alternating")  # fmt: skip
        ours_e: list[float] = []
        theirs_e: list[float] = []
        for _ in range(reps):
            ours_e.append(bench_levels(url, [10.0], 5.0)[0]["ttft_p50"] - TTFT_S * 1000)
            if have_guidellm:
                with tempfile.TemporaryDirectory() as tmp:
                    lv = guidellm_levels(args.guidellm, url, [10.0], 5.0, Path(tmp))[0]
                theirs_e.append(lv["ttft_p50"] - TTFT_S * 1000)
        print("  bench     " + "  ".join(f"{e:+6.1f} ms" for e in ours_e))
        if theirs_e:
            print("  guidellm  " + "  ".join(f"{e:+6.1f} ms" for e in theirs_e))
            a = statistics.median(abs(e) for e in ours_e)
            b = statistics.median(abs(e) for e in theirs_e)
            verdict = "met" if a <= b else "NOT met"
            print(f"  median |error|: bench {a:.1f} ms, guidellm {b:.1f} ms "
                  f"(target bench <= guidellm: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
