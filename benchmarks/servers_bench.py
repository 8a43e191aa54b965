"""MCP server start-up cost: many one-test sessions against one session of the same tests.

Prints figures; asserts nothing. Run from the repository root::

    .venv/bin/python benchmarks/servers_bench.py [--tests 40] [--concurrency 8] [--repeat 3]
    .venv/bin/python benchmarks/servers_bench.py --code /tmp/main-export   # another checkout

One Python stdio MCP server (bench's notes server, examples/servers, which imports the ``mcp``
package at start-up like any Python MCP server) and the scripted provider (zero latency):
each test calls the server's ``echo`` tool once and answers. Scenarios, each in a fresh
process (so the client's own ``mcp`` import is paid by every scenario alike):

- ``one``: one session holding all the tests (the server starts once): the reference;
- ``session-cold``: one session per test, ``lifecycle: session``, warm pool off (what every
  run did before lifecycles and the warm pool existed);
- ``session``: one session per test, ``lifecycle: session`` (the default) with the warm pool;
- ``agent``: one session per test, ``lifecycle: agent`` (one agent: one instance);
- ``run``: one session per test, ``lifecycle: run``.

Target (issue 10, item 18): the sessions within 1.5x the one-session time. ``--code DIR``
runs the scenarios against the checkout in DIR (e.g. ``git archive main``), where only
``one`` and ``session-cold`` exist when DIR predates lifecycles.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("one", "session-cold", "session", "agent", "run")
TARGET = 1.5


def _plan(scenario: str, tests: int, concurrency: int):  # type: ignore[no-untyped-def]
    from runtime.plan import (
        AgentServer,
        BuiltinAgent,
        Case,
        Plan,
        ScriptedProvider,
        ScriptedReply,
        ScriptedToolCall,
        Settings,
        SourceFile,
        Span,
        StdioServer,
        Unit,
    )

    span = Span(file="suite.yaml", line=1, col=1)
    fields: dict[str, object] = {
        "name": "notes",
        "command": (sys.executable, str(ROOT / "examples" / "servers" / "notes_server.py")),
        "process_delay_ms": 0,
    }
    if scenario in ("agent", "run"):
        fields["lifecycle"] = scenario
    server = StdioServer.model_validate(fields)
    replies = []
    for i in range(tests):
        when = f"^q {i}$"
        call = ScriptedToolCall(name="echo", arguments={"text": str(i)})
        replies += [
            ScriptedReply(when=when, tool_calls=(call,)),
            ScriptedReply(when=when, text=f"answer {i}"),
        ]

    def case(uid: str, i: int) -> Case:
        return Case(id=f"{uid}/{i}", test=f"t{i}", prompt=f"q {i}", span=span)

    if scenario == "one":
        units = [Unit(id="u0", agent="a", session="s", file="suite.yaml", span=span,
                      cases=tuple(case("u0", i) for i in range(tests)))]  # fmt: skip
    else:
        units = [Unit(id=f"u{i}", agent="a", session=f"s{i}", file="suite.yaml", span=span,
                      cases=(case(f"u{i}", i),)) for i in range(tests)]  # fmt: skip
    return Plan(
        bench_version="bench",
        name="servers-bench",
        seed=1,
        compiled_now="2026-11-01T00:00:00Z",
        sources=(SourceFile(path="suite.yaml", sha256="0" * 64),),
        providers=(ScriptedProvider(name="p", replies=tuple(replies)),),
        servers=(server,),
        agents=(BuiltinAgent(name="a", provider="p", servers=(AgentServer(name="notes"),)),),
        units=tuple(units),
        settings=Settings(concurrency=concurrency),
    ).sealed()


def _child(scenario: str, tests: int, concurrency: int) -> None:
    """Run one scenario in this process and print its wall time as JSON."""
    import anyio

    from runtime import ExecuteOptions, execute

    if scenario == "session-cold":
        from runtime import runner

        if hasattr(runner.UnitRunner, "_warm_ahead"):
            runner.UnitRunner._warm_ahead = lambda self, units: 0  # type: ignore[method-assign]
    plan = _plan(scenario, tests, concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = anyio.run(execute, plan, ExecuteOptions(output_dir=Path(tmp)))
        wall = time.perf_counter() - start
    statuses = sorted({r.status for r in summary.results})
    print(json.dumps({"wall_s": wall, "cases": len(summary.results), "statuses": statuses}))


def _measure(code: Path, scenario: str, tests: int, concurrency: int) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(code))
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", scenario,
         "--tests", str(tests), "--concurrency", str(concurrency), "--code", str(code)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="measurements per scenario")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose code runs")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    if args.child:
        _child(args.child, args.tests, args.concurrency)
        return
    chosen = [s for s in args.scenarios.split(",") if s]
    walls: dict[str, list[float]] = {s: [] for s in chosen}
    errors: dict[str, str] = {}
    for _ in range(args.repeat):  # alternate scenarios: shared-CPU noise hits each alike
        for scenario in chosen:
            res = _measure(args.code.resolve(), scenario, args.tests, args.concurrency)
            if "error" in res:
                errors[scenario] = str(res["error"])
            else:
                walls[scenario].append(float(res["wall_s"]))  # type: ignore[arg-type]
    print(f"code: {args.code.resolve()}  tests: {args.tests}  concurrency: {args.concurrency}"
          f"  repeats: {args.repeat}")  # fmt: skip
    base = min(walls.get("one") or [float("nan")])
    for scenario in chosen:
        if scenario in errors and not walls[scenario]:
            print(f"  {scenario:<13} not available here: {errors[scenario][:100]}")
            continue
        ws = walls[scenario]
        best = min(ws)
        line = f"  {scenario:<13} wall {best:6.2f} s (range {min(ws):.2f}-{max(ws):.2f})"
        if scenario != "one":
            ratio = best / base
            verdict = "meets" if ratio <= TARGET else "misses"
            line += f"  ratio {ratio:4.2f}x one session ({verdict} the {TARGET}x target)"
        print(line)


if __name__ == "__main__":
    main()
