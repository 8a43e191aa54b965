"""ai_summary: the judge's verdict after a run, with the scripted provider and a fake server."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from bench.cli import main
from runtime import ExecuteOptions, execute
from runtime.interrupt import StopRequest
from runtime.plan import (
    AiSummary,
    BuiltinAgent,
    OpenAIProvider,
    Plan,
    RetryPolicy,
    ScriptedProvider,
    ScriptedReply,
    SecretRef,
)
from runtime.plan.assertions import OutputContains
from runtime.providers.registry import create_provider
from runtime.summary import SUMMARY_FILE, build_digest, summarise
from tests.fakes import FakeLLM, Fault, Reply, Usage

from .runtime_helpers import case, make_plan, services, unit

KEY = "sk-test-SUMMARY-SENTINEL-42"
VERDICT = "### Verdict\n**Partially fit**: one of two tests failed."


def with_summary(plan: Plan, judge: str | None) -> Plan:
    return plan.model_copy(
        update={"ai_summary": AiSummary(enabled=True, judge_provider=judge), "hash": ""}
    ).sealed()


def base_plan(*providers: object, judge_reply: bool = True) -> Plan:
    """Agent ``agent`` on scripted ``p``: one passing and one failing test; judge replies too."""
    replies = [
        ScriptedReply(when="^good", text="ok fine", input_tokens=10, output_tokens=5),
        ScriptedReply(when="^bad", text="nope", input_tokens=10, output_tokens=5),
    ]
    if judge_reply:
        replies.append(
            ScriptedReply(when="Run digest", text=VERDICT, input_tokens=300, output_tokens=40)
        )
    ok = [OutputContains(value="ok")]
    return make_plan(
        [
            unit("u0", [case("u0", 0, "good question", assertions=ok)], session="Good"),
            unit("u1", [case("u1", 0, "bad question", assertions=ok)], session="Bad"),
        ],
        providers=[ScriptedProvider(name="p", replies=tuple(replies)), *providers],  # type: ignore[list-item]
        agents=[BuiltinAgent(name="agent", provider="p")],
        name="summary-suite",
    )


@pytest.mark.anyio
@pytest.mark.requirement("summary:judge")
@pytest.mark.requirement("summary:stored")
async def test_self_judge_writes_the_verdict_and_keeps_its_tokens_apart(tmp_path: Path) -> None:
    plan = with_summary(base_plan(), "$self")
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=services())
    assert summary.metadata.status == "completed"
    assert summary.exit_code == 1  # one failing test: the summary does not change the verdict
    assert (summary.run_dir / SUMMARY_FILE).read_text() == VERDICT + "\n"
    meta = json.loads((summary.run_dir / "metadata.json").read_text())
    record = meta["ai_summary"]
    assert record["text"] == VERDICT and record["error"] is None
    assert record["provider"] == "p"
    assert (record["input_tokens"], record["output_tokens"]) == (300, 40)
    # The agents' totals hold only the agents' tokens.
    assert (meta["totals"]["input_tokens"], meta["totals"]["output_tokens"]) == (20, 10)


@pytest.mark.anyio
@pytest.mark.requirement("summary:failure-is-warning")
async def test_disabled_or_interrupted_runs_get_no_summary(tmp_path: Path) -> None:
    plain = await execute(base_plan(), ExecuteOptions(output_dir=tmp_path), services=services())
    assert plain.metadata.ai_summary is None
    assert not (plain.run_dir / SUMMARY_FILE).exists()
    stop = StopRequest()
    stop.drain()
    cut = await execute(
        with_summary(base_plan(), "$self"),
        ExecuteOptions(output_dir=tmp_path, stop=stop),
        services=services(),
    )
    assert cut.metadata.status == "interrupted" and cut.metadata.ai_summary is None


@pytest.mark.requirement("summary:digest")
def test_digest_holds_stats_agents_tools_and_failures(tmp_path: Path) -> None:
    plan = base_plan()
    summary = anyio.run(
        lambda: execute(plan, ExecuteOptions(output_dir=tmp_path), services=services())
    )
    digest = build_digest(plan, summary.results)
    assert "# Run digest: summary-suite" in digest
    assert "Cases: 2; passed 1 (50%), failed 1 (wrong answers), errors 0" in digest
    assert "Tokens: 20 input, 10 output" in digest
    assert "- agent (p/scripted): passed 1/2 (50%), failed 1, errors 0; tokens 30" in digest
    assert "(30 per passed case)" in digest
    assert "- Bad / test 0 — agent: failed; no tools" in digest
    assert "[output_contains]" in digest and "output: 'nope'" in digest


def judge_spec(url: str) -> OpenAIProvider:
    return OpenAIProvider(
        name="judge",
        model="judge-model",
        api_key=SecretRef.from_env("JUDGE_KEY"),
        base_url=url + "/v1",
        retry=RetryPolicy(max_retries=0),
    )


@pytest.mark.requirement("summary:judge")
@pytest.mark.requirement("summary:stored")
def test_named_judge_through_the_openai_sdk(
    fake: FakeLLM,
    openai_server: tuple[FakeLLM, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JUDGE_KEY", KEY)
    fake.push(Reply(text="### Verdict\nUse it.", usage=Usage(123, 45)))
    plan = with_summary(base_plan(judge_spec(openai_server[1]), judge_reply=False), "judge")
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    code = main(["execute", str(path), "--output-dir", str(tmp_path)])
    assert code == 1
    out = capsys.readouterr().out
    assert out.count("AI SUMMARY (judge") == 1 and "Use it." in out
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    messages = request.body["messages"]
    assert messages[0]["role"] == "system" and "under 200 words" in messages[0]["content"]
    assert "passed 1/2 (50%)" in messages[1]["content"]
    assert request.body.get("tools") in (None, [])
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((run_dir / "metadata.json").read_text())["ai_summary"]
    assert (record["provider"], record["input_tokens"], record["output_tokens"]) == (
        "judge",
        123,
        45,
    )
    for name in ("metadata.json", SUMMARY_FILE, "results.jsonl"):
        assert KEY not in (run_dir / name).read_text()


@pytest.mark.requirement("summary:failure-is-warning")
def test_a_judge_failure_is_a_warning_not_a_failed_run(
    fake: FakeLLM,
    openai_server: tuple[FakeLLM, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JUDGE_KEY", KEY)
    fake.push(Fault.http(500))
    plan = with_summary(base_plan(judge_spec(openai_server[1]), judge_reply=False), "judge")
    # All cases pass here, so the exit code shows the judge failure changed nothing.
    plan = plan.model_copy(update={"units": plan.units[:1], "hash": ""}).sealed()
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    assert main(["execute", "-q", str(path), "--output-dir", str(tmp_path)]) == 0
    assert "warning: ai_summary failed" in capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["status"] == "completed" and meta["criteria_met"] is True
    assert meta["ai_summary"]["text"] is None and "500" in meta["ai_summary"]["error"]
    assert not (run_dir / SUMMARY_FILE).exists()


@pytest.mark.anyio
@pytest.mark.requirement("summary:failure-is-warning")
async def test_the_judge_call_has_a_deadline(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.push(Fault.stall(5.0))
    plan = with_summary(base_plan(judge_spec(openai_server[1])), "judge")
    record = await summarise(
        plan, [], lambda spec, env: create_provider(spec, env=env), env={"JUDGE_KEY": KEY},
        timeout_s=0.3,
    )  # fmt: skip
    assert record.text is None and record.error == "ai_summary timed out after 0.3s"


@pytest.mark.anyio
async def test_self_without_a_provider_result_is_a_warning() -> None:
    plan = with_summary(base_plan(), "$self")
    record = await summarise(plan, [], lambda spec, env: create_provider(spec, env=env))
    assert record.error is not None and "$self" in record.error


@pytest.mark.slow
@pytest.mark.requirement("summary:merged")
def test_a_merged_run_gets_the_verdict_of_the_whole_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(with_summary(base_plan(), "$self").dumps())
    # The unsharded run: its report carries the judge's verdict.
    main(["execute", str(plan_path), "-q", "--output-dir", str(tmp_path / "whole")])
    (whole,) = (tmp_path / "whole" / "runs").iterdir()
    assert (whole / SUMMARY_FILE).is_file()
    shards = []
    for i in (1, 2):
        main(
            [
                "execute",
                str(plan_path),
                "-q",
                "--shard",
                f"{i}/2",
                "--output-dir",
                str(tmp_path / f"s{i}"),
            ]
        )
        (run_dir,) = (tmp_path / f"s{i}" / "runs").iterdir()
        # A shard does not judge its slice: the verdict is over the whole run, after the merge.
        assert json.loads((run_dir / "metadata.json").read_text())["ai_summary"] is None
        assert not (run_dir / SUMMARY_FILE).exists()
        shards.append(str(run_dir))
    merged = tmp_path / "runs" / "merged"
    assert main(["merge", *shards, "-o", str(merged)]) == 0
    meta = json.loads((merged / "metadata.json").read_text())
    assert meta["ai_summary"]["text"] == VERDICT and meta["ai_summary"]["error"] is None
    assert (merged / SUMMARY_FILE).read_text() == VERDICT + "\n"
    # The totals are the agents' alone, as in the unsharded run.
    assert meta["totals"] == json.loads((whole / "metadata.json").read_text())["totals"]
    # The merged run's comment (Markdown report) shows the verdict as the unsharded run's does.
    for name, run_dir in (("m", merged), ("w", whole)):
        main(["report", str(run_dir), "-f", "md", "-o", str(tmp_path / name), "-q"])
    merged_md, whole_md = ((tmp_path / f"{n}.md").read_text() for n in ("m", "w"))

    def verdict(md: str) -> str:
        return md[md.index("AI summary") : md.index("<sub>written by")]

    assert "Partially fit" in verdict(whole_md) and verdict(merged_md) == verdict(whole_md)
