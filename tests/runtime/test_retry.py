"""runtime.retry: which failures are retried, how long it waits, what it records.

Pure unit tests with an in-process provider double (the wire-level fault cases run against
the fake servers in test_providers_*.py); ``sleep`` is injected so nothing waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from runtime.errors import ProviderError
from runtime.plan import RetryPolicy, ScriptedProvider
from runtime.providers.base import ChatRequest, ChatResponse, RetryDecision
from runtime.retry import backoff_delay, call_with_retry, tally
from runtime.transcript import Message, RateLimitStats, RunEvent, TokenUsage

pytestmark = pytest.mark.anyio


class Boom(Exception):
    def __init__(self, decision: RetryDecision) -> None:
        super().__init__(decision.message)
        self.decision = decision


@dataclass
class FlakyProvider:
    """Fails with the given decisions in turn, then answers."""

    failures: list[RetryDecision]
    spec: ScriptedProvider = field(default_factory=lambda: ScriptedProvider(name="flaky"))
    calls: int = 0

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        if self.failures:
            raise Boom(self.failures.pop(0))
        return ChatResponse(text="ok", usage=TokenUsage(input=3, output=2))

    def classify(self, exc: BaseException) -> RetryDecision:
        assert isinstance(exc, Boom)
        return exc.decision

    async def aclose(self) -> None:
        pass


REQ = ChatRequest(messages=[Message(role="user", content="hi")], tools=[], conversation_id="c")
R429 = RetryDecision(
    kind="rate_limit", retry_after=5.0, status_code=429, message="HTTP 429: slow down"
)
R429_NO_HINT = RetryDecision(kind="rate_limit", status_code=429, message="HTTP 429")
R500 = RetryDecision(kind="transient", status_code=500, message="HTTP 500: oops")
FATAL = RetryDecision(kind="fatal", status_code=400, message="HTTP 400: bad request")


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.events: list[RunEvent] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def _run(
    provider: FlakyProvider, policy: RetryPolicy, rec: Recorder
) -> tuple[ChatResponse, int]:
    return await call_with_retry(
        provider, REQ, policy=policy, limiter=None, on_event=rec.events.append, sleep=rec.sleep
    )


@pytest.mark.requirement("retry:429-retried-by-default")
async def test_429_is_retried_by_default() -> None:
    rec = Recorder()
    provider = FlakyProvider([R429, R429])
    response, attempts = await _run(provider, RetryPolicy(), rec)
    assert attempts == 3 and len(rec.sleeps) == 2


@pytest.mark.requirement("retry:429-retried-by-default")
async def test_429_not_retried_when_switched_off() -> None:
    rec = Recorder()
    provider = FlakyProvider([R429])
    with pytest.raises(ProviderError) as info:
        await _run(provider, RetryPolicy(retry_on_429=False), rec)
    assert provider.calls == 1 and rec.sleeps == []
    assert info.value.status_code == 429 and info.value.retry_after == 5.0
    assert "retry_on_429" in str(info.value)
    assert [e.kind for e in rec.events] == ["rate_limited"]


@pytest.mark.requirement("retry:429-retry-after")
async def test_429_waits_retry_after_plus_one_second() -> None:
    rec = Recorder()
    provider = FlakyProvider([R429, R429])
    response, attempts = await _run(provider, RetryPolicy(retry_on_429=True), rec)
    assert response.text == "ok" and attempts == 3
    assert rec.sleeps == [6.0, 6.0]
    assert [e.kind for e in rec.events] == ["rate_limited", "retry", "rate_limited", "retry"]
    assert [e.attempt for e in rec.events if e.kind == "retry"] == [1, 2]
    assert rec.events[1].wait_ms == 6000.0


@pytest.mark.requirement("retry:max-retries")
async def test_429_without_hint_backs_off_and_gives_up_after_max_retries() -> None:
    rec = Recorder()
    provider = FlakyProvider([R429_NO_HINT] * 10)
    with pytest.raises(ProviderError, match="gave up after 4 attempts"):
        await _run(provider, RetryPolicy(retry_on_429=True, max_retries=3), rec)
    assert provider.calls == 4
    assert rec.sleeps == [1.0, 2.0, 4.0]


def test_backoff_is_capped_at_60_seconds() -> None:
    assert [backoff_delay(n) for n in (1, 2, 3, 6, 7, 20)] == [1, 2, 4, 32, 60, 60]


@pytest.mark.requirement("retry:5xx")
async def test_5xx_retried_even_when_429_retries_are_off() -> None:
    rec = Recorder()
    provider = FlakyProvider([R500, R500])
    response, attempts = await _run(provider, RetryPolicy(retry_on_429=False), rec)
    assert response.text == "ok" and attempts == 3 and rec.sleeps == [1.0, 2.0]
    assert [e.kind for e in rec.events] == ["retry", "retry"]


async def test_fatal_is_raised_at_once() -> None:
    rec = Recorder()
    provider = FlakyProvider([FATAL])
    with pytest.raises(ProviderError, match="provider 'flaky': HTTP 400: bad request") as info:
        await _run(provider, RetryPolicy(retry_on_429=True), rec)
    assert provider.calls == 1 and rec.sleeps == [] and info.value.status_code == 400
    assert isinstance(info.value.__cause__, Boom)


async def test_non_429_error_during_429_retries_stops_when_fatal() -> None:
    rec = Recorder()
    provider = FlakyProvider([R429, FATAL])
    with pytest.raises(ProviderError, match="400"):
        await _run(provider, RetryPolicy(retry_on_429=True), rec)
    assert provider.calls == 2


async def test_max_retries_zero_means_one_attempt() -> None:
    rec = Recorder()
    provider = FlakyProvider([R500])
    with pytest.raises(ProviderError):
        await _run(provider, RetryPolicy(max_retries=0), rec)
    assert provider.calls == 1


@pytest.mark.requirement("retry:deadline")
async def test_a_request_past_its_deadline_is_an_error_not_retried() -> None:
    import anyio

    class Slow(FlakyProvider):
        async def generate(self, request: ChatRequest) -> ChatResponse:
            self.calls += 1
            await anyio.sleep(10)
            return ChatResponse(text="too late")

    rec = Recorder()
    provider = Slow([])
    with pytest.raises(ProviderError, match=r"within the request deadline \(0.02 s"):
        await _run(provider, RetryPolicy(timeout_ms=20, max_retries=3), rec)
    # The deadline covers the whole request: a timed-out attempt leaves nothing to retry in.
    assert provider.calls == 1 and rec.sleeps == []


@pytest.mark.requirement("retry:deadline")
async def test_attempts_and_waits_share_one_deadline() -> None:
    """5xx answers back off 1, 2, 4 s; with a 5 s deadline the third wait would end past it."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    provider = FlakyProvider([R500] * 10)
    events: list[RunEvent] = []
    with pytest.raises(ProviderError) as caught:
        await call_with_retry(
            provider,
            REQ,
            policy=RetryPolicy(timeout_ms=5000, max_retries=10),
            limiter=None,
            on_event=events.append,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert provider.calls == 3 and now[0] == 3.0
    assert "request deadline of 5 s; after 3 attempts" in str(caught.value)
    assert caught.value.status_code == 500


async def test_no_deadline_when_timeout_is_zero() -> None:
    rec = Recorder()
    provider = FlakyProvider([R500] * 3)
    response, attempts = await _run(provider, RetryPolicy(timeout_ms=0, max_retries=3), rec)
    assert (response.text, attempts, rec.sleeps) == ("ok", 4, [1.0, 2.0, 4.0])


@pytest.mark.requirement("retry:recorded")
async def test_tally_folds_events_into_stats() -> None:
    rec = Recorder()
    await _run(FlakyProvider([R429, R500]), RetryPolicy(retry_on_429=True), rec)
    stats = RateLimitStats()
    for event in rec.events:
        tally(stats, event)
    assert stats.rate_limit_hits == 1 and stats.retry_count == 2
    assert stats.retry_wait_ms == 6000.0 + 2000.0


class _Steps:
    """A provider that waits ``steps`` times (each a real suspension) before it answers."""

    def __init__(self, steps: int, *, fail: bool = False) -> None:
        self.steps = steps
        self.fail = fail
        self.spec = ScriptedProvider(name="steps")
        self.finished = False
        self.closed = False

    async def generate(self, request: ChatRequest) -> ChatResponse:
        import anyio

        try:
            for _ in range(self.steps):
                await anyio.sleep(0)
            if self.fail:
                raise Boom(R500)
            self.finished = True
            return ChatResponse(text=f"after {self.steps} waits")
        finally:
            self.closed = True

    def classify(self, exc: BaseException) -> RetryDecision:
        assert isinstance(exc, Boom)
        return exc.decision

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("steps", [0, 1, 5])
async def test_an_answer_that_waits_or_not_is_the_callers(steps: int) -> None:
    provider = _Steps(steps)
    response, attempts = await call_with_retry(
        provider, REQ, policy=RetryPolicy(timeout_ms=5000), limiter=None, on_event=print
    )
    assert (response.text, attempts, provider.finished) == (f"after {steps} waits", 1, True)


@pytest.mark.parametrize("steps", [0, 3])
async def test_a_failure_after_waiting_or_not_is_classified(steps: int) -> None:
    rec = Recorder()
    with pytest.raises(ProviderError, match="HTTP 500: oops"):
        await call_with_retry(
            _Steps(steps, fail=True),
            REQ,
            policy=RetryPolicy(timeout_ms=5000, max_retries=0),
            limiter=None,
            on_event=rec.events.append,
            sleep=rec.sleep,
        )


@pytest.mark.requirement("retry:deadline")
async def test_a_call_past_its_deadline_after_several_waits_times_out() -> None:
    import anyio

    class Trickle(FlakyProvider):
        """Answers in small waits that add up past the deadline."""

        async def generate(self, request: ChatRequest) -> ChatResponse:
            self.calls += 1
            for _ in range(1000):
                await anyio.sleep(0.005)
            return ChatResponse(text="too late")

    provider = Trickle([])
    with pytest.raises(ProviderError, match=r"within the request deadline \(0.05 s"):
        await _run(provider, RetryPolicy(timeout_ms=50, max_retries=0), Recorder())
    assert provider.calls == 1


async def test_cancelling_the_caller_reaches_a_call_that_waits() -> None:
    """The caller's cancel scope reaches into the provider's wait and ends it there."""
    import anyio

    provider = _Steps(10_000)
    with anyio.move_on_after(0.05) as scope:
        await call_with_retry(
            provider, REQ, policy=RetryPolicy(timeout_ms=60_000), limiter=None, on_event=print
        )
    assert scope.cancelled_caught
    assert provider.closed and not provider.finished
