"""Ask the llm_judge judges of a case, before its (synchronous) evaluation, and cache answers.

For every ``llm_judge`` node of a case (inside any_of / all_of / not too) the rubric is
rendered with ``input`` (the prompt as sent), ``output`` (the final answer) and ``expected``
(the node's, else the case's), and the named provider is asked through its ``ModelClient``
(``runtime/retry.call_with_retry`` with the provider's retry policy and rate limiter) with
the fixed prompt of runtime/evaluate/llm_judge.py. Each call is recorded in the case's
transcript as an ``LlmCall`` with ``purpose="judge"``: its tokens stay out of the agent's
usage and its cost is the case's ``judge_cost_usd``.

The cache: a parsed answer is appended to ``judge_cache.jsonl`` in the run directory, keyed
by a hash of everything the judge sees (provider, model, rendered rubric, input, output,
expected). A resumed run reads it back, and a ``bench retry`` run also reads its parent runs'
caches (``metadata.parent_run``, followed up the chain), so a re-run case whose answer did not
change is not paid twice. Identical judgements in flight at once are asked once. Provider
failures and unparsable replies are never cached: asking again may help.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from .agents.loop import ModelClient
from .clock import elapsed_ms, monotonic_ms
from .errors import ProviderError
from .evaluate.context import JudgeVerdict, NotEvaluable, bound_value
from .evaluate.llm_judge import (
    JUDGE_SYSTEM_PROMPT,
    cache_key,
    judge_nodes,
    judge_user_prompt,
    parse_verdict,
)
from .plan import Assertion
from .plan.assertions import LlmJudge
from .providers.base import ChatRequest, ChatResponse
from .results import RunMetadata
from .templating import TemplateRenderError, render
from .transcript import LlmCall, Message, Transcript

__all__ = ["CACHE_FILE", "JudgeCache", "JudgeOutcome", "Judges", "judge_providers"]

CACHE_FILE = "judge_cache.jsonl"
_REPLY_LIMIT = 4000
_MAX_PARENTS = 50
"""Retry chains longer than this are not followed (and a cycle ends there)."""

log = logging.getLogger("bench.runtime")


def judge_providers(assertions: Sequence[Assertion]) -> list[str]:
    """Names of the providers the llm_judge nodes of ``assertions`` ask."""
    return list(dict.fromkeys(node.provider for node in judge_nodes(assertions)))


class JudgeCache:
    """Verdicts by cache key: this run's ``judge_cache.jsonl`` plus its parent runs' (read only).

    ``path`` None keeps the cache in memory only (tests, or a run without a directory).
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        parents: Sequence[Path] = (),
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.path = path
        self.parents = list(parents)
        self.redact = redact
        self.entries: dict[str, dict[str, Any]] = {}
        self._inflight: dict[str, anyio.Event] = {}
        self._write_lock = anyio.Lock()
        self._run_dir: Path | None = None

    @classmethod
    def for_run(cls, run_dir: Path, redact: Callable[[str], str] | None = None) -> JudgeCache:
        """The cache of the run in ``run_dir``; ``load`` also reads the runs it retries."""
        cache = cls(run_dir / CACHE_FILE, redact=redact)
        cache._run_dir = run_dir
        return cache

    def _parent_caches(self) -> list[Path]:
        """The caches of the runs this run retries, nearest first (metadata.parent_run)."""
        run_dir = self._run_dir
        if run_dir is None:
            return []
        parents: list[Path] = []
        seen = {run_dir.name}
        current = run_dir
        for _ in range(_MAX_PARENTS):
            parent_id = _parent_of(current)
            if parent_id is None or parent_id in seen:
                break
            seen.add(parent_id)
            current = run_dir.parent / parent_id
            parents.append(current / CACHE_FILE)
        return parents

    async def load(self) -> None:
        """Read the parents' caches, then this run's (its own entries win); off the event loop."""
        await anyio.to_thread.run_sync(self._load_sync)

    def _load_sync(self) -> None:
        self.parents = [*self.parents, *self._parent_caches()]
        paths = [*reversed(self.parents), *([self.path] if self.path else [])]
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue  # no cache yet (or a parent run that was deleted): nothing to reuse
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line torn by a kill; that verdict is simply asked again
                if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    self.entries[entry["key"]] = entry

    async def put(self, key: str, entry: dict[str, Any]) -> None:
        """Remember ``entry`` and append it to this run's cache file."""
        entry = {"key": key, **entry}
        self.entries[key] = entry
        if self.path is None:
            return
        line = json.dumps(entry, ensure_ascii=False)
        if self.redact is not None:
            line = self.redact(line)
        async with self._write_lock:
            try:
                await anyio.to_thread.run_sync(_append, self.path, line + "\n")
            except OSError as exc:  # the verdict stands; only its reuse is lost
                log.warning("cannot write %s: %s", self.path, exc)


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def _parent_of(run_dir: Path) -> str | None:
    try:
        meta = RunMetadata.model_validate_json((run_dir / "metadata.json").read_bytes())
    except (OSError, ValueError):
        return None
    return meta.parent_run


@dataclass
class JudgeOutcome:
    """The verdicts of one case's judges, and the fault that makes the case an error."""

    verdicts: dict[int, JudgeVerdict] = field(default_factory=dict)
    """Keyed by ``id(node)``, as ``EvalContext.judgements`` expects."""
    fault: str | None = None
    """Set when a judge's provider failed after its retries (an infrastructure fault)."""


@dataclass
class _Ask:
    node: LlmJudge
    client: ModelClient | None
    key: str = ""
    user: str = ""
    error: str | None = None


