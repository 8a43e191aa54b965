"""Pure units of runtime/load/stats.py and arrivals.py: definitions, not timing."""

from __future__ import annotations

import statistics

import pytest

from runtime.load.arrivals import arrival_offsets, level_rng
from runtime.load.result import Distribution, LoadLevel, LoadSample, SloSpec
from runtime.load.stats import (
    distribution,
    knee,
    meets_slo,
    percentile,
    saturation,
    tpot_ms,
)


def test_percentile_interpolates_linearly_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 90) == pytest.approx(37.0)  # numpy.percentile's 'linear'
    assert percentile([5.0], 99) == 5.0


def test_distribution_of_nothing_has_only_a_count() -> None:
    assert distribution([]) == Distribution(count=0)
    d = distribution([3.0, 1.0, 2.0])
    assert (d.count, d.mean, d.p50, d.min, d.max) == (3, 2.0, 2.0, 1.0, 3.0)


def _sample(
    ttft: float | None = 100.0, e2e: float | None = 1000.0, tokens: int = 10, **kw: object
) -> LoadSample:
    return LoadSample(index=0, start_ms=0.0, ttft_ms=ttft, e2e_ms=e2e, output_tokens=tokens, **kw)  # type: ignore[arg-type]


def test_tpot_excludes_the_first_token_and_needs_two() -> None:
    assert tpot_ms(_sample(100.0, 1000.0, 10)) == 100.0
    assert tpot_ms(_sample(100.0, 1000.0, 1)) is None
    assert tpot_ms(_sample(error="timeout")) is None


def test_slo_every_bound_and_errors_and_assertions() -> None:
    slo = SloSpec(ttft_ms=200, tpot_ms=150, e2e_ms=2000)
    assert meets_slo(_sample(), slo)
    assert not meets_slo(_sample(ttft=250.0), slo)
    assert not meets_slo(_sample(e2e=2500.0, tokens=20), slo)
    assert not meets_slo(_sample(e2e=1900.0, tokens=5), slo)  # tpot 450
    assert meets_slo(_sample(e2e=500.0, tokens=1), slo)  # no tpot: that bound does not apply
    assert not meets_slo(_sample(ttft=None, e2e=None, error="http_5xx"), slo)
    assert not meets_slo(_sample(assertions_ok=False), slo)
    assert meets_slo(_sample(assertions_ok=True), slo)


def _level(c: int, ttft_p50: float, tok_s: float, met: float | None = None) -> LoadLevel:
    d = Distribution(count=1, p50=ttft_p50)
    empty = Distribution(count=0)
    return LoadLevel(
        concurrency=c, requests=1, completed=1, duration_s=1.0, ttft_ms=d, itl_ms=empty,
        tpot_ms=empty, e2e_ms=empty, output_tok_s_per_request=empty, output_tok_s=tok_s,
        requests_per_s=1.0, slo_met_fraction=met,
    )  # fmt: skip


def test_knee_is_the_highest_level_meeting_the_fraction() -> None:
    levels = [_level(1, 1, 1, 1.0), _level(2, 1, 1, 0.95), _level(4, 1, 1, 0.5)]
    assert knee(levels, SloSpec(ttft_ms=1, target_fraction=0.9)) == 2
    assert knee(levels, SloSpec(ttft_ms=1, target_fraction=0.99)) == 1
    assert knee(levels, SloSpec(ttft_ms=1, target_fraction=1.0)) == 1
    assert knee([_level(1, 1, 1, 0.2)], SloSpec(ttft_ms=1)) is None
    assert knee(levels, None) is None


def test_saturation_needs_two_consecutive_levels_of_rising_ttft_and_flat_tok_s() -> None:
    assert saturation([_level(1, 100, 50), _level(2, 200, 52)]) is None
    rising_flat = [_level(1, 100, 50), _level(2, 200, 52), _level(4, 400, 53)]
    why = saturation(rising_flat)
    assert why is not None and "over-saturated at 4" in why
    # throughput still growing: not saturated however TTFT rises
    assert saturation([_level(1, 100, 50), _level(2, 200, 90), _level(4, 400, 95)]) is None
    # TTFT rising less than 1.5x: not saturated
    assert saturation([_level(1, 100, 50), _level(2, 140, 50), _level(4, 400, 50)]) is None


def test_arrivals_mean_gap_is_one_over_rate_and_burstiness_shapes_the_spread() -> None:
    n = 4000
    for burstiness, cv in ((1.0, 1.0), (0.25, 2.0), (4.0, 0.5)):
        offsets = arrival_offsets(8.0, burstiness, n, level_rng(7, 8.0))
        assert offsets[0] == 0.0
        gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
        mean = statistics.fmean(gaps)
        assert mean == pytest.approx(1 / 8.0, rel=0.08)
        # gamma(shape k): coefficient of variation 1/sqrt(k)
        assert statistics.stdev(gaps) / mean == pytest.approx(cv, rel=0.15)


def test_arrivals_are_reproducible_from_the_seed() -> None:
    a = arrival_offsets(4.0, 1.0, 50, level_rng(1, 4.0))
    assert a == arrival_offsets(4.0, 1.0, 50, level_rng(1, 4.0))
    assert a != arrival_offsets(4.0, 1.0, 50, level_rng(2, 4.0))
    with pytest.raises(ValueError):
        arrival_offsets(0.0, 1.0, 5, level_rng(1, 0.0))
