"""The endpoint's Prometheus /metrics, scraped around each level of a load sweep.

vLLM, SGLang, TGI and llama.cpp's ``llama-server`` (with ``--metrics``) serve Prometheus text
at ``/metrics`` beside their OpenAI-compatible API. ``scrape`` reads it with prometheus-client's
parser and keeps the families bench knows (``KNOWN``); ``level_metrics`` turns the snapshot
taken before a level and the one taken after it (plus any taken while it ran) into the
level's :class:`~runtime.load.result.ServerMetrics`:

- **KV-cache usage**: the highest value of the server's usage gauge seen after the level
  started (``vllm:kv_cache_usage_perc``, older ``vllm:gpu_cache_usage_perc``,
  ``llamacpp:kv_cache_usage_ratio``, ``sglang:token_usage``), a fraction 0..1;
- **prefix-cache hit rate**: hits / queries over the level, from counter deltas
  (``vllm:prefix_cache_hits``/``_queries``, older ``vllm:gpu_prefix_cache_*``); without the
  counters, the server's own hit-rate gauge (vLLM V0 ``vllm:gpu_prefix_cache_hit_rate``,
  ``sglang:cache_hit_rate``);
- **speculative-decoding acceptance**: accepted / draft tokens over the level
  (``vllm:spec_decode_num_accepted_tokens``/``_num_draft_tokens``, llama.cpp's
  ``llamacpp:spec_decode_num_*`` or older ``llamacpp:tokens_drafted[_accepted]``), else vLLM
  V0's ``vllm:spec_decode_draft_acceptance_rate`` gauge.

TGI exposes none of the three; its queue and batch gauges and request counters land in
``raw`` like every other known family. A server that does not serve /metrics (404, 501,
refused, HTML, JSON) gives ``None``: never an error of the run.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

import anyio
import httpx

from .result import ServerMetrics

__all__ = [
    "KNOWN",
    "LevelWatch",
    "MetricsSnapshot",
    "level_metrics",
    "metrics_url",
    "level_watcher",
    "scrape",
    "watch_level",
]

Kind = Literal["counter", "gauge"]
Merge = Literal["sum", "max"]


@dataclass(frozen=True)
class Known:
    """One metric bench reads: how to merge its label sets and how a level sees it."""

    kind: Kind
    merge: Merge = "sum"
    """How samples with different labels (engines, models) combine into one number."""


def _c(merge: Merge = "sum") -> Known:
    return Known("counter", merge)


def _g(merge: Merge = "sum") -> Known:
    return Known("gauge", merge)


KNOWN: dict[str, Known] = {
    # vLLM (V1 names first, then the V0 / early V1 spellings)
    "vllm:kv_cache_usage_perc": _g("max"),
    "vllm:gpu_cache_usage_perc": _g("max"),
    "vllm:prefix_cache_hits": _c(),
    "vllm:prefix_cache_queries": _c(),
    "vllm:gpu_prefix_cache_hits": _c(),
    "vllm:gpu_prefix_cache_queries": _c(),
    "vllm:gpu_prefix_cache_hit_rate": _g("max"),
    "vllm:spec_decode_num_accepted_tokens": _c(),
    "vllm:spec_decode_num_draft_tokens": _c(),
    "vllm:spec_decode_num_drafts": _c(),
    "vllm:spec_decode_draft_acceptance_rate": _g("max"),
    "vllm:num_requests_running": _g(),
    "vllm:num_requests_waiting": _g(),
    "vllm:num_preemptions": _c(),
    "vllm:prompt_tokens": _c(),
    "vllm:generation_tokens": _c(),
    # llama.cpp llama-server --metrics
    "llamacpp:kv_cache_usage_ratio": _g("max"),
    "llamacpp:kv_cache_tokens": _g(),
    "llamacpp:spec_decode_num_accepted_tokens": _c(),
    "llamacpp:spec_decode_num_draft_tokens": _c(),
    "llamacpp:tokens_drafted_accepted": _c(),
    "llamacpp:tokens_drafted": _c(),
    "llamacpp:requests_processing": _g(),
    "llamacpp:requests_deferred": _g(),
    "llamacpp:prompt_tokens": _c(),
    "llamacpp:tokens_predicted": _c(),
    "llamacpp:n_decode": _c(),
    # SGLang
    "sglang:token_usage": _g("max"),
    "sglang:cache_hit_rate": _g("max"),
    "sglang:spec_accept_length": _g("max"),
    "sglang:num_running_reqs": _g(),
    "sglang:num_queue_reqs": _g(),
    "sglang:prompt_tokens": _c(),
    "sglang:generation_tokens": _c(),
    # Hugging Face TGI (no KV-cache, prefix-cache or acceptance figures)
    "tgi_queue_size": _g(),
    "tgi_batch_current_size": _g(),
    "tgi_batch_current_max_tokens": _g(),
    "tgi_request_count": _c(),
    "tgi_request_success": _c(),
    "tgi_request_failure": _c(),
}
"""Every family bench reads, by name without a counter's ``_total`` suffix."""

