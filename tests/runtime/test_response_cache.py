"""The response cache: live runs reuse answers, each repeat attempt apart, with expiry.

Driven through the OpenAI SDK against the fake server, which counts the requests it gets.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan.assertions import OutputContains
from runtime.replay.cache import ResponseCache, default_cache_dir
from tests.fakes import FakeLLM, Fault, Reply, serve_in_thread
from tests.fakes.openai_server import openai_app

from .provider_kits import KEY_VAR, openai_spec
from .runtime_helpers import case, make_plan, unit

pytestmark = pytest.mark.anyio

KEY = "sk-cache-sentinel-0123456789"


def plan_for(url: str, prompt: str = "hello", repeat: int = 1):  # type: ignore[no-untyped-def]
    c = case("u1", 0, prompt, assertions=[OutputContains(value="ok")])
    c = c.model_copy(update={"repeat": repeat})
    return make_plan([unit("u1", [c])], providers=[openai_spec(url)])


async def run(plan, tmp_path: Path, cache: ResponseCache):  # type: ignore[no-untyped-def]
    return await execute(plan, ExecuteOptions(output_dir=tmp_path, env={KEY_VAR: KEY}, cache=cache))


async def test_a_second_run_is_answered_from_the_cache(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    fake = FakeLLM(default=Reply(text="ok"))
    with serve_in_thread(openai_app(fake)) as url:
        plan = plan_for(url, repeat=2)
        first = await run(plan, tmp_path, cache)
        assert fake.count == 2  # each attempt asked: attempts have their own keys
        second = await run(plan, tmp_path, cache)
        assert fake.count == 2
        assert second.metadata.traffic is not None and second.metadata.traffic.cache_hits == 2
        assert [r.status for r in second.results] == [r.status for r in first.results]
        edited = await run(plan_for(url, "hello again", repeat=2), tmp_path, cache)
        assert fake.count == 4 and edited.metadata.traffic.cache_hits == 0  # type: ignore[union-attr]
    assert cache.info().entries == 4
    for file in (tmp_path / "cache").glob("*/*.json"):
        assert KEY not in file.read_text()


async def test_errors_and_empty_answers_are_never_cached(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    fake = FakeLLM(default=Reply(text=""))
    fake.push(Fault.http(400))
    with serve_in_thread(openai_app(fake)) as url:
        plan = plan_for(url)
        await run(plan, tmp_path, cache)  # 400: an error
        await run(plan, tmp_path, cache)  # an empty answer
        assert fake.count == 2
    assert cache.info().entries == 0


def test_expiry_prune_and_clear(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c", ttl_days=1)
    cache.put("aa11", {"response": {"text": "x"}})
    cache.put("bb22", {"response": {"text": "y"}})
    assert cache.get("aa11") is not None
    old = tmp_path / "c" / "bb" / "bb22.json"
    doc = json.loads(old.read_text())
    doc["stored_at"] = time.time() - 2 * 86400
    old.write_text(json.dumps(doc))
    assert cache.get("bb22") is None  # expired: ignored
    info = cache.info()
    assert (info.entries, info.expired) == (2, 1)
    assert cache.prune() == 1 and cache.info().entries == 1
    assert cache.clear() == 1 and cache.info().entries == 0


def test_the_cache_lives_in_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/tmp/xdg-test")
    assert default_cache_dir() == Path("/tmp/xdg-test/bench/responses")
    assert default_cache_dir({"BENCH_CACHE_DIR": "/x"}) == Path("/x")
