"""One streamed request, timed: raw HTTP over aiohttp, each event stamped as its line arrives.

Why not the providers' SDKs (which ``bench execute`` uses): the generator's own CPU per
request bounds the rate it can offer, and the SDKs build a pydantic model per chunk before
the caller sees it, which both costs CPU and moves the TTFT stamp after that work.
Measured on the same zero-latency streaming fake (benchmarks/load_bench.py ``clients``): the
openai SDK's stream costs several times the CPU per request of reading the same stream with
aiohttp, and httpx in between; aiohttp is already a dependency (the SDKs' ``[aiohttp]``
transport). The clock is ``time.perf_counter``, read when a network read returns, before
its events are split and parsed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aiohttp

from .wire import Wire, http_class

__all__ = ["Measured", "new_session", "send"]


@dataclass(slots=True)
class Measured:
    """One request as the client saw it; times in seconds on the ``perf_counter`` clock."""

    started: float
    ttft_s: float | None = None
    e2e_s: float | None = None
    content_times: list[float] = field(default_factory=list)
    """When each content delta arrived (ITL is the gaps between them)."""
    output_tokens: int | None = None
    """From the server's usage; None when it sent none."""
    input_tokens: int | None = None
    error: str | None = None
    text: list[str] | None = None
    """The streamed text's pieces, when asked for (assertions)."""
    prompt: int = 0
    """Which prompt of the workload was sent."""

    @property
    def tokens(self) -> int:
        """Output tokens: the server's usage, else one per content delta (the estimate)."""
        if self.output_tokens is not None:
            return self.output_tokens
        return len(self.content_times)


def new_session(connections: int, timeout_s: float | None) -> aiohttp.ClientSession:
    """A client session with up to ``connections`` keep-alive connections (0: no limit)."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s or None)
    return aiohttp.ClientSession(
        connector=connector, timeout=timeout, auto_decompress=False, trust_env=False
    )


async def send(
    session: aiohttp.ClientSession,
    wire: Wire,
    prompt: str,
    max_tokens: int | None,
    *,
    keep_text: bool = False,
) -> Measured:
    """Send ``prompt`` and read its stream to the end; failures are classified, not raised."""
    body = wire.body(prompt, max_tokens)
    clock = time.perf_counter
    m = Measured(started=clock(), text=[] if keep_text else None)
    streaming = False
    try:
        async with session.post(wire.url, data=body, headers=wire.headers) as resp:
            if resp.status >= 400:
                await resp.read()
                m.error = http_class(resp.status)
                return m
            streaming = True
            done = False
            rest = b""
            # Whole network reads, split into lines here: one await per read, not per line;
            # every event of a read is stamped with the time the read returned.
            async for data in resp.content.iter_any():
                now = clock()
                *lines, rest = (rest + data).split(b"\n")
                for line in lines:
                    if line.startswith(b"data:") and _event(m, wire, line[5:], now):
                        if m.error is not None:
                            return m
                        done = True
            m.e2e_s = clock() - m.started
            if not done or m.ttft_s is None:
                m.error = "stream"  # cut off before the end, or an answer with no content
    except TimeoutError:
        m.error = "timeout"
    except aiohttp.ClientPayloadError:
        m.error = "stream"
    except (aiohttp.ClientError, OSError):
        m.error = "stream" if streaming else "connection"
    return m


def _event(m: Measured, wire: Wire, data: bytes, now: float) -> bool:
    """Take one event into ``m``; True when it ends the answer or fails it (``m.error``)."""
    try:
        ev = wire.parse(data)
    except (ValueError, TypeError, AttributeError):
        m.error = "stream"
        return True
    if ev.content:
        if m.ttft_s is None:
            m.ttft_s = now - m.started
        m.content_times.append(now)
        if m.text is not None:
            m.text.append(ev.content)
    if ev.output_tokens is not None:
        m.output_tokens = ev.output_tokens
    if ev.input_tokens is not None:
        m.input_tokens = ev.input_tokens
    if ev.error is not None:
        m.error = ev.error
        return True
    return ev.done
