"""The one retry loop for provider calls: throttling, 429 handling, backoff, timeouts.

Adapters only classify their errors (``Provider.classify`` -> ``RetryDecision``); what to do
about them is decided here, once:

- ``rate_limit`` (HTTP 429): retried while ``policy.retry_on_429`` (the default; false turns
  it off, as agent-benchmark's default is); the wait is the
  provider's Retry-After (header or error text) plus a 1 s buffer, else exponential backoff.
  The buffer is the documented 1 s (agent-benchmark's docs), not the 10 s its code adds: we
  honour the server's own figure and a second of clock skew is enough.
- ``transient`` (5xx, timeout, connection): retried with backoff (or the server's
  Retry-After when a 503 sends one) regardless of ``retry_on_429``.
- ``fatal``: raised at once.

``policy.timeout_ms`` is the request's total deadline: attempts and the waits between them
share it, and a retry whose wait would end past it is not made (the error says so).

Backoff is 1 s, 2 s, 4 s ... capped at 60 s. ``max_retries`` bounds the retries (so a call
makes at most ``max_retries + 1`` attempts). Every wait is reported through ``on_event`` as a
``RunEvent`` (``throttle``, ``rate_limited``, ``retry``) so the agent loop can fill the
transcript's events and ``RateLimitStats``; ``tally`` does the latter.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import CoroutineType
from typing import Any, Generic, TypeVar, cast

import anyio

from .errors import ProviderError
from .plan import RetryPolicy
from .providers.base import ChatRequest, ChatResponse, Provider, RetryDecision
from .ratelimit import RateLimiter, estimate_request_tokens
from .transcript import RateLimitStats, RunEvent

__all__ = ["RATE_LIMIT_BUFFER_S", "backoff_delay", "call_with_retry", "tally", "within_deadline"]

T = TypeVar("T")

RATE_LIMIT_BUFFER_S = 1.0
"""Added to a provider's Retry-After so the retry lands past the window (docs: 1 s)."""

_BACKOFF_BASE_S = 1.0
_BACKOFF_CAP_S = 60.0
_THROTTLE_EVENT_MIN_S = 0.01
"""Limiter waits shorter than this are not throttles (agent-benchmark counts > 10 ms)."""


def backoff_delay(retry_number: int) -> float:
    """Exponential backoff before retry ``retry_number`` (1-based): 1, 2, 4 ... capped at 60 s."""
    return min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2.0 ** max(0, retry_number - 1))


def _wait_for(decision: RetryDecision, retry_number: int) -> float:
    if decision.retry_after is not None and decision.retry_after >= 0:
        if decision.kind == "rate_limit":
            return decision.retry_after + RATE_LIMIT_BUFFER_S
        return decision.retry_after
    return backoff_delay(retry_number)


def _should_retry(decision: RetryDecision, policy: RetryPolicy) -> bool:
    if decision.kind == "rate_limit":
        return policy.retry_on_429
    return decision.kind == "transient"


