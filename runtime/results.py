"""The run store's records: one ``CaseResult`` per line of results.jsonl, and run metadata."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .plan import Span
from .transcript import Transcript

__all__ = [
    "AiSummaryRecord",
    "AssertionResult",
    "CaseResult",
    "CaseStatus",
    "RunFilter",
    "RunMerge",
    "RunMetadata",
    "RunShard",
    "RunTotals",
    "TotalsSum",
    "TrafficRecord",
    "result_key",
]

CaseStatus = Literal["passed", "failed", "error"]
"""passed: all assertions held; failed: the agent answered wrong; error: infrastructure fault."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssertionResult(_Record):
    """The outcome of one assertion node; combinators keep their children."""

    type: str
    passed: bool
    message: str
    expected: Any = None
    actual: Any = None
    details: dict[str, Any] = Field(default_factory=dict)
    children: list[AssertionResult] = Field(default_factory=list)
    span: Span | None = None


class CaseResult(_Record):
    """One finished case, as appended to results.jsonl."""

    case_id: str
    unit_id: str
    agent: str
    provider: str | None = None
    """Provider name (None for external agents)."""
    provider_type: str | None = None
    model: str | None = None
    session: str
    test: str
    description: str | None = None
    file: str
    span: Span
    status: CaseStatus
    error: str | None = None
    """Why the case is an error (status ``error``)."""
    prompt: str
    """The prompt as sent, templates rendered."""
    started_at: str
    """RFC 3339 UTC."""
    ended_at: str
    duration_ms: float
    transcript: Transcript
    assertions: list[AssertionResult] = Field(default_factory=list)
    extracted: dict[str, str] = Field(default_factory=dict)
    """Variables bound by this case's extractors."""
    cost_usd: float | None = None
    """USD of the agent's LLM calls (None when no call's model has a price)."""
    judge_cost_usd: float | None = None
    """USD of the judge calls (llm_judge, clarification judge), kept apart from ``cost_usd``."""
    attempt: int = 0
    """Which attempt of a repeated case this is (0..repeat-1, ``repeat:`` in the suite)."""
    retry: int = 0
    """0 for the first run of the case; each ``bench retry`` that re-ran it counts up."""
    scores: dict[str, float] | None = Field(default=None, exclude_if=lambda v: v is None)
    """Scenario scores of the turn (runtime/evaluate/scenario_scores.py); None outside
    scenarios, and then left out of the record."""

    def model_post_init(self, context: Any, /) -> None:
        """Read records written before repeats, whose ``attempt`` counted retries from 1.

        Such records have no ``retry`` key (every record written since has one). A hook
        after validation rather than a ``mode="before"`` validator: that one made pydantic
        build the whole record as Python data before validating it, a quarter of the cost
        of reading results.jsonl.
        """
        if "retry" not in self.model_fields_set and "attempt" in self.model_fields_set:
            self.retry, self.attempt = max(0, self.attempt - 1), 0

    @property
    def key(self) -> str:
        """This record's identity in its run: the case, and the attempt of a repeated case."""
        return result_key(self.case_id, self.attempt)


def result_key(case_id: str, attempt: int) -> str:
    """``u0001/2`` for a case's first attempt, ``u0001/2@3`` for its fourth (units alike).

    The first attempt keeps the bare case id, so runs without repeats read as before.
    """
    return case_id if attempt == 0 else f"{case_id}@{attempt}"


class RunTotals(_Record):
    """Counts over the run's results."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """Sum of the cases' agent cost (cases without a price add nothing)."""
    judge_cost_usd: float = 0.0
    """Sum of the cases' judge cost (the ai_summary judge is not included)."""


@dataclasses.dataclass(slots=True)
class TotalsSum:
    """``RunTotals`` being counted, as plain numbers (a model's field assignment costs more
    per case); ``as_totals`` makes the record."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0

    def count(
        self,
        status: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float | None,
        judge_cost_usd: float | None,
    ) -> None:
        """Add one case: its outcome (errors never folded into failures), tokens and cost."""
        self.total += 1
        if status == "passed":
            self.passed += 1
        elif status == "failed":
            self.failed += 1
        else:
            self.errors += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_usd += cost_usd or 0.0
        self.judge_cost_usd += judge_cost_usd or 0.0

    def as_totals(self) -> RunTotals:
        """These sums as a ``RunTotals`` record."""
        return RunTotals(**dataclasses.asdict(self))


class RunFilter(_Record):
    """The case filter a run was started with (``bench execute --limit N --agents a,b``)."""

    limit: int | None = None
    """At most this many cases per agent, the first ones in plan order."""
    agents: tuple[str, ...] | None = None
    """Only these agents' cases."""
    repeat: int | None = Field(default=None, exclude_if=lambda v: v is None)
    """Every case this many times (``--repeat``), whatever the suite's ``repeat:`` said."""
    selected: int = 0
    """Cases the filter kept."""
    of: int = 0
    """Cases of the unfiltered plan."""

    def flags(self) -> str:
        """The filter as the flags that make it, e.g. ``--limit 2 --agents a,b``."""
        parts = [f"--limit {self.limit}"] if self.limit is not None else []
        if self.agents:
            parts.append(f"--agents {','.join(self.agents)}")
        if self.repeat is not None:
            parts.append(f"--repeat {self.repeat}")
        return " ".join(parts)


