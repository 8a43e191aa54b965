"""llm_judge: verdict parsing, the scripted judge end to end, the OpenAI SDK judge and its cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute
from runtime.evaluate.llm_judge import JUDGE_SYSTEM_PROMPT, parse_verdict
from runtime.judging import CACHE_FILE
from runtime.plan import (
    BuiltinAgent,
    OpenAIProvider,
    Plan,
    RetryPolicy,
    RuntimeTemplate,
    ScriptedProvider,
    ScriptedReply,
    SecretRef,
)
from runtime.plan.assertions import AnyOf, LlmJudge, Not, OutputContains
from runtime.results import CaseResult
from runtime.retry_run import prepare_retry
from runtime.services import Services
from runtime.store import read_results
from tests.fakes import FakeLLM, Fault, Reply, Usage

from .runtime_helpers import case, make_plan, reply, unit

KEY = "sk-test-JUDGE-SENTINEL-7"


@pytest.mark.requirement("eval:llm_judge")
@pytest.mark.parametrize(
    ("text", "verdict", "score"),
    [
        ("Looks right.\nVERDICT: PASS\nSCORE: 0.9", True, 0.9),
        ("Wrong city.\nVERDICT: FAIL\nSCORE: 0.1", False, 0.1),
        ("**Verdict:** **FAIL**", False, None),
        ("reasoning...\nPASS", True, None),
        ("Verdict: passed.", True, None),
        ("SCORE: 8/10", None, 0.8),
        ("Score = 75%", None, 0.75),
        ("SCORE: 7", None, None),  # out of range: ignored, never guessed
        ("VERDICT: PASS\nwait, no.\nVERDICT: FAIL", False, None),  # the last verdict wins
        ("The answer should PASS review, I think", None, None),  # not a verdict line
        ("", None, None),
    ],
)
def test_parse_verdict(text: str, verdict: bool | None, score: float | None) -> None:
    got_verdict, got_score, _reason = parse_verdict(text)
    assert got_verdict is verdict
    assert got_score == (pytest.approx(score) if score is not None else None)


def judge_plan(
    assertions: list[Any],
    judge_replies: list[ScriptedReply],
    *,
    prompt: str = "capital of France?",
    answer: str = "Paris",
    judge: Any = None,
    units: int = 1,
) -> Plan:
    """Agent on scripted ``p``; the judge on scripted ``judge`` (model gpt-4o-mini, priced)."""
    judge = judge or ScriptedProvider(
        name="judge", model="gpt-4o-mini", replies=tuple(judge_replies)
    )
    return make_plan(
        [unit(f"u{i}", [case(f"u{i}", 0, prompt, assertions=assertions)]) for i in range(units)],
        providers=[
            ScriptedProvider(name="p", replies=(reply(answer),)),
            judge,
        ],
        agents=[BuiltinAgent(name="agent", provider="p")],
    )


def judged(text: str) -> ScriptedReply:
    return ScriptedReply(text=text, input_tokens=1000, output_tokens=100)


async def run(plan: Plan, tmp_path: Path) -> list[CaseResult]:
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=Services.default())
    return summary.results


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
@pytest.mark.requirement("cost:judge-apart")
async def test_pass_records_the_judge_call_apart_from_the_agent(tmp_path: Path) -> None:
    node = LlmJudge(provider="judge", rubric="Q: {{ input }} A: {{ output }}. Is it correct?")
    [r] = await run(judge_plan([node], [judged("Correct.\nVERDICT: PASS\nSCORE: 1")]), tmp_path)
    assert r.status == "passed", r.assertions
    [a] = r.assertions
    assert a.type == "llm_judge" and a.message == "Judge said PASS: Correct."
    assert a.details["score"] == 1.0 and a.details["cached"] is False
    agent_call, judge_call = r.transcript.llm_calls
    assert (agent_call.purpose, judge_call.purpose) == ("agent", "judge")
    assert judge_call.provider == "judge" and judge_call.usage.input == 1000
    assert r.transcript.usage.input == 10  # the agent's tokens only
    assert r.cost_usd is None  # the scripted agent model has no price
    assert r.judge_cost_usd == pytest.approx((1000 * 0.15 + 100 * 0.6) / 1_000_000)


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
async def test_fail_and_the_rubric_sees_input_output_expected(tmp_path: Path) -> None:
    node = LlmJudge(
        provider="judge",
        rubric="Question {{ input }}; answer {{ output }}; reference {{ expected }}.",
        expected="Lyon",
    )
    # The scripted judge only answers when the rendered rubric reached it.
    reply_ = ScriptedReply(
        when=r"Question capital of France\?; answer Paris; reference Lyon\.",
        text="Not the reference.\nVERDICT: FAIL",
    )
    [r] = await run(judge_plan([node], [reply_]), tmp_path)
    assert r.status == "failed"
    [a] = r.assertions
    assert not a.passed and a.message == "Judge said FAIL: Not the reference."
    assert r.transcript.llm_calls[-1].status == "ok"


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
async def test_expected_defaults_to_the_case_and_can_be_a_runtime_template(
    tmp_path: Path,
) -> None:
    from_case = LlmJudge(provider="judge", rubric="ref={{ expected }}")
    unbound = LlmJudge(
        provider="judge",
        rubric="ref={{ expected }}",
        expected=RuntimeTemplate(source="{{ city }}", variables=("city",)),
    )
    # The scripted judge answers only when the case's expected reached the rubric.
    plan = judge_plan([from_case, unbound], [ScriptedReply(when="ref=Paris", text="VERDICT: PASS")])
    [c] = plan.units[0].cases
    c2 = c.model_copy(update={"expected": "Paris"})
    u2 = plan.units[0].model_copy(update={"cases": (c2,)})
    plan = plan.model_copy(update={"units": (u2,), "hash": ""}).sealed()
    [r] = await run(plan, tmp_path)
    first, second = r.assertions
    assert first.passed, first.message
    assert not second.passed and "'city' is not bound" in second.message
    assert len([c for c in r.transcript.llm_calls if c.purpose == "judge"]) == 1


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
@pytest.mark.parametrize(
    ("text", "passed", "message"),
    [
        ("VERDICT: FAIL\nSCORE: 0.8", True, "Judge score 0.8 reached the pass threshold 0.7"),
        ("VERDICT: PASS\nSCORE: 0.4", False, "Judge score 0.4 is below the pass threshold 0.7"),
        ("VERDICT: PASS", True, "Judge said PASS"),  # no score: the verdict line decides
    ],
)
async def test_score_threshold(tmp_path: Path, text: str, passed: bool, message: str) -> None:
    node = LlmJudge(provider="judge", rubric="grade {{ output }}", pass_threshold=0.7)
    [r] = await run(judge_plan([node], [judged(text)]), tmp_path)
    [a] = r.assertions
    assert (a.passed, a.message) == (passed, message)


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
async def test_unparsable_reply_is_a_clear_failure_and_not_cached(tmp_path: Path) -> None:
    node = LlmJudge(provider="judge", rubric="grade {{ output }}")
    [r] = await run(judge_plan([node], [judged("I would rather not say.")]), tmp_path)
    [a] = r.assertions
    assert r.status == "failed" and not a.passed
    assert a.message == (
        "Judge reply is not a verdict (no a VERDICT: PASS/FAIL line): 'I would rather not say.'"
    )
    assert a.details["unparsable"] is True
    run_dir = next((tmp_path / "runs").iterdir())
    assert not (run_dir / CACHE_FILE).exists() or not (run_dir / CACHE_FILE).read_text()


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
async def test_inside_any_of_and_not(tmp_path: Path) -> None:
    says_fail = LlmJudge(provider="judge", rubric="is {{ output }} London?")
    says_pass = LlmJudge(provider="judge", rubric="is {{ output }} Paris?")
    tree = [
        Not(child=says_fail),
        AnyOf(children=(OutputContains(value="nope"), says_pass)),
    ]
    replies = [
        ScriptedReply(when="London", text="VERDICT: FAIL"),
        ScriptedReply(when="Paris", text="VERDICT: PASS"),
    ]
    [r] = await run(judge_plan(tree, replies), tmp_path)
    assert r.status == "passed", [a.message for a in r.assertions]
    negated, any_of = r.assertions
    assert negated.children[0].message == "Judge said FAIL"
    assert any_of.children[1].passed
    assert len([c for c in r.transcript.llm_calls if c.purpose == "judge"]) == 2


# --- the OpenAI SDK against a fake server: cache, retry, faults --------------------------


@pytest.fixture
def fake(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    """The shared fake, with the judge's key in the environment."""
    monkeypatch.setenv("JUDGE_KEY", KEY)
    return fake


