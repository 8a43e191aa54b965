"""The terminal and CI-log sink: the rich consoles bench prints through are made here.

``make_console`` gives a rich ``Console`` whose every rendered text segment passes
runtime/sanitize.py's rule (``for_terminal``: secrets redacted, controls escaped, no ``::`` or
``##`` pair) on its way out, while rich's own styles and cursor controls pass as they are. A
Text, a table cell or a plain string: whatever reaches the console is covered by construction,
not per call site (the call sites still flatten foreign text to one line where it belongs).

Layout: on a terminal rich wraps at the terminal's real width and may draw live output; when
the stream is not a terminal nothing is wrapped or cropped at a guessed width (not ``COLUMNS``,
not 80): a line is as long as its content and a table takes its natural width.

A closed pipe raises ``BrokenPipeError`` from any of these writes (rich would exit 1 on its
own, which reads as "criteria not met"); bench/cli.py ends every command on it alike.

``github_commands_stopped`` is the second wall inside GitHub Actions: GitHub's documented
``::stop-commands::<token>`` … ``::<token>::`` block around a command's output.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderHook, RenderResult
from rich.segment import Segment

from runtime.sanitize import ZWSP, for_terminal

if TYPE_CHECKING:
    from rich.console import ConsoleRenderable, RenderableType

__all__ = ["github_commands_stopped", "is_terminal", "make_console"]

UNWRAPPED_WIDTH = 100_000
"""The width of a console that is not a terminal: wide enough that nothing wraps."""


def is_terminal(stream: IO[str]) -> bool:
    """True when ``stream`` is an interactive terminal (a real one, not FORCE_COLOR in a log)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Inert:
    """A renderable whose text segments pass ``for_terminal``; control segments pass as is."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        previous = ""
        for segment in console.render(self.inner, options):
            if segment.control or not segment.text:
                yield segment
                continue
            text = for_terminal(segment.text, keep_newlines=True)
            # A pair split across two segments (":" styled, ":" plain) is a pair all the same.
            if previous and text and previous[-1] + text[0] in ("::", "##"):
                text = ZWSP + text
            previous = text or previous
            yield Segment(text, segment.style, segment.control)


class _Sanitiser(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Inert(r) for r in renderables]


class _SinkConsole(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def make_console(*, stderr: bool = False, file: IO[str] | None = None, **kw: Any) -> Console:
    """A rich Console writing through the terminal rule (see the module docstring)."""
    stream = file or (sys.stderr if stderr else sys.stdout)
    tty = is_terminal(stream)
    options: dict[str, Any] = {"highlight": False, "emoji": False, "soft_wrap": not tty}
    if not tty:
        options["width"] = UNWRAPPED_WIDTH
    options.update(kw)
    console = _SinkConsole(file=stream, **options)
    console.push_render_hook(_Sanitiser())
    return console


@contextmanager
def github_commands_stopped(
    write: Callable[[str], None] | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[str | None]:
    """Inside GitHub Actions, no workflow command in the block's output is processed.

    Writes ``::stop-commands::<random token>`` first and ``::<token>::`` last (also when the
    block raises), as GitHub documents for logging untrusted output. Yields the token, or None
    outside GitHub Actions (``GITHUB_ACTIONS`` is not ``true``), where nothing is written.
    ``write`` prints one line (default: stderr, with stdout flushed first so the order holds;
    stdout stays clean for data a script reads).
    """
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") != "true":
        yield None
        return
    out = write or _stderr_line
    token = secrets.token_hex(16)
    out(f"::stop-commands::{token}")
    try:
        yield token
    finally:
        try:
            out(f"::{token}::")
        except (BrokenPipeError, ValueError):
            pass  # nobody reads any more: nothing to resume


def _stderr_line(line: str) -> None:
    # stderr, not stdout: stdout may be data a script reads (`bench github extras`, `bench
    # export`), and the runner reads workflow commands from both streams alike.
    sys.stdout.flush()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
