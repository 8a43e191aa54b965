"""Run examples/external-agent against a fake OpenAI server on 127.0.0.1, with streaming on.

    .venv/bin/python examples/external-agent/demo.py

It builds the plan that suite.yaml describes (in code, until the compiler reads `command:`
agents), executes it with bench's runtime (agent workers behind the metrics proxy) and prints
per case the tokens, latency, time to first token and cost the proxy measured, next to what
the fake server served.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from runtime import ExecuteOptions, execute  # noqa: E402
from runtime.plan import Case, ExternalAgent, Plan, ScriptedProvider, SourceFile, Span, Unit  # noqa: E402
from runtime.plan.assertions import OutputContains, OutputRegex  # noqa: E402
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread  # noqa: E402
from tests.fakes.openai_server import openai_app  # noqa: E402

SERVED = [Reply(text="Hello! How can I help?", usage=Usage(25, 7)),
          Reply(text="Hello again.", usage=Usage(48, 4, cached=24))]  # fmt: skip


def build_plan(upstream: str) -> Plan:
    span = Span(file="suite.yaml", line=1, col=1)
    agent = ExternalAgent(
        name="my-agent",
        command=(sys.executable, str(HERE / "agent.py")),
        env={"OPENAI_API_KEY": "sk-demo-not-secret", "OPENAI_BASE_URL": upstream},
        workers=2,
        timeout_ms=60_000,
        working_dir=str(HERE),
    )
    cases = (
        Case(id="u0/0", test="says hello", prompt="Say hello",
             assertions=(OutputContains(value="Hello"),), span=span),
        Case(id="u0/1", test="remembers the conversation", prompt="And again",
             assertions=(OutputRegex(pattern="(?i)hello"),), span=span),
    )  # fmt: skip
    return Plan(
        bench_version="demo",
        name="external-agent-demo",
        seed=0,
        compiled_now="2026-11-01T00:00:00Z",
        sources=(SourceFile(path="suite.yaml", sha256="0" * 64),),
        providers=(ScriptedProvider(name="unused"),),
        agents=(agent,),
        units=(Unit(id="u0", agent="my-agent", session="greetings", file="suite.yaml",
                    cases=cases, span=span),),
    ).sealed()  # fmt: skip


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
