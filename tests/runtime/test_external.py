"""External agent workers: the JSON-lines protocol and every way a black-box agent can fail.

The agent under test is tests/runtime/agents/misbehaving_agent.py, a real process whose
behaviour per case is chosen by the case's input.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from runtime.agents.external import (
    ExternalAgentPool,
    ExternalCaseResult,
    open_external_agent,
    proxy_upstreams,
)
from runtime.errors import AgentError, InputError
from runtime.plan import ExternalAgent, SecretRef
from runtime.transcript import Message
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app

pytestmark = pytest.mark.anyio

AGENT = str(Path(__file__).parent / "agents" / "misbehaving_agent.py")


def spec(**kw: object) -> ExternalAgent:
    base: dict[str, object] = {"name": "bad", "command": (sys.executable, AGENT)}
    base.update(kw)
    return ExternalAgent.model_validate(base)


async def run(pool: ExternalAgentPool, what: str, timeout_s: float = 20.0) -> ExternalCaseResult:
    return await pool.run_case(f"case-{what}", what, [], {}, timeout_s=timeout_s)


@pytest.mark.requirement("external:protocol")
async def test_answers_are_read_and_metrics_kept_apart() -> None:
    async with ExternalAgentPool(spec()) as pool:
        ok = await run(pool, "echo:hello")
        reported = await run(pool, "error")
        as_list = await run(pool, "list")
        case = await pool.run_case("c-7", "case", [], {"topic": "math"}, timeout_s=20)
    assert (ok.output, ok.error, ok.metrics) == ("hello", None, {"self_tokens": 1})
    assert ok.latency_ms > 0 and not ok.restarted
    assert reported.error == "agent reported an error: upstream said no"
    assert not reported.restarted
    assert as_list.error is not None and "not an object" in as_list.error and as_list.restarted
    assert case.output == '["c-7", {"topic": "math"}]'
    transcript = ok.to_transcript("echo:hello")
    assert transcript.final_output == "hello" and transcript.errors == []
    assert [m.role for m in transcript.messages] == ["user", "assistant"]


@pytest.mark.requirement("external:protocol")
async def test_history_messages_are_sent_as_role_and_content() -> None:
    history = [Message(role="user", content="a"), {"role": "assistant", "content": "b"}]
    async with ExternalAgentPool(spec()) as pool:
        result = await pool.run_case("h", "history", history, None, timeout_s=20)
    assert result.output == "2"


@pytest.mark.requirement("external:crash")
async def test_segfault_is_an_error_and_the_worker_is_restarted() -> None:
    async with ExternalAgentPool(spec()) as pool:
        before = await run(pool, "pid")
        crash = await run(pool, "segv")
        after = await run(pool, "pid")
    assert crash.error is not None and "killed by signal SIGSEGV" in crash.error
    assert crash.restarted and pool.restarts == 1
    assert after.error is None and after.output != before.output  # a fresh process


@pytest.mark.requirement("external:hang")
async def test_hang_past_the_timeout_is_killed() -> None:
    async with ExternalAgentPool(spec()) as pool:
        hung = await run(pool, "hang", timeout_s=1.0)
        after = await run(pool, "echo:alive")
    assert hung.error is not None and "did not answer within 1s (timeout)" in hung.error
    assert after.output == "alive"


@pytest.mark.requirement("external:garbage")
async def test_non_json_on_stdout_is_an_error_naming_the_line() -> None:
    async with ExternalAgentPool(spec()) as pool:
        bad = await run(pool, "garbage")
        after = await run(pool, "echo:next")
    assert bad.error is not None
    assert "not JSON" in bad.error and "Thinking about it" in bad.error
    assert after.output == "next"


@pytest.mark.requirement("external:exit")
async def test_exit_mid_run_is_an_error_with_the_code_and_stderr() -> None:
    async with ExternalAgentPool(spec()) as pool:
        gone = await run(pool, "exit:3")
        clean = await run(pool, "exit:0")
        after = await run(pool, "echo:back")
    assert gone.error is not None and "exited with code 3 before answering" in gone.error
    assert "exiting on purpose" in gone.stderr
    assert clean.error is not None and "exited with code 0" in clean.error
    assert after.output == "back"


@pytest.mark.requirement("external:stderr-bounded")
async def test_ten_megabytes_of_stderr_neither_blocks_nor_bloats() -> None:
    async with ExternalAgentPool(spec()) as pool:
        flood = await run(pool, "flood")
        died = await run(pool, "flood-die")
        quiet = await run(pool, "echo:quiet")
    assert flood.output == "survived the flood" and flood.error is None
    assert len(flood.stderr) < 66 * 1024
    assert flood.stderr.rstrip().endswith("LAST LINE OF STDERR")
    assert "earlier bytes of stderr dropped" in flood.stderr
    assert died.error is not None and "exited with code 7" in died.error
    assert len(died.stderr) < 66 * 1024 and "LAST LINE OF STDERR" in died.stderr
    assert quiet.stderr == ""  # one case's stderr never leaks into the next


@pytest.mark.requirement("external:workers")
async def test_a_mixed_run_on_two_workers_completes_every_case() -> None:
    inputs = ["echo:1", "segv", "echo:2", "hang", "garbage", "exit:5", "echo:3", "flood", "echo:4"]
    results: dict[str, ExternalCaseResult] = {}
    async with ExternalAgentPool(spec(workers=2)) as pool:

        async def one(what: str) -> None:
            # Long enough for a restarted worker on a loaded machine; "hang" still times out.
            results[what] = await run(pool, what, timeout_s=4.0)

        async with anyio.create_task_group() as tg:
            for what in inputs:
                tg.start_soon(one, what)
    assert len(results) == len(inputs)
    for what in ("echo:1", "echo:2", "echo:3", "echo:4"):
        assert results[what].output == what[5:] and results[what].error is None
    assert results["flood"].error is None
    for what, reason in [
        ("segv", "SIGSEGV"),
        ("hang", "timeout"),
        ("garbage", "not JSON"),
        ("exit:5", "code 5"),
    ]:
        assert reason in (results[what].error or ""), (what, results[what].error)


@pytest.mark.requirement("external:workers")
async def test_workers_are_long_lived_and_run_in_parallel() -> None:
    async with ExternalAgentPool(spec(workers=2)) as pool:
        pids = [r.output for r in [await run(pool, "pid") for _ in range(4)]]
    # Sequential calls reuse idle workers: at most two distinct processes for four cases.
    assert len(set(pids)) <= 2


@pytest.mark.requirement("external:setup-teardown")
async def test_setup_and_teardown_run_once_around_the_workers(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    s = spec(setup=f"echo setup >> {log}", teardown=f"echo teardown >> {log}", workers=2)
    async with ExternalAgentPool(s) as pool:
        await run(pool, "echo:x")
        assert log.read_text() == "setup\n"
    assert log.read_text() == "setup\nteardown\n"


@pytest.mark.requirement("external:setup-teardown")
async def test_failing_setup_is_an_agent_error_with_its_stderr() -> None:
    with pytest.raises(AgentError, match=r"setup command of agent 'bad' exited with code 4: nope"):
        async with ExternalAgentPool(spec(setup="echo nope >&2; exit 4")):
            pass


async def test_missing_command_is_a_clear_case_error(tmp_path: Path) -> None:
    async with ExternalAgentPool(spec(command=(str(tmp_path / "no-such-agent"),))) as pool:
        result = await run(pool, "echo:x")
    assert result.error is not None and "could not start" in result.error


@pytest.mark.requirement("external:env")
async def test_agent_env_is_resolved_from_secret_refs() -> None:
    s = spec(env={"AGENT_TOKEN": SecretRef.from_env("MY_TOKEN"), "PLAIN": "value"})
    env = {"MY_TOKEN": "tok-123", "PATH": "/usr/bin:/bin"}
    async with ExternalAgentPool(s, env=env) as pool:
        token = await run(pool, "env:AGENT_TOKEN")
        plain = await run(pool, "env:PLAIN")
    assert (token.output, plain.output) == ("tok-123", "value")
    with pytest.raises(InputError, match="MY_TOKEN"):
        ExternalAgentPool(s, env={})


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM(default=Reply(text="from the model", usage=Usage(21, 4, cached=3)))
    with serve_in_thread(openai_app(fake)) as url:
        yield fake, url


@pytest.mark.requirement("external:proxy-metrics")
async def test_llm_calls_go_through_the_proxy_and_land_on_the_case(
    fake_openai: tuple[FakeLLM, str],
) -> None:
    _, url = fake_openai
    s = spec(env={"OPENAI_BASE_URL": f"{url}/v1"}, workers=2)
    assert proxy_upstreams({"OPENAI_BASE_URL": f"{url}/v1"}) == {"openai": f"{url}/v1"}
    async with open_external_agent(s) as pool:
        first = await run(pool, "llm")
        plain = await run(pool, "echo:no llm")
        base = await run(pool, "env:OPENAI_BASE_URL")
    assert first.output == "from the model" and first.error is None
    [call] = first.llm_calls
    assert (call.model, call.usage.input, call.usage.output, call.usage.cached) == (
        "gpt-4o-mini",
        21,
        4,
        3,
    )
    assert call.ttft_ms is not None and call.status == "ok"
    assert plain.llm_calls == []
    assert base.output.startswith("http://127.0.0.1:") and "/openai" in base.output
    transcript = first.to_transcript("llm")
    assert (transcript.usage.input, transcript.usage.output) == (21, 4)