class RunShard(_Record):
    """The slice of the plan a shard run ran (``bench execute --shard I/N``, runtime/shard.py)."""

    index: int
    """Which slice, 1-based."""
    count: int
    """Into how many slices the plan was cut."""
    plan_hash: str
    """Hash of the whole plan the slice was cut from (after any --limit/--agents/--repeat);
    the run's own ``plan_hash`` is the slice's. ``bench merge`` pools only equal ones."""
    units: int = 0
    """(agent, session) units of the slice."""
    of_units: int = 0
    """Units of the whole plan."""
    estimated_tokens: int = 0
    """The slice's estimated tokens (runtime/estimate.py)."""
    of_estimated_tokens: int = 0
    """The whole plan's."""

    @property
    def label(self) -> str:
        """``2/4``."""
        return f"{self.index}/{self.count}"


class MergedShard(_Record):
    """One input of a merged run."""

    index: int
    run_id: str
    status: str
    """The shard run's status when it was merged."""


class RunMerge(_Record):
    """How a merged run was made (``bench merge``): its shards, and the ones missing."""

    shards: int
    """Slices of the plan (N of ``--shard I/N``)."""
    merged: tuple[MergedShard, ...]
    """The shard runs pooled, by index."""
    missing: tuple[int, ...] = ()
    """Indices of the shards that were not given (``--allow-partial``)."""


class AiSummaryRecord(_Record):
    """The LLM-written verdict over a run (``ai_summary`` in the suite); also in ai_summary.md."""

    provider: str
    """The judge provider's name in the suite."""
    model: str | None = None
    text: str | None = None
    """The Markdown verdict; None when summarising failed."""
    error: str | None = None
    """Why there is no summary (a warning, never a failed run)."""
    input_tokens: int = 0
    """The judge's tokens, kept apart from the agents' totals."""
    output_tokens: int = 0
    duration_ms: float = 0.0
    generated_at: str


class TrafficRecord(_Record):
    """Where a run's LLM answers and tool results came from (``--record``, ``--replay``, ``--cache``)."""

    mode: Literal["record", "replay", "cache"]
    cassette: str | None = None
    """The cassette directory (record and replay)."""
    record_missing: bool = False
    """Replay asked the real providers and servers for what the cassette lacked."""
    replayed: int = 0
    """Answers taken from the cassette."""
    recorded: int = 0
    """Answers appended to the cassette."""
    misses: int = 0
    """Requests the cassette had no answer for (each made its case an error)."""
    cache_hits: int = 0
    """LLM answers taken from the response cache."""


class RunMetadata(_Record):
    """metadata.json of a run directory."""

    run_id: str
    plan_hash: str
    plan_name: str
    bench_version: str
    status: Literal["running", "completed", "interrupted", "failed"]
    started_at: str
    ended_at: str | None = None
    case_count: int
    """Cases in the plan (the run is complete when every one has a result)."""
    totals: RunTotals = Field(default_factory=RunTotals)
    criteria_met: bool | None = None
    parent_run: str | None = None
    """The run this one retries, if any."""
    rescored_from: str | None = None
    """The run whose transcripts this one re-evaluated (``bench rescore``), if any."""
    error: str | None = None
    """Why the run stopped, when it failed."""
    filter: RunFilter | None = None
    """The case filter the run was started with; the plan.json beside it is the filtered plan."""
    ai_summary: AiSummaryRecord | None = None
    """The judge's verdict over the run, when the plan's ai_summary is enabled."""
    stop_reason: str | None = Field(default=None, exclude_if=lambda v: v is None)
    """Why bench itself stopped an interrupted run (its budget), beside a user's signal."""
    shard: RunShard | None = Field(default=None, exclude_if=lambda v: v is None)
    """The slice of the plan this run ran (``--shard I/N``); the plan.json beside it is the
    slice, and shard-of.json the whole plan."""
    merge: RunMerge | None = Field(default=None, exclude_if=lambda v: v is None)
    """Set on a run made by ``bench merge`` from shard runs."""
    price_version: str | None = None
    """The price table's version the costs come from (``+suite`` when the plan has ``prices:``);
    None in runs recorded before it was kept."""
    traffic: TrafficRecord | None = None
    """Set when the run recorded a cassette, replayed one or used the response cache."""
    git_commit: str | None = Field(default=None, exclude_if=lambda v: v is None)
    """The commit checked out in the git repository holding the directory the run was started
    from (full hex), when there is one; ``bench view`` shows it."""
