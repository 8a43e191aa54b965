"""External agents: the user's own program, run as long-lived workers speaking JSON lines.

Protocol (PacaBench's, one line each way per case)::

    stdin  <- {"case_id": "...", "input": "...", "history": [...], "metadata": {...}}
    stdout -> {"output": "...", "error": null, "metrics": {...}}      (metrics optional)

``ExternalAgentPool`` runs ``spec.workers`` processes, hands each case to an idle one and
returns an ``ExternalCaseResult``. A crash (a signal such as SIGSEGV included), a hang past
the case timeout, a line that is not a JSON object, or an exit before answering makes that
case an error with the reason, the worker is replaced by a fresh process for the next case,
and the run goes on. An ``error`` the agent reports itself is an error of the case too.

The agent's environment is bench's own, then the agent's ``env`` (secret references
resolved), then, when a metrics proxy is given, the proxy's base URLs (``OPENAI_BASE_URL``,
``ANTHROPIC_BASE_URL``, ``GOOGLE_GEMINI_BASE_URL``) on a channel of its own per worker, so
every LLM call is measured and attributed to the case that made it. ``open_external_agent``
starts a proxy whose upstreams are the base URLs the agent's env named (or the real
providers), so an agent configured for vLLM still reaches vLLM, through the proxy.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from ..clock import monotonic_ms
from ..errors import AgentError
from ..plan import ExternalAgent
from ..transcript import LlmCall, Message, TokenUsage, Transcript
from .worker import StderrRing, Worker, WorkerFault, describe_exit

if TYPE_CHECKING:  # the proxy (starlette, uvicorn) loads only when an agent needs it
    from ..proxy import MetricsProxy, ProxyChannel

__all__ = [
    "ExternalAgentPool",
    "ExternalCaseResult",
    "agent_environment",
    "open_external_agent",
    "proxy_upstreams",
]

log = logging.getLogger("bench.runtime")

_SHELL_TIMEOUT_S = 600.0


@dataclass
class ExternalCaseResult:
    """What one case produced: the answer or the reason there is none, and measurements."""

    output: str = ""
    """The agent's answer (``""`` when it gave none)."""
    error: str | None = None
    """Why the case is an error: a process fault or the agent's own ``error``."""
    llm_calls: list[LlmCall] = field(default_factory=list)
    """The case's LLM calls, as the metrics proxy saw them."""
    stderr: str = ""
    """The agent's stderr during the case (the last 64 KB)."""
    latency_ms: float = 0.0
    """From sending the request line to the answer (or the fault)."""
    metrics: dict[str, Any] | None = None
    """Metrics the agent reported itself (kept apart from the proxy's measurements)."""
    restarted: bool = False
    """The worker was stopped after this case and will be replaced."""

    def to_transcript(self, prompt: str) -> Transcript:
        """A transcript for assertions and reports: messages, calls, usage, output, errors."""
        usage = TokenUsage()
        for call in self.llm_calls:
            if call.purpose == "agent":
                usage.add(call.usage)
        messages = [Message(role="user", content=prompt)]
        if self.output:
            messages.append(Message(role="assistant", content=self.output, at_ms=self.latency_ms))
        return Transcript(
            messages=messages,
            llm_calls=list(self.llm_calls),
            final_output=self.output,
            errors=[self.error] if self.error else [],
            usage=usage,
            latency_ms=self.latency_ms,
            iterations=len(self.llm_calls),
            stderr=self.stderr or None,
        )


def agent_environment(
    spec: ExternalAgent,
    env: Mapping[str, str] | None = None,
    *,
    redactor: Any = None,
) -> dict[str, str]:
    """bench's environment (``env`` or ``os.environ``) with the agent's ``env`` resolved on top.

    Raises ``MissingSecretError`` (an InputError) naming the variable when a reference is unset.
    """
    from ..secrets import resolve

    base = dict(os.environ if env is None else env)
    for key, value in spec.env.items():
        resolved = resolve(value, base, what=f"agent {spec.name} env {key}", redactor=redactor)
        base[key] = resolved or ""
    return base


