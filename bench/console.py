"""Printing diagnostics: source line and caret via rich on a terminal, plain text otherwise.

Formats: ``text`` (human), ``json`` (one object with every diagnostic), ``github`` (workflow
commands ``::error file=F,line=L,col=C::msg`` that GitHub turns into annotations on the PR).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any

from compiler import Diagnostic

__all__ = ["default_format", "print_diagnostics"]


def default_format(stream: IO[str] | None = None) -> str:
    """``github`` inside GitHub Actions when the output is not a terminal, else ``text``."""
    out = stream or sys.stderr
    if os.environ.get("GITHUB_ACTIONS") == "true" and not out.isatty():
        return "github"
    return "text"


def _rich(diags: Sequence[Diagnostic], sources: Mapping[str, str], stream: IO[str]) -> None:
    from rich.text import Text

    from .terminal import make_console

    console = make_console(file=stream, soft_wrap=True)  # the terminal rule, per segment
    for d in diags:
        color = "red" if d.severity == "error" else "yellow"
        head = Text()
        head.append(f"{d.location}: ", style="bold")
        head.append(f"{d.severity}[{d.code}]", style=f"bold {color}")
        head.append(f": {d.message}", style="bold")
        console.print(head)
        excerpt = d.excerpt(sources.get(d.file))
        if excerpt:
            gutter, caret = excerpt
            line = Text(gutter[:8], style="blue")
            line.append(gutter[8:])
            console.print(line)
            console.print(Text(caret[:8], style="blue") + Text(caret[8:], style=f"bold {color}"))
        if d.hint:
            console.print(Text("hint: ", style="bold cyan") + Text(d.hint))


def print_diagnostics(
    diags: Sequence[Diagnostic],
    sources: Mapping[str, str],
    *,
    fmt: str = "text",
    stream: IO[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Print ``diags`` in ``fmt``; ``text`` uses colour only when ``stream`` is a terminal."""
    out = stream or sys.stderr
    if fmt == "json":
        payload = {**(extra or {}), "diagnostics": [d.as_dict() for d in diags]}
        out.write(json.dumps(payload, indent=2) + "\n")
        return
    if fmt == "github":
        for d in diags:
            out.write(d.github() + "\n")
        return
    if out.isatty() and not os.environ.get("NO_COLOR"):
        _rich(diags, sources, out)
        return
    from runtime.sanitize import for_terminal

    for d in diags:  # a diagnostic quotes the suite: inert, its own line breaks kept
        out.write(for_terminal(d.format(sources.get(d.file)), keep_newlines=True) + "\n")
