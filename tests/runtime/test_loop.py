"""The built-in agent loop against the scripted provider and an in-process tool pool.

Pure-unit tests of the loop's rules (why not loopback servers: the rules are about what the
loop does with replies, not about any wire protocol; test_loop_providers.py covers those).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runtime.agents.loop import AgentSetup, offered_tools, run_turn
from runtime.errors import ServerGoneError, ToolServerError
from runtime.plan import ScriptedProvider, ScriptedReply
from runtime.providers.base import ChatRequest, ChatResponse
from runtime.providers.scripted import ScriptedChatProvider
from runtime.runner import ProviderClient
from runtime.transcript import Message, RunEvent

from .runtime_helpers import FakePool, reply

pytestmark = pytest.mark.anyio


class Recording:
    """A ModelClient wrapper that keeps every request."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.requests: list[ChatRequest] = []

    async def chat(
        self, request: ChatRequest, on_event: Callable[[RunEvent], None], **kw: Any
    ) -> tuple[ChatResponse, int]:
        self.requests.append(request)
        result: tuple[ChatResponse, int] = await self.inner.chat(request, on_event, **kw)
        return result


def scripted(*replies: ScriptedReply) -> Recording:
    spec = ScriptedProvider(name="p", replies=replies)
    return Recording(ProviderClient(spec, ScriptedChatProvider(spec), None))


def notes_pool() -> FakePool:
    notes: dict[str, str] = {}

    def create(args: dict[str, Any]) -> str:
        nid = f"n{len(notes) + 1}"
        notes[nid] = args["title"]
        return f'{{"id": "{nid}"}}'

    return FakePool(
        {
            "create_note": ("notes", create),
            "get_note": ("notes", lambda a: notes.get(a["id"], "missing")),
            "now": ("time", lambda a: "2026-11-01T00:00:00Z"),
        }
    )


@pytest.mark.requirement("loop:final-answer")
async def test_final_answer_without_tools_ends_the_turn() -> None:
    model = scripted(reply("Hello there"))
    out = await run_turn(AgentSetup(model=model, tools=[], caller=FakePool({})),
                         history=[], prompt="Hi", conversation_id="u1")  # fmt: skip
    tr = out.transcript
    assert tr.final_output == "Hello there"
    assert [m.role for m in tr.messages] == ["user", "assistant"]
    assert len(tr.llm_calls) == 1 and tr.llm_calls[0].attempts == 1
    assert tr.usage.input == 10 and tr.usage.output == 5
    assert tr.errors == [] and out.fault is None and tr.iterations == 1


