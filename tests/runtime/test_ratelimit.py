"""runtime.ratelimit: RPM/TPM token buckets, driven by a fake clock (nothing really waits)."""

from __future__ import annotations

import pytest

from runtime.plan import RateLimits, RetryPolicy, ScriptedProvider, ScriptedReply
from runtime.providers.base import ChatRequest
from runtime.providers.registry import create_provider
from runtime.ratelimit import RateLimiter, estimate_request_tokens
from runtime.retry import call_with_retry
from runtime.transcript import Message, RunEvent

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_unlimited_spec_has_no_limiter() -> None:
    assert RateLimiter.from_spec(RateLimits()) is None
    assert RateLimiter.from_spec(RateLimits(rpm=0, tpm=0)) is None
    assert RateLimiter.from_spec(RateLimits(rpm=60)) is not None


@pytest.mark.requirement("ratelimit:rpm")
async def test_rpm_bursts_then_spaces_requests() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=60, clock=clock, sleep=clock.sleep)
    waits = [(await limiter.acquire())[0] for _ in range(62)]
    assert waits[:60] == [0.0] * 60  # burst = rpm
    assert waits[60] == pytest.approx(1.0) and waits[61] == pytest.approx(1.0)


@pytest.mark.requirement("ratelimit:tpm")
async def test_tpm_waits_for_tokens_and_debits_overuse() -> None:
    clock = FakeClock()
    limiter = RateLimiter(tpm=600, clock=clock, sleep=clock.sleep)  # 10 tokens/s
    assert await limiter.acquire(500) == (0.0, 500)
    limiter.record(500, reserved=500)
    waited, reserved = await limiter.acquire(200)
    assert (waited, reserved) == (pytest.approx(10.0), 200)  # needs 100 more tokens
    limiter.record(400, reserved=reserved)  # 200 over the reservation: debited now
    # Calibration moved up (actual was twice the estimate), so estimates grow.
    assert limiter.calibration > 1.0
    waited, reserved = await limiter.acquire(10)
    assert waited > 20.0 and reserved > 10


async def test_request_larger_than_bucket_waits_for_a_full_bucket_not_forever() -> None:
    clock = FakeClock()
    limiter = RateLimiter(tpm=60, clock=clock, sleep=clock.sleep)
    await limiter.acquire(60)
    assert await limiter.acquire(10_000) == (pytest.approx(60.0), 60)


def test_estimate_grows_with_the_conversation() -> None:
    short = estimate_request_tokens([Message(role="user", content="x" * 40)])
    long = estimate_request_tokens([Message(role="user", content="x" * 4000)])
    assert short < long and long == int((1000 + 500) * 1.5) + 1


@pytest.mark.requirement("retry:recorded")
async def test_call_with_retry_records_throttles() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=1, clock=clock, sleep=clock.sleep)
    provider = create_provider(
        ScriptedProvider(name="s", replies=(ScriptedReply(text="a"), ScriptedReply(text="b")))
    )
    events: list[RunEvent] = []
    request = ChatRequest(
        messages=[Message(role="user", content="q")], tools=[], conversation_id="c"
    )
    for _ in range(2):
        await call_with_retry(
            provider,
            request,
            policy=RetryPolicy(),
            limiter=limiter,
            on_event=events.append,
            sleep=clock.sleep,
        )
    assert [e.kind for e in events] == ["throttle"]
    assert events[0].wait_ms == pytest.approx(60_000.0)
