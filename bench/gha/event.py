"""The workflow's triggering event: which repository and pull request, if any.

A comment can only go to a pull request; on ``push`` and other events the Action writes the
job summary only. The Action never needs ``pull_request_target``; it is understood here only
so that a workflow which does use it still finds its pull request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.errors import InputError

__all__ = ["PULL_REQUEST_EVENTS", "EventContext", "read_event"]

PULL_REQUEST_EVENTS = frozenset(
    {
        "pull_request",
        "pull_request_target",
        "pull_request_review",
        "pull_request_review_comment",
    }
)
"""Events whose payload carries ``pull_request.number``."""


@dataclass(frozen=True)
class EventContext:
    """Where the workflow runs: event name, ``owner/repo`` and the pull request number."""

    name: str
    """``GITHUB_EVENT_NAME`` (empty outside GitHub Actions)."""
    repository: str | None
    """``owner/repo`` from ``GITHUB_REPOSITORY`` or the payload."""
    pull_number: int | None
    """The pull request's number, or None when the event is not about a pull request."""
    base_ref: str | None = None
    """The pull request's base branch (``GITHUB_BASE_REF``, else the payload's)."""

    @property
    def is_pull_request(self) -> bool:
        """True when a PR comment can be posted for this event."""
        return self.pull_number is not None and bool(self.repository)


def read_event(environ: Mapping[str, str]) -> EventContext:
    """Read GITHUB_EVENT_NAME, GITHUB_REPOSITORY and the payload at GITHUB_EVENT_PATH."""
    name = environ.get("GITHUB_EVENT_NAME", "")
    payload = _load_payload(environ.get("GITHUB_EVENT_PATH", ""))
    repository = environ.get("GITHUB_REPOSITORY") or _dig(payload, "repository", "full_name")
    return EventContext(
        name=name,
        repository=repository if isinstance(repository, str) and repository else None,
        pull_number=_pull_number(name, payload),
        base_ref=_base_ref(environ, payload),
    )


def _base_ref(environ: Mapping[str, str], payload: dict[str, Any]) -> str | None:
    ref = environ.get("GITHUB_BASE_REF") or _dig(payload, "pull_request", "base", "ref")
    return ref if isinstance(ref, str) and ref else None


def _load_payload(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the event payload {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _pull_number(name: str, payload: dict[str, Any]) -> int | None:
    if name in PULL_REQUEST_EVENTS:
        number = _dig(payload, "pull_request", "number")
    elif name == "issue_comment" and _dig(payload, "issue", "pull_request") is not None:
        # A comment on a pull request arrives as an issue comment with a pull_request link.
        number = _dig(payload, "issue", "number")
    else:
        return None
    # bool is an int subclass; a payload saying `true` is not a number.
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        return number
    return None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
