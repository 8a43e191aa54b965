"""Template engine throughput on a compile-sized workload (prints figures, asserts nothing).

Models the render calls of a 3 agents x 100 sessions x 20 tests suite (6,000 cases): per case
a prompt and ~15 assertion values/params, mostly plain text, the rest variables, helpers,
Jinja filters and extractor (run-time) variables. Texts differ per (session, test), so the
parse cache sees 2,000 distinct prompts, as a real generated suite would.

    .venv/bin/python benchmarks/templates_bench.py
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

from compiler.templating.engine import TemplateEngine


def workload() -> int:
    """One compile's worth of render calls on a fresh engine; returns the number of calls."""
    engine = TemplateEngine(seed=7, now=datetime(2026, 11, 1, tzinfo=UTC), env={"HOME": "/home/u"})
    static = engine.static_context(test_dir="/suite", run_id="")
    variables, problems = engine.resolve_variables(
        {
            "filename": "test-{{randomValue type='ALPHANUMERIC' length=8}}.txt",
            "timestamp": "{{now format='unix'}}",
            "user_id": "{{randomInt lower=1000 upper=9999}}",
            "email": "{{faker 'Internet.email'}}",
        },
        static,
    )
    assert not problems
    calls = 0
    runtime_vars = frozenset({"created_id"})
    for agent in ("a1", "a2", "a3"):
        for session in range(100):
            context = {
                **static,
                **variables,
                "AGENT_NAME": agent,
                "SESSION_NAME": f"s{session}",
                "PROVIDER_NAME": "p",
            }
            for test in range(20):
                prompts = [
                    f"Session {session} test {test}: create {{{{filename}}}} for {{{{email}}}} at {{{{now format='yyyy-MM-dd'}}}}",
                    f"Then read it back ({test})"
                    if test % 2
                    else f"Get user {{{{created_id}}}} ({test})",
                ]
                values = [
                    "create_file",
                    "read_file",
                    "{{filename}}",
                    "{{ email | lower }}",
                    "ok",
                    "done",
                    "$.id",
                ]
                values += [
                    "{{cut filename '.txt'}}",
                    "{{randomValue length=6}}",
                    "{{created_id}}",
                    "plain value",
                ]
                values += ["another", "{{user_id}}", "{{AGENT_NAME}}-{{SESSION_NAME}}", "x"]
                for text in prompts + values:
                    engine.render(text, context, runtime_vars=runtime_vars)
                    calls += 1
    return calls


def main() -> None:
    """Time the workload, then measure its peak memory in a second run (tracing slows it)."""
    started = time.perf_counter()
    calls = workload()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    workload()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"render calls: {calls:,}")
    print(f"total: {elapsed:.2f} s ({elapsed / calls * 1e6:.1f} us/call)")
    print(f"peak traced memory: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
