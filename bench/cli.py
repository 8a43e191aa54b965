"""The ``bench`` command: argparse front end; BenchError becomes a message and an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from . import __version__, commands

__all__ = ["build_parser", "main"]


def _command_modules() -> list[ModuleType]:
    mods = [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="bench",
        description="Test and benchmark LLM agents from declarative YAML suites.",
    )
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Every command runs inside the same two walls: a closed stdout (``bench runs | head -1``)
    ends it quietly with exit 141 (128 + SIGPIPE, what a shell reports for a writer killed by
    a closed pipe), and inside GitHub Actions its output is a ``::stop-commands::`` block
    unless it writes workflow commands of its own (``workflow_commands`` default).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    _log_through_the_sink()
    try:
        if getattr(args, "workflow_commands", False):
            return _run(handler, args)
        from runtime.sanitise import github_commands_stopped

        with github_commands_stopped():
            return _run(handler, args)
    except BaseException as exc:
        if not _closed_pipe(exc):
            raise
        _silence_stdout()
        return 141


def _run(handler: Any, args: argparse.Namespace) -> int:
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Imported here, not at the top: loading the runtime package costs ~150 ms that
        # `bench --help` and argument errors should not pay.
        from runtime.errors import BenchError

        if not isinstance(exc, BenchError):
            raise
        from .terminal import echo_lines

        # The message can quote what a server, an agent or a provider wrote (a stderr tail):
        # every line passes the terminal rule, and lines after the first are indented.
        first, *rest = str(exc).splitlines() or [""]
        echo_lines([f"bench: error: {first}", *(f"  {line}" for line in rest)], err=True)
        return exc.exit_code


class _SinkLogHandler(logging.Handler):
    """Warnings the runtime and libraries log (a failed teardown quoting its stderr) reach
    stderr through the terminal rule, not raw through logging's last-resort handler."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from .terminal import echo_lines

            first, *rest = self.format(record).splitlines() or [""]
            head = f"bench: {record.levelname.lower()}: {first}"
            echo_lines([head, *(f"  {line}" for line in rest)], err=True)
        except Exception:
            self.handleError(record)


def _log_through_the_sink() -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _SinkLogHandler) for h in root.handlers):
        root.addHandler(_SinkLogHandler(logging.WARNING))


def _closed_pipe(exc: BaseException) -> bool:
    """True for a BrokenPipeError, also inside the exception groups a task group raises."""
    if isinstance(exc, BrokenPipeError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_closed_pipe(e) for e in exc.exceptions)
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