@pytest.mark.requirement("loop:tool-calls")
async def test_parallel_tool_calls_run_in_listed_order_and_results_go_back() -> None:
    pool = notes_pool()
    model = scripted(
        reply("", ("create_note", {"title": "a"}), ("create_note", {"title": "b"})),
        reply("", ("get_note", {"id": "n2"})),
        reply("done"),
    )
    pool_tools = await pool.tools_for(None)  # type: ignore[arg-type]
    out = await run_turn(
        AgentSetup(model=model, tools=pool_tools, caller=pool),
        history=[],
        prompt="make notes",
        conversation_id="u1",
    )
    tr = out.transcript
    assert [c.name for c in tr.tool_calls] == ["create_note", "create_note", "get_note"]
    assert [c.result.text for c in tr.tool_calls if c.result] == [
        '{"id": "n1"}',
        '{"id": "n2"}',
        "b",
    ]
    assert [c.server for c in tr.tool_calls] == ["notes"] * 3
    assert [m.role for m in tr.messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    # The second request carries both tool results, answered by call id.
    second = model.requests[1].messages
    assert [m.tool_call_id for m in second if m.role == "tool"] == ["call_0_0", "call_0_1"]
    assert tr.final_output == "done" and tr.iterations == 3
    assert all(c.duration_ms >= 0 for c in tr.tool_calls)


@pytest.mark.requirement("loop:session-history")
async def test_history_is_sent_with_later_prompts() -> None:
    model = scripted(reply("first answer"), reply("second answer"))
    setup = AgentSetup(model=model, tools=[], caller=FakePool({}))
    history: list[Message] = [Message(role="system", content="be brief")]
    one = await run_turn(setup, history=history, prompt="one", conversation_id="u1")
    history.extend(one.new_messages)
    two = await run_turn(setup, history=history, prompt="two", conversation_id="u1")
    sent = model.requests[1].messages
    assert [(m.role, m.content) for m in sent] == [
        ("system", "be brief"),
        ("user", "one"),
        ("assistant", "first answer"),
        ("user", "two"),
    ]
    # The transcript keeps only this case's messages.
    assert [m.content for m in two.transcript.messages] == ["two", "second answer"]


@pytest.mark.requirement("loop:hallucinated-tool")
async def test_unknown_tool_is_recorded_hallucinated_and_answered_with_an_error() -> None:
    pool = notes_pool()
    model = scripted(reply("", ("delete_everything", {})), reply("sorry"))
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool),  # type: ignore[arg-type]
        history=[],
        prompt="go",
        conversation_id="u1",
    )
    tr = out.transcript
    call = tr.tool_calls[0]
    assert call.hallucinated and call.result is None and "unknown tool" in (call.error or "")
    tool_msg = [m for m in model.requests[1].messages if m.role == "tool"][0]
    assert tool_msg.content.startswith("Error: unknown tool 'delete_everything'")
    assert tr.final_output == "sorry" and out.fault is None
    assert any("delete_everything" in e for e in tr.errors)
    assert pool.calls == []


@pytest.mark.requirement("loop:allowed-tools")
async def test_allowed_tools_narrow_what_is_offered_and_refuse_the_rest() -> None:
    pool = notes_pool()
    model = scripted(reply("", ("now", {})), reply("ok"))
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool),  # type: ignore[arg-type]
        history=[],
        prompt="time?",
        conversation_id="u1",
        session_allowed=["create_note", "get_note", "now"],
        test_allowed=["get_note"],
    )
    tr = out.transcript
    assert tr.available_tools == ["create_note", "get_note", "now"]
    assert tr.offered_tools == ["get_note"]
    assert [t.name for t in model.requests[0].tools] == ["get_note"]
    call = tr.tool_calls[0]
    assert not call.hallucinated and "not offered" in (call.error or "")
    assert pool.calls == []


def test_offered_tools_rule() -> None:
    assert offered_tools(["a", "b", "c"], None, None) == ["a", "b", "c"]
    assert offered_tools(["a", "b", "c"], ["a", "b"], None) == ["a", "b"]
    assert offered_tools(["a", "b", "c"], ["a", "b"], ["b", "c"]) == ["b"]
    assert offered_tools(["a", "b"], [], None) == []


@pytest.mark.requirement("loop:max-iterations")
async def test_max_iterations_without_final_answer_is_an_error() -> None:
    pool = notes_pool()
    model = scripted(*[reply("", ("now", {})) for _ in range(5)])
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool, max_iterations=3),  # type: ignore[arg-type]
        history=[],
        prompt="loop",
        conversation_id="u1",
    )
    tr = out.transcript
    assert len(tr.llm_calls) == 3 and tr.iterations == 3
    assert tr.errors == ["Reached maximum iterations (3) without final answer"]
    assert tr.final_output == ""


@pytest.mark.requirement("loop:max-iterations")
async def test_final_answer_on_the_last_iteration_is_not_an_error() -> None:
    # agent-benchmark records the error here too (trap 8); we do not.
    pool = notes_pool()
    model = scripted(reply("", ("now", {})), reply("", ("now", {})), reply("the end"))
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool, max_iterations=3),  # type: ignore[arg-type]
        history=[],
        prompt="loop",
        conversation_id="u1",
    )
    assert out.transcript.final_output == "the end"
    assert out.transcript.errors == []


