"""What ``bench load`` shows: live progress per level on a terminal, a line per level when
piped, and the table of the sweep at the end (through bench/terminal.py's sanitising console)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from runtime.load.result import LoadLevel, LoadResult, LoadSample
from runtime.load.stats import level_value
from runtime.load.sweep import LevelReport, LoadConfig

from .terminal import make_console

__all__ = ["LoadConsole", "level_table"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _label(config: LoadConfig, value: float) -> str:
    return f"concurrency {value:g}" if config.mode == "concurrency" else f"rate {value:g}/s"


class LoadConsole:
    """The console side of one sweep."""

    def __init__(self, config: LoadConfig, *, quiet: bool) -> None:
        self.config = config
        self.quiet = quiet
        self.console = make_console()
        self.live = self.console.is_terminal and not quiet
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> LoadConsole:
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[errors]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

    def hooks(self) -> LevelReport:
        """The sweep's progress hooks, bound to this console."""
        return LevelReport(self._started, self._request, self._done)

    def _started(self, index: int, value: float) -> None:
        if self._progress is not None:
            total = self.config.requests
            self._errors = 0
            self._task = self._progress.add_task(_label(self.config, value), total=total, errors="")

    def _request(self, sample: LoadSample) -> None:
        if self._progress is not None and self._task is not None:
            if sample.error:
                self._errors += 1
            errors = f"{self._errors} errors" if self._errors else ""
            self._progress.update(self._task, advance=1, errors=errors)

    def _done(self, level: LoadLevel) -> None:
        if self.quiet:
            return
        value = level_value(level)
        errors = sum(level.errors.values())
        line = (
            f"{_label(self.config, value)}: {level.completed}/{level.requests} ok"
            f"{f', {errors} errors' if errors else ''}, TTFT p50 {_ms(level.ttft_ms.p50)} ms, "
            f"{level.output_tok_s:.1f} tok/s"
        )
        if self._progress is None:  # on a terminal the level's bar says it
            self.console.print(line)

    def summary(self, result: LoadResult, out: Path) -> None:
        """The sweep's table, the knee, why it stopped early, and where the result went."""
        self.console.print(level_table(result, tty=self.console.is_terminal))
        if result.slo is not None:
            knee = "none (no level met the SLO)" if result.knee is None else f"{result.knee:g}"
            self.console.print(
                f"knee: {knee} (highest level where >= {result.slo.target_fraction:.0%} "
                "of requests met the SLO)"
            )
        if result.stopped_early:
            self.console.print(f"stopped early: {result.stopped_early}")
        if result.token_counting == "estimate":
            self.console.print(f"tokens: {result.token_counting_note}")
        self.console.print(f"result: {out}")


def level_table(result: LoadResult, *, tty: bool) -> Table:
    """One row per level: latency percentiles (ms), throughput, errors, goodput."""
    table = Table(
        box=box.SIMPLE_HEAD if tty else None,
        show_edge=False,
        pad_edge=False,
        caption="TTFT, ITL, TPOT and e2e in ms",
        caption_justify="left",
    )
    first = "concurrency" if result.mode == "concurrency" else "rate/s"
    header = [first, "requests", "errors", "TTFT p50", "TTFT p99", "ITL p50", "TPOT p50",
              "e2e p50", "e2e p99", "tok/s/req", "tok/s", "req/s"]  # fmt: skip
    if result.slo is not None:
        header += ["SLO met", "goodput"]
    for name in header:
        table.add_column(name, justify="left" if name == first else "right", no_wrap=True)
    for lv in result.levels:
        errors = ", ".join(f"{k} {v}" for k, v in lv.errors.items()) or "0"
        row = [
            f"{level_value(lv):g}",
            str(lv.requests),
            errors,
            _ms(lv.ttft_ms.p50),
            _ms(lv.ttft_ms.p99),
            _ms(lv.itl_ms.p50),
            _ms(lv.tpot_ms.p50),
            _ms(lv.e2e_ms.p50),
            _ms(lv.e2e_ms.p99),
            _ms(lv.output_tok_s_per_request.p50),
            f"{lv.output_tok_s:.1f}",
            f"{lv.requests_per_s:.2f}",
        ]
        if result.slo is not None:
            met = lv.slo_met_fraction
            row += ["-" if met is None else f"{met:.0%}", f"{lv.goodput_rps or 0:.2f}"]
        table.add_row(*row)
    return table
