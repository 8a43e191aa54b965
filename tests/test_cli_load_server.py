"""``bench load`` reads what the server says: its /metrics around each level and its model card.

The fake OpenAI-compatible server is mounted beside a /metrics (vLLM's names, counters rising
with every request it answered) and a /v1/models, as vLLM serves them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from bench.cli import main
from runtime.load.result import LoadResult
from tests.fakes import FakeLLM, StreamTiming, serve_in_thread
from tests.fakes.openai_server import openai_app

SERVED = {"metrics": True}


def _app(fake: FakeLLM) -> Starlette:
    async def metrics(request: Request) -> PlainTextResponse:
        if not SERVED["metrics"]:
            return PlainTextResponse("Not Found", 404)
        n = len(fake.requests)
        return PlainTextResponse(
            "# TYPE vllm:kv_cache_usage_perc gauge\n"
            'vllm:kv_cache_usage_perc{model_name="gemma"} 0.25\n'
            "# TYPE vllm:prefix_cache_queries_total counter\n"
            f'vllm:prefix_cache_queries_total{{model_name="gemma"}} {40 * n}\n'
            "# TYPE vllm:prefix_cache_hits_total counter\n"
            f'vllm:prefix_cache_hits_total{{model_name="gemma"}} {10 * n}\n'
        )

    async def models(request: Request) -> JSONResponse:
        entry = {"id": "gemma", "object": "model", "owned_by": "vllm", "max_model_len": 8192}
        return JSONResponse({"object": "list", "data": [entry]})

    async def version(request: Request) -> JSONResponse:
        return JSONResponse({"version": "0.11.0"})

    return Starlette(
        routes=[
            Route("/metrics", metrics),
            Route("/v1/models", models),
            Route("/version", version),
            Mount("/", app=openai_app(fake)),
        ]
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    with serve_in_thread(_app(fake)) as url:
        yield fake, url


def _run(server: tuple[FakeLLM, str], tmp_path: Path) -> LoadResult:
    fake, url = server
    fake.reset()
    fake.timing = StreamTiming(ttft_s=0.01, per_token_s=0.002, tokens=4)
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "providers:\n  - name: local\n    type: OPENAI_COMPATIBLE\n"
        f"    baseUrl: {url}/v1\n    model: gemma\n"
        "agents:\n  - {name: a, provider: local}\n"
        "sessions:\n  - name: s\n    tests:\n      - {name: t1, prompt: Hi}\n",
        encoding="utf-8",
    )
    out = tmp_path / "load.json"
    code = main(["load", str(suite), "-q", "-o", str(out), "--concurrency", "1,2",
                 "--requests", "4", "--warmup", "0", "--tag", "t", "--card", "gpu=none"])  # fmt: skip
    assert code == 0
    return LoadResult.model_validate(json.loads(out.read_text()))


def test_each_level_carries_the_servers_metrics_and_the_card_what_it_says(
    server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    SERVED["metrics"] = True
    result = _run(server, tmp_path)
    for lv in result.levels:
        m = lv.server_metrics
        assert m is not None
        assert m.kv_cache_usage == pytest.approx(0.25)
        assert m.prefix_cache_hit_rate == pytest.approx(0.25)
        assert m.raw["vllm:prefix_cache_queries"] == 40 * 4  # this level's 4 requests
    card = result.model_card
    assert card.model_id == "gemma"
    assert card.server["model"]["max_model_len"] == 8192
    assert card.server["/version"] == {"version": "0.11.0"}
    assert (card.tags, card.fields) == (["t"], {"gpu": "none"})
    assert "Bearer" not in result.model_dump_json()


def test_a_server_without_metrics_leaves_them_empty(
    server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    SERVED["metrics"] = False
    result = _run(server, tmp_path)
    assert all(lv.server_metrics is None for lv in result.levels)
    SERVED["metrics"] = True
