"""The versioned report models: the JSON report is the source of truth for every other format.

``docs/report.schema.json`` is generated from :class:`Report` (``python -m report.schema``)
and committed; a test checks that it is current. Field names are a contract with the
GitHub Action and with anyone reading the JSON: add fields, never rename them without
bumping ``REPORT_VERSION``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from .scenarios import ScenarioScores as ScenarioScores
from .scenarios import ScenarioSummary as ScenarioSummary

__all__ = [
    "REPORT_VERSION",
    "AgentDelta",
    "AgentStats",
    "AiSummaryReport",
    "AssertionReport",
    "Baseline",
    "BaselineSource",
    "CaseChange",
    "CaseReport",
    "CaseStatus",
    "CellResult",
    "ComparisonRow",
    "LlmCallReport",
    "MessageReport",
    "Report",
    "ScenarioScores",
    "ScenarioSummary",
    "PassHatKRequirement",
    "SideCounts",
    "SpanReport",
    "Stability",
    "StabilityLabel",
    "SuiteStability",
    "Summary",
    "SummaryDelta",
    "TrafficReport",
    "Tokens",
    "TestVerdict",
    "ToolCallReport",
    "Verdict",
    "json_schema",
]

REPORT_VERSION = 2
"""Bumped on any change that a reader of an older report must know about."""

CaseStatus = Literal["passed", "failed", "error"]
StabilityLabel = Literal["stable-pass", "stable-fail", "flaky", "errored"]
Verdict = Literal[
    "regressed",
    "improved",
    "unchanged",
    "within-noise",
    "new",
    "removed",
    "insufficient-data",
    "not-comparable",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpanReport(_Model):
    """Where a test or assertion is written in the suite."""

    file: str
    line: int
    col: int


class Tokens(_Model):
    """Token counts of one case's agent LLM calls (judge calls excluded)."""

    input: int = 0
    output: int = 0
    cached: int = 0
    total: int = 0
    """input + output."""
    estimated: bool = False
    """True when any count was estimated (chars/4) rather than reported by the provider."""


class ToolCallReport(_Model):
    """One tool call, with its arguments and what came back."""

    name: str
    arguments: dict[str, Any] = {}
    raw_arguments: str | None = None
    """Argument text as the model sent it, when it was not valid JSON."""
    server: str | None = None
    result: str | None = None
    """The result's text blocks joined (non-text blocks summarised); None when no result."""
    result_structured: Any = None
    is_error: bool = False
    """The server answered with an error result."""
    error: str | None = None
    """Transport, timeout or lookup failure (no result)."""
    hallucinated: bool = False
    iteration: int = 0
    started_ms: float = 0.0
    """Start, in ms since the case started."""
    duration_ms: float = 0.0


class MessageReport(_Model):
    """One message of the case's conversation."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[str] = []
    """Names of the tools an assistant message asked for."""
    name: str | None = None
    """Tool name, for tool messages."""
    at_ms: float = 0.0


class LlmCallReport(_Model):
    """One provider request (after retries), for the timeline and sequence diagram."""

    model: str
    iteration: int = 0
    started_ms: float = 0.0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 1
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    purpose: Literal["agent", "judge"] = "agent"


class AssertionReport(_Model):
    """One assertion's outcome; combinators (all_of, any_of, not) keep their children."""

    type: str
    passed: bool
    message: str
    expected: Any = None
    actual: Any = None
    details: dict[str, Any] = {}
    children: list[AssertionReport] = []
    span: SpanReport | None = None


class OmittedDetails(_Model):
    """What a case entry leaves out: the transcript of an attempt of a repeated test.

    One attempt per repeated test carries its transcript (its first failed or errored
    attempt, else its first); the others carry their outcome, error, tokens, timing and cost.
    Every transcript stays in the run's results.jsonl.
    """

    tool_calls: int
    """How many tool calls the attempt made (its ``tool_calls`` list is left out)."""


