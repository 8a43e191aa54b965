"""The figures of a load level, from its samples: percentiles, SLOs, goodput, the knee, early stop.

Pure functions over :class:`~runtime.load.result.LoadSample` lists; nothing here sends a request.

Definitions (docs/load-cli.md says the same for users):

- percentiles are linearly interpolated between the two nearest ranks (numpy's default
  ``linear`` method, Hyndman & Fan type 7, as vLLM's ``bench serve`` computes them);
- TTFT is the time from sending the request to its first content delta; ITL the gaps between
  successive content deltas (pooled over the level's requests); TPOT
  ``(e2e - ttft) / (output_tokens - 1)`` for requests of at least two output tokens;
- per-request output tok/s is ``1000 / TPOT`` (the speed the answer streams at once it
  started: ``(output_tokens - 1)`` tokens over ``e2e - ttft``), aggregate output tok/s the level's successful output tokens
  over the level's duration;
- a request meets the SLO when it did not fail, each given bound holds (TPOT only for
  requests that have one) and its assertions did not fail; goodput is those per second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .result import Distribution, LoadLevel, LoadSample, SloSpec

__all__ = [
    "SATURATION_TOK_S_GAIN",
    "SATURATION_TTFT_RISE",
    "decode_tok_s",
    "distribution",
    "knee",
    "level_value",
    "meets_slo",
    "percentile",
    "saturation",
    "tpot_ms",
]

SATURATION_TTFT_RISE = 1.5
"""Over-saturation: TTFT p50 at least this many times the previous level's ..."""
SATURATION_TOK_S_GAIN = 0.10
"""... while aggregate output tok/s gained less than this fraction, two levels in a row."""


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ascending ``ordered`` (linear interpolation)."""
    if not ordered:
        raise ValueError("percentile of no values")
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def distribution(values: Sequence[float]) -> Distribution:
    """count, mean, p50/p90/p99, min and max of ``values`` (all None but count when empty)."""
    if not values:
        return Distribution(count=0)
    ordered = sorted(values)
    return Distribution(
        count=len(ordered),
        mean=sum(ordered) / len(ordered),
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p99=percentile(ordered, 99),
        min=ordered[0],
        max=ordered[-1],
    )


def tpot_ms(sample: LoadSample) -> float | None:
    """Time per output token after the first: ``(e2e - ttft) / (output_tokens - 1)``."""
    if sample.error or sample.ttft_ms is None or sample.e2e_ms is None:
        return None
    if sample.output_tokens < 2:
        return None
    return (sample.e2e_ms - sample.ttft_ms) / (sample.output_tokens - 1)


def decode_tok_s(sample: LoadSample) -> float | None:
    """Output tokens per second of one request while its answer streams: ``1000 / TPOT``."""
    tpot = tpot_ms(sample)
    return 1000.0 / tpot if tpot else None


def meets_slo(sample: LoadSample, slo: SloSpec) -> bool:
    """Did ``sample`` succeed, stay within every bound of ``slo`` and pass its assertions?"""
    if sample.error or sample.ttft_ms is None or sample.e2e_ms is None:
        return False
    if sample.assertions_ok is False:
        return False
    if slo.ttft_ms is not None and sample.ttft_ms > slo.ttft_ms:
        return False
    if slo.e2e_ms is not None and sample.e2e_ms > slo.e2e_ms:
        return False
    tpot = tpot_ms(sample)
    return slo.tpot_ms is None or tpot is None or tpot <= slo.tpot_ms


def level_value(level: LoadLevel) -> float:
    """The level's x value: its concurrency (closed loop) or its rate (open loop)."""
    if level.concurrency is not None:
        return float(level.concurrency)
    return float(level.rate or 0.0)


def knee(levels: Sequence[LoadLevel], slo: SloSpec | None) -> float | None:
    """The highest level whose SLO-met fraction is at least ``slo.target_fraction``."""
    if slo is None:
        return None
    met = [
        level_value(lv)
        for lv in levels
        if lv.slo_met_fraction is not None and lv.slo_met_fraction >= slo.target_fraction
    ]
    return max(met) if met else None


def _rose_flat(prev: LoadLevel, cur: LoadLevel) -> bool:
    if prev.ttft_ms.p50 is None or cur.ttft_ms.p50 is None or prev.ttft_ms.p50 <= 0:
        return False
    rose = cur.ttft_ms.p50 >= SATURATION_TTFT_RISE * prev.ttft_ms.p50
    flat = cur.output_tok_s < (1.0 + SATURATION_TOK_S_GAIN) * prev.output_tok_s
    return rose and flat


def saturation(levels: Sequence[LoadLevel]) -> str | None:
    """Why the sweep should stop after the last of ``levels`` (over-saturated), or None.

    The rule: for two consecutive levels, TTFT p50 rose to at least 1.5x the previous level's
    while aggregate output tok/s gained less than 10%.
    """
    if len(levels) < 3 or not (_rose_flat(levels[-3], levels[-2]) and _rose_flat(*levels[-2:])):
        return None
    a, b, c = levels[-3:]
    return (
        f"over-saturated at {level_value(c):g}: TTFT p50 rose "
        f"{a.ttft_ms.p50:.0f} -> {b.ttft_ms.p50:.0f} -> {c.ttft_ms.p50:.0f} ms while aggregate "
        f"output tok/s stayed within 10% ({a.output_tok_s:.1f} -> {b.output_tok_s:.1f} -> "
        f"{c.output_tok_s:.1f})"
    )
