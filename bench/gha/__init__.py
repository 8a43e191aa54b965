"""The GitHub Action's logic, as plain unit-tested Python (action.yml only glues steps).

- ``event``: which repository and pull request the workflow runs for ($GITHUB_EVENT_PATH).
- ``outputs``: step outputs to $GITHUB_OUTPUT, multiline-safe.
- ``summary``: the job summary ($GITHUB_STEP_SUMMARY), within GitHub's size limit.
- ``comment``: find-or-update the one PR comment by its hidden marker (GitHub REST API).
- ``annotations``: workflow commands (``::error file=…``) so compile errors land on the diff.
- ``digest``: the few numbers of a report.json the Action needs.
- ``inputs`` and ``run``: the Action's inputs and the step that executes and publishes a suite.
"""

from __future__ import annotations

from .comment import MARKER as MARKER
from .comment import CommentClient as CommentClient
from .comment import CommentOutcome as CommentOutcome
from .comment import GitHubAPIError as GitHubAPIError
from .comment import publish_comment as publish_comment
from .digest import ReportDigest as ReportDigest
from .digest import load_digest as load_digest
from .event import EventContext as EventContext
from .event import read_event as read_event
from .outputs import format_outputs as format_outputs
from .outputs import write_outputs as write_outputs
from .summary import write_summary as write_summary

__all__ = [
    "MARKER",
    "CommentClient",
    "CommentOutcome",
    "EventContext",
    "GitHubAPIError",
    "ReportDigest",
    "format_outputs",
    "load_digest",
    "publish_comment",
    "read_event",
    "write_outputs",
    "write_summary",
]