_KV_USAGE = (
    "vllm:kv_cache_usage_perc",
    "vllm:gpu_cache_usage_perc",
    "llamacpp:kv_cache_usage_ratio",
    "sglang:token_usage",
)
_PREFIX_COUNTERS = (
    ("vllm:prefix_cache_hits", "vllm:prefix_cache_queries"),
    ("vllm:gpu_prefix_cache_hits", "vllm:gpu_prefix_cache_queries"),
)
_PREFIX_GAUGES = ("vllm:gpu_prefix_cache_hit_rate", "sglang:cache_hit_rate")
_SPEC_COUNTERS = (
    ("vllm:spec_decode_num_accepted_tokens", "vllm:spec_decode_num_draft_tokens"),
    ("llamacpp:spec_decode_num_accepted_tokens", "llamacpp:spec_decode_num_draft_tokens"),
    ("llamacpp:tokens_drafted_accepted", "llamacpp:tokens_drafted"),
)
_SPEC_GAUGES = ("vllm:spec_decode_draft_acceptance_rate",)

MAX_BODY = 16 * 1024 * 1024
"""A /metrics body larger than this is not read (a vLLM one is ~100 KB)."""

_NOT_PROMETHEUS = ("text/html", "application/json", "application/xhtml")


@dataclass(frozen=True)
class MetricsSnapshot:
    """The known families of one scrape: name (no ``_total``) -> value over its label sets."""

    values: dict[str, float] = field(default_factory=dict)
    families: int = 0
    """How many metric families the endpoint served (known or not)."""


def metrics_url(base_url: str) -> str:
    """Where the server's /metrics is: beside the API root, not under ``/v1``.

    ``http://h:8000/v1`` -> ``http://h:8000/metrics``; a path prefix before ``/v1`` (a proxy
    mount) is kept: ``http://h/llm/v1/`` -> ``http://h/llm/metrics``.
    """
    url = httpx.URL(base_url)
    path = url.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return str(url.copy_with(path=path + "/metrics", query=None, fragment=None))


async def scrape(
    client: httpx.AsyncClient, base_url: str, *, timeout_s: float = 5.0
) -> MetricsSnapshot | None:
    """The endpoint's known metrics now, or None when it serves no Prometheus /metrics.

    Never raises for what the server does: a refused connection, a timeout, a non-200 answer,
    an HTML or JSON page, or text that is not Prometheus exposition all mean "not served".
    """
    try:
        response = await client.get(metrics_url(base_url), timeout=timeout_s)
    except httpx.HTTPError:
        return None
    if response.status_code != 200 or len(response.content) > MAX_BODY:
        return None
    ctype = response.headers.get("content-type", "").lower()
    if any(ctype.startswith(bad) for bad in _NOT_PROMETHEUS):
        return None
    try:
        text = response.content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return parse(text)


def parse(text: str) -> MetricsSnapshot | None:
    """The known families of a Prometheus text exposition; None when it is not one."""
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[str, list[float]] = {}
    families = 0
    try:
        for family in text_string_to_metric_families(text):
            families += 1
            for sample in family.samples:
                name = sample.name.removesuffix("_total")
                if name in KNOWN and math.isfinite(sample.value):
                    values.setdefault(name, []).append(float(sample.value))
    except (ValueError, TypeError, IndexError):
        return None
    if families == 0:
        return None
    merged = {
        name: (max(vs) if KNOWN[name].merge == "max" else sum(vs)) for name, vs in values.items()
    }
    return MetricsSnapshot(values=merged, families=families)


