"""runtime.clock: the RFC 3339 stamps of records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runtime import clock


@pytest.mark.parametrize(
    "now",
    [1_700_000_000.0, 1_700_000_000.0004, 1_700_000_000.9996, 1_700_000_001.25, 1_800_000_059.5],
)
def test_utc_now_is_rfc3339_utc_with_milliseconds(
    monkeypatch: pytest.MonkeyPatch, now: float
) -> None:
    monkeypatch.setattr(clock.time, "time", lambda: now)
    expected = datetime.fromtimestamp(now, UTC)
    stamp = clock.utc_now()
    assert stamp.endswith("Z") and len(stamp) == len("2026-11-02T10:00:00.123Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.replace(microsecond=0) == expected.replace(microsecond=0)
    assert parsed.microsecond == expected.microsecond // 1000 * 1000


def test_utc_now_follows_the_clock_across_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    times = iter([1_700_000_000.5, 1_700_000_000.7, 1_700_000_001.1, 1_700_000_000.2])
    monkeypatch.setattr(clock.time, "time", lambda: next(times))
    assert [clock.utc_now() for _ in range(4)] == [
        "2023-11-14T22:13:20.500Z",
        "2023-11-14T22:13:20.700Z",
        "2023-11-14T22:13:21.100Z",
        "2023-11-14T22:13:20.200Z",  # a clock set back is followed, not cached over
    ]
