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

Backoff is 1 s, 2 s, 4 s ... capped at 60 s. ``max_retries`` bounds the retries (so a call
makes at most ``max_retries + 1`` attempts). Every wait is reported through ``on_event`` as a
``RunEvent`` (``throttle``, ``rate_limited``, ``retry``) so the agent loop can fill the
transcript's events and ``RateLimitStats``; ``tally`` does the latter.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from .errors import ProviderError
from .plan import RetryPolicy
from .providers.base import ChatRequest, ChatResponse, Provider, RetryDecision
from .ratelimit import RateLimiter, estimate_request_tokens
from .transcript import RateLimitStats, RunEvent

__all__ = ["RATE_LIMIT_BUFFER_S", "backoff_delay", "call_with_retry", "tally"]

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
) -> tuple[ChatResponse, int]:
    """Call ``provider.generate`` with throttling and retries; return (response, attempts).

    ``now_ms`` gives the ``at_ms`` of recorded events (the agent loop passes ms since the
    case started; by default ms since this call started). ``sleep`` is injectable so tests
    never wait real seconds. After the last attempt a ``ProviderError`` is raised, chained
    to the provider's exception and carrying its status code and retry-after.
    """
    if now_ms is None:
        started = time.monotonic()

        def now_ms() -> float:
            return (time.monotonic() - started) * 1000.0

    max_retries = max(0, policy.max_retries)
    estimate = estimate_request_tokens(request.messages) if limiter is not None else 0
    timeout_s = policy.timeout_ms / 1000.0 if policy.timeout_ms > 0 else None
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
        try:
            # The SDK enforces the timeout too; this guard also covers the scripted provider
            # and a stream that trickles bytes slower than the SDK's per-read timeout.
            with anyio.fail_after(timeout_s):
                response = await provider.generate(request)
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
            if not _should_retry(decision, policy) or attempt > max_retries:
                error = _final_error(provider, decision, attempt, exc)
                if error is exc:
                    raise
                raise error from exc
            wait = _wait_for(decision, attempt)
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


def _classify(provider: Provider, exc: Exception, timeout_s: float | None) -> RetryDecision:
    if isinstance(exc, TimeoutError):
        return RetryDecision(kind="transient", message=f"request timed out after {timeout_s:g} s")
    try:
        return provider.classify(exc)
    except Exception:  # a classifier bug must not hide the real error
        return RetryDecision(kind="fatal", message=f"{type(exc).__name__}: {exc}")


def _final_error(
    provider: Provider, decision: RetryDecision, attempts: int, exc: Exception
) -> ProviderError:
    if isinstance(exc, ProviderError) and attempts == 1 and decision.kind == "fatal":
        return exc  # already ours and already clear (e.g. the scripted provider's)
    name = provider.spec.name
    message = decision.message or str(exc) or type(exc).__name__
    if attempts > 1:
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
