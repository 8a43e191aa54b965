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


CLOSED_PIPE = 141
"""Exit code when stdout is a pipe closed early (``bench runs | head``): 128 + SIGPIPE, as a
program killed by SIGPIPE would return."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    A closed stdout (the reader of a pipe went away) ends any command quietly: no traceback,
    nothing more written, exit code ``CLOSED_PIPE`` (a run it stops stays resumable).
    """
    try:
        return _main(argv)
    except BaseException as exc:
        if not _closed_pipe(exc):
            raise
        _silence_stdout()
        return CLOSED_PIPE


def _closed_pipe(exc: BaseException) -> bool:
    """A BrokenPipeError, also inside the exception groups of a run's task groups."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_closed_pipe(e) for e in exc.exceptions)
    return isinstance(exc, BrokenPipeError)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (tests capture it): nothing to do
        pass


class _ForeignTextFilter(logging.Filter):
    """Every log record passes runtime.sanitize before it is printed: the runtime logs
    warnings that quote agents, servers and providers."""

    def filter(self, record: logging.LogRecord) -> bool:
        from runtime.sanitize import for_terminal

        record.msg = for_terminal(record.getMessage(), keep_newlines=True)
        record.args = None
        return True


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("bench: %(levelname)s: %(message)s"))
    handler.addFilter(_ForeignTextFilter())
    root = logging.getLogger("bench")
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    for name in ("runtime",):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.WARNING)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    _configure_logging()
    if getattr(args, "workflow_commands", False):
        return _handle(handler, args)
    # Inside GitHub Actions the output of a command is a ::stop-commands:: block (a second
    # wall behind runtime/sanitize.py); compile and github write workflow commands on purpose.
    from .terminal import github_commands_stopped

    with github_commands_stopped():
        return _handle(handler, args)


def _handle(handler: Any, args: argparse.Namespace) -> int:
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
        from runtime.sanitize import for_terminal

        # The message may quote what a server, an agent or a provider wrote.
        print(f"bench: error: {for_terminal(exc, keep_newlines=True)}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
