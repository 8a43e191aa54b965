"""/metrics around a load level: recorded texts of each server kind, and a live scrape.

The texts in tests/fixtures/metrics/ are shaped as each server writes them (vLLM V1 with two
data-parallel engines, vLLM V0, llama.cpp's llama-server --metrics, TGI, SGLang); the scrape
tests serve them from a Starlette app on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from runtime.load.metrics import (
    MetricsSnapshot,
    level_metrics,
    level_watcher,
    metrics_url,
    parse,
    scrape,
    watch_level,
)
from tests.fakes.serve import serve_in_thread

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "metrics"


def text(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


def snap(name: str) -> MetricsSnapshot:
    got = parse(text(name))
    assert got is not None
    return got


def test_vllm_v1_counters_are_differenced_and_the_usage_gauge_peaks_while_the_level_runs() -> None:
    m = level_metrics(snap("vllm_v1_before"), snap("vllm_v1_after"), [snap("vllm_v1_during")])
    assert m is not None
    # Two engines: the usage gauge is the busier engine's, counters add up.
    assert m.kv_cache_usage == pytest.approx(0.57)
    assert m.prefix_cache_hit_rate == pytest.approx((1500 + 1000) / (2000 + 2000))
    assert m.spec_decode_acceptance_rate == pytest.approx((450 + 420) / (600 + 600))
    assert m.raw["vllm:generation_tokens"] == 2048
    assert m.raw["vllm:num_requests_running"] == 7
    assert m.raw["vllm:num_requests_waiting"] == 2
    assert "vllm:time_to_first_token_seconds" not in m.raw  # histograms are not read


def test_without_samples_during_the_level_the_usage_is_the_after_value() -> None:
    m = level_metrics(snap("vllm_v1_before"), snap("vllm_v1_after"))
    assert m is not None and m.kv_cache_usage == pytest.approx(0.03125)


def test_vllm_v0_gauges_stand_in_for_missing_counters() -> None:
    v0 = snap("vllm_v0")
    m = level_metrics(v0, v0)
    assert m is not None
    assert m.kv_cache_usage == pytest.approx(0.2875)
    assert m.prefix_cache_hit_rate == pytest.approx(0.4375)
    assert m.spec_decode_acceptance_rate == pytest.approx(0.6812)


def test_llamacpp_kv_usage_and_drafted_tokens() -> None:
    m = level_metrics(snap("llamacpp_before"), snap("llamacpp_after"))
    assert m is not None
    assert m.kv_cache_usage == pytest.approx(0.21875)
    assert m.spec_decode_acceptance_rate == pytest.approx(300 / 400)
    assert m.prefix_cache_hit_rate is None  # llama.cpp serves no prefix-cache counters
    assert m.raw["llamacpp:tokens_predicted"] == 1024
    assert m.raw["llamacpp:prompt_tokens"] == 1024


def test_newer_llamacpp_spec_decode_counter_names() -> None:
    before = parse(
        "# TYPE llamacpp:spec_decode_num_draft_tokens_total counter\n"
        "llamacpp:spec_decode_num_draft_tokens_total 100\n"
        "# TYPE llamacpp:spec_decode_num_accepted_tokens_total counter\n"
        "llamacpp:spec_decode_num_accepted_tokens_total 40\n"
    )
    after = parse(
        "# TYPE llamacpp:spec_decode_num_draft_tokens_total counter\n"
        "llamacpp:spec_decode_num_draft_tokens_total 300\n"
        "# TYPE llamacpp:spec_decode_num_accepted_tokens_total counter\n"
        "llamacpp:spec_decode_num_accepted_tokens_total 190\n"
    )
    m = level_metrics(before, after)
    assert m is not None and m.spec_decode_acceptance_rate == pytest.approx(150 / 200)


def test_tgi_has_none_of_the_three_but_its_queue_and_counters_are_kept() -> None:
    tgi = snap("tgi")
    m = level_metrics(tgi, tgi)
    assert m is not None
    assert (m.kv_cache_usage, m.prefix_cache_hit_rate, m.spec_decode_acceptance_rate) == (
        None,
        None,
        None,
    )
    assert m.raw["tgi_queue_size"] == 5
    assert m.raw["tgi_batch_current_size"] == 3
    assert m.raw["tgi_request_count"] == 0  # no request between the two scrapes


def test_sglang_usage_and_hit_rate_gauges_and_no_acceptance_rate_from_a_length() -> None:
    s = snap("sglang")
    m = level_metrics(s, s)
    assert m is not None
    assert m.kv_cache_usage == pytest.approx(0.28)
    assert m.prefix_cache_hit_rate == pytest.approx(0.5125)
    assert m.spec_decode_acceptance_rate is None  # an accept *length* is not a rate
    assert m.raw["sglang:spec_accept_length"] == pytest.approx(2.4)


def test_a_counter_that_went_down_is_a_restarted_server_and_gives_no_figure() -> None:
    m = level_metrics(snap("llamacpp_after"), snap("llamacpp_before"))
    assert m is not None
    assert m.spec_decode_acceptance_rate is None
    assert "llamacpp:tokens_predicted" not in m.raw
    assert m.kv_cache_usage == pytest.approx(0.09375)  # gauges still read


def test_no_before_scrape_means_no_counter_figures_but_gauges() -> None:
    m = level_metrics(None, snap("vllm_v1_after"))
    assert m is not None
    assert m.prefix_cache_hit_rate is None and m.spec_decode_acceptance_rate is None
    assert m.kv_cache_usage == pytest.approx(0.03125)
    assert not any(k.endswith("_tokens") for k in m.raw)


def test_a_zero_hit_level_is_a_zero_rate_not_a_fallback() -> None:
    before = parse("vllm:prefix_cache_queries_total 10\nvllm:prefix_cache_hits_total 5\n")
    after = parse("vllm:prefix_cache_queries_total 110\nvllm:prefix_cache_hits_total 5\n")
    m = level_metrics(before, after)
    assert m is not None and m.prefix_cache_hit_rate == 0.0


def test_a_counter_born_during_the_level_counts_from_zero() -> None:
    before = parse("vllm:num_requests_running 0\n")
    after = parse("vllm:prefix_cache_queries_total 64\nvllm:prefix_cache_hits_total 16\n")
    m = level_metrics(before, after)
    assert m is not None and m.prefix_cache_hit_rate == pytest.approx(0.25)


def test_not_served_after_the_level_means_no_server_metrics() -> None:
    assert level_metrics(snap("vllm_v1_before"), None) is None


@pytest.mark.parametrize(
    "body",
    ["OK", "<html><body>Not Found</body></html>", '{"detail": "Not Found"}', "not found", ""],
)
def test_text_that_is_not_prometheus_exposition_is_not_a_snapshot(body: str) -> None:
    assert parse(body) is None


@pytest.mark.parametrize(
    ("base", "want"),
    [
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/metrics"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/metrics"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/metrics"),
        ("http://h/llm/v1?x=1", "http://h/llm/metrics"),
    ],
)
def test_metrics_live_beside_the_api_root(base: str, want: str) -> None:
    assert metrics_url(base) == want


# ---- a live scrape -----------------------------------------------------------------------

SERVED: dict[str, str] = {"mode": "vllm"}
LIVE = {"calls": 0}


async def _metrics(request: Request) -> Response:
    mode = SERVED["mode"]
    if mode == "vllm":
        return PlainTextResponse(
            text("vllm_v1_after"), media_type="text/plain; version=0.0.4; charset=utf-8"
        )
    if mode == "llamacpp-disabled":
        return PlainTextResponse("This server does not support metrics endpoint.", 501)
    if mode == "html":
        return Response("<!doctype html><title>app</title>", media_type="text/html")
    if mode == "json":
        return Response('{"requests": 12}', media_type="application/json")
    if mode == "garbage":
        return PlainTextResponse("up and running")
    if mode == "live":
        LIVE["calls"] += 1
        n = LIVE["calls"]
        usage = 0.8 if n == 3 else 0.1  # a peak that only a scrape during the level sees
        return PlainTextResponse(
            "# TYPE vllm:kv_cache_usage_perc gauge\n"
            f'vllm:kv_cache_usage_perc{{engine="0"}} {usage}\n'
            "# TYPE vllm:generation_tokens_total counter\n"
            f'vllm:generation_tokens_total{{engine="0"}} {100 * n}\n'
        )
    if mode == "slow":
        await anyio.sleep(2)
        return PlainTextResponse(text("tgi"))
    return PlainTextResponse("no", 404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = Starlette(routes=[Route("/metrics", _metrics)])
    with serve_in_thread(app) as url:
        yield url


async def test_scrape_reads_the_served_metrics_beside_v1(server: str) -> None:
    SERVED["mode"] = "vllm"
    async with httpx.AsyncClient() as client:
        got = await scrape(client, server + "/v1")
    assert got is not None
    assert got.values["vllm:prefix_cache_hits"] == 6340
    assert got.families == 15


@pytest.mark.parametrize("mode", ["404", "llamacpp-disabled", "html", "json", "garbage"])
async def test_a_server_without_prometheus_metrics_gives_none(server: str, mode: str) -> None:
    SERVED["mode"] = mode
    async with httpx.AsyncClient() as client:
        assert await scrape(client, server + "/v1") is None


async def test_a_slow_metrics_endpoint_times_out_to_none(server: str) -> None:
    SERVED["mode"] = "slow"
    async with httpx.AsyncClient() as client:
        assert await scrape(client, server, timeout_s=0.2) is None


async def test_connection_refused_gives_none() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the connection is refused
        async with httpx.AsyncClient() as client:
            assert await scrape(client, f"http://127.0.0.1:{port}/v1") is None


async def test_watch_level_sees_the_peak_while_the_level_runs(server: str) -> None:
    SERVED["mode"] = "live"
    LIVE["calls"] = 0
    async with httpx.AsyncClient() as client:
        async with watch_level(client, server + "/v1", interval_s=0.05) as watch:
            while LIVE["calls"] < 4:  # the level "runs" until a few samples were taken
                await anyio.sleep(0.02)
    assert watch.metrics is not None
    assert watch.metrics.kv_cache_usage == pytest.approx(0.8)
    calls = LIVE["calls"]
    assert watch.metrics.raw["vllm:generation_tokens"] == 100 * (calls - 1)


async def test_watch_level_asks_nothing_more_of_a_server_without_metrics(server: str) -> None:
    SERVED["mode"] = "404"
    async with httpx.AsyncClient() as client:
        async with watch_level(client, server, interval_s=0.01) as watch:
            await anyio.sleep(0.1)
    assert watch.before is None and watch.during == [] and watch.metrics is None


async def test_a_level_watcher_opens_its_own_client_per_level(server: str) -> None:
    SERVED["mode"] = "live"
    LIVE["calls"] = 0
    watcher = level_watcher(server + "/v1", {"Authorization": "Bearer k"}, interval_s=10)
    for level in (1, 2):
        async with watcher() as watch:
            pass
        assert watch.metrics is not None, level
        assert watch.metrics.raw["vllm:generation_tokens"] == 100