class CaseReport(_Model):
    """Everything about one case (one test as one agent ran it)."""

    case_id: str
    key: str
    """``file::session::test``: the test's identity across agents and runs."""
    agent: str
    provider: str | None = None
    provider_type: str | None = None
    model: str | None = None
    file: str
    session: str
    test: str
    description: str | None = None
    span: SpanReport
    status: CaseStatus
    error: str | None = None
    """Why the case is an error (status ``error``)."""
    prompt: str
    started_at: str
    ended_at: str
    duration_ms: float
    tokens: Tokens
    latency_ms: float
    ttft_ms: float | None = None
    """Time to first token of the first agent LLM call, when streamed."""
    cost_usd: float | None = None
    """USD of the agent's LLM calls (None when no call's model has a price)."""
    judge_cost_usd: float | None = None
    """USD of the judge calls (llm_judge, clarification judge), kept apart from ``cost_usd``."""
    iterations: int = 0
    attempt: int = 0
    """Which attempt of a repeated test this is (0..repeat-1); every attempt is its own entry."""
    retry: int = 0
    """0 for the case's first run; each ``bench retry`` that re-ran it counts up (the latest
    retry is reported)."""
    definition: str | None = None
    """Hash of what the case ran (prompt, assertions, extractors, the agent's provider, model,
    settings and servers; not its position or name): two runs' cases with different
    definitions are not comparable. None when the report was built without the plan."""
    tool_calls: list[ToolCallReport] = []
    llm_calls: list[LlmCallReport] = []
    messages: list[MessageReport] = []
    final_output: str = ""
    errors: list[str] = []
    assertions: list[AssertionReport] = []
    extracted: dict[str, str] = {}
    rate_limits: dict[str, float] | None = None
    """Throttle/429/retry counters, present only when any is non-zero."""
    clarification: dict[str, Any] | None = None
    """Clarification detection stats, present only when detection was enabled."""
    omitted: OmittedDetails | None = Field(default=None, exclude_if=lambda v: v is None)
    scores: dict[str, float] | None = Field(default=None, exclude_if=lambda v: v is None)
    """Scenario scores of the turn (docs/scenarios.md); absent outside scenarios."""
    """Set when this entry leaves the attempt's transcript out (messages, tool and LLM calls,
    assertion results, final output): one attempt per repeated test carries them."""


class Summary(_Model):
    """Totals over the run (the latest result of each case)."""

    total: int
    passed: int
    failed: int
    errors: int
    not_run: int = 0
    """Cases of the plan without a result (an interrupted or partial run)."""
    pass_rate: float
    """passed / total, 0..1 (0 when nothing ran)."""
    criteria_met: bool
    """The suite's criteria hold: the success rate is reached (or, without one, every case
    passed) and no case of the plan is left unrun."""
    success_rate_required: float | None = None
    pass_hat_k_required: PassHatKRequirement | None = None
    """The suite's ``criteria.pass_hat_k``, when set."""
    pass_hat_k: float | None = None
    """The mean pass^k over test x agent for that k (None when not required or not estimable)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None
    """Sum of known case costs; None when no case had a price."""
    judge_cost_usd: float | None = None
    """Sum of known judge costs over the cases; None when no judge call had a price."""
    price_version: str | None = None
    """The price table's version the costs come from (``+suite`` when the suite set
    ``prices:``); None for runs recorded before bench kept it."""
    duration_ms: float = 0.0
    """Wall time of the run."""
    tool_calls: int = 0
    agents: int = 0
    files: int = 0
    sessions: int = 0
    tests: int = 0
    """Distinct tests (file, session, test) across agents."""
    stability: SuiteStability | None = None
    """The pass rate over judged attempts with its cluster-aware 95% interval."""


class AgentStats(_Model):
    """One agent's statistics, ranked as agent-benchmark's leaderboard ranks them."""

    name: str
    provider: str | None = None
    provider_type: str | None = None
    model: str | None = None
    total: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    tokens: int
    """Input plus output tokens over the agent's cases."""
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_per_pass: float | None = None
    avg_latency_ms: float
    avg_duration_ms: float = 0.0
    cost_usd: float | None = None
    judge_cost_usd: float | None = None
    """The judges' cost over the agent's cases (not part of ``cost_usd``)."""
    rank: int
    """1 = best: pass rate desc, tokens per passed case asc, avg duration asc, name."""
    disqualified: bool = False
    """No case passed: ranked below every agent that passed something."""


