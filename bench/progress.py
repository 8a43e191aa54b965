"""Live progress of a run, pytest-like: a bar on a terminal, one short line per case elsewhere.

On a terminal a rich bar redraws in place with passed/failed/errors so far and the phase the run
is in (``compiling`` before the plan exists, ``starting servers`` until the first case ends,
then ``running``); a case that fails or errors also prints its line above the bar. Anywhere
else (CI logs, pipes) every finished case is one line, ``[3/10] FAIL  agent / session / test
(1.20s)``, and nothing redraws. Details (failed assertions, errors) come once, after the run,
in the console report.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.text import Text

from runtime.sanitize import for_terminal

if TYPE_CHECKING:
    from rich.console import Console

    from runtime.results import CaseResult
    from runtime.store import RunStore

__all__ = ["RunProgress", "case_line"]

_MARK = {"passed": ("PASS", "green"), "failed": ("FAIL", "red"), "error": ("ERROR", "yellow")}


def case_line(result: CaseResult, repeated: bool = False) -> Text:
    """``FAIL  agent / session / test (1.20s)``: names inert, the status coloured."""
    word, style = _MARK[result.status]
    line = Text(f"{word:5}", style=style)
    name = f"{result.agent} / {result.session} / {result.test}"
    if repeated:
        name += f" #{result.attempt + 1}"
    line.append(f" {for_terminal(name, limit=500)} ({result.duration_ms / 1000:.2f}s)")
    return line


class RunProgress:
    """Shows the run's phase, then ``on_start`` and ``on_result`` from execute()."""

    def __init__(
        self,
        console: Console,
        total: int,
        *,
        live: bool | None = None,
        starting: str = "starting",
        repeated: bool = False,
    ) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.counts = {"passed": 0, "failed": 0, "error": 0}
        self.live = console.is_terminal if live is None else live
        self.starting = starting
        """The phase between the run directory and the first result (``starting servers``)."""
        self.repeated = repeated
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> RunProgress:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "[green]{task.fields[passed]} passed[/] "
                    "[red]{task.fields[failed]} failed[/] "
                    "[yellow]{task.fields[errors]} errors[/]"
                ),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.starting, total=self.total, passed=0, failed=0, errors=0
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def on_start(self, store: RunStore, already_done: int) -> None:
        """The run directory exists; ``already_done`` cases come from an earlier attempt."""
        self.done = already_done
        verb = "resuming" if already_done else "run"
        more = f", {already_done} already done" if already_done else ""
        self.console.print(
            f"{verb} {store.run_id}: {self.total} cases{more} -> {store.path}", markup=False
        )
        if self._progress is not None:
            self._progress.update(self._task, completed=already_done)

    def on_result(self, result: CaseResult) -> None:
        """One more case finished."""
        self.done += 1
        self.counts[result.status] += 1
        if self._progress is not None:
            self._progress.update(
                self._task,
                description="running",
                completed=self.done,
                passed=self.counts["passed"],
                failed=self.counts["failed"],
                errors=self.counts["error"],
            )
            if result.status != "passed":  # above the bar, as pytest does on a terminal
                self.console.print(case_line(result, self.repeated))
            return
        line = Text(f"[{self.done}/{self.total}] ")
        self.console.print(line + case_line(result, self.repeated))
