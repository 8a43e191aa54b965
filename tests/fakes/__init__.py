"""Wire-level fakes of the LLM providers' HTTP APIs, for tests and benchmarks.

Each fake is a Starlette app driven by a ``FakeLLM`` script: a queue of ``Reply`` and
``Fault`` items consumed one per request (when the queue is empty the ``default`` reply
answers, so benchmarks can send thousands of requests), an optional fixed ``latency_s``, and
a record of every request for assertions. Serve one with ``serve_in_thread``::

    fake = FakeLLM()
    fake.push(Reply(text="hi", usage=Usage(12, 3)), Fault.status(429, retry_after="2"))
    with serve_in_thread(openai_app(fake)) as base_url:
        ...  # point the SDK at f"{base_url}/v1"
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from .serve import serve_in_thread

__all__ = [
    "MALFORMED_BODY",
    "Fault",
    "FakeLLM",
    "RecordedRequest",
    "Reply",
    "StreamTiming",
    "ToolCallSpec",
    "Usage",
    "receive",
    "serve_in_thread",
    "timed_stream",
]


@dataclass(frozen=True)
class Usage:
    """Token counts the fake reports (None: report no usage at all)."""

    input: int
    output: int
    cached: int = 0


@dataclass(frozen=True)
class ToolCallSpec:
    """A tool call in a fake reply; ``raw_arguments`` overrides the JSON of ``arguments``."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    raw_arguments: str | None = None


@dataclass(frozen=True)
class Reply:
    """A successful answer."""

    text: str = ""
    tool_calls: tuple[ToolCallSpec, ...] = ()
    usage: Usage | None = Usage(10, 5)
    latency_s: float | None = None
    """Delay before answering (overrides the fake's ``latency_s``)."""
    truncated: bool = False
    """Streamed: the connection closes after the content, before the end of the answer (no
    finish reason, no ``[DONE]``, no ``message_stop``); not streamed it changes nothing."""


@dataclass(frozen=True)
class Fault:
    """A failure: an HTTP error status, a stalled response or a malformed body."""

    kind: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "fake failure"
    stall_s: float = 30.0

    @classmethod
    def http(
        cls,
        status: int,
        *,
        retry_after: str | None = None,
        retry_after_ms: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """An error response with ``status`` (429 carries Retry-After when given)."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        default = "Rate limit reached" if status == 429 else f"fake error {status}"
        return cls("status", status=status, headers=headers, message=message or default)

    @classmethod
    def stall(cls, seconds: float = 30.0) -> Fault:
        """Accept the request and answer nothing for ``seconds``."""
        return cls("stall", stall_s=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        """A 200 with ``content-type: application/json`` and a body that is not JSON."""
        return cls("malformed")

    @classmethod
    def in_stream(cls, status: int, *, message: str | None = None) -> Fault:
        """A streamed call that starts with 200 and a first event, then an error event
        meaning ``status`` (Anthropic and Gemini fakes; a non-streamed call gets the status)."""
        default = "Rate limit reached" if status == 429 else f"fake error {status}"
        return cls("in_stream", status=status, message=message or default)


@dataclass(frozen=True)
class RecordedRequest:
    """What the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    query: dict[str, str]


@dataclass(frozen=True)
class StreamTiming:
    """A streamed answer's pace (load tests): first token after ``ttft_s``, then one token
    every ``per_token_s``, ``tokens`` in all; ``serial`` serves one request at a time."""

    ttft_s: float = 0.2
    per_token_s: float = 0.02
    tokens: int = 10
    serial: bool = False
    """One answer at a time (a global lock): the others queue, as on a saturated server."""
    usage: bool = True
    """Report usage (output tokens = ``tokens``); off: the client must estimate."""


class FakeLLM:
    """The script a fake server follows, and what it saw. Thread-safe."""

    def __init__(self, *, default: Reply | None = Reply(text="ok"), latency_s: float = 0.0) -> None:
        self.default = default
        """Answer when the queue is empty (None: answer 500 "script exhausted")."""
        self.latency_s = latency_s
        """Fixed delay before each answer (0: answer at once)."""
        self.record_requests = True
        """Benchmarks turn this off to keep memory flat over thousands of requests."""
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[RecordedRequest], Reply | Fault | None] | None = None
        """Answers a request from its content (before the queue; None falls through), so
        concurrent conversations get their own replies whatever order they arrive in."""
        self.count = 0
        self.timing: StreamTiming | None = None
        """When set, every streamed answer is ``timing.tokens`` tokens at ``timing``'s pace."""
        self._queue: deque[Reply | Fault] = deque()
        self._lock = threading.Lock()
        self._serial: Any = None  # an anyio.Lock, made in the server's event loop

    def push(self, *items: Reply | Fault) -> FakeLLM:
        """Queue replies and faults, consumed one per request in order."""
        with self._lock:
            self._queue.extend(items)
        return self

    def reset(self) -> FakeLLM:
        """Forget what was received and what is queued (a module-scoped fake, between tests)."""
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self.responder = None
        return self

    def next_item(self, request: RecordedRequest) -> Reply | Fault:
        """Record ``request`` and return what to answer it with."""
        with self._lock:
            self.count += 1
            if self.record_requests:
                self.requests.append(request)
            if self.responder is not None:
                answer = self.responder(request)
                if answer is not None:
                    return answer
            if self._queue:
                return self._queue.popleft()
        if self.default is None:
            return Fault.http(500, message="fake script exhausted")
        return self.default

    def delay_for(self, item: Reply | Fault) -> float:
        """Seconds to wait before answering ``item``."""
        if isinstance(item, Reply) and item.latency_s is not None:
            return item.latency_s
        return self.latency_s


