"""Replay benchmark: a suite answered from a cassette against the same suite run live.

Prints figures; asserts nothing. Run from the repository root::

    .venv/bin/python benchmarks/replay_bench.py [--cases 2000] [--concurrency 16] [--rounds 3]

Target (issue 12): replaying ``--cases`` cases runs at least 5x faster than the live run
against a zero-latency fake server. Two scenarios, each round measuring, in this order:

1. live: ``--cases`` cases through the openai SDK against a zero-latency fake OpenAI server
   in its own process; 2. record: the same run writing the cassette (``--record``), its
   overhead over live; 3. replay: the same plan answered from that cassette (``--replay``)
   after the fake stopped (and, with tools, with the MCP server never started).

- ``tools`` (the suite shape the target is about): each case is an agent turn that calls a
  tool of a real MCP server over stdio (mcp-server-time, ``lifecycle: run``: one process for
  the run) and then answers; the fake (tests/fakes, Starlette) asks for the tool until the
  conversation holds its result.
- ``plain``: single-turn cases with no tool against the lean fake (tests/fakes/lean_openai.py):
  the least a live call can cost, so the ratio is the floor.

The ratio is live / replay wall time; ranges are over the rounds (the machine is shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402

from benchmarks.fake_process import FakeProcess  # noqa: E402
from benchmarks.runtime_bench import ENV, make_plan  # noqa: E402
from runtime import ExecuteOptions, execute  # noqa: E402
from runtime.plan import AgentServer, BuiltinAgent, Plan, StdioServer  # noqa: E402

_TOOL_FAKE = """
import sys
sys.path.insert(0, {root!r})
from tests.fakes import FakeLLM, Reply, ToolCallSpec, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app

ASK = Reply(tool_calls=(ToolCallSpec("get_current_time", {{"timezone": "UTC"}}, id="t1"),),
            usage=Usage(20, 8))
ANSWER = Reply(text="ok, done", usage=Usage(40, 3))

class ToolFake(FakeLLM):
    def next_item(self, request):
        super().next_item(request)
        last = (request.body.get("messages") or [{{}}])[-1]
        return ANSWER if last.get("role") == "tool" else ASK

fake = ToolFake()
fake.record_requests = False
with serve_in_thread(openai_app(fake)) as url:
    print(url, flush=True)
    while sys.stdin.readline():
        print(0.0, flush=True)
"""


def tool_plan(url: str, cases: int, concurrency: int) -> Plan:
    """``make_plan``'s cases, the agent with mcp-server-time (one process for the run)."""
    plan = make_plan(url, cases, concurrency)
    time_server = StdioServer(
        name="time",
        command=(sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"),
        process_delay_ms=0,
        lifecycle="run",
    )
    agent = BuiltinAgent(name="agent", provider="fake", servers=(AgentServer(name="time"),))
    return plan.model_copy(update={"servers": (time_server,), "agents": (agent,)}).sealed()


async def run(plan: Plan, out: Path, concurrency: int, **kw: Any) -> tuple[float, Any]:
    """Wall seconds and the summary of one execute()."""
    started = time.perf_counter()
    summary = await execute(
        plan,
        ExecuteOptions(output_dir=out, concurrency=concurrency, env=ENV,
                       on_result=lambda r: None, **kw),
    )  # fmt: skip
    return time.perf_counter() - started, summary


def spread(values: Sequence[float]) -> str:
    """``min-max`` of ``values``."""
    return f"{min(values):.2f}-{max(values):.2f}"


async def scenario(name: str, cases: int, concurrency: int, rounds: int) -> None:
    """Run ``rounds`` of live / record / replay and print the figures."""
    live_s: list[float] = []
    record_s: list[float] = []
    replay_s: list[float] = []
    live_cpu: list[float] = []
    replay_cpu: list[float] = []
    print(f"scenario {name}:", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for r in range(rounds):
            if name == "tools":
                server = FakeProcess([sys.executable, "-c", _TOOL_FAKE.format(root=str(ROOT))])
            else:
                server = FakeProcess.lean(0.0)
            try:
                build = tool_plan if name == "tools" else make_plan
                plan = build(server.url, cases, concurrency)
                cassette = tmp / f"cas{r}"
                cpu = time.process_time()
                t_live, live = await run(plan, tmp / f"live{r}", concurrency)
                live_cpu.append(time.process_time() - cpu)
                t_rec, rec = await run(plan, tmp / f"rec{r}", concurrency, record=cassette)
            finally:
                server.close()  # the replay has nothing to connect to
            cpu = time.process_time()
            t_rep, replay = await run(plan, tmp / f"rep{r}", concurrency, replay=cassette)
            replay_cpu.append(time.process_time() - cpu)
            for what, summary in (("live", live), ("record", rec)):
                errors = [x.error for x in summary.results if x.error]
                if errors:  # an overloaded machine: say so, the figures are still shown
                    print(f"  {what}: {len(errors)} case errors, e.g. {errors[0][:200]}")
            if replay.metadata.totals != rec.metadata.totals:
                raise SystemExit(
                    f"replay differs from its recording: {replay.metadata.totals} "
                    f"!= {rec.metadata.totals}"
                )
            assert replay.metadata.traffic.misses == 0
            live_s.append(t_live)
            record_s.append(t_rec)
            replay_s.append(t_rep)
            print(f"  round {r + 1}: live {t_live:.2f} s, record {t_rec:.2f} s, "
                  f"replay {t_rep:.2f} s -> {t_live / t_rep:.1f}x", flush=True)  # fmt: skip
    ratios = [a / b for a, b in zip(live_s, replay_s, strict=True)]
    print(f" {name}: {cases} cases, concurrency {concurrency}, {rounds} rounds (zero-latency fake)")
    print(
        f"  live:    {spread(live_s)} s  ({cases / max(live_s):.0f}-{cases / min(live_s):.0f} cases/s)"
    )
    print(f"  record:  {spread(record_s)} s  (overhead over live: "
          f"{spread([(b - a) / a * 100 for a, b in zip(live_s, record_s, strict=True)])} %)")  # fmt: skip
    print(
        f"  replay:  {spread(replay_s)} s  ({cases / max(replay_s):.0f}-{cases / min(replay_s):.0f} cases/s)"
    )
    print(f"  bench's own CPU: live {spread(live_cpu)} s, replay {spread(replay_cpu)} s -> "
          f"{min(live_cpu) / min(replay_cpu):.1f}x (best of each; steadier than wall time "
          f"on a shared machine)")  # fmt: skip
    verdict = "met" if min(ratios) >= 5 else "NOT met"
    print(f"  replay is {min(ratios):.1f}-{max(ratios):.1f}x faster than live "
          f"(target >= 5x: {verdict})")  # fmt: skip
    print(flush=True)


async def main(cases: int, concurrency: int, rounds: int, scenarios: list[str]) -> None:
    for name in scenarios:
        await scenario(name, cases, concurrency, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", default="tools,plain", help="comma-separated: tools, plain")
    args = parser.parse_args()
    anyio.run(main, args.cases, args.concurrency, args.rounds, args.scenarios.split(","))
