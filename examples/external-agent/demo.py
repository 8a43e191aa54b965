"""Run examples/external-agent/suite.yaml against a fake OpenAI server on 127.0.0.1, streaming.

    .venv/bin/python examples/external-agent/demo.py

It compiles suite.yaml, executes it with bench's runtime (agent workers behind the metrics
proxy) and prints per case the tokens, latency, time to first token and cost the proxy
measured, next to what the fake server served. The same run, checked, is
tests/compiler/test_k_external.py (through `bench execute`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from compiler import compile_suite  # noqa: E402
from runtime import ExecuteOptions, execute  # noqa: E402
from runtime.plan import Plan  # noqa: E402
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread  # noqa: E402
from tests.fakes.openai_server import openai_app  # noqa: E402

SERVED = [Reply(text="Hello! How can I help?", usage=Usage(25, 7)),
          Reply(text="Hello again.", usage=Usage(48, 4, cached=24))]  # fmt: skip


def build_plan(upstream: str) -> Plan:
    """Compile suite.yaml; its env references are resolved from this process at run time."""
    os.environ["OPENAI_API_KEY"] = "sk-demo-not-secret"
    os.environ["UPSTREAM_BASE_URL"] = upstream
    # `command: python agent.py` runs this interpreter (it has the openai package).
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    return compile_suite(HERE / "suite.yaml", seed=1)


async def main() -> None:
    fake = FakeLLM().push(*SERVED)
    with serve_in_thread(openai_app(fake)) as url, tempfile.TemporaryDirectory() as out:
        summary = await execute(build_plan(f"{url}/v1"), ExecuteOptions(output_dir=Path(out)))
        print(
            f"run {summary.run_id}: {summary.metadata.totals.passed}/{len(summary.results)} passed"
        )
        for result, served in zip(summary.results, SERVED, strict=True):
            [call] = result.transcript.llm_calls
            u = call.usage
            print(
                f"  {result.test:<28} {result.status:<6} tokens in/out/cached "
                f"{u.input}/{u.output}/{u.cached} (served {served.usage.input}/"
                f"{served.usage.output}/{served.usage.cached})  latency {call.latency_ms:.1f} ms  "
                f"TTFT {call.ttft_ms:.1f} ms  cost ${result.cost_usd:.8f}"
            )


if __name__ == "__main__":
    anyio.run(main)