async def receive(fake: FakeLLM, request: Any) -> tuple[Reply | Fault, RecordedRequest]:
    """Read a Starlette request, record it, wait the configured latency; return both.

    A stall fault sleeps here (the client's timeout is what ends it).
    """
    import asyncio
    import json

    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {"_raw": raw.decode("utf-8", "replace")}
    recorded = RecordedRequest(
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        query=dict(request.query_params),
    )
    item = fake.next_item(recorded)
    if isinstance(item, Fault) and item.kind == "stall":
        # Poll for the client going away (its timeout) so the handler ends with it instead
        # of outliving the test and holding the server's shutdown up.
        deadline = asyncio.get_running_loop().time() + item.stall_s
        while asyncio.get_running_loop().time() < deadline:
            if await request.is_disconnected():
                break
            await asyncio.sleep(0.02)
        return item, recorded
    delay = fake.delay_for(item)
    if delay > 0:
        await asyncio.sleep(delay)
    return item, recorded


MALFORMED_BODY = b'{"id": "x", "choices": [ this is not json'
"""The body a malformed fault sends, with ``content-type: application/json``."""


async def timed_stream(
    fake: FakeLLM, head: list[bytes], token: Any, tail: list[bytes]
) -> AsyncIterator[bytes]:
    """``head``, then ``token(i)`` for each token on ``fake.timing``'s schedule, then ``tail``.

    Each token is due at an absolute time (start + ttft + i * per_token), so sleep overshoot
    does not accumulate. In serial mode the whole answer holds the fake's one lock, and the
    clock starts when it gets it.
    """
    import anyio

    timing = fake.timing
    assert timing is not None
    if timing.serial and fake._serial is None:
        fake._serial = anyio.Lock()
    async with fake._serial if timing.serial else _no_lock():
        start = anyio.current_time()
        for chunk in head:
            yield chunk
        for i in range(timing.tokens):
            delay = start + timing.ttft_s + i * timing.per_token_s - anyio.current_time()
            if delay > 0:
                await anyio.sleep(delay)
            yield token(i)
        for chunk in tail:
            yield chunk


@asynccontextmanager
async def _no_lock() -> AsyncIterator[None]:
    yield
