"""Recording and replaying providers and tool pools, behind the interfaces the runtime uses.

``traffic_services(services, traffic)`` returns ``Services`` whose ``create_provider`` and
``open_pool`` wrap the given ones, as httpx wraps a transport: nothing else in the runtime
knows whether an answer came from a provider, a cassette or the response cache.

- record: every answered request goes to the cassette;
- replay: every answer comes from the cassette; no provider is created and no tool pool is
  opened, so no connection is made and no server starts. A miss raises ``ReplayMissError`` /
  ``ToolReplayMissError`` (the case becomes an error) naming the case, with a diff;
- replay with ``record_missing``: a miss is asked of the real provider or server (created or
  opened on first need) and appended to the cassette;
- cache (live runs): LLM answers are looked up in the response cache first and stored after.

An answer taken from a cassette or the cache moves the case's clock on by its recorded
latency (runtime/clock.py), so the run's latency figures are the recorded ones.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from ..clock import advance
from ..errors import (
    ProviderError,
    ReplayMissError,
    ServerGoneError,
    ToolReplayMissError,
    ToolServerError,
)
from ..plan import BuiltinAgent, Generation, ProviderSpec, ServerSpec
from ..providers.base import (
    ChatRequest,
    ChatResponse,
    Provider,
    RetryDecision,
    ToolRequest,
    ToolSpec,
    generation_of,
)
from ..services import Services, ToolPool
from ..transcript import TokenUsage, ToolResult
from .canonical import (
    canonical_json,
    generation_doc,
    llm_request,
    provider_identity,
    scoped_key,
    tool_call_request,
    tools_request,
)
from .cassette import Cassette
from .diff import describe_miss, nearest
from .scope import CallScope, current_scope

__all__ = ["Traffic", "TrafficCounts", "traffic_services"]


@dataclass
class TrafficCounts:
    """What the seam did during a run (kept in the run's metadata)."""

    replayed: int = 0
    """Answers taken from the cassette."""
    recorded: int = 0
    """Answers appended to the cassette."""
    misses: int = 0
    """Requests the cassette had no answer for."""
    cache_hits: int = 0
    cache_stores: int = 0


@dataclass
class Traffic:
    """Where answers come from and go to for one run."""

    cassette: Cassette | None = None
    replay: bool = False
    """Answer from ``cassette`` (else record into it, when there is one)."""
    record_missing: bool = False
    """In replay: ask the real provider or server on a miss and record its answer."""
    cache: Any = None
    """runtime.replay.cache.ResponseCache for live runs, or None."""
    counts: TrafficCounts = field(default_factory=TrafficCounts)
    redact: Callable[[str], str] | None = None
    """The run's redactor: keys are taken over requests with secrets already replaced, so a
    replay (which knows no secret and gets redacted answers back) makes the same keys."""
    _run_scope: CallScope = field(default_factory=lambda: CallScope(""))

    def key(self, doc: dict[str, Any]) -> str:
        """The key of ``doc``: sha256 of its canonical JSON with known secret values replaced.

        Redacting the text once is much cheaper than walking the request (tool schemas ride
        along with every call); the cassette redacts what it stores field by field.
        """
        text = canonical_json(doc)
        if self.redact is not None:
            text = self.redact(text)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def recording(self) -> bool:
        """Whether answered requests are appended to the cassette."""
        return self.cassette is not None and (not self.replay or self.record_missing)

    def scope(self) -> CallScope:
        """The case in progress, or the run's own scope (the AI summary, tool listings)."""
        return current_scope() or self._run_scope

    def miss_text(self, what: str, kind: str, scope: CallScope, request: dict[str, Any]) -> str:
        """The message of a miss: the case, the cassette, the diff to the nearest entry."""
        self.counts.misses += 1
        assert self.cassette is not None
        entries = self.cassette.of_case(kind, scope.case)
        same = [e for e in entries if e.get("attempt") == scope.attempt] or entries
        where = f"case {scope.label} (attempt {scope.attempt})" if scope.case else "the run"
        return (
            f"replay: no recorded answer for this {what} of {where} in {self.cassette.path}; "
            f"the request differs from the nearest recorded one:\n"
            + describe_miss(request, nearest(request, same))
        )


def traffic_services(services: Services, traffic: Traffic) -> Services:
    """``services`` with providers and tool pools behind ``traffic``."""
    create, open_pool = services.create_provider, services.open_pool

    def create_provider(spec: ProviderSpec, env: Mapping[str, str] | None) -> Provider:
        if traffic.replay:  # the real provider only when a miss must be recorded
            return TrafficProvider(spec, traffic, lambda: create(spec, env))
        return TrafficProvider(spec, traffic, None, inner=create(spec, env))

    @asynccontextmanager
    async def pool(
        servers: Sequence[ServerSpec], env: Mapping[str, str] | None
    ) -> AsyncIterator[ToolPool]:
        if traffic.replay and not traffic.record_missing:
            yield TrafficPool(traffic, None)  # no pool: no server can start
            return
        async with open_pool(servers, env) as inner:  # servers start on first use only
            yield TrafficPool(traffic, inner)

    def pool_factory(
        servers: Sequence[ServerSpec], env: Mapping[str, str] | None
    ) -> AbstractAsyncContextManager[ToolPool]:
        return pool(servers, env)

    return Services(
        create_provider=create_provider,
        open_pool=pool_factory,
        evaluate=services.evaluate,
        extract=services.extract,
        traffic=traffic if traffic.cassette is not None else None,
    )


def _response_doc(response: ChatResponse) -> dict[str, Any]:
    return {
        "text": response.text,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": c.arguments}
            | ({"raw_arguments": c.raw_arguments} if c.raw_arguments is not None else {})
            for c in response.tool_calls
        ],
        "usage": response.usage.model_dump(),
        "model": response.model,
        "stop_reason": response.stop_reason,
        "ttft_ms": response.ttft_ms,
    }


