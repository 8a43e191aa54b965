"""Live progress of a run: a rich bar with passed/failed/errors so far, or plain lines.

On a terminal the bar redraws in place; anywhere else (CI logs, pipes) every finished case is
one plain line, so logs stay readable and grep-able.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from runtime.sanitize import for_terminal

if TYPE_CHECKING:
    from rich.console import Console

    from runtime.results import CaseResult
    from runtime.store import RunStore

__all__ = ["RunProgress"]

_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


class RunProgress:
    """Receives ``on_start`` and ``on_result`` from execute() and shows them."""

    def __init__(self, console: Console, total: int, *, live: bool | None = None) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.counts = {"passed": 0, "failed": 0, "error": 0}
        self.live = console.is_terminal if live is None else live
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> RunProgress:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
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
                "running", total=self.total, passed=0, failed=0, errors=0
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
        self.console.print(f"{verb} {store.run_id} -> {store.path}", highlight=False)
        if already_done:
            self.console.print(
                f"{already_done} of {self.total} cases already done", highlight=False
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
                completed=self.done,
                passed=self.counts["passed"],
                failed=self.counts["failed"],
                errors=self.counts["error"],
            )
            return
        line = (
            f"[{self.done}/{self.total}] {_MARK[result.status]:5} {result.agent} / "
            f"{result.session} / {result.test} ({result.duration_ms / 1000:.2f}s)"
        )
        if result.error:
            line += f": {result.error}"
        # Names and the error may come from an agent or a server: inert before printing.
        self.console.print(for_terminal(line), highlight=False, markup=False, soft_wrap=True)
