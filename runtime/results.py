"""The run store's records: one ``CaseResult`` per line of results.jsonl, and run metadata."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .plan import Span
from .transcript import Transcript

__all__ = ["AssertionResult", "CaseResult", "CaseStatus", "RunMetadata", "RunTotals"]

CaseStatus = Literal["passed", "failed", "error"]
"""passed: all assertions held; failed: the agent answered wrong; error: infrastructure fault."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class AssertionResult(_Record):
    """The outcome of one assertion node; combinators keep their children."""

    type: str
    passed: bool
    message: str
    expected: Any = None
    actual: Any = None
    details: dict[str, Any] = {}
    children: list[AssertionResult] = []
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
    assertions: list[AssertionResult] = []
    extracted: dict[str, str] = {}
    """Variables bound by this case's extractors."""
    cost_usd: float | None = None
    attempt: int = 1
    """1 for the first run; retries count up."""


class RunTotals(_Record):
    """Counts over the run's results."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


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
    error: str | None = None
    """Why the run stopped, when it failed."""
