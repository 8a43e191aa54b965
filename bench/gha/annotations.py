"""Workflow commands that put compile errors on the pull request's diff.

``bench compile --check --diagnostics-format github`` prints ``::error file=…,line=…,col=…::``
lines with paths relative to where it ran. GitHub matches an annotation to the diff by a path
relative to the repository root, so when the Action runs in a ``working-directory`` the paths
are rewritten here (``relocate``). Escaping follows GitHub's toolkit: data escapes ``%``, CR and
LF; property values also escape ``:`` and ``,``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "annotation",
    "escape_data",
    "escape_property",
    "from_diagnostic_line",
    "relocate",
    "workspace_prefix",
]

_COMMAND = re.compile(r"^::(?P<level>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<msg>.*)$")
# The human diagnostic format: `path:line:col: error[code]: message`.
_HUMAN = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<level>error|warning)(?:\[(?P<code>[^\]]+)\])?: (?P<msg>.*)$"
)


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    title: str | None = None,
) -> str:
    """One ``::level props::message`` line."""
    props = [
        f"{key}={escape_property(str(value))}"
        for key, value in (("file", file), ("line", line), ("col", col), ("title", title))
        if value is not None
    ]
    joined = f" {','.join(props)}" if props else ""
    return f"::{level}{joined}::{escape_data(message)}"


def from_diagnostic_line(text: str) -> str | None:
    """Turn a ``file:line:col: error[code]: message`` line into an annotation, else None."""
    m = _HUMAN.match(text.strip())
    if not m:
        return None
    code = m["code"]
    return annotation(
        m["level"],
        m["msg"],
        file=m["file"],
        line=int(m["line"]),
        col=int(m["col"]),
        title=f"bench {code}" if code else None,
    )


def workspace_prefix(workdir: str | Path, workspace: str | Path | None) -> str:
    """The working directory relative to the workspace ('' when they are the same or unrelated)."""
    if not workspace:
        return ""
    try:
        rel = Path(os.path.abspath(workdir)).relative_to(os.path.abspath(workspace))
    except ValueError:
        return ""
    return "" if str(rel) == "." else rel.as_posix()


def relocate(lines: Iterable[str], prefix: str) -> list[str]:
    """Keep only annotation lines, with relative ``file=`` paths put under ``prefix``.

    Lines in the human diagnostic format become annotations too, so the Action still marks the
    diff when the compiler prints that format; every other line is dropped.
    """
    out = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not _COMMAND.match(line):
            converted = from_diagnostic_line(line)
            if converted is None:
                continue
            line = converted
        out.append(_prefix_file(line, prefix) if prefix else line)
    return out


def _prefix_file(line: str, prefix: str) -> str:
    m = _COMMAND.match(line)
    if not m or not m["props"]:
        return line
    props = []
    for prop in m["props"].split(","):
        key, sep, value = prop.partition("=")
        if key == "file" and sep and value and not value.startswith("/"):
            value = f"{escape_property(prefix)}/{value.removeprefix('./')}"
        props.append(f"{key}{sep}{value}")
    return f"::{m['level']} {','.join(props)}::{m['msg']}"