class TrafficReport(_Model):
    """Where the run's LLM answers and tool results came from, when not (only) from live calls."""

    mode: Literal["record", "replay", "cache"]
    """record: live, written to a cassette; replay: every answer from a cassette (no provider
    called, latency and tokens as recorded); cache: live, with answers reused from the cache."""
    cassette: str | None = None
    """The cassette directory as given (record and replay)."""
    record_missing: bool = False
    replayed: int = 0
    recorded: int = 0
    misses: int = 0
    """Requests the cassette had no answer for (each one's case is an error)."""
    cache_hits: int = 0


class AiSummaryReport(_Model):
    """The judge's verdict over the run (the plan's ``ai_summary``), from the run metadata."""

    provider: str
    """The judge provider's name in the suite."""
    model: str | None = None
    text: str | None = None
    """The verdict, Markdown written by an LLM (render it as untrusted text); None on failure."""
    error: str | None = None
    """Why there is no verdict (a warning; the run's outcome is unchanged)."""
    input_tokens: int = 0
    """The judge's tokens, not part of the run's totals."""
    output_tokens: int = 0
    generated_at: str


class CellResult(_Model):
    """One agent's result for one test in the comparison matrix."""

    case_id: str
    status: CaseStatus
    provider: str | None = None
    duration_ms: float
    tokens: int
    latency_ms: float
    cost_usd: float | None = None
    errors: list[str] = []
    """The case error and failed assertion messages."""
    stability: Stability | None = None
    """This test x agent over all its attempts (one attempt until repeats are asked for)."""


class Stability(_Model):
    """A test x agent over its attempts. Errors are counted apart and left out of every rate."""

    attempts: int
    passed: int
    failed: int
    errors: int
    pass_rate: float | None
    """passed / (passed + failed); None when every attempt was an error."""
    ci95: tuple[float, float]
    """Wilson score interval of pass_rate at 95%; [0, 1] when nothing was judged."""
    pass_at_k: dict[int, float]
    """k -> unbiased estimate of P(at least one of k attempts passes), k = 1..judged attempts."""
    pass_hat_k: dict[int, float]
    """k -> unbiased estimate of P(all k attempts pass) (pass^k), k = 1..judged attempts."""
    label: StabilityLabel
    """stable-pass (all judged attempts passed), stable-fail, flaky (some of each), errored."""


class SuiteStability(_Model):
    """The suite's pass rate over judged attempts, with an interval that respects clusters."""

    pass_rate: float | None
    """Passed / (passed + failed) over every attempt of every test x agent; errors left out."""
    ci95: tuple[float, float]
    """95% interval treating each test x agent's attempts as one cluster (cluster-robust
    variance of the ratio estimator); Wilson's when there is one cluster."""
    flaky: int = 0
    """Test x agent entries labelled flaky."""
    errored: int = 0
    """Test x agent entries with no judged attempt."""


class BaselineSource(_Model):
    """The base branch's workflow run whose report the comparison used."""

    run_id: int
    run_url: str = ""
    commit: str = ""
    branch: str = ""
    created_at: str = ""
    age_days: float = 0.0


class PassHatKRequirement(_Model):
    """``criteria.pass_hat_k``: the mean pass^k over test x agent must reach ``min``."""

    k: int
    min: float


class SideCounts(_Model):
    """One side of a comparison: a test x agent's attempts in that run."""

    passed: int
    failed: int
    errors: int
    pass_rate: float | None


class TestVerdict(_Model):
    """The verdict on one test x agent between a base run and a head run."""

    __test__ = False  # not a pytest class
    agent: str
    key: str
    file: str
    session: str
    test: str
    verdict: Verdict
    base: SideCounts | None = None
    head: SideCounts | None = None
    p_value: float | None = None
    """Holm-adjusted one-sided Fisher p-value in the verdict's direction (regressed: worse,
    improved: better; within-noise: the smaller); None when no test was run."""


class ComparisonRow(_Model):
    """One test (keyed by file, session and test, never by name alone) across agents."""

    key: str
    file: str
    session: str
    test: str
    results: dict[str, CellResult]
    """Agent name -> that agent's result."""
    total_runs: int
    passed_runs: int
    failed_runs: int
    error_runs: int
    pass_rate: float