async def call_with_retry(
    provider: Provider,
    request: ChatRequest,
    *,
    policy: RetryPolicy,
    limiter: RateLimiter | None,
    on_event: Callable[[RunEvent], None],
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    now_ms: Callable[[], float] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[ChatResponse, int]:
    """Call ``provider.generate`` with throttling and retries; return (response, attempts).

    ``now_ms`` gives the ``at_ms`` of recorded events (the agent loop passes ms since the
    case started; by default ms since this call started). ``sleep`` and ``clock`` (seconds,
    for the request deadline ``policy.timeout_ms``) are injectable so tests never wait real
    seconds. After the last attempt a ``ProviderError`` is raised, chained
    to the provider's exception and carrying its status code and retry-after.
    """
    if now_ms is None:
        started = time.monotonic()

        def now_ms() -> float:
            return (time.monotonic() - started) * 1000.0

    max_retries = max(0, policy.max_retries)
    estimate = estimate_request_tokens(request.messages) if limiter is not None else 0
    timeout_s = policy.timeout_ms / 1000.0 if policy.timeout_ms > 0 else None
    # When the answer is due (``clock`` time), set as the first attempt starts: attempts and
    # the waits between them come out of one budget, so a request queued behind others on a
    # busy server cannot run for several timeouts in a row.
    deadline: float | None = None
    attempt = 0
    while True:
        attempt += 1
        reserved = 0
        if limiter is not None:
            at = now_ms()
            waited, reserved = await limiter.acquire(estimate)
            if waited > _THROTTLE_EVENT_MIN_S:
                on_event(
                    RunEvent(kind="throttle", at_ms=at, wait_ms=waited * 1000.0, attempt=attempt)
                )
        if deadline is None and timeout_s is not None:
            deadline = clock() + timeout_s
        try:
            # The SDK's own timeout is per read; this bounds the whole attempt (queueing at a
            # busy server, a stream that trickles bytes) and covers the scripted provider.
            response = await within_deadline(provider.generate(request), deadline, clock)
        except Exception as exc:  # classified below; nothing escapes unclassified
            decision = _classify(provider, exc, timeout_s)
            if decision.kind == "rate_limit":
                on_event(
                    RunEvent(
                        kind="rate_limited",
                        at_ms=now_ms(),
                        attempt=attempt,
                        detail=decision.message,
                    )
                )
            wait = _wait_for(decision, attempt)
            retryable = _should_retry(decision, policy) and attempt <= max_retries
            late = retryable and deadline is not None and clock() + wait >= deadline
            if not retryable or late:
                error = _final_error(
                    provider, decision, attempt, exc, deadline_s=timeout_s if late else None
                )
                if error is exc:
                    raise
                raise error from exc
            on_event(
                RunEvent(
                    kind="retry",
                    at_ms=now_ms(),
                    wait_ms=wait * 1000.0,
                    attempt=attempt,
                    detail=f"{decision.kind}: {decision.message}",
                )
            )
            await sleep(wait)
            continue
        if limiter is not None:
            limiter.record(response.usage.total, reserved=reserved)
        return response, attempt


async def within_deadline(
    call: Awaitable[T], deadline: float | None, clock: Callable[[], float] = time.monotonic
) -> T:
    """Await ``call``; once it waits, ``TimeoutError`` when it is not done by ``deadline``
    (a ``clock`` time; None: no deadline).

    A deadline only matters to a call that waits. A call that answers in its first step (a
    cassette or cache hit, a scripted reply) never suspends, so it is run at once without the
    timeout scope (a timer on the event loop and a cancel scope, entered and left: a tenth of
    a replayed case's CPU, benchmarks/replay_bench.py). A call that suspends continues under
    the scope from the point where it suspended, with what is left of the deadline.
    """
    if not isinstance(call, CoroutineType):  # the concrete type: an ABC check costs more
        with anyio.fail_after(_remaining(deadline, clock)):
            return await call
    try:
        waiting_on = call.send(None)
    except StopIteration as done:  # answered without waiting
        return cast(T, done.value)
    rest = _Suspended(cast("Coroutine[Any, Any, T]", call), waiting_on)
    if deadline is None:
        return await rest
    with anyio.fail_after(_remaining(deadline, clock)):
        return await rest


def _remaining(deadline: float | None, clock: Callable[[], float]) -> float | None:
    return None if deadline is None else max(0.0, deadline - clock())


class _Suspended(Generic[T]):
    """The rest of a coroutine that suspended on ``waiting_on``, to be awaited where it is.

    Awaiting it hands ``waiting_on`` to the event loop as the coroutine's own ``await`` would
    have, then passes every value, exception and close between the loop and the coroutine
    (``yield from``'s delegation), so its cancellation and its result are the coroutine's.
    """

    def __init__(self, coro: Coroutine[Any, Any, T], waiting_on: Any) -> None:
        self._coro = coro
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, T]:
        coro, yielded = self._coro, self._waiting_on
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # a cancellation, thrown in where the call waits
                try:
                    yielded = coro.throw(exc)
                except StopIteration as done:
                    return cast(T, done.value)
            else:
                try:
                    yielded = coro.send(sent)
                except StopIteration as done:
                    return cast(T, done.value)


def _classify(provider: Provider, exc: Exception, timeout_s: float | None) -> RetryDecision:
    if isinstance(exc, TimeoutError):
        return RetryDecision(
            kind="transient",
            message=f"timed out: no answer within the request deadline ({timeout_s:g} s)",
        )
    try:
        return provider.classify(exc)
    except Exception:  # a classifier bug must not hide the real error
        return RetryDecision(kind="fatal", message=f"{type(exc).__name__}: {exc}")


def _final_error(
    provider: Provider,
    decision: RetryDecision,
    attempts: int,
    exc: Exception,
    *,
    deadline_s: float | None = None,
) -> ProviderError:
    if isinstance(exc, ProviderError) and attempts == 1 and decision.kind == "fatal":
        return exc  # already ours and already clear (e.g. the scripted provider's)
    name = provider.spec.name
    message = decision.message or str(exc) or type(exc).__name__
    if deadline_s is not None and not isinstance(exc, TimeoutError):
        message = (
            f"{message} (not retried: the next attempt could not start within the request "
            f"deadline of {deadline_s:g} s; after {attempts} attempt{'s' if attempts > 1 else ''})"
        )
    elif attempts > 1:
        message = f"{message} (gave up after {attempts} attempts)"
    elif decision.kind == "rate_limit":
        message = f"{message} (429 not retried: retry.retry_on_429 is false)"
    return ProviderError(
        f"provider '{name}': {message}",
        provider=name,
        status_code=decision.status_code,
        retry_after=decision.retry_after,
    )


def tally(stats: RateLimitStats, event: RunEvent) -> None:
    """Fold one ``RunEvent`` from ``call_with_retry`` into a case's ``RateLimitStats``.

    Call ``stats.retry_success_count += 1`` yourself when a call succeeded after retries
    (``attempts > 1``).
    """
    if event.kind == "throttle":
        stats.throttle_count += 1
        stats.throttle_wait_ms += event.wait_ms
    elif event.kind == "rate_limited":
        stats.rate_limit_hits += 1
    elif event.kind == "retry":
        stats.retry_count += 1
        stats.retry_wait_ms += event.wait_ms
