"""Fabricated load results for the report tests: no generator, no server, just documents."""

from __future__ import annotations

from typing import Any

from runtime.load.result import (
    Distribution,
    LoadLevel,
    LoadResult,
    LoadSample,
    ModelCard,
    ServerMetrics,
    SloSpec,
)

HOSTILE = "<script>alert(1)</script> @everyone [x](javascript:alert(1)) | ` <!-- bench -->"


def dist(p50: float | None, p99: float | None = None, count: int = 8) -> Distribution:
    if p50 is None:
        return Distribution(count=0)
    p99 = p50 * 1.5 if p99 is None else p99
    return Distribution(
        count=count, mean=p50 * 1.1, p50=p50, p90=p99 * 0.9, p99=p99, min=p50 * 0.8, max=p99
    )


def level(
    value: float,
    *,
    tok_s: float,
    ttft_p50: float | None,
    ttft_p99: float | None = None,
    tpot_p50: float | None = 20.0,
    goodput: float | None = None,
    slo_met: float | None = None,
    errors: dict[str, int] | None = None,
    metrics: ServerMetrics | None = None,
    mode: str = "concurrency",
    requests: int = 8,
) -> LoadLevel:
    errors = errors or {}
    failed = sum(errors.values())
    return LoadLevel(
        concurrency=int(value) if mode == "concurrency" else None,
        rate=value if mode == "rate" else None,
        warmup=1,
        requests=requests,
        completed=requests - failed,
        errors=errors,
        duration_s=4.0,
        ttft_ms=dist(ttft_p50, ttft_p99, requests - failed),
        itl_ms=dist(tpot_p50),
        tpot_ms=dist(tpot_p50),
        e2e_ms=dist(None if ttft_p50 is None else ttft_p50 + 2000),
        output_tok_s_per_request=dist(50.0),
        output_tok_s=tok_s,
        requests_per_s=requests / 4.0,
        goodput_rps=goodput,
        slo_met_fraction=slo_met,
        server_metrics=metrics,
        samples=[LoadSample(index=i, start_ms=i * 10.0, ttft_ms=ttft_p50) for i in range(2)],
    )


def result(levels: list[LoadLevel] | None = None, **kw: Any) -> LoadResult:
    """A concurrency sweep 1, 2, 4, 8 that saturates at 4 (knee 2 under a TTFT SLO)."""
    if levels is None:
        levels = [
            level(1, tok_s=50.0, ttft_p50=200.0, goodput=0.25, slo_met=1.0),
            level(2, tok_s=95.0, ttft_p50=260.0, goodput=0.5, slo_met=0.95),
            level(
                4,
                tok_s=160.0,
                ttft_p50=700.0,
                ttft_p99=1500.0,
                goodput=0.4,
                slo_met=0.2,
                errors={"timeout": 1},
                metrics=ServerMetrics(
                    kv_cache_usage=0.57,
                    prefix_cache_hit_rate=0.625,
                    spec_decode_acceptance_rate=None,
                    raw={"vllm:num_requests_running": 4.0},
                ),
            ),
            level(8, tok_s=165.0, ttft_p50=2400.0, ttft_p99=5100.0, goodput=0.0, slo_met=0.0),
        ]
    fields: dict[str, Any] = {
        "bench_version": "0.0.0-test",
        "started_at": "2026-12-05T21:00:00Z",
        "provider": "local-vllm",
        "provider_type": "openai_compatible",
        "endpoint": "http://127.0.0.1:8000/v1",
        "mode": "concurrency",
        "prompts": {"source": "generated", "count": 16, "input_tokens": 128},
        "slo": SloSpec(ttft_ms=500.0, target_fraction=0.9),
        "levels": levels,
        "knee": 2.0,
        "model_card": ModelCard(
            model_id="Qwen/Qwen2.5-1.5B-Instruct",
            server={"model": {"id": "Qwen/Qwen2.5-1.5B-Instruct", "owned_by": "vllm"}},
            tags=["baseline"],
            fields={"gpu": "L4", "quantisation": "bf16"},
        ),
    }
    fields.update(kw)
    return LoadResult(**fields)


def hostile_result() -> LoadResult:
    """Every string a server, a model or a user wrote is hostile."""
    base = result()
    levels = [
        lv.model_copy(update={"errors": {HOSTILE: 2}}) if i == 0 else lv
        for i, lv in enumerate(base.levels)
    ]
    return base.model_copy(
        update={
            "provider": HOSTILE,
            "endpoint": "http://127.0.0.1:8000/v1?x=<script>",
            "token_counting_note": HOSTILE,
            "stopped_early": HOSTILE,
            "prompts": {"source": HOSTILE},
            "levels": levels,
            "model_card": ModelCard(
                model_id=HOSTILE,
                server={"owned_by": HOSTILE, HOSTILE: 1},
                tags=[HOSTILE],
                fields={HOSTILE: HOSTILE},
            ),
        }
    )
