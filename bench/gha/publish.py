"""Publishing a report: the PR comment when there is a pull request, and always the job summary.

One function decides, for the event at hand, whether to comment; whatever keeps the comment
from being posted (a push event, no token, a read-only token, GitHub failing) becomes a note at
the top of the job summary and a ``::warning::`` in the log, never a failed job: the suite's
result is what decides the job, not GitHub's comment API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import annotation
from .comment import CommentClient, CommentMode, CommentOutcome, GitHubAPIError, publish_comment
from .event import read_event
from .summary import write_summary

__all__ = ["DEFAULT_API_URL", "Published", "publish"]

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class Published:
    """What publishing did."""

    comment: CommentOutcome
    notes: list[str] = field(default_factory=list)
    """Notes put at the top of the job summary."""
    summary: str = ""
    """The job summary text written."""


def publish(
    markdown: str,
    environ: Mapping[str, str],
    *,
    comment: bool | None = None,
    mode: CommentMode = "update",
    token_env: str = "GITHUB_TOKEN",
    summary_copy: Path | None = None,
    echo: Callable[[str], None] = print,
    client_factory: Callable[[str, str], CommentClient] | None = None,
) -> Published:
    """Comment on the pull request (if any and wanted) and write the job summary.

    ``comment`` None means: comment when the event is about a pull request. The summary goes
    to ``$GITHUB_STEP_SUMMARY`` and, when ``summary_copy`` is given, to that file as well.
    """
    outcome, notes = _comment(markdown, environ, comment, mode, token_env, client_factory)
    for note in notes:
        echo(annotation("warning", note, title="bench: no PR comment"))
    if outcome.url:
        echo(f"bench: PR comment {outcome.action}: {outcome.url}")
    text = write_summary(markdown, environ.get("GITHUB_STEP_SUMMARY") or None, notes=notes)
    if summary_copy is not None:
        summary_copy.parent.mkdir(parents=True, exist_ok=True)
        summary_copy.write_text(text, encoding="utf-8")
    return Published(outcome, notes, text)


def _comment(
    markdown: str,
    environ: Mapping[str, str],
    wanted: bool | None,
    mode: CommentMode,
    token_env: str,
    client_factory: Callable[[str, str], CommentClient] | None,
) -> tuple[CommentOutcome, list[str]]:
    event = read_event(environ)
    if wanted is False or mode == "off":
        return CommentOutcome("skipped", reason="commenting is turned off"), []
    if not event.is_pull_request:
        reason = f"the {event.name or 'current'} event is not about a pull request, so the report is in the job summary only"
        # Only worth a warning when the user asked for a comment explicitly.
        return CommentOutcome("skipped", reason=reason), [reason] if wanted else []
    token = environ.get(token_env, "")
    if not token:
        reason = f"no GitHub token in ${token_env}, so no PR comment was posted"
        return CommentOutcome("unavailable", reason=reason), [reason]
    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    factory = client_factory or (lambda url, tok: CommentClient(url, tok))
    assert event.repository is not None and event.pull_number is not None  # is_pull_request
    try:
        with factory(api_url, token) as client:
            outcome = publish_comment(
                client, event.repository, event.pull_number, markdown, mode=mode
            )
    except GitHubAPIError as exc:
        reason = f"the PR comment could not be posted: {exc}"
        return CommentOutcome("unavailable", reason=reason), [reason]
    if outcome.action == "unavailable":
        return outcome, [f"No PR comment: {outcome.reason}. The report is in this job summary."]
    return outcome, []