def openai_judge(url: str) -> OpenAIProvider:
    return OpenAIProvider(
        name="judge",
        model="gpt-4o-mini",
        api_key=SecretRef.from_env("JUDGE_KEY"),
        base_url=url + "/v1",
        retry=RetryPolicy(max_retries=0),
    )


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
@pytest.mark.requirement("eval:llm_judge-cache")
async def test_identical_judgements_are_asked_once_and_cached_in_the_run_dir(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    fake.push(Reply(text="Fine.\nVERDICT: PASS\nSCORE: 0.9", usage=Usage(200, 20)))
    node = LlmJudge(provider="judge", rubric="Is {{ output }} right for {{ input }}?")
    # Two units with the same prompt and answer: two identical judgements, concurrently.
    plan = judge_plan([node, node.model_copy()], [], judge=openai_judge(openai_server[1]), units=2)
    results = await run(plan, tmp_path)
    assert [r.status for r in results] == ["passed", "passed"]
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    messages = request.body["messages"]
    assert messages[0] == {"role": "system", "content": JUDGE_SYSTEM_PROMPT}
    assert "Is Paris right for capital of France??" in messages[1]["content"]
    assert request.body.get("tools") in (None, [])
    # Exactly one judge call was paid, in exactly one case; the other three answers were cached.
    paid = [c for r in results for c in r.transcript.llm_calls if c.purpose == "judge"]
    assert len(paid) == 1 and paid[0].usage.input == 200
    cached = [a.details["cached"] for r in results for a in r.assertions]
    assert sorted(cached) == [False, True, True, True]
    run_dir = next((tmp_path / "runs").iterdir())
    [entry] = [json.loads(line) for line in (run_dir / CACHE_FILE).read_text().splitlines()]
    assert entry["passed"] is True and entry["score"] == 0.9 and entry["key"].startswith("sha256:")
    for name in (CACHE_FILE, "results.jsonl"):
        assert KEY not in (run_dir / name).read_text()


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge-cache")
async def test_resume_and_retry_reuse_the_cache(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    fake.push(Reply(text="VERDICT: PASS", usage=Usage(50, 5)))
    node = LlmJudge(provider="judge", rubric="Is {{ output }} right?")
    # Case u1 fails on output_contains, so `bench retry` runs it again; its judge is cached.
    plan = make_plan(
        [
            unit("u0", [case("u0", 0, "q", assertions=[node])]),
            unit("u1", [case("u1", 0, "q", assertions=[node, OutputContains(value="zzz")])]),
        ],
        providers=[
            ScriptedProvider(name="p", replies=(reply("Paris"),)),
            openai_judge(openai_server[1]),
        ],
    )
    first = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=Services.default())
    assert [r.status for r in first.results] == ["passed", "failed"]
    assert len(fake.requests) == 1
    setup = prepare_retry(tmp_path, first.run_id)
    assert setup is not None and setup.rerun_units == ["u1"]
    retried = await execute(
        setup.plan,
        ExecuteOptions(output_dir=tmp_path, resume=setup.run_id, retries=setup.retries),
        services=Services.default(),
    )
    assert len(fake.requests) == 1  # the retry read the parent run's cache
    latest = read_results(retried.run_dir / "results.jsonl")
    assert latest["u1/0"].retry == 1
    assert latest["u1/0"].assertions[0].details["cached"] is True
    assert not [c for c in latest["u1/0"].transcript.llm_calls if c.purpose == "judge"]


@pytest.mark.anyio
@pytest.mark.requirement("eval:llm_judge")
async def test_a_judge_provider_failure_makes_the_case_an_error(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    fake.push(Fault.http(500))
    node = LlmJudge(provider="judge", rubric="Is {{ output }} right?")
    [r] = await run(judge_plan([node], [], judge=openai_judge(openai_server[1])), tmp_path)
    assert r.status == "error"
    assert r.error is not None and r.error.startswith("llm_judge provider 'judge' failed")
    [a] = r.assertions
    assert not a.passed and a.details["judge_error"] is True
    [call] = [c for c in r.transcript.llm_calls if c.purpose == "judge"]
    assert call.status == "error"
    run_dir = next((tmp_path / "runs").iterdir())
    assert not (run_dir / CACHE_FILE).exists()
