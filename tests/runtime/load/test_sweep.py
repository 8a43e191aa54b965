"""The load generator against fake streaming servers: measurement accuracy, saturation, errors.

The fakes pace their answers (``StreamTiming``: a fixed time to first token, a fixed delay per
token); the figures the sweep measures must match that pace within tolerance. Delays are
generous (150-200 ms TTFT, 20 ms per token) so a loaded 2-core machine stays well inside them;
nothing here asserts how fast bench itself is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from runtime.errors import InputError
from runtime.load.arrivals import arrival_offsets, level_rng
from runtime.load.result import SloSpec
from runtime.load.stats import knee
from runtime.load.sweep import LoadConfig, Sweep
from runtime.load.wire import wire_for
from runtime.plan import AnthropicProvider, GoogleProvider, OpenAIProvider, SecretRef
from runtime.secrets import MissingSecretError
from tests.fakes import FakeLLM, Fault, Reply, StreamTiming, serve_in_thread
from tests.fakes.anthropic_server import anthropic_app
from tests.fakes.gemini_server import gemini_app
from tests.fakes.openai_server import openai_app

ENV = {"KEY": "sk-test-123456"}


@pytest.fixture(scope="module")
def openai() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    with serve_in_thread(openai_app(fake)) as url:
        yield fake, url


@pytest.fixture
def fake(openai: tuple[FakeLLM, str]) -> Iterator[FakeLLM]:
    f, _ = openai
    f.reset()
    f.timing = None
    yield f
    f.timing = None


def _openai_wire(url: str) -> Any:
    key = SecretRef(template="${KEY}")
    spec = OpenAIProvider(
        name="local", model="m", flavor="compatible", base_url=f"{url}/v1", api_key=key
    )
    return wire_for(spec, ENV)


def _run(sweep: Sweep) -> Sweep:
    anyio.run(sweep.run)
    return sweep


def test_concurrency_one_measures_the_configured_ttft_and_token_pace(
    fake: FakeLLM, openai: tuple[FakeLLM, str]
) -> None:
    fake.timing = StreamTiming(ttft_s=0.2, per_token_s=0.02, tokens=12)
    cfg = LoadConfig(mode="concurrency", levels=(1,), requests=5, warmup=1)
    sweep = _run(Sweep(_openai_wire(openai[1]), ["hello"], cfg))
    (level,) = sweep.levels
    assert (level.requests, level.completed, level.errors, level.warmup) == (5, 5, {}, 1)
    assert fake.count == 6  # the warm-up request went out, uncounted
    assert level.ttft_ms.p50 == pytest.approx(200.0, rel=0.10)
    assert level.output_tok_s_per_request.p50 == pytest.approx(50.0, rel=0.10)
    assert level.tpot_ms.p50 == pytest.approx(20.0, rel=0.10)
    # the mean gap is robust to reads that coalesce two tokens (one stamp for both)
    assert level.itl_ms.count == 5 * 11 and level.itl_ms.mean == pytest.approx(20.0, rel=0.10)
    assert level.e2e_ms.p50 == pytest.approx(200 + 11 * 20, rel=0.10)
    assert all(s.output_tokens == 12 for s in level.samples)
    assert sweep.tally.with_usage == 5 and sweep.tally.estimated == 0


def test_serial_server_flat_throughput_rising_ttft_knee_one_and_early_stop(
    fake: FakeLLM, openai: tuple[FakeLLM, str]
) -> None:
    fake.timing = StreamTiming(ttft_s=0.15, per_token_s=0.02, tokens=6, serial=True)
    slo = SloSpec(ttft_ms=0.15 * 1000 * 1.5, target_fraction=0.9)  # only an idle server meets it
    cfg = LoadConfig(mode="concurrency", levels=(1, 2, 4, 8), requests=8, slo=slo)
    sweep = _run(Sweep(_openai_wire(openai[1]), ["a", "b"], cfg))
    one, two, four = sweep.levels  # 8 was not run: over-saturated
    for level in (two, four):
        assert level.output_tok_s == pytest.approx(one.output_tok_s, rel=0.15)
    assert one.ttft_ms.p50 is not None and two.ttft_ms.p50 is not None
    assert four.ttft_ms.p50 is not None
    assert two.ttft_ms.p50 > 1.5 * one.ttft_ms.p50 and four.ttft_ms.p50 > 1.5 * two.ttft_ms.p50
    assert knee(sweep.levels, slo) == 1
    assert one.slo_met_fraction == 1.0 and one.goodput_rps == pytest.approx(one.requests_per_s)
    assert sweep.stopped_early is not None and "not run: 8" in sweep.stopped_early


def test_errors_are_counted_by_class_never_in_latency(
    fake: FakeLLM, openai: tuple[FakeLLM, str]
) -> None:
    fake.push(
        Fault.http(429),
        Fault.http(503),
        Fault.http(400),
        Reply(text="cut off here", truncated=True),
        Fault.malformed(),
        Fault.stall(5.0),
    )
    cfg = LoadConfig(mode="concurrency", levels=(1,), requests=8, timeout_s=1.0)
    sweep = _run(Sweep(_openai_wire(openai[1]), ["x"], cfg))
    (level,) = sweep.levels
    assert level.errors == {"http_429": 1, "http_4xx": 1, "http_5xx": 1, "stream": 2, "timeout": 1}
    assert (level.requests, level.completed) == (8, 2)
    assert level.ttft_ms.count == level.e2e_ms.count == 2
    failed = [s for s in level.samples if s.error]
    assert len(failed) == 6 and all(s.ttft_ms is None and s.output_tokens == 0 for s in failed)


def test_an_unreachable_server_is_a_connection_error() -> None:
    spec = OpenAIProvider(
        name="p", model="m", flavor="compatible", base_url="http://127.0.0.1:9/v1"
    )
    cfg = LoadConfig(mode="concurrency", levels=(2,), requests=3, timeout_s=5.0)
    (level,) = _run(Sweep(wire_for(spec, ENV), ["x"], cfg)).levels
    assert level.errors == {"connection": 3} and level.completed == 0
    assert level.output_tok_s == 0.0 and level.ttft_ms.count == 0


def test_rate_mode_sends_on_the_seeded_schedule(fake: FakeLLM, openai: tuple[FakeLLM, str]) -> None:
    fake.timing = StreamTiming(ttft_s=0.01, per_token_s=0.005, tokens=3)
    cfg = LoadConfig(mode="rate", levels=(20.0,), requests=30, seed=3, burstiness=1.0)
    (level,) = _run(Sweep(_openai_wire(openai[1]), ["x"], cfg)).levels
    assert level.rate == 20.0 and level.concurrency is None and level.completed == 30
    planned = arrival_offsets(20.0, 1.0, 30, level_rng(3, 20.0))
    starts = sorted(s.start_ms / 1000.0 for s in level.samples)
    mean_gap = (starts[-1] - starts[0]) / 29
    assert mean_gap == pytest.approx(planned[-1] / 29, rel=0.10)
    assert planned[-1] / 29 == pytest.approx(1 / 20.0, rel=0.35)  # a Poisson draw of 29 gaps


def test_without_usage_tokens_are_estimated_one_per_delta(
    fake: FakeLLM, openai: tuple[FakeLLM, str]
) -> None:
    fake.timing = StreamTiming(ttft_s=0.01, per_token_s=0.005, tokens=7, usage=False)
    cfg = LoadConfig(mode="concurrency", levels=(1,), requests=2)
    sweep = _run(Sweep(_openai_wire(openai[1]), ["x"], cfg))
    assert [s.output_tokens for s in sweep.levels[0].samples] == [7, 7]
    assert sweep.tally.with_usage == 0 and sweep.tally.estimated == 2


def test_the_request_carries_the_prompt_the_cap_and_streaming(
    fake: FakeLLM, openai: tuple[FakeLLM, str]
) -> None:
    fake.timing = StreamTiming(ttft_s=0.0, per_token_s=0.0, tokens=2)
    cfg = LoadConfig(mode="concurrency", levels=(1,), requests=3, max_tokens=64)
    _run(Sweep(_openai_wire(openai[1]), ["p0", "p1"], cfg))
    bodies = [r.body for r in fake.requests]
    assert [b["messages"][0]["content"] for b in bodies] == ["p0", "p1", "p0"]
    assert all(b["stream"] and b["stream_options"] == {"include_usage": True} for b in bodies)
    assert all(b["max_tokens"] == 64 and b["model"] == "m" for b in bodies)
    assert fake.requests[0].headers["authorization"] == "Bearer sk-test-123456"


@pytest.mark.parametrize("family", ["anthropic", "gemini"])
def test_anthropic_and_gemini_streams_are_timed_too(family: str) -> None:
    fake = FakeLLM()
    fake.timing = StreamTiming(ttft_s=0.2, per_token_s=0.02, tokens=8)
    app = anthropic_app(fake) if family == "anthropic" else gemini_app(fake)
    key = SecretRef(template="${KEY}")
    with serve_in_thread(app) as url:
        spec: Any = (
            AnthropicProvider(name="a", model="claude", api_key=key, base_url=url)
            if family == "anthropic"
            else GoogleProvider(name="g", model="gemini-x", api_key=key, base_url=url)
        )
        cfg = LoadConfig(mode="concurrency", levels=(1,), requests=3)
        sweep = _run(Sweep(wire_for(spec, ENV), ["hi"], cfg))
    (level,) = sweep.levels
    assert level.errors == {} and level.completed == 3
    assert level.ttft_ms.p50 == pytest.approx(200.0, rel=0.10)
    assert level.output_tok_s_per_request.p50 == pytest.approx(50.0, rel=0.10)
    assert [s.output_tokens for s in level.samples] == [8, 8, 8]
    assert sweep.tally.with_usage == 3
    header = "x-api-key" if family == "anthropic" else "x-goog-api-key"
    assert fake.requests[0].headers[header] == "sk-test-123456"


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(MissingSecretError, match="KEY2"):
        wire_for(AnthropicProvider(name="a", model="m", api_key=SecretRef(template="${KEY2}")), {})
    with pytest.raises(InputError, match="api_key is required for openai"):
        wire_for(OpenAIProvider(name="o", model="m"), {})
    from runtime.plan import ScriptedProvider

    with pytest.raises(InputError, match="scripted provider is not supported"):
        wire_for(ScriptedProvider(name="s"), {})
    with pytest.raises(ValueError, match="exactly one"):
        LoadConfig(mode="rate", levels=(1.0,))
    with pytest.raises(ValueError, match="positive"):
        LoadConfig(mode="rate", levels=(0.0,), requests=1)
