"""The loop through the real SDKs against fake OpenAI, Anthropic and Gemini servers on loopback.

Each scenario runs through execute() with a plan whose provider points at the fake: tool
calls (two in one turn), history across a session, a hallucinated tool, max iterations and a
stalled response (timeout). The API key comes from the env mapping and must not reach disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    Generation,
    ProviderSpec,
    RetryPolicy,
    Settings,
    StdioServer,
)
from runtime.plan.assertions import NoHallucinatedTools, OutputContains, ToolCalled
from runtime.services import Services
from tests.fakes import FakeLLM, Fault, Reply, ToolCallSpec, serve_in_thread
from tests.fakes.anthropic_server import anthropic_app
from tests.fakes.gemini_server import gemini_app
from tests.fakes.openai_server import openai_app

from .provider_kits import KEY_VAR, anthropic_spec, google_spec, openai_spec
from .runtime_helpers import FakePool, case, make_plan, services, unit

pytestmark = pytest.mark.anyio

KEY = "sk-loop-test-key-0123456789"


KITS: dict[str, tuple[Callable[[FakeLLM], Any], Callable[..., ProviderSpec]]] = {
    "openai": (openai_app, openai_spec),
    "anthropic": (anthropic_app, anthropic_spec),
    "google": (gemini_app, google_spec),
}


class Stand:
    def __init__(self, name: str, fake: FakeLLM, url: str) -> None:
        self.name, self.fake, self.url = name, fake, url

    def spec(self, **kw: Any) -> ProviderSpec:
        return KITS[self.name][1](self.url, **kw)


@pytest.fixture(scope="module", params=sorted(KITS))
def stand_(request: pytest.FixtureRequest) -> Iterator[Stand]:
    fake = FakeLLM()
    with serve_in_thread(KITS[request.param][0](fake)) as url:
        yield Stand(request.param, fake, url)


@pytest.fixture
def stand(stand_: Stand) -> Stand:
    stand_.fake.reset()  # a failed earlier test must not leave replies behind
    return stand_


def pool() -> FakePool:
    return FakePool(
        {
            "add": ("calc", lambda a: json.dumps({"sum": a["a"] + a["b"]})),
            "echo": ("calc", lambda a: a["text"]),
        }
    )


def plan_for(stand: Stand, units: Any, **kw: Any) -> Any:
    agent = BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="calc"),))
    provider_kw = kw.pop("provider_kw", {})
    return make_plan(
        units,
        providers=[stand.spec(**provider_kw)],
        agents=[agent],
        servers=[StdioServer(name="calc", command=("unused",))],
        **kw,
    )


def svc(p: FakePool) -> Services:
    s = services(p)
    real = Services.default()
    s.evaluate, s.extract = real.evaluate, real.extract
    return s


async def run(plan: Any, tmp_path: Path, p: FakePool | None = None) -> Any:
    return await execute(
        plan, ExecuteOptions(output_dir=tmp_path, env={KEY_VAR: KEY}), services=svc(p or pool())
    )


@pytest.mark.requirement("loop:tool-calls")
@pytest.mark.requirement("loop:session-history")
async def test_tool_calls_and_history(stand: Stand, tmp_path: Path) -> None:
    stand.fake.push(
        Reply(
            tool_calls=(
                ToolCallSpec("add", {"a": 2, "b": 3}, id="c1"),
                ToolCallSpec("echo", {"text": "hi"}, id="c2"),
            )
        ),
        Reply(text="The sum is 5"),
        Reply(text="Still 5"),
    )
    u = unit("u1", [
        case("u1", 0, "add 2 and 3", assertions=[ToolCalled(tool="add"), OutputContains(value="5")]),
        case("u1", 1, "again?", assertions=[OutputContains(value="5")]),
    ], system_prompt="You add numbers.")  # fmt: skip
    p = pool()
    summary = await run(plan_for(stand, [u]), tmp_path, p)
    assert [r.status for r in summary.results] == ["passed", "passed"]
    first = summary.results[0].transcript
    assert [c.name for c in first.tool_calls] == ["add", "echo"]
    assert [c.result.text for c in first.tool_calls if c.result] == ['{"sum": 5}', "hi"]
    assert first.usage.input == 20 and first.usage.output == 10  # two calls of Usage(10, 5)
    assert [c[1] for c in p.calls] == ["add", "echo"]
    # The third request (second test) carries the whole first test: its body is bigger and
    # includes both tool results.
    bodies = [json.dumps(r.body) for r in stand.fake.requests]
    assert len(bodies) == 3
    assert "add 2 and 3" in bodies[2] and "The sum is 5" in bodies[2] and "again?" in bodies[2]
    assert '{\\"sum\\": 5}' in bodies[1] and "You add numbers." in bodies[0]
    run_dir = summary.run_dir
    for name in ("results.jsonl", "metadata.json", "plan.json"):
        assert KEY not in (run_dir / name).read_text()


@pytest.mark.requirement("loop:hallucinated-tool")
async def test_hallucinated_tool(stand: Stand, tmp_path: Path) -> None:
    stand.fake.push(Reply(tool_calls=(ToolCallSpec("rm_rf", {}, id="c1"),)), Reply(text="oops"))
    u = unit("u1", [case("u1", 0, "go", assertions=[NoHallucinatedTools()])])
    summary = await run(plan_for(stand, [u]), tmp_path)
    (r,) = summary.results
    assert r.status == "failed" and r.transcript.tool_calls[0].hallucinated
    assert "Error: unknown tool" in json.dumps(stand.fake.requests[1].body)


@pytest.mark.requirement("loop:max-iterations")
async def test_max_iterations(stand: Stand, tmp_path: Path) -> None:
    stand.fake.push(
        *[Reply(tool_calls=(ToolCallSpec("echo", {"text": "x"}, id=f"c{i}"),)) for i in range(2)]
    )
    u = unit("u1", [case("u1", 0, "loop")])
    summary = await run(plan_for(stand, [u], settings=Settings(max_iterations=2)), tmp_path)
    (r,) = summary.results
    assert r.transcript.errors == ["Reached maximum iterations (2) without final answer"]
    assert len(stand.fake.requests) == 2


@pytest.mark.requirement("loop:provider-error")
async def test_stalled_response_times_out_as_an_error_case(stand: Stand, tmp_path: Path) -> None:
    stand.fake.push(Fault.stall(5))
    u = unit("u1", [case("u1", 0, "hello")])
    plan = plan_for(stand, [u], provider_kw={"retry": RetryPolicy(max_retries=0, timeout_ms=300)})
    summary = await run(plan, tmp_path)
    (r,) = summary.results
    assert r.status == "error" and r.transcript.llm_calls[0].status == "error"
    assert summary.exit_code == 3


async def test_500_then_success_is_retried_and_recorded(
    stand: Stand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runtime.retry as retry_mod

    monkeypatch.setattr(retry_mod, "backoff_delay", lambda n: 0.0)
    stand.fake.push(Fault.http(500), Reply(text="fine"))
    u = unit("u1", [case("u1", 0, "hello")])
    summary = await run(plan_for(stand, [u]), tmp_path)
    (r,) = summary.results
    assert r.status == "passed" and r.transcript.llm_calls[0].attempts == 2
    assert [e.kind for e in r.transcript.events] == ["retry"]
    assert r.transcript.rate_limits.retry_count == 1


@pytest.mark.requirement("provider:generation-params")
async def test_an_agents_generation_parameters_reach_the_provider(
    stand: Stand, tmp_path: Path
) -> None:
    stand.fake.push(Reply(text="one"), Reply(text="two"))
    provider_gen = Generation(max_tokens=50, stop=("END",), seed=9)
    agent = BuiltinAgent(name="agent", provider="p", generation=Generation(max_tokens=7))
    plain = BuiltinAgent(name="plain", provider="p")
    units = [unit("u1", [case("u1", 0, "hi")], agent="agent"),
             unit("u2", [case("u2", 0, "hi")], agent="plain")]  # fmt: skip
    plan = make_plan(units, providers=[stand.spec(generation=provider_gen)], agents=[agent, plain])
    await run(plan, tmp_path)
    caps = [_output_cap(r.body) for r in stand.fake.requests]
    assert sorted(caps) == [7, 50]  # the agent's cap wins; the other agent keeps the provider's


def _output_cap(body: dict[str, Any]) -> Any:
    config = body.get("generationConfig") or {}
    return body.get("max_tokens", body.get("max_completion_tokens", config.get("maxOutputTokens")))