@pytest.mark.requirement("loop:tool-timeout")
async def test_tool_timeout_is_passed_and_a_timeout_is_recorded_not_fatal() -> None:
    async def slow(args: dict[str, Any]) -> str:
        raise ToolServerError("tool 'slow' timed out after 0.5 s", server="s")

    pool = FakePool({"slow": ("s", slow)})
    model = scripted(reply("", ("slow", {})), reply("gave up"))
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool, tool_timeout_s=0.5),  # type: ignore[arg-type]
        history=[],
        prompt="go",
        conversation_id="u1",
    )
    assert pool.calls[0][3] == 0.5
    call = out.transcript.tool_calls[0]
    assert "timed out" in (call.error or "")
    assert out.fault is None and out.transcript.final_output == "gave up"
    assert out.transcript.errors == [
        "Tool execution error (iteration 1, tool slow): tool 'slow' timed out after 0.5 s"
    ]


async def test_a_dead_server_is_a_fault() -> None:
    def gone(args: dict[str, Any]) -> str:
        raise ServerGoneError("server 's' exited", server="s")

    pool = FakePool({"t": ("s", gone)})
    model = scripted(reply("", ("t", {})), reply("never"))
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool),  # type: ignore[arg-type]
        history=[],
        prompt="go",
        conversation_id="u1",
    )
    assert out.fault is not None and "exited" in out.fault
    assert len(model.requests) == 1


@pytest.mark.requirement("loop:provider-error")
async def test_provider_failure_stops_the_turn_as_a_fault() -> None:
    model = scripted()  # no replies at all: the scripted provider fails
    out = await run_turn(AgentSetup(model=model, tools=[], caller=FakePool({})),
                         history=[], prompt="hi", conversation_id="u1")  # fmt: skip
    tr = out.transcript
    assert out.fault is not None and "no reply left" in out.fault
    assert tr.llm_calls[0].status == "error"
    assert tr.errors and tr.errors[0].startswith("LLM call failed (iteration 1)")
    assert not any("maximum iterations" in e for e in tr.errors)


async def test_retries_and_waits_are_recorded_as_events() -> None:
    class Flaky:
        name, model = "p", "m"

        async def chat(
            self, request: ChatRequest, on_event: Any, **kw: Any
        ) -> tuple[ChatResponse, int]:
            on_event(RunEvent(kind="rate_limited", at_ms=1.0, attempt=1, detail="429"))
            on_event(RunEvent(kind="retry", at_ms=1.0, wait_ms=2000.0, attempt=1))
            return ChatResponse(text="ok"), 2

    out = await run_turn(AgentSetup(model=Flaky(), tools=[], caller=FakePool({})),
                         history=[], prompt="hi", conversation_id="u1")  # fmt: skip
    tr = out.transcript
    assert [e.kind for e in tr.events] == ["rate_limited", "retry"]
    assert tr.rate_limits.rate_limit_hits == 1
    assert tr.rate_limits.retry_count == 1 and tr.rate_limits.retry_wait_ms == 2000.0
    assert tr.rate_limits.retry_success_count == 1
    assert tr.llm_calls[0].attempts == 2


async def test_unexpected_tool_exception_never_crashes_the_loop() -> None:
    def boom(args: dict[str, Any]) -> str:
        raise RuntimeError("kaboom")

    pool = FakePool({"t": ("s", boom)})
    model = scripted(reply("", ("t", {})), reply("fine"))
    out = await run_turn(
        AgentSetup(model=model, tools=await pool.tools_for(None), caller=pool),  # type: ignore[arg-type]
        history=[],
        prompt="go",
        conversation_id="u1",
    )
    assert "kaboom" in (out.transcript.tool_calls[0].error or "")
    assert out.transcript.final_output == "fine"
