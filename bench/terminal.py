"""The terminal and CI-log sink: every console bench writes to is made here.

``make_console`` gives a rich ``Console`` whose every rendered text segment passes
runtime/sanitise.py's terminal rule (secrets redacted, controls shown as pictures, ``::`` and
``##`` pairs broken) on its way out, while rich's own styles and cursor controls pass as they
are: whatever reaches it (a Text, a table cell, a string) is covered by construction, not per
call site. ``echo`` is the same rule for plain lines. Only ``command`` writes raw, for
bench's own workflow commands.

Layout: on a terminal rich wraps at the terminal's real width and may draw live output; when
stdout is not a terminal nothing is wrapped or cropped at a guessed width (no ``COLUMNS``,
no 80): each line is as long as its content, and tables take their natural width.

A closed pipe (``bench runs | head -1``) raises ``BrokenPipeError`` from any of these writes;
bench/cli.py turns it into a quiet exit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderHook, RenderResult
from rich.segment import Segment

from runtime.sanitise import ZWSP, neutralise, redactor

if TYPE_CHECKING:
    from rich.console import ConsoleRenderable, RenderableType

__all__ = ["command", "echo", "echo_lines", "is_terminal", "log_line", "make_console"]

UNWRAPPED_WIDTH = 100_000
"""The width of a console that is not a terminal: wide enough that nothing wraps."""


def is_terminal(stream: IO[str]) -> bool:
    """True when ``stream`` is an interactive terminal (a real one: not FORCE_COLOR in a log)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Inert:
    """A renderable whose text segments pass the terminal rule; control segments pass as is."""

    def __init__(self, inner: RenderableType, redact: Callable[[str], str]) -> None:
        self.inner = inner
        self.redact = redact

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        previous = ""
        for segment in console.render(self.inner, options):
            if segment.control or not segment.text:
                yield segment
                continue
            text = neutralise(self.redact(segment.text))
            # A pair split across two segments (":" styled, ":" plain) is a pair all the same.
            if previous and previous[-1] + text[0] in ("::", "##"):
                text = ZWSP + text
            previous = text
            yield Segment(text, segment.style, segment.control)


class _Sanitiser(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        redact = redactor()  # one snapshot of the secrets per print
        return [_Inert(r, redact) for r in renderables]


class _SinkConsole(Console):
    def on_broken_pipe(self) -> None:
        # rich exits with status 1 on its own; bench/cli.py handles every closed pipe alike.
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


def echo(text: str = "", *, err: bool = False, end: str = "\n") -> None:
    """Print bench's own line (which may quote foreign text) through the terminal rule."""
    stream = sys.stderr if err else sys.stdout
    stream.write(neutralise(redactor()(text)) + end)


def echo_lines(lines: Iterable[str], *, err: bool = False) -> None:
    """``echo`` each of ``lines``."""
    redact = redactor()
    stream = sys.stderr if err else sys.stdout
    for line in lines:
        stream.write(neutralise(redact(line)) + "\n")


def command(line: str) -> None:
    """Write one of bench's own workflow commands (``::error …``) unaltered to stdout."""
    sys.stdout.write(line + "\n")


def log_line(line: str) -> None:
    """The Action's echo: a workflow command bench built (``annotation``) is written as it
    is, any other line passes the terminal rule (so one with leading blanks cannot act)."""
    if line.startswith("::"):
        command(line)
    else:
        echo(line)
