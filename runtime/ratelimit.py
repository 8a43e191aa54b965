"""Proactive throttling per provider: token buckets for requests and tokens per minute.

Semantics follow agent-benchmark (engine/ratelimit.go): an RPM bucket refills ``rpm/60`` per
second with a burst of ``rpm``; a TPM bucket refills ``tpm/60`` per second with a burst of
``tpm``. Before each request the caller ``acquire``s one request and an estimate of the
request's tokens; afterwards it ``record``s the tokens actually used, and any excess over the
reservation is debited then (so the next request waits for it). A calibration ratio
(actual / estimated, clamped 1..5, exponential moving average with alpha 0.2) scales later
estimates, as agent-benchmark does.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import anyio

from .plan import RateLimits
from .transcript import Message

__all__ = ["RateLimiter", "TokenBucket", "estimate_request_tokens", "estimate_tokens"]

_CALIBRATION_ALPHA = 0.2
_CALIBRATION_MAX = 5.0


def estimate_tokens(text: str) -> int:
    """Rough token count of ``text`` (chars / 4, at least 1 for non-empty text)."""
    if not text:
        return 0
    return max(1, len(text) // 4)


def estimate_request_tokens(messages: Iterable[Message]) -> int:
    """Tokens to reserve for a request: (input + input/2 completion guess) x 1.5.

    agent-benchmark's formula; the input is estimated at chars/4 (it uses tiktoken when it
    can, which we avoid as a heavy dependency; the calibration ratio corrects the difference).
    """
    chars = 0
    for message in messages:
        chars += len(message.content)
        for call in message.tool_calls:
            chars += len(call.name) + len(str(call.arguments))
    prompt = chars // 4
    return int((prompt + prompt // 2) * 1.5) + 1


@dataclass
class TokenBucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    capacity: float
    rate: float
    level: float
    updated: float

    def refill(self, now: float) -> None:
        """Add what accrued since the last update (never beyond capacity)."""
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` tokens are available (0 when they are now)."""
        missing = amount - self.level
        return 0.0 if missing <= 0 else missing / self.rate


class RateLimiter:
    """RPM and TPM token buckets for one provider, shared by all its concurrent calls.

    Callers queue on an ``anyio.Lock`` so the buckets are served first come, first served;
    the one waiting holds the lock while it sleeps, which is the point: nobody overtakes it.
    ``clock`` and ``sleep`` are injectable so tests run without waiting.
    """

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._rpm = TokenBucket(rpm, rpm / 60.0, rpm, now) if rpm and rpm > 0 else None
        self._tpm = TokenBucket(tpm, tpm / 60.0, tpm, now) if tpm and tpm > 0 else None
        self._lock = anyio.Lock()
        self._ratio = 1.0

    @classmethod
    def from_spec(
        cls,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> RateLimiter | None:
        """A limiter for a provider's ``rate_limits``, or None when neither rpm nor tpm is set."""
        if not (limits.rpm and limits.rpm > 0) and not (limits.tpm and limits.tpm > 0):
            return None
        return cls(rpm=limits.rpm, tpm=limits.tpm, clock=clock, sleep=sleep)

    @property
    def calibration(self) -> float:
        """Current actual/estimated token ratio applied to estimates (1..5)."""
        return self._ratio

    async def acquire(self, estimated_tokens: int = 0) -> tuple[float, int]:
        """Wait until one request and ``estimated_tokens`` fit; return (seconds waited, reserved).

        ``reserved`` is the tokens taken for the request (the estimate scaled by the
        calibration ratio, capped at the bucket); pass it to ``record`` afterwards.
        """
        reserve = 0
        if self._tpm is not None:
            # A request larger than the whole bucket could never fit: cap it at capacity so
            # it waits for a full bucket instead of forever.
            reserve = min(int(estimated_tokens * self._ratio), int(self._tpm.capacity))
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                delay = 0.0
                if self._rpm is not None:
                    self._rpm.refill(now)
                    delay = max(delay, self._rpm.wait_for(1))
                if self._tpm is not None:
                    self._tpm.refill(now)
                    delay = max(delay, self._tpm.wait_for(reserve))
                if delay <= 0:
                    break
                await self._sleep(delay)
                waited += delay
            if self._rpm is not None:
                self._rpm.level -= 1
            if self._tpm is not None:
                self._tpm.level -= reserve
        return waited, reserve

    def record(self, actual_tokens: int, *, reserved: int) -> None:
        """Account the tokens a request really used.

        ``reserved`` is what ``acquire`` took for that request; usage above it is debited
        now, and the calibration ratio moves toward actual / estimated.
        """
        if self._tpm is None:
            return
        if actual_tokens > reserved:
            self._tpm.refill(self._clock())
            self._tpm.level -= actual_tokens - reserved
        if reserved > 0 and actual_tokens > 0:
            estimate = reserved / self._ratio
            observed = min(_CALIBRATION_MAX, max(1.0, actual_tokens / estimate))
            self._ratio += _CALIBRATION_ALPHA * (observed - self._ratio)
            self._ratio = min(_CALIBRATION_MAX, max(1.0, self._ratio))