def proxy_upstreams(agent_env: Mapping[str, str]) -> dict[str, str]:
    """Upstream base URLs named by the agent's own environment (the rest stay the defaults)."""
    from ..proxy import ENV_VARS

    return {name: agent_env[var] for name, var in ENV_VARS.items() if agent_env.get(var)}


def _with_proxy(env: Mapping[str, str], channel: ProxyChannel) -> dict[str, str]:
    out = dict(env)
    out.update(channel.env())
    # An HTTP proxy in the environment must not capture loopback calls to the metrics proxy.
    no_proxy = [p for p in (out.get("NO_PROXY") or out.get("no_proxy") or "").split(",") if p]
    for host in ("127.0.0.1", "localhost"):
        if host not in no_proxy:
            no_proxy.append(host)
    out["NO_PROXY"] = out["no_proxy"] = ",".join(no_proxy)
    return out


@dataclass
class _Slot:
    """A worker position: its process (replaced after faults) and its proxy channel."""

    index: int
    worker: Worker | None = None
    channel: ProxyChannel | None = None


class ExternalAgentPool:
    """``spec.workers`` processes of one external agent, each serving one case at a time."""

    def __init__(
        self,
        spec: ExternalAgent,
        *,
        proxy: MetricsProxy | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.proxy = proxy
        self.env = agent_environment(spec, env)
        """The agent's full environment (before the proxy's URLs)."""
        self.restarts = 0
        """Processes replaced after a fault."""
        self._stack: AsyncExitStack | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._idle_send: Any = None
        self._idle_receive: Any = None
        self._slots: list[_Slot] = []

    async def __aenter__(self) -> ExternalAgentPool:
        if not self.spec.command:
            raise AgentError(f"agent {self.spec.name!r} has an empty command")
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            if self.spec.setup:
                await self._shell("setup", self.spec.setup)
            if self.spec.teardown:
                # Registered once setup succeeded, so it runs whatever happens next.
                stack.push_async_callback(self._teardown)
            self._tg = await stack.enter_async_context(anyio.create_task_group())
            stack.push_async_callback(self._stop_all)
            count = max(1, self.spec.workers)
            send, receive = anyio.create_memory_object_stream[_Slot](count)
            self._idle_send, self._idle_receive = send, receive
            stack.callback(send.close)
            stack.callback(receive.close)
            for n in range(count):
                slot = _Slot(n, channel=self.proxy.channel() if self.proxy else None)
                self._slots.append(slot)
                send.send_nowait(slot)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)

    async def run_case(
        self,
        case_id: str,
        input: str,
        history: Sequence[Mapping[str, Any] | Message] = (),
        metadata: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> ExternalCaseResult:
        """Run one case on an idle worker; faults come back in ``error``, never raised."""
        timeout = timeout_s if timeout_s is not None else self.spec.timeout_ms / 1000
        request = {
            "case_id": case_id,
            "input": input,
            "history": [_history_item(m) for m in history],
            "metadata": dict(metadata or {}),
        }
        line = (json.dumps(request, ensure_ascii=False, default=str) + "\n").encode()
        slot: _Slot = await self._idle_receive.receive()
        try:
            return await self._run_on(slot, case_id, line, timeout)
        finally:
            self._idle_send.send_nowait(slot)

    async def _run_on(
        self, slot: _Slot, case_id: str, line: bytes, timeout: float
    ) -> ExternalCaseResult:
        result = ExternalCaseResult()
        if slot.channel is not None:
            slot.channel.begin(case_id)
        t0 = monotonic_ms()
        worker: Worker | None = None
        try:
            worker = await self._ensure_worker(slot)
            worker.stderr.take()  # stderr written between cases belongs to no case
            answer = await worker.ask(line, timeout)
            _read_answer(answer, result)
        except WorkerFault as fault:
            result.error = f"agent {self.spec.name!r}: {fault}"
            result.restarted = True
            self.restarts += 1
            slot.worker = None
        result.latency_ms = round(monotonic_ms() - t0, 2)
        if worker is not None:
            result.stderr = worker.stderr.take()
        if slot.channel is not None:
            misses = slot.channel.take_misses()
            if misses:  # a replay lacked an answer: that, not what the agent made of it
                result.error = misses[0]
            result.llm_calls = slot.channel.end()
        return result

    async def _ensure_worker(self, slot: _Slot) -> Worker:
        worker = slot.worker
        if worker is not None and worker.alive:
            return worker
        if worker is not None:
            # It exited between cases (some agents answer once and quit): start a new one.
            await worker.stop(kill=True)
        env = self.env
        if slot.channel is not None:
            env = _with_proxy(env, slot.channel)
        worker = Worker(
            self.spec.command,
            env=env,
            cwd=self.spec.working_dir,
            name=f"{self.spec.name}#{slot.index}",
        )
        slot.worker = worker
        assert self._tg is not None
        await worker.start(self._tg)
        return worker

    async def _stop_all(self) -> None:
        async with anyio.create_task_group() as tg:
            for slot in self._slots:
                if slot.worker is not None:
                    tg.start_soon(slot.worker.stop)
        if self.proxy is not None:
            for slot in self._slots:
                if slot.channel is not None:
                    self.proxy.close_channel(slot.channel)

    async def _teardown(self) -> None:
        assert self.spec.teardown is not None
        with anyio.CancelScope(shield=True):
            try:
                await self._shell("teardown", self.spec.teardown)
            except AgentError as exc:
                # The run's results stand; a failed cleanup is worth a warning, not a failure.
                log.warning("%s", exc)

    async def _shell(self, what: str, command: str) -> None:
        """Run a setup/teardown command with the agent's env and working directory."""
        ring = StderrRing(4096)
        try:
            with anyio.fail_after(_SHELL_TIMEOUT_S):
                # stdout is not kept (it could be large); stderr explains a failure.
                done = await anyio.run_process(
                    ["/bin/sh", "-c", command],
                    cwd=self.spec.working_dir,
                    env=self.env,
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
        except TimeoutError:
            raise AgentError(
                f"{what} command of agent {self.spec.name!r} did not finish within "
                f"{_SHELL_TIMEOUT_S:g}s"
            ) from None
        except OSError as exc:
            raise AgentError(
                f"{what} command of agent {self.spec.name!r} could not start: {exc}"
            ) from exc
        if done.returncode != 0:
            ring.write(done.stderr or b"")
            tail = ring.take().strip()
            raise AgentError(
                f"{what} command of agent {self.spec.name!r} {describe_exit(done.returncode)}"
                + (f": {tail}" if tail else "")
            )


def _history_item(item: Any) -> Any:
    """A history entry as JSON: transcript messages become ``{"role", "content"}``."""
    if isinstance(item, Message):
        return {"role": item.role, "content": item.content}
    return item


def _read_answer(answer: dict[str, Any], result: ExternalCaseResult) -> None:
    """Fill ``result`` from the agent's answer object."""
    if "output" not in answer and "error" not in answer:
        keys = ", ".join(sorted(answer)) or "none"
        result.error = f'agent answered without "output" or "error" (keys: {keys})'
        return
    output = answer.get("output")
    if output is None:
        result.output = ""
    elif isinstance(output, str):
        result.output = output
    else:
        result.output = json.dumps(output, ensure_ascii=False)
    error = answer.get("error")
    if error not in (None, "", False):
        text = error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)
        result.error = f"agent reported an error: {text}"
    metrics = answer.get("metrics")
    if isinstance(metrics, dict):
        result.metrics = metrics


@asynccontextmanager
async def open_external_agent(
    spec: ExternalAgent,
    env: Mapping[str, str] | None = None,
    *,
    measure: bool = True,
    tape: Any = None,
) -> AsyncIterator[ExternalAgentPool]:
    """A pool for ``spec`` behind its own metrics proxy (upstreams from the agent's env).

    This is what the runtime uses per external agent; ``measure=False`` runs without a proxy.
    ``tape`` (runtime.replay.proxy_tape.ProxyTape) records or replays the agent's LLM calls.
    """
    if not measure:
        async with ExternalAgentPool(spec, env=env) as pool:
            yield pool
        return
    from ..proxy import MetricsProxy

    pool = ExternalAgentPool(spec, env=env)  # resolves the agent's env once, starts nothing
    async with MetricsProxy(proxy_upstreams(pool.env), tape=tape) as proxy:
        pool.proxy = proxy
        async with pool:
            yield pool