class SummaryDelta(_Model):
    """Head minus base, for the run as a whole."""

    total: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    """Difference of pass rates (fraction; 0.1 = +10 percentage points)."""
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = None
    duration_ms: float


class AgentDelta(_Model):
    """Head minus base for one agent; ``presence`` says if it exists in both runs."""

    name: str
    presence: Literal["both", "added", "removed"]
    pass_rate: float | None = None
    tokens: int | None = None
    avg_latency_ms: float | None = None
    cost_usd: float | None = None


class CaseChange(_Model):
    """A case whose status differs between base and head (or exists in one only)."""

    key: str
    agent: str
    test: str
    session: str
    file: str
    base_status: CaseStatus | None = None
    head_status: CaseStatus | None = None
    tokens_delta: int | None = None
    latency_delta_ms: float | None = None


class Baseline(_Model):
    """The comparison of this report (head) against a base report."""

    base_run_id: str
    base_generated_at: str
    base_plan_hash: str
    summary: SummaryDelta
    agents: list[AgentDelta]
    newly_failing: list[CaseChange]
    """Passed in base; failed or errored in head."""
    newly_passing: list[CaseChange]
    """Failed or errored in base; passed in head."""
    added: list[CaseChange]
    removed: list[CaseChange]
    unchanged: int
    source: BaselineSource | None = None
    """Where the base report came from, when the GitHub Action fetched it (baseline: auto)."""
    notes: list[str] = []
    """Warnings about the comparison: an old baseline, one made from another plan."""
    verdicts: list[TestVerdict] = []
    """Every test x agent of either run with its verdict (report/verdicts.py)."""
    verdict_counts: dict[str, int] = {}
    """How many test x agent entries got each verdict."""
    method: str = "fisher-exact-one-sided+holm"
    """The test and the multiple-testing correction behind regressed/improved."""
    alpha: float = 0.05


class Report(_Model):
    """The JSON report (report_version 1)."""

    report_version: int = REPORT_VERSION
    bench_version: str
    """The bench that built this report."""
    run_bench_version: str | None = None
    """The bench that executed the run."""
    generated_at: str
    run_id: str
    suite: str
    plan_hash: str
    seed: int | None = None
    status: Literal["running", "completed", "interrupted", "failed"]
    """The run's status from its metadata."""
    run_error: str | None = None
    stop_reason: str | None = Field(default=None, exclude_if=lambda v: v is None)
    """Why bench stopped an interrupted run itself (its budget), when it did."""
    started_at: str | None = None
    ended_at: str | None = None
    summary: Summary
    agents: list[AgentStats]
    comparison_summary: list[ComparisonRow]
    """Test x agent matrix in execution order."""
    detailed_results: list[CaseReport]
    """Every case in plan order (latest attempt)."""
    baseline: Baseline | None = None
    ai_summary: AiSummaryReport | None = None
    """The LLM-written verdict over the run, when the plan enabled ai_summary."""
    traffic: TrafficReport | None = None
    """Set for a run that recorded a cassette, replayed one or used the response cache."""
    rescored_from: str | None = None
    """The run whose transcripts this run re-evaluated (``bench rescore``), if any."""
    warnings: list[str] = []
    """Problems met while reading the run (e.g. a truncated last line)."""
    scenarios: ScenarioSummary | None = Field(default=None, exclude_if=lambda v: v is None)
    """Scenario scores per session and agent, when the run has scenario turns."""

    @field_serializer("detailed_results", return_type=list[CaseReport])
    def _all_cases(self, cases: Any) -> Any:
        # A report built from a run holds a CaseList (report/case_list.py): a Sequence that
        # builds each case when read. It is dumped as a list of them.
        return cases if isinstance(cases, list) else list(cases)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Report`, as committed in docs/report.schema.json."""
    from runtime.plan.docstrings import json_schema as documented

    schema = documented(Report)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema = {k: schema[k] for k in sorted(schema, key=lambda k: (k != "$schema", k))}
    schema["title"] = Report.__name__
    return schema


def schema_text() -> str:
    """docs/report.schema.json's exact text."""
    return json.dumps(json_schema(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m report.schema > docs/report.schema.json`
    print(schema_text(), end="")