def response_from(doc: Mapping[str, Any]) -> ChatResponse:
    """A ``ChatResponse`` from its recorded form."""
    return ChatResponse(
        text=str(doc.get("text", "")),
        tool_calls=[
            ToolRequest(
                id=str(c.get("id", "")),
                name=str(c["name"]),
                arguments=dict(c.get("arguments") or {}),
                raw_arguments=c.get("raw_arguments"),
            )
            for c in doc.get("tool_calls") or []
        ],
        usage=TokenUsage.model_validate(doc.get("usage") or {}),
        model=str(doc.get("model") or ""),
        stop_reason=doc.get("stop_reason"),
        ttft_ms=doc.get("ttft_ms"),
    )


def _replayed(started: float, recorded_ms: Any) -> None:
    """Move the case's clock on to the recorded latency (less the time the lookup took)."""
    if isinstance(recorded_ms, int | float):
        advance(recorded_ms - (time.perf_counter() - started) * 1000.0)


class TrafficProvider:
    """A ``Provider`` that records, replays or caches the answers of another."""

    def __init__(
        self,
        spec: ProviderSpec,
        traffic: Traffic,
        make_inner: Callable[[], Provider] | None,
        *,
        inner: Provider | None = None,
    ) -> None:
        self.spec = spec
        self.traffic = traffic
        self._make_inner = make_inner
        self._inner = inner
        self._identity = provider_identity(spec)  # the same for every request
        self._generations: dict[int, tuple[Generation, dict[str, Any]]] = {}
        """Each generation settings object requests came with (the provider's, an agent's)
        and its canonical form, by id (the object is kept, so its id is not reused)."""

    def _real(self) -> Provider:
        if self._inner is None:
            assert self._make_inner is not None
            try:
                self._inner = self._make_inner()
            except ProviderError:
                raise
            except Exception as exc:  # a missing key: the miss cannot be recorded
                raise ProviderError(
                    f"provider '{self.spec.name}': cannot record a missing answer: {exc}",
                    provider=self.spec.name,
                ) from exc
        return self._inner

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """Answer from the cassette or the cache when they have it, else ask the provider."""
        traffic, started = self.traffic, time.perf_counter()
        doc = llm_request(
            self.spec, request, identity=self._identity, generation=self._generation(request)
        )
        key = traffic.key(doc)
        scope = traffic.scope()
        judge = request.purpose == "judge"  # judges are matched on the request alone
        n = 0 if judge else scope.occurrence(key)
        if traffic.replay:
            assert traffic.cassette is not None
            entry = (
                traffic.cassette.find_any("llm", key)
                if judge
                else traffic.cassette.find("llm", scope.case, scope.attempt, key, n)
            )
            if entry is not None:
                traffic.counts.replayed += 1
                if not judge:
                    scope.answered(key)
                _replayed(started, entry.get("latency_ms"))
                return response_from(entry["response"])
            if not traffic.record_missing:
                text = traffic.miss_text("LLM request", "llm", scope, doc)
                raise ReplayMissError(text, provider=self.spec.name)
        cache_key = key if judge else scoped_key(key, scope.case, scope.attempt, n)
        if traffic.cache is not None:
            hit = traffic.cache.get(cache_key)
            if hit is not None:
                traffic.counts.cache_hits += 1
                if not judge:
                    scope.answered(key)
                _replayed(started, hit.get("latency_ms"))
                return response_from(hit["response"])
        response = await self._real().generate(request)
        latency = round((time.perf_counter() - started) * 1000.0, 2)
        if not judge:
            scope.answered(key)
        answer = _response_doc(response)
        if traffic.recording and traffic.cassette is not None:
            traffic.counts.recorded += 1
            traffic.cassette.add(
                {"kind": "llm", "key": key, "case": scope.case, "attempt": scope.attempt,
                 "n": n, "request": doc, "response": answer, "latency_ms": latency}
            )  # fmt: skip
        if traffic.cache is not None and (response.text.strip() or response.tool_calls):
            traffic.counts.cache_stores += 1  # an empty answer is never cached
            traffic.cache.put(cache_key, {"response": answer, "latency_ms": latency})
        return response

    def _generation(self, request: ChatRequest) -> dict[str, Any]:
        gen = generation_of(self.spec, request)
        known = self._generations.get(id(gen))
        if known is not None and known[0] is gen:
            return known[1]
        doc = generation_doc(self.spec, request)
        if len(self._generations) < 256:  # a run has one per agent; more are not kept
            self._generations[id(gen)] = (gen, doc)
        return doc

    def classify(self, exc: BaseException) -> RetryDecision:
        """Our own errors are final; the provider's are classified by the provider."""
        if isinstance(exc, ProviderError) or self._inner is None:
            return RetryDecision(kind="fatal", message=str(exc))
        return self._inner.classify(exc)

    async def aclose(self) -> None:
        """Close the real provider, if one was created."""
        if self._inner is not None:
            await self._inner.aclose()


