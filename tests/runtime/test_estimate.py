"""The compile-time estimate of calls, tokens and cost (issue 13) against a measured run."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import compile_suite
from runtime import ExecuteOptions, execute
from runtime.estimate import provider_estimates
from tests.fakes import FakeLLM, Reply, serve_in_thread
from tests.fakes.openai_server import openai_app

pytestmark = pytest.mark.anyio

ANSWER = "word " * 80  # 400 characters: the estimate's 100-token answer


def _suite(url: str) -> str:
    sessions = "".join(
        f"  - name: s{s}\n    tests:\n"
        + "".join(
            f'      - name: t{t}\n        prompt: "{"Please summarise this paragraph. " * (t + 1)}"\n'
            for t in range(3)
        )
        for s in range(4)
    )
    return f"""\
providers:
  - {{name: gpt, type: OPENAI, token: "{{{{OPENAI_API_KEY}}}}", model: gpt-4o-mini, baseUrl: "{url}/v1"}}
agents:
  - {{name: a, provider: gpt, system_prompt: "You are a careful assistant."}}
sessions:
{sessions}"""


@pytest.mark.requirement("compile:estimate")
async def test_the_estimate_is_within_a_factor_of_two_of_what_the_run_measures(
    tmp_path: Path,
) -> None:
    fake = FakeLLM()
    fake.push(*[Reply(text=ANSWER, usage=None) for _ in range(12)])  # usage counted by bench
    with serve_in_thread(openai_app(fake)) as url:
        path = tmp_path / "suite.yaml"
        path.write_text(_suite(url), encoding="utf-8")
        env = {"OPENAI_API_KEY": "sk-test"}
        plan = compile_suite(path, seed=1, env=env)
        (est,) = provider_estimates(plan)
        summary = await execute(plan, ExecuteOptions(output_dir=tmp_path, env=env))
    assert summary.metadata.status == "completed"
    totals = summary.metadata.totals
    assert est.calls == 12 == len(fake.requests)
    for estimated, measured in ((est.input_tokens, totals.input_tokens),
                                (est.output_tokens, totals.output_tokens)):  # fmt: skip
        assert measured / 2 <= estimated <= measured * 2, (estimated, measured)
    assert est.cost_usd is not None and totals.cost_usd is not None
    assert totals.cost_usd / 2 <= est.cost_usd <= totals.cost_usd * 2
