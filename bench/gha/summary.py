"""The job summary: Markdown appended to $GITHUB_STEP_SUMMARY.

GitHub rejects a step summary over 1 MiB (and then shows none at all), so an oversized
summary is cut at a line boundary with a note saying where the full report is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from report.escape import md_inline

__all__ = ["SUMMARY_LIMIT", "compose_summary", "write_summary"]

SUMMARY_LIMIT = 1024 * 1024
"""GitHub's limit for one step's summary, in bytes."""

_CUT_NOTE = (
    "\n\n> [!NOTE]\n> The report was cut to fit GitHub's job summary limit; see the report files.\n"
)


def compose_summary(markdown: str, notes: Sequence[str] = ()) -> str:
    """The summary text: each note as a blockquote, then the report's Markdown.

    A note may quote an API error (foreign text): it is one inert Markdown line.
    """
    head = "".join(f"> [!NOTE]\n> {md_inline(n, 1000)}\n\n" for n in notes)
    return head + markdown.rstrip("\n") + "\n"


def write_summary(
    markdown: str,
    path: str | Path | None,
    *,
    notes: Sequence[str] = (),
    limit: int = SUMMARY_LIMIT,
) -> str:
    """Append the summary to the file at ``path`` (when given); returns the text written."""
    text = _fit(compose_summary(markdown, notes), limit)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    return text


def _fit(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    budget = limit - len(_CUT_NOTE.encode("utf-8"))
    cut = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    # End at a line boundary so a table row or an HTML tag is never left half-written.
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    return cut + _CUT_NOTE
