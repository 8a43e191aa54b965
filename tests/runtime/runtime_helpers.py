"""Plans built in code, and small in-process stand-ins for the runtime core's tests.

The stand-ins (a tool pool over Python functions, an evaluator for a few assertion types)
exist so the loop and the scheduler can be tested as pure units; the end-to-end tests use
the real tool servers and evaluators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from runtime.errors import ToolServerError
from runtime.plan import (
    Assertion,
    BuiltinAgent,
    Case,
    Criteria,
    Extractor,
    Plan,
    ProviderSpec,
    ScriptedProvider,
    ScriptedReply,
    ScriptedToolCall,
    ServerSpec,
    Settings,
    SourceFile,
    Span,
    Unit,
)
from runtime.plan.assertions import OutputContains, ToolCalled
from runtime.providers.base import ToolSpec
from runtime.results import AssertionResult
from runtime.services import Services
from runtime.transcript import ToolResult, Transcript

SPAN = Span(file="suite.yaml", line=1, col=1)


def reply(
    text: str = "", *calls: tuple[str, dict[str, Any]], when: str | None = None
) -> ScriptedReply:
    """A scripted reply with optional tool calls."""
    return ScriptedReply(
        when=when,
        text=text,
        tool_calls=tuple(ScriptedToolCall(name=n, arguments=a) for n, a in calls),
        input_tokens=10,
        output_tokens=5,
    )


def case(
    uid: str,
    index: int,
    prompt: Any,
    *,
    assertions: Sequence[Assertion] = (),
    extractors: Sequence[Extractor] = (),
    allowed_tools: Sequence[str] | None = None,
    start_delay_ms: int = 0,
) -> Case:
    """A case of unit ``uid``."""
    return Case(
        id=f"{uid}/{index}",
        test=f"test {index}",
        prompt=prompt,
        assertions=tuple(assertions),
        extractors=tuple(extractors),
        allowed_tools=tuple(allowed_tools) if allowed_tools is not None else None,
        start_delay_ms=start_delay_ms,
        span=SPAN,
    )


def unit(
    uid: str,
    cases: Sequence[Case],
    *,
    agent: str = "agent",
    session: str | None = None,
    system_prompt: str | None = None,
    allowed_tools: Sequence[str] | None = None,
) -> Unit:
    """A unit (agent, session) holding ``cases``."""
    return Unit(
        id=uid,
        agent=agent,
        session=session or f"session {uid}",
        file="suite.yaml",
        system_prompt=system_prompt,
        allowed_tools=tuple(allowed_tools) if allowed_tools is not None else None,
        cases=tuple(cases),
        span=SPAN,
    )


def make_plan(
    units: Sequence[Unit],
    *,
    providers: Sequence[ProviderSpec] | None = None,
    agents: Sequence[BuiltinAgent] | None = None,
    servers: Sequence[ServerSpec] = (),
    settings: Settings | None = None,
    criteria: Criteria | None = None,
    replies: Sequence[ScriptedReply] = (),
    name: str = "test-plan",
) -> Plan:
    """A sealed plan; by default one scripted provider ``p`` and one agent ``agent``."""
    return Plan(
        bench_version="test",
        name=name,
        seed=1,
        compiled_now="2026-11-01T00:00:00Z",
        sources=(SourceFile(path="suite.yaml", sha256="0" * 64),),
        providers=tuple(providers or (ScriptedProvider(name="p", replies=tuple(replies)),)),
        servers=tuple(servers),
        agents=tuple(agents or (BuiltinAgent(name="agent", provider="p"),)),
        units=tuple(units),
        settings=settings or Settings(),
        criteria=criteria or Criteria(),
    ).sealed()


Handler = Callable[[dict[str, Any]], Any]


class FakePool:
    """A tool pool over Python functions: ``{tool: (server, handler)}``; records calls."""

    def __init__(self, tools: Mapping[str, tuple[str, Handler]]) -> None:
        self.tools = dict(tools)
        self.calls: list[tuple[str, str, dict[str, Any], float | None]] = []

    async def tools_for(self, agent: BuiltinAgent) -> list[tuple[ToolSpec, str]]:
        return [
            (ToolSpec(name=n, description=n, input_schema={"type": "object"}), server)
            for n, (server, _h) in self.tools.items()
        ]

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        self.calls.append((server, tool, arguments, timeout_s))
        result = await _maybe_await(self.tools[tool][1](arguments))
        if isinstance(result, ToolResult):
            return result
        return ToolResult(content=[{"type": "text", "text": str(result)}])


async def _maybe_await(value: Any) -> Any:
    if hasattr(value, "__await__"):
        return await value
    return value


def raise_tool_error(message: str) -> Handler:
    """A handler that fails the way a tool server does."""

    def handler(_args: dict[str, Any]) -> Any:
        raise ToolServerError(message, server="s")

    return handler


def simple_evaluate(
    assertions: Sequence[Assertion],
    transcript: Transcript,
    variables: Mapping[str, str],
    clarification_enabled: bool,
    **_inputs: Any,
) -> list[AssertionResult]:
    """Stand-in evaluator for output_contains and tool_called (plain string values)."""
    out = []
    for a in assertions:
        if isinstance(a, OutputContains):
            assert isinstance(a.value, str)
            ok = a.value in transcript.final_output
        elif isinstance(a, ToolCalled):
            ok = any(c.name == a.tool for c in transcript.tool_calls)
        else:
            raise AssertionError(f"stand-in cannot evaluate {a.type}")
        out.append(AssertionResult(type=a.type, passed=ok, message="stand-in"))
    return out


def simple_extract(
    extractors: Sequence[Extractor], transcript: Transcript
) -> tuple[dict[str, str], list[str]]:
    """Stand-in extractor: ``path`` is a top-level key of the tool result's JSON text."""
    import json

    found: dict[str, str] = {}
    for ex in extractors:
        for call in transcript.tool_calls:
            if call.name == ex.tool and call.result is not None:
                found[ex.variable_name] = str(
                    json.loads(call.result.text)[ex.path.removeprefix("$.")]
                )
    return found, []


def services(pool: FakePool | None = None) -> Services:
    """Real providers; a fake pool and the stand-in evaluators."""
    base = Services.default()

    @asynccontextmanager
    async def open_pool(servers: Sequence[ServerSpec], env: Any) -> AsyncIterator[FakePool]:
        yield pool or FakePool({})

    return Services(
        create_provider=base.create_provider,
        open_pool=open_pool,
        evaluate=simple_evaluate,
        extract=simple_extract,
    )
