"""The built-in agent loop: prompt, model, tool calls, tool results, until a final answer.

One call of ``run_turn`` runs one case (one test) of a session. The session's history (the
system prompt and every earlier test's messages) goes with every request; the new messages
are recorded in the case's Transcript and appended to the history afterwards.

Decisions (see docs/running.md):
- Tool calls of one assistant turn run one after another, in the order the model listed them:
  tools have side effects, and the model's order is the only one it can reason about.
- A call to a tool the agent does not have is recorded as hallucinated; a call to a tool the
  agent has but this test does not offer is refused too (agent-benchmark executes it). Both are
  answered with an error tool result, so the model can recover, and recorded in ``errors``.
- The max-iterations error is recorded only when no final answer arrived (agent-benchmark
  also records it when the answer came on exactly the last allowed iteration: trap 8).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import anyio
import anyio.to_thread

from ..clock import elapsed_ms, monotonic_ms
from ..errors import InputError, ProviderError, ServerGoneError, ToolServerError
from ..plan import ClarificationDetection
from ..providers.base import ChatRequest, ChatResponse, ToolSpec
from ..retry import tally
from ..transcript import (
    LlmCall,
    Message,
    RunEvent,
    ToolCall,
    ToolResult,
    Transcript,
    assign,
)

__all__ = [
    "DEFAULT_MAX_ITERATIONS",
    "JUDGE_TIMEOUT_S",
    "AgentSetup",
    "ModelClient",
    "ToolCaller",
    "TurnOutcome",
    "history_messages",
    "offered_tools",
    "run_turn",
]

log = logging.getLogger("bench.runtime")

DEFAULT_MAX_ITERATIONS = 10
"""Used when settings.max_iterations is 0 or negative (agent-benchmark's rule)."""
JUDGE_TIMEOUT_S = 5.0
"""Clarification judge calls give up after this long (a timeout means 'not a clarification')."""
_EXAMPLE_CHARS = 200


class ModelClient(Protocol):
    """A provider as the loop sees it: one call, retries and rate limits included."""

    name: str
    """Provider name in the suite."""
    model: str

    async def chat(
        self,
        request: ChatRequest,
        on_event: Callable[[RunEvent], None],
        *,
        now_ms: Callable[[], float] | None = None,
    ) -> tuple[ChatResponse, int]:
        """Answer ``request``; returns the response and the attempts it took.

        ``now_ms`` is the clock of the events reported through ``on_event`` (the loop passes
        ms since the case started; None: since this call started). Raises ProviderError when
        the provider failed after its retries.
        """
        ...


class ToolCaller(Protocol):
    """Calls a tool on a named server (runtime.toolservers.ServerPool implements it)."""

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Call ``tool`` on ``server``; raise ToolServerError on failure or timeout."""
        ...


@dataclass
class AgentSetup:
    """What the loop needs about an agent for the duration of one unit."""

    model: ModelClient
    tools: Sequence[tuple[ToolSpec, str]]
    """The agent's tools after agent-level allowed_tools, with the server of each."""
    caller: ToolCaller
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    tool_timeout_s: float | None = None
    clarification: ClarificationDetection | None = None
    judge: ModelClient | None = None
    """Model for the clarification judge (the agent's own when the suite says ``$self``)."""


@dataclass
class TurnOutcome:
    """How a turn ended, beside its transcript."""

    transcript: Transcript
    new_messages: list[Message] = field(default_factory=list)
    """Messages to append to the session history."""
    fault: str | None = None
    """Set when an infrastructure fault (provider after retries, dead server) stopped it."""


def offered_tools(
    available: Sequence[str],
    session_allowed: Sequence[str] | None,
    test_allowed: Sequence[str] | None,
) -> list[str]:
    """Narrow the agent's tools by the session's, then the test's, allowed_tools (None: all)."""
    names = list(available)
    if session_allowed is not None:
        names = [n for n in names if n in session_allowed]
    if test_allowed is not None:
        names = [n for n in names if n in test_allowed]
    return names


_HISTORY_ROLES: dict[object, Literal["system", "user", "assistant"]] = {
    "system": "system",
    "user": "user",
    "assistant": "assistant",
}


def history_messages(history: Sequence[Mapping[str, Any]]) -> list[Message]:
    """A dataset row's earlier turns (``Case.history``) as messages for the conversation.

    The runner puts them after the system prompt and before the unit's first prompt. Each turn
    needs a ``role`` of system, user or assistant (a ``tool`` turn would answer no call) and
    its ``content`` (non-text content is sent as its JSON text); other keys are ignored.
    Raises ``InputError`` naming the turn otherwise, which makes that case an error.
    """
    import json

    messages: list[Message] = []
    for i, turn in enumerate(history, 1):
        role = _HISTORY_ROLES.get(turn.get("role"))
        if role is None:
            raise InputError(
                f"history turn {i} has role {turn.get('role')!r}; the built-in loop takes "
                "system, user or assistant"
            )
        content = turn.get("content")
        if content is None:
            text = ""
        elif isinstance(content, str):
            text = content
        else:
            text = json.dumps(content, ensure_ascii=False)
        messages.append(Message(role=role, content=text))
    return messages


async def run_turn(
    setup: AgentSetup,
    *,
    history: Sequence[Message],
    prompt: str,
    conversation_id: str,
    session_allowed: Sequence[str] | None = None,
    test_allowed: Sequence[str] | None = None,
    transcript: Transcript | None = None,
) -> TurnOutcome:
    """Run one test's prompt through the agent; never raises for provider or tool faults."""
    tr = transcript if transcript is not None else Transcript()
    start = monotonic_ms()
    tool_by_name: dict[str, tuple[ToolSpec, str]] = {}
    for spec, server in setup.tools:
        tool_by_name.setdefault(spec.name, (spec, server))  # first server wins on collisions
    available = list(tool_by_name)
    assign(
        tr,
        available_tools=available,
        offered_tools=offered_tools(available, session_allowed, test_allowed),
    )
    offered_specs = [tool_by_name[n][0] for n in tr.offered_tools]

    def now() -> float:
        return elapsed_ms(start)

    def on_event(event: RunEvent) -> None:
        tr.events.append(event)
        tally(tr.rate_limits, event)

    new: list[Message] = [Message(role="user", content=prompt, at_ms=0.0)]
    outcome = TurnOutcome(transcript=tr, new_messages=new)
    max_iterations = setup.max_iterations if setup.max_iterations > 0 else DEFAULT_MAX_ITERATIONS
    final = False
    iteration = 0
    while iteration < max_iterations:
        iteration += 1
        tr.iterations = iteration
        request = ChatRequest(
            messages=[*history, *new], tools=offered_specs, conversation_id=conversation_id
        )
        call_start = monotonic_ms()
        started_ms = now()
        # The call's record is made once it is over, whole: one model built, none assigned to.
        try:
            response, attempts = await setup.model.chat(request, on_event, now_ms=now)
        except ProviderError as exc:
            tr.llm_calls.append(
                LlmCall(
                    provider=setup.model.name,
                    model=setup.model.model,
                    iteration=iteration,
                    started_ms=started_ms,
                    latency_ms=elapsed_ms(call_start),
                    status="error",
                    error=str(exc),
                )
            )
            tr.errors.append(f"LLM call failed (iteration {iteration}): {exc}")
            outcome.fault = f"provider {setup.model.name!r} failed: {exc}"
            break
        tr.llm_calls.append(
            LlmCall(
                provider=setup.model.name,
                model=response.model or setup.model.model,
                iteration=iteration,
                started_ms=started_ms,
                latency_ms=elapsed_ms(call_start),
                ttft_ms=response.ttft_ms,
                usage=response.usage,
                attempts=attempts,
            )
        )
        if attempts > 1:
            tr.rate_limits.retry_success_count += 1
        tr.usage.add(response.usage)

        if not response.tool_calls:
            new.append(Message(role="assistant", content=response.text, at_ms=now()))
            tr.final_output = response.text
            final = True
            if setup.clarification is not None:
                await _check_clarification(setup, tr, response.text, iteration, conversation_id)
            break

        calls = [
            ToolCall(
                id=req.id or f"call_{iteration}_{i}",
                name=req.name,
                arguments=dict(req.arguments),
                raw_arguments=req.raw_arguments,
                iteration=iteration,
            )
            for i, req in enumerate(response.tool_calls)
        ]
        new.append(Message(role="assistant", content=response.text, tool_calls=calls, at_ms=now()))
        for tc in calls:
            fault = await _run_tool(setup, tr, tc, tool_by_name, iteration, now)
            tr.tool_calls.append(tc)
            new.append(
                Message(
                    role="tool",
                    content=_tool_message_text(tc),
                    tool_call_id=tc.id,
                    name=tc.name,
                    at_ms=now(),
                )
            )
            if fault is not None and outcome.fault is None:
                outcome.fault = fault
        if outcome.fault is not None:
            break

    if not final and outcome.fault is None:
        tr.errors.append(f"Reached maximum iterations ({max_iterations}) without final answer")
    assign(tr, latency_ms=now(), messages=list(new))
    return outcome


async def _run_tool(
    setup: AgentSetup,
    tr: Transcript,
    tc: ToolCall,
    tool_by_name: dict[str, tuple[ToolSpec, str]],
    iteration: int,
    now: Callable[[], float],
) -> str | None:
    """Execute one call in place; returns a fault message when the server died."""
    tc.started_ms = now()
    started = monotonic_ms()
    dead = False
    if tc.name not in tool_by_name:
        tc.hallucinated = True
        tc.error = f"unknown tool {tc.name!r}: the agent has no such tool"
    elif tc.name not in tr.offered_tools:
        tc.server = tool_by_name[tc.name][1]
        tc.error = f"tool {tc.name!r} is not offered in this test (allowed_tools)"
    elif tc.raw_arguments is not None:
        tc.server = tool_by_name[tc.name][1]
        tc.error = f"arguments are not valid JSON: {tc.raw_arguments[:200]!r}"
    else:
        server = tool_by_name[tc.name][1]
        tc.server = server
        try:
            tc.result = await setup.caller.call(
                server, tc.name, tc.arguments, timeout_s=setup.tool_timeout_s
            )
        except ToolServerError as exc:
            tc.error = str(exc)
            # A timeout or an error result is the agent's problem; a server whose connection
            # is gone is an infrastructure fault that makes the case an error, not a failure.
            if isinstance(exc, ServerGoneError):
                dead = True
        except Exception as exc:  # a tool must never crash the run; record and go on
            tc.error = f"{type(exc).__name__}: {exc}"
    tc.duration_ms = elapsed_ms(started)
    if tc.error is None:
        return None
    tr.errors.append(f"Tool execution error (iteration {iteration}, tool {tc.name}): {tc.error}")
    if dead:
        return f"tool server {tc.server!r} failed: {tc.error}"
    return None


def _tool_message_text(tc: ToolCall) -> str:
    if tc.error is not None:
        return f"Error: {tc.error}"
    assert tc.result is not None
    texts = [str(b.get("text", "")) for b in tc.result.content if b.get("type") == "text"]
    if texts:
        return "\n".join(texts)
    if tc.result.structured is not None:
        import json

        return json.dumps(tc.result.structured, ensure_ascii=False)
    return ""


async def _check_clarification(
    setup: AgentSetup, tr: Transcript, text: str, iteration: int, conversation_id: str
) -> None:
    cfg = setup.clarification
    assert cfg is not None
    tr.clarification.enabled = True
    if cfg.mode == "patterns":
        from ..evaluate.clarification import detect_by_patterns

        # Off the event loop, as every check of untrusted text (runtime/case_finish.py).
        asked = await anyio.to_thread.run_sync(
            detect_by_patterns, text, cfg.patterns, False, abandon_on_cancel=True
        )
    else:
        asked = await _ask_judge(setup, tr, text, conversation_id)
    if not asked:
        return
    stats = tr.clarification
    stats.count += 1
    stats.iterations.append(iteration)
    example = text[:_EXAMPLE_CHARS] + ("..." if len(text) > _EXAMPLE_CHARS else "")
    if len(stats.examples) < 3:
        stats.examples.append(example)
    if cfg.level in ("warning", "error"):
        tr.errors.append(
            f"LLM asked for clarification instead of acting (iteration {iteration}): {example}"
        )
    else:
        log.info("clarification question detected (iteration %d)", iteration)


async def _ask_judge(setup: AgentSetup, tr: Transcript, text: str, conversation_id: str) -> bool:
    from ..evaluate.clarification import (
        JUDGE_SYSTEM_PROMPT,
        judge_user_prompt,
        parse_judge_reply,
    )

    judge = setup.judge or setup.model
    request = ChatRequest(
        messages=[
            Message(role="system", content=JUDGE_SYSTEM_PROMPT),
            Message(role="user", content=judge_user_prompt(text)),
        ],
        tools=[],
        conversation_id=f"{conversation_id}#judge",
        purpose="judge",
    )
    call = LlmCall(provider=judge.name, model=judge.model, purpose="judge")
    tr.llm_calls.append(call)
    started = monotonic_ms()
    reply: ChatResponse | None = None
    with anyio.move_on_after(JUDGE_TIMEOUT_S):
        try:
            reply, call.attempts = await judge.chat(request, lambda _e: None)
        except ProviderError as exc:
            call.status, call.error = "error", str(exc)
    call.latency_ms = elapsed_ms(started)
    if reply is None:
        if call.error is None:
            call.status, call.error = "error", f"judge timed out after {JUDGE_TIMEOUT_S:g}s"
        return False  # judge errors mean "not a clarification" (agent-benchmark's rule)
    call.usage = reply.usage
    return bool(parse_judge_reply(reply.text))