def level_metrics(
    before: MetricsSnapshot | None,
    after: MetricsSnapshot | None,
    during: Sequence[MetricsSnapshot | None] = (),
) -> ServerMetrics | None:
    """What the server's metrics say about one level (None when /metrics was not served).

    Counters are differenced (``after - before``; a counter that went down means the server
    restarted and gives no figure); gauges are the highest value seen in ``during`` and
    ``after`` (a usage gauge read only after the level ends shows an idle server).
    """
    if after is None:
        return None
    seen = [s for s in (*during, after) if s is not None]
    raw: dict[str, float] = {}
    for name, known in KNOWN.items():
        if known.kind == "counter":
            delta = _delta(before, after, name)
            if delta is not None:
                raw[name] = delta
        else:
            peak = _peak(seen, name)
            if peak is not None:
                raw[name] = peak
    return ServerMetrics(
        kv_cache_usage=_first(raw, _KV_USAGE),
        prefix_cache_hit_rate=_either(_ratio(raw, _PREFIX_COUNTERS), _first(raw, _PREFIX_GAUGES)),
        spec_decode_acceptance_rate=_either(_ratio(raw, _SPEC_COUNTERS), _first(raw, _SPEC_GAUGES)),
        raw=raw,
    )


def _delta(before: MetricsSnapshot | None, after: MetricsSnapshot, name: str) -> float | None:
    if name not in after.values:
        return None
    start = before.values.get(name, 0.0) if before is not None else None
    if start is None:
        return None  # no "before": a counter's cumulative value says nothing about the level
    delta = after.values[name] - start
    return delta if delta >= 0 else None


def _peak(snapshots: Iterable[MetricsSnapshot], name: str) -> float | None:
    values = [s.values[name] for s in snapshots if name in s.values]
    return max(values) if values else None


def _first(raw: dict[str, float], names: Sequence[str]) -> float | None:
    return next((raw[n] for n in names if n in raw), None)


def _either(value: float | None, fallback: float | None) -> float | None:
    return fallback if value is None else value


def _ratio(raw: dict[str, float], pairs: Sequence[tuple[str, str]]) -> float | None:
    """part / whole of the first pair the server serves with a non-zero whole."""
    for part, whole in pairs:
        if raw.get(whole, 0.0) > 0 and part in raw:
            return min(raw[part] / raw[whole], 1.0)
    return None


@dataclass
class LevelWatch:
    """What ``watch_level`` saw; ``metrics`` is set when the level's block has ended."""

    before: MetricsSnapshot | None = None
    during: list[MetricsSnapshot | None] = field(default_factory=list)
    metrics: ServerMetrics | None = None


@asynccontextmanager
async def watch_level(
    client: httpx.AsyncClient, base_url: str, *, interval_s: float = 1.0
) -> AsyncIterator[LevelWatch]:
    """Scrape before the block, every ``interval_s`` while it runs, and after it.

    ``async with watch_level(client, url) as watch: ...run the level...`` then
    ``watch.metrics`` is the level's :class:`ServerMetrics` (None when /metrics is not
    served: then nothing more is asked of the server after the first scrape).
    """
    watch = LevelWatch(before=await scrape(client, base_url))
    if watch.before is None:
        yield watch
        return

    async def poll() -> None:
        while True:
            await anyio.sleep(interval_s)
            watch.during.append(await scrape(client, base_url))

    async with anyio.create_task_group() as tg:
        tg.start_soon(poll)
        try:
            yield watch
        finally:
            tg.cancel_scope.cancel()
    watch.metrics = level_metrics(watch.before, await scrape(client, base_url), watch.during)


def level_watcher(
    base_url: str, headers: Mapping[str, str] | None = None, *, interval_s: float = 1.0
) -> Callable[[], AbstractAsyncContextManager[LevelWatch]]:
    """A ``watch_level`` per level with its own short-lived client (what a sweep holds).

    ``headers`` go to the server with every scrape (a /metrics behind the API's key).
    """

    @asynccontextmanager
    async def watch() -> AsyncIterator[LevelWatch]:
        async with httpx.AsyncClient(headers=dict(headers or {})) as client:
            async with watch_level(client, base_url, interval_s=interval_s) as w:
                yield w

    return watch
