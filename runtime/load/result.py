"""The load result document: what ``bench load`` writes and report/ renders.

One document per sweep. Every figure is derived from per-request samples the generator
measured; the samples themselves are kept (``LoadLevel.samples``) so a document can be
re-analysed (other SLOs, other percentiles) without re-running the load.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "LOAD_SCHEMA_VERSION",
    "Distribution",
    "LoadLevel",
    "LoadResult",
    "LoadSample",
    "ModelCard",
    "ServerMetrics",
    "SloSpec",
]

LOAD_SCHEMA_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Distribution(_Doc):
    """Summary of one per-request figure over the level's counted, successful requests."""

    count: int
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    min: float | None = None
    max: float | None = None


class LoadSample(_Doc):
    """One request as measured (times in milliseconds from the level's start)."""

    index: int
    start_ms: float
    ttft_ms: float | None = None
    """First content token (or first tool-call delta) after the request was sent."""
    e2e_ms: float | None = None
    output_tokens: int = 0
    input_tokens: int | None = None
    itl_ms: list[float] = []
    """Gaps between successive content chunks (inter-token latency samples)."""
    error: str | None = None
    """Error class (e.g. ``timeout``, ``http_429``, ``http_5xx``, ``connection``, ``stream``)."""
    slo_ok: bool | None = None
    assertions_ok: bool | None = None


class ServerMetrics(_Doc):
    """What the endpoint's Prometheus /metrics said around one level (None: not served)."""

    kv_cache_usage: float | None = None
    prefix_cache_hit_rate: float | None = None
    spec_decode_acceptance_rate: float | None = None
    raw: dict[str, float] = {}
    """The scraped families bench knows (deltas for counters, after-values for gauges)."""


class LoadLevel(_Doc):
    """One level of the sweep: a concurrency (closed loop) or a request rate (open loop)."""

    concurrency: int | None = None
    rate: float | None = None
    """Requests per second (Poisson arrivals shaped by ``burstiness``); None for closed loop."""
    warmup: int = 0
    requests: int
    """Counted requests sent (warm-up excluded)."""
    completed: int
    errors: dict[str, int] = {}
    duration_s: float
    ttft_ms: Distribution
    itl_ms: Distribution
    tpot_ms: Distribution
    e2e_ms: Distribution
    output_tok_s_per_request: Distribution
    output_tok_s: float
    """Aggregate output tokens per second over the level's duration."""
    requests_per_s: float
    goodput_rps: float | None = None
    """Requests/s that met every SLO (and passed the suite's assertions when it has any)."""
    slo_met_fraction: float | None = None
    server_metrics: ServerMetrics | None = None
    samples: list[LoadSample] = []


class SloSpec(_Doc):
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None
    target_fraction: float = 0.9
    """The knee: the highest level whose SLO-met fraction is at least this."""


class ModelCard(_Doc):
    model_id: str | None = None
    """From the endpoint's /v1/models when served, else the configured model."""
    server: dict[str, Any] = {}
    """What the server says about itself (models entry, version headers), secrets never."""
    tags: list[str] = []
    fields: dict[str, str] = {}
    """The user's own card fields (quantisation, GPU, serving flags)."""


class LoadResult(_Doc):
    schema_version: int = LOAD_SCHEMA_VERSION
    kind: Literal["bench-load"] = "bench-load"
    bench_version: str
    started_at: str
    provider: str
    provider_type: str
    endpoint: str | None = None
    """Base URL with credentials and query strings removed."""
    mode: Literal["concurrency", "rate"]
    burstiness: float | None = None
    prompts: dict[str, Any] = {}
    """Where prompts came from: suite, dataset or generated (with token lengths)."""
    token_counting: Literal["usage", "estimate"] = "usage"
    token_counting_note: str = ""
    slo: SloSpec | None = None
    levels: list[LoadLevel] = []
    knee: float | None = None
    """Highest level (concurrency or rate) meeting the SLO fraction; None when none did."""
    stopped_early: str | None = None
    """Why the sweep stopped before its last level (over-saturation), or None."""
    model_card: ModelCard = Field(default_factory=ModelCard)
