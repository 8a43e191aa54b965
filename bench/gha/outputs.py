"""Step outputs: ``name<<DELIMITER`` blocks appended to $GITHUB_OUTPUT.

Every value is written in the heredoc form, so a value with newlines (or one that looks like
``other=value``) cannot inject a second output. The delimiter is random per call and checked
against the value, which is what GitHub's own toolkit does (``ghadelimiter_<uuid>``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from pathlib import Path

from runtime.errors import InputError

__all__ = ["format_outputs", "write_outputs"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_outputs(values: Mapping[str, str], *, delimiter: str | None = None) -> str:
    """The $GITHUB_OUTPUT text for ``values``, one heredoc block per output."""
    chunks = []
    for name, value in values.items():
        if not _NAME.match(name):
            raise InputError(f"invalid step output name {name!r}")
        mark = delimiter or f"ghadelimiter_{uuid.uuid4()}"
        # A value holding the delimiter line would end the block early and inject outputs.
        if mark in value:
            raise InputError(f"the value of output {name!r} contains its delimiter")
        chunks.append(f"{name}<<{mark}\n{value}\n{mark}\n")
    return "".join(chunks)


def write_outputs(values: Mapping[str, str], path: str | Path | None) -> str:
    """Append ``values`` to the $GITHUB_OUTPUT file at ``path``; returns the text written.

    With no path (outside GitHub Actions) nothing is written and the text is only returned,
    so callers can print it instead.
    """
    text = format_outputs(values)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    return text