class TrafficPool:
    """A ``ToolPool`` that records or replays the listings and calls of another."""

    def __init__(self, traffic: Traffic, inner: ToolPool | None) -> None:
        self.traffic = traffic
        self.inner = inner

    async def tools_for(self, agent: BuiltinAgent) -> list[tuple[ToolSpec, str]]:
        """The agent's tools, from the cassette in replay."""
        traffic = self.traffic
        doc = tools_request(agent)
        key = traffic.key(doc)
        if traffic.replay and traffic.cassette is not None:
            entry = traffic.cassette.find_any("tools", key)
            if entry is not None:
                return [
                    (ToolSpec(t["name"], t.get("description", ""), t.get("input_schema") or {}), t["server"])
                    for t in entry["tools"]
                ]  # fmt: skip
            if self.inner is None:
                traffic.counts.misses += 1
                listed = [e for e in traffic.cassette.entries() if e.get("kind") == "tools"]
                raise ToolReplayMissError(
                    f"replay: no recorded tool list for servers "
                    f"{', '.join(r.name for r in agent.servers) or '(none)'} in "
                    f"{traffic.cassette.path}: the agent's servers or allowed tools changed "
                    f"since the recording; record the suite again (or --record-missing). "
                    f"The listing differs from the nearest recorded one:\n"
                    + describe_miss(doc, nearest(doc, listed)),
                    server=agent.servers[0].name if agent.servers else "",
                )  # fmt: skip
        assert self.inner is not None
        tools = await self.inner.tools_for(agent)
        if traffic.recording and traffic.cassette is not None:
            listed = [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema,
                 "server": server}
                for t, server in tools
            ]  # fmt: skip
            known = traffic.cassette.find_any("tools", key)
            if known is None or known.get("tools") != listed:
                traffic.cassette.add({"kind": "tools", "key": key, "request": doc, "tools": listed})
        return tools

    async def call(
        self, server: str, tool: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Call ``tool``, or give its recorded result (or recorded error) in replay."""
        traffic, started = self.traffic, time.perf_counter()
        doc = tool_call_request(server, tool, arguments)
        key = traffic.key(doc)
        scope = traffic.scope()
        n = scope.occurrence(key)
        if traffic.replay and traffic.cassette is not None:
            entry = traffic.cassette.find("tool_call", scope.case, scope.attempt, key, n)
            if entry is not None:
                traffic.counts.replayed += 1
                scope.answered(key)
                _replayed(started, entry.get("latency_ms"))
                return _result_or_raise(entry, server)
            if self.inner is None:
                text = traffic.miss_text(f"call of tool {tool!r}", "tool_call", scope, doc)
                raise ToolReplayMissError(text, server=server)
        assert self.inner is not None
        entry = {"kind": "tool_call", "key": key, "case": scope.case, "attempt": scope.attempt,
                 "n": n, "request": doc}  # fmt: skip
        try:
            result = await self.inner.call(server, tool, arguments, timeout_s=timeout_s)
        except ToolServerError as exc:
            gone = isinstance(exc, ServerGoneError)
            entry["error"] = {"gone": gone, "message": str(exc)}
            self._record(entry, started, key, scope)
            raise
        entry["result"] = result.model_dump(mode="json")
        self._record(entry, started, key, scope)
        return result

    def _record(self, entry: dict[str, Any], started: float, key: str, scope: CallScope) -> None:
        scope.answered(key)
        if self.traffic.recording and self.traffic.cassette is not None:
            entry["latency_ms"] = round((time.perf_counter() - started) * 1000.0, 2)
            self.traffic.counts.recorded += 1
            self.traffic.cassette.add(entry)


def _result_or_raise(entry: Mapping[str, Any], server: str) -> ToolResult:
    error = entry.get("error")
    if isinstance(error, Mapping):
        cls = ServerGoneError if error.get("gone") else ToolServerError
        raise cls(str(error.get("message", "")), server=server)
    return ToolResult.model_validate(entry.get("result") or {})
