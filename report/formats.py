"""The report formats, their file extensions, and the one parser of a user's list of them.

Kept apart from ``report.render`` (Jinja, markdown-it) so that commands which only name
formats, such as the Action's input parsing, import nothing heavy.
"""

from __future__ import annotations

import re

from runtime.errors import InputError

__all__ = ["EXTENSIONS", "FORMATS", "normalise_formats"]

FORMATS = ("json", "md", "html", "junit")
EXTENSIONS = {"json": ".json", "md": ".md", "html": ".html", "junit": ".junit.xml"}
_ALIASES = {"markdown": "md", "xml": "junit", "htm": "html"}
_SEPARATORS = re.compile(r"[,\s]+")


def normalise_formats(spec: str | list[str]) -> list[str]:
    """``"html,md"`` or ``"html md"`` -> ``["html", "md"]``; duplicates dropped.

    Names are case-insensitive, with the aliases markdown, xml and htm. InputError names every
    unknown format at once, or says that none was given.
    """
    items = _SEPARATORS.split(spec) if isinstance(spec, str) else spec
    out: list[str] = []
    unknown: list[str] = []
    for raw in items:
        name = _ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if not name:
            continue
        if name not in FORMATS:
            unknown.append(repr(raw.strip()))
        elif name not in out:
            out.append(name)
    if unknown:
        noun = "format" if len(unknown) == 1 else "formats"
        raise InputError(
            f"unknown report {noun} {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    if not out:
        raise InputError(f"no report format given; choose from {', '.join(FORMATS)}")
    return out