class Judges:
    """The run's judges: one ModelClient per provider name, and the run's cache."""

    def __init__(
        self,
        clients: Mapping[str, ModelClient],
        cache: JudgeCache | None = None,
        *,
        asked: bool = True,
    ) -> None:
        self.clients = clients
        self.cache = cache or JudgeCache()
        self.asked = asked
        """False when no case of the run has an llm_judge: its cases need not be looked at."""

    def no_verdicts(self) -> JudgeOutcome:
        """What ``judge`` gives a case without llm_judge (without looking at the case)."""
        return JudgeOutcome()

    async def judge(
        self,
        assertions: Sequence[Assertion],
        *,
        prompt: str,
        transcript: Transcript,
        variables: Mapping[str, str],
        expected: str | None,
        conversation_id: str,
    ) -> JudgeOutcome:
        """Ask every llm_judge of ``assertions`` (at once); record the calls in ``transcript``."""
        outcome = JudgeOutcome()
        # The same node object twice in a tree (shared by the code that built it) is one ask.
        nodes = list({id(node): node for node in judge_nodes(assertions)}.values())
        asks = [
            self._prepare(node, prompt, transcript.final_output, variables, expected)
            for node in nodes
        ]
        if not asks:
            return outcome
        calls: list[LlmCall | None] = [None] * len(asks)

        async def run(i: int, ask: _Ask) -> None:
            verdict, calls[i] = await self._verdict(ask, f"{conversation_id}#judge{i}")
            outcome.verdicts[id(ask.node)] = verdict

        async with anyio.create_task_group() as tg:
            for i, ask in enumerate(asks):
                tg.start_soon(run, i, ask)
        # Recorded in node order, whatever order the answers came in.
        for call in calls:
            if call is not None:
                transcript.llm_calls.append(call)
                if call.status == "error" and outcome.fault is None:
                    outcome.fault = f"llm_judge provider {call.provider!r} failed: {call.error}"
        return outcome

    def _prepare(
        self,
        node: LlmJudge,
        prompt: str,
        output: str,
        variables: Mapping[str, str],
        case_expected: str | None,
    ) -> _Ask:
        client = self.clients.get(node.provider)
        ask = _Ask(node=node, client=client)
        if client is None:
            ask.error = f"no provider {node.provider!r} in this run"
            return ask
        try:
            expected = (
                case_expected if node.expected is None else bound_value(node.expected, variables)
            )
            context = {"input": prompt, "output": output, "expected": expected or ""}
            rubric = render(node.rubric, context)
        except (TemplateRenderError, NotEvaluable) as exc:
            ask.error = f"rubric or expected failed to render: {exc}"
            return ask
        ask.user = judge_user_prompt(rubric, prompt, output, expected)
        ask.key = cache_key(client.name, client.model, rubric, prompt, output, expected)
        return ask

    async def _verdict(
        self, ask: _Ask, conversation_id: str
    ) -> tuple[JudgeVerdict, LlmCall | None]:
        name = ask.node.provider
        model = ask.client.model if ask.client is not None else ""
        if ask.error is not None or ask.client is None:
            return JudgeVerdict(provider=name, model=model, error=ask.error), None
        cache = self.cache
        # One request per key: a second identical judgement waits for the first's answer.
        while ask.key in cache._inflight:
            await cache._inflight[ask.key].wait()
        hit = cache.entries.get(ask.key)
        if hit is not None:
            return _from_entry(hit, name), None
        done = cache._inflight[ask.key] = anyio.Event()
        try:
            verdict, call = await self._ask(ask, conversation_id)
            if verdict.error is None and (verdict.passed is not None or verdict.score is not None):
                await cache.put(
                    ask.key,
                    {
                        "provider": verdict.provider,
                        "model": verdict.model,
                        "passed": verdict.passed,
                        "score": verdict.score,
                        "reason": verdict.reason,
                        "reply": verdict.reply,
                    },
                )
            return verdict, call
        finally:
            del cache._inflight[ask.key]
            done.set()

    async def _ask(self, ask: _Ask, conversation_id: str) -> tuple[JudgeVerdict, LlmCall]:
        client = ask.client
        assert client is not None
        request = ChatRequest(
            messages=[
                Message(role="system", content=JUDGE_SYSTEM_PROMPT),
                Message(role="user", content=ask.user),
            ],
            tools=[],
            conversation_id=conversation_id,
            purpose="judge",
        )
        call = LlmCall(provider=client.name, model=client.model, purpose="judge")
        started = monotonic_ms()
        reply: ChatResponse | None = None
        try:
            reply, call.attempts = await client.chat(request, lambda _event: None)
        except ProviderError as exc:
            call.status, call.error = "error", str(exc)
        call.latency_ms = elapsed_ms(started)
        if reply is None:
            return JudgeVerdict(provider=client.name, model=client.model, error=call.error), call
        call.usage = reply.usage
        if reply.model:
            call.model = reply.model
        passed, score, reason = parse_verdict(reply.text)
        verdict = JudgeVerdict(
            provider=client.name,
            model=call.model,
            passed=passed,
            score=score,
            reason=reason,
            reply=reply.text[:_REPLY_LIMIT],
        )
        return verdict, call


def _from_entry(entry: Mapping[str, Any], provider: str) -> JudgeVerdict:
    score = entry.get("score")
    passed = entry.get("passed")
    return JudgeVerdict(
        provider=str(entry.get("provider") or provider),
        model=str(entry.get("model") or ""),
        passed=passed if isinstance(passed, bool) else None,
        score=float(score) if isinstance(score, int | float) else None,
        reason=str(entry.get("reason") or ""),
        reply=str(entry.get("reply") or ""),
        cached=True,
    )
