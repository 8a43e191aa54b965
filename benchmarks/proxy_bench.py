"""How much latency the metrics proxy adds per LLM call (p50/p99), streaming and not.

Setup, as in a real run: bench's process runs the proxy on its event loop; the agent is
another process, and so is the provider. Here the upstream is tests/fakes' OpenAI fake with
zero latency in a process of its own (so its CPU is neither the proxy's nor competes with it
for the GIL), and a client subprocess sends the same request alternately straight to the
upstream and through the proxy, timing each from send to the last byte. "Added" is the
difference of the two distributions' percentiles, and the median of paired differences (each
proxied call minus the direct call just before it). The CPU the proxy's process spent per
proxied call is printed too, and apart from it the fake upstream's CPU per call.

    .venv/bin/python benchmarks/proxy_bench.py [--requests 2000]

Target (issue 6): p50 added under 1 ms. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.fake_process import FakeProcess, cpu_s  # noqa: E402


def client(direct: str, proxied: str, n: int, stream: bool) -> None:
    """Runs in the subprocess: alternate direct/proxied calls, print timings as JSON."""
    import httpx

    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    times: dict[str, list[float]] = {"direct": [], "proxied": []}
    with httpx.Client(timeout=30) as http:
        for i in range(n + 50):
            for name, base in (("direct", direct), ("proxied", proxied)):
                t0 = time.perf_counter()
                with http.stream("POST", f"{base}/chat/completions", json=body) as r:
                    for _ in r.iter_raw():
                        pass
                    assert r.status_code == 200, r.status_code
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= 50:  # warm-up: connections, imports, caches
                    times[name].append(elapsed)
    print(json.dumps(times))


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def main(n: int) -> None:
    """Serve upstream and proxy; run the client for both modes; print the figures."""
    import anyio

    from runtime.proxy import MetricsProxy

    upstream = FakeProcess.starlette("a reply of a few words", output_tokens=5)
    url = upstream.url
    try:
        async with MetricsProxy({"openai": f"{url}/v1"}) as proxy:
            channel = proxy.channel()
            channel.begin("bench")
            print(f"proxy overhead, {n} calls per mode, zero-latency upstream on loopback")
            print(f"{'mode':<10} {'direct p50':>10} {'proxy p50':>10} {'added p50':>10} "
                  f"{'added p99':>10} {'paired p50':>11} {'proxy CPU':>10} {'fake CPU':>9}")  # fmt: skip
            for stream in (False, True):
                cpu0, fake0 = cpu_s(), upstream.cpu_s()
                done = await anyio.run_process(
                    [sys.executable, __file__, "--client", url + "/v1",
                     channel.base_urls["openai"], str(n), "1" if stream else "0"],
                    check=True,
                )  # fmt: skip
                calls_made = 2 * (n + 50)  # the fake answers direct and proxied calls
                cpu = (cpu_s() - cpu0) / (n + 50) * 1000
                fake = (upstream.cpu_s() - fake0) / calls_made * 1000
                times = json.loads(done.stdout)
                d, p = times["direct"], times["proxied"]
                paired = [b - a for a, b in zip(d, p, strict=True)]
                print(
                    f"{'stream' if stream else 'json':<10} {pct(d, 50):>9.3f}m {pct(p, 50):>9.3f}m "
                    f"{pct(p, 50) - pct(d, 50):>9.3f}m {pct(p, 99) - pct(d, 99):>9.3f}m "
                    f"{statistics.median(paired):>10.3f}m {cpu:>9.3f}m {fake:>8.3f}m"
                )
            calls = channel.end()
            ok = sum(1 for c in calls if c.status == "ok" and c.usage.input == 12)
            print(f"recorded {len(calls)} calls, {ok} with the served usage (ms = milliseconds; "
                  "CPU per call: the proxy's process per proxied call, the fake's per call)")  # fmt: skip
    finally:
        upstream.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--requests", type=int, default=2000)
        args = parser.parse_args()
        import anyio

        anyio.run(main, args.requests)
