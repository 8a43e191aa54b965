"""The sweep: each level's warm-up and counted requests, closed or open loop, and early stop.

Closed loop (``concurrency``): that many workers each send their next request as soon as the
previous one finished. Open loop (``rate``): requests leave on a seeded gamma schedule
(runtime/load/arrivals.py) whatever the server's pace; none waits for another.
A level sends ``requests`` counted requests, or keeps sending for ``duration_s`` (requests in
flight at the deadline finish and count). Before them, ``warmup`` requests go closed loop at
the level's concurrency (open loop: ``ceil(rate)``) and are not counted. A request that fails
counts in ``requests`` and in ``errors`` under its class, never in a latency figure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Literal

import anyio

from .arrivals import arrival_offsets, level_rng
from .client import Measured, new_session, send
from .metrics import LevelWatch
from .result import LoadLevel, LoadSample, SloSpec
from .stats import decode_tok_s, distribution, meets_slo, saturation, tpot_ms
from .wire import Wire

__all__ = ["LevelReport", "LoadConfig", "Sweep", "Tally"]

Judge = Callable[[int, str], bool | None]
"""Evaluates the streamed answer to prompt ``i`` (the suite's assertions); None: no verdict."""


@dataclass(frozen=True)
class LoadConfig:
    """How to load the endpoint (the ``bench load`` flags and a suite's ``load:`` section)."""

    mode: Literal["concurrency", "rate"]
    levels: tuple[float, ...]
    requests: int | None = None
    duration_s: float | None = None
    warmup: int = 0
    max_tokens: int | None = None
    burstiness: float = 1.0
    seed: int = 0
    slo: SloSpec | None = None
    timeout_s: float | None = 300.0
    stop_early: bool = True

    def __post_init__(self) -> None:
        if (self.requests is None) == (self.duration_s is None):
            raise ValueError("give exactly one of requests and duration_s")
        if not self.levels or any(v <= 0 for v in self.levels):
            raise ValueError("levels must be positive")


@dataclass
class Tally:
    """Token counting over the sweep: how many answers came with the server's usage."""

    with_usage: int = 0
    estimated: int = 0


@dataclass
class LevelReport:
    """Progress hooks of a sweep (the console's live view); every one optional."""

    level_started: Callable[[int, float], None] = lambda index, value: None
    request_done: Callable[[LoadSample], None] = lambda sample: None
    level_done: Callable[[LoadLevel], None] = lambda level: None


@dataclass
class Sweep:
    """One sweep over ``config.levels`` against ``wire`` with ``prompts``."""

    wire: Wire
    prompts: Sequence[str]
    config: LoadConfig
    judge: Judge | None = None
    watch: Callable[[], AbstractAsyncContextManager[LevelWatch]] | None = None
    """The server's /metrics around each counted level (runtime/load/metrics.py)."""
    report: LevelReport = field(default_factory=LevelReport)
    tally: Tally = field(default_factory=Tally)
    levels: list[LoadLevel] = field(default_factory=list)
    stopped_early: str | None = None

    async def run(self) -> list[LoadLevel]:
        """Run every level (or until over-saturation); the levels as measured."""
        if not self.prompts:
            raise ValueError("no prompts")
        for index, value in enumerate(self.config.levels):
            self.report.level_started(index, value)
            level = await self._level(value)
            self.levels.append(level)
            self.report.level_done(level)
            if self.config.stop_early and index < len(self.config.levels) - 1:
                self.stopped_early = saturation(self.levels)
                if self.stopped_early is not None:
                    skipped = ", ".join(f"{v:g}" for v in self.config.levels[index + 1 :])
                    self.stopped_early += f"; not run: {skipped}"
                    break
        return self.levels

    async def _level(self, value: float) -> LoadLevel:
        cfg = self.config
        closed = cfg.mode == "concurrency"
        width = int(value) if closed else max(1, math.ceil(value))
        async with new_session(0, cfg.timeout_s) as session:
            if cfg.warmup:
                await self._closed(session, width, cfg.warmup, None, count=False)
            watching = self.watch() if self.watch is not None else nullcontext(None)
            async with watching as watch:
                start = time.perf_counter()
                if closed:
                    measured = await self._closed(session, width, cfg.requests, cfg.duration_s)
                else:
                    measured = await self._open(session, value)
                end = time.perf_counter()
        samples = [self._sample(n, m, start) for n, m in enumerate(measured)]
        for m, s in zip(measured, samples, strict=True):
            if m.error is not None:
                continue
            if m.output_tokens is not None:
                self.tally.with_usage += 1
            else:
                self.tally.estimated += 1
            if self.judge is not None and m.text is not None:
                s.assertions_ok = self.judge(m.prompt, "".join(m.text))
        level = self._summarize(value, samples, end - start)
        if watch is not None:
            level.server_metrics = watch.metrics
        return level

    async def _closed(
        self,
        session: object,
        width: int,
        requests: int | None,
        duration_s: float | None,
        *,
        count: bool = True,
    ) -> list[Measured]:
        out: list[Measured] = []
        next_index = 0
        deadline = None if duration_s is None else time.perf_counter() + duration_s

        def take() -> int | None:
            nonlocal next_index
            if requests is not None and next_index >= requests:
                return None
            if deadline is not None and time.perf_counter() >= deadline:
                return None
            next_index += 1
            return next_index - 1

        async def worker() -> None:
            while (n := take()) is not None:
                m = await self._send(session, n)
                if count:
                    out.append(m)
                    self.report.request_done(self._sample(len(out) - 1, m, m.started))

        async with anyio.create_task_group() as tg:
            for _ in range(width):
                tg.start_soon(worker)
        out.sort(key=lambda m: m.started)
        return out

    async def _open(self, session: object, rate: float) -> list[Measured]:
        cfg = self.config
        rng = level_rng(cfg.seed, rate)
        if cfg.requests is not None:
            count = cfg.requests
        else:  # enough arrivals to outlast the duration, then cut at the deadline
            count = max(1, math.ceil(rate * (cfg.duration_s or 0) * 3 + 10))
        offsets = arrival_offsets(rate, cfg.burstiness, count, rng)
        if cfg.duration_s is not None:
            offsets = [t for t in offsets if t < cfg.duration_s]
        out: list[Measured] = []

        async def one(n: int) -> None:
            m = await self._send(session, n)
            out.append(m)
            self.report.request_done(self._sample(len(out) - 1, m, m.started))

        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for n, offset in enumerate(offsets):
                delay = start + offset - time.perf_counter()
                if delay > 0:
                    await anyio.sleep(delay)
                tg.start_soon(one, n)
        out.sort(key=lambda m: m.started)
        return out

    async def _send(self, session: object, n: int) -> Measured:
        which = n % len(self.prompts)
        prompt = self.prompts[which]
        m = await send(
            session,  # type: ignore[arg-type]  # an aiohttp.ClientSession, kept opaque above
            self.wire,
            prompt,
            self.config.max_tokens,
            keep_text=self.judge is not None,
        )
        m.prompt = which
        return m

    def _sample(self, index: int, m: Measured, start: float) -> LoadSample:
        ok = m.error is None
        times = m.content_times
        return LoadSample(
            index=index,
            start_ms=(m.started - start) * 1000.0,
            ttft_ms=m.ttft_s * 1000.0 if ok and m.ttft_s is not None else None,
            e2e_ms=m.e2e_s * 1000.0 if ok and m.e2e_s is not None else None,
            output_tokens=m.tokens if ok else 0,
            input_tokens=m.input_tokens,
            itl_ms=[(b - a) * 1000.0 for a, b in zip(times, times[1:], strict=False)] if ok else [],
            error=m.error,
        )

    def _summarize(self, value: float, samples: list[LoadSample], duration_s: float) -> LoadLevel:
        cfg = self.config
        errors: dict[str, int] = {}
        for s in samples:
            if s.error:
                errors[s.error] = errors.get(s.error, 0) + 1
        ok = [s for s in samples if not s.error]
        duration = max(duration_s, 1e-9)
        out_tokens = sum(s.output_tokens for s in ok)
        level = LoadLevel(
            concurrency=int(value) if cfg.mode == "concurrency" else None,
            rate=value if cfg.mode == "rate" else None,
            warmup=cfg.warmup,
            requests=len(samples),
            completed=len(ok),
            errors=dict(sorted(errors.items())),
            duration_s=duration_s,
            ttft_ms=distribution([s.ttft_ms for s in ok if s.ttft_ms is not None]),
            itl_ms=distribution([g for s in ok for g in s.itl_ms]),
            tpot_ms=distribution([t for s in ok if (t := tpot_ms(s)) is not None]),
            e2e_ms=distribution([s.e2e_ms for s in ok if s.e2e_ms is not None]),
            output_tok_s_per_request=distribution(
                [t for s in ok if (t := decode_tok_s(s)) is not None]
            ),
            output_tok_s=out_tokens / duration,
            requests_per_s=len(ok) / duration,
            samples=samples,
        )
        if cfg.slo is not None and samples:
            for s in samples:
                s.slo_ok = meets_slo(s, cfg.slo)
            met = sum(1 for s in samples if s.slo_ok)
            level.slo_met_fraction = met / len(samples)
            level.goodput_rps = met / duration
        return level
