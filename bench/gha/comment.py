"""The one PR comment: found by its hidden marker, updated in place, or created.

Talks to the GitHub REST API with httpx (``GITHUB_API_URL``, so GitHub Enterprise and the
tests' fake server on 127.0.0.1 work the same way):

- listing is paginated (``per_page=100``, following the ``Link: rel="next"`` header, and only
  to the same origin, so the token is never sent elsewhere);
- 5xx answers, transport errors, 429 and secondary rate limits (a 403 with ``Retry-After`` or
  an exhausted ``x-ratelimit-remaining``) are retried a bounded number of times, waiting as
  long as GitHub asks, up to a cap;
- 401, 403 and 404 without a rate-limit sign mean the token may not write here (a fork's pull
  request gets a read-only token): that is not an error of the suite, so the outcome says
  ``unavailable`` with the reason, and the caller writes the job summary only.

The token lives only in the client's headers; it is never part of a message or a repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from runtime.errors import InfrastructureError, InputError

__all__ = [
    "COMMENT_LIMIT",
    "MARKER",
    "CommentClient",
    "CommentOutcome",
    "GitHubAPIError",
    "GitHubForbidden",
    "publish_comment",
]

MARKER = "<!-- bench-report -->"
"""The hidden marker that identifies bench's comment on a pull request."""

COMMENT_LIMIT = 65_536
"""GitHub's limit for a comment body, in characters."""

CommentMode = Literal["update", "new", "off"]

_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_CUT_NOTE = "\n\n_The report was cut to fit GitHub's comment limit; see the job summary._\n"


class GitHubAPIError(InfrastructureError):
    """GitHub answered with an unexpected status, or kept failing after the retries."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        """HTTP status of the last answer, if there was one."""


class GitHubForbidden(GitHubAPIError):
    """The token may not read or write the comments here (401, 403 or 404)."""


@dataclass(frozen=True)
class CommentOutcome:
    """What happened to the PR comment."""

    action: Literal["created", "updated", "skipped", "unavailable"]
    """created/updated: posted; skipped: not asked to (or not a PR); unavailable: no access."""
    url: str = ""
    """The comment's html_url when it was created or updated."""
    reason: str = ""
    """Why it was skipped or unavailable, written for the job summary."""


@dataclass
class CommentClient:
    """A small GitHub REST client for issue comments, with bounded retries.

    ``sleep`` is injectable so tests do not wait; ``max_wait`` caps a single wait (a longer
    Retry-After gives up instead of stalling the job).
    """

    api_url: str
    token: str = field(repr=False)
    max_attempts: int = 5
    max_wait: float = 60.0
    backoff: float = 1.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> CommentClient:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "bench-github-action",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self._client = httpx.Client(
            base_url=self.api_url.rstrip("/") + "/",
            headers=headers,
            timeout=self.timeout,
            transport=self.transport,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- the three calls -------------------------------------------------------------------

    def iter_comments(self, repo: str, number: int) -> Iterator[dict[str, Any]]:
        """Every comment of issue/PR ``number``, page after page."""
        url: str | None = f"repos/{repo}/issues/{number}/comments?per_page=100"
        while url is not None:
            response = self._request("GET", url)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubAPIError(f"GitHub listed comments as {type(page).__name__}, not a list")
            yield from (c for c in page if isinstance(c, dict))
            url = self._next_page(response)

    def create(self, repo: str, number: int, body: str) -> dict[str, Any]:
        """Create a comment on issue/PR ``number``."""
        return self._json(self._request("POST", f"repos/{repo}/issues/{number}/comments", body))

    def update(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        """Replace the body of comment ``comment_id``."""
        return self._json(
            self._request("PATCH", f"repos/{repo}/issues/comments/{comment_id}", body)
        )

    def get_json(self, url: str) -> dict[str, Any]:
        """GET an API object (a relative path, or an absolute URL on the API's own origin)."""
        return self._json(self._request("GET", self._same_origin(url)))

    def get_raw(self, url: str) -> httpx.Response:
        """GET ``url`` on the API's origin; a redirect is returned, not followed (its target
        is another host, which must not get the token)."""
        return self._request("GET", self._same_origin(url), allow_redirect=True)

    def _same_origin(self, url: str) -> str:
        target = httpx.URL(url)
        if not target.is_absolute_url:
            return url
        base = httpx.URL(self.api_url)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise GitHubAPIError(f"refusing to send the token to another host ({target.host})")
        return url

    def find(self, repo: str, number: int, marker: str = MARKER) -> dict[str, Any] | None:
        """The first comment whose body holds ``marker``, or None."""
        for comment in self.iter_comments(repo, number):
            if marker in str(comment.get("body") or ""):
                return comment
        return None

    # -- plumbing --------------------------------------------------------------------------

    def _request(
        self, method: str, url: str, body: str | None = None, *, allow_redirect: bool = False
    ) -> httpx.Response:
        if self._client is None:
            raise RuntimeError("CommentClient must be used as a context manager")
        payload = None if body is None else {"body": body}
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self._client.request(method, url, json=payload)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                wait = self._backoff(attempt)
            else:
                if response.is_success or (allow_redirect and response.is_redirect):
                    return response
                retry = self._retry_wait(response, attempt)
                if retry is None:
                    raise _status_error(method, response)
                wait = retry
                last = f"HTTP {response.status_code}"
            if attempt == self.max_attempts:
                break
            if wait > self.max_wait:
                raise GitHubAPIError(
                    f"GitHub asked to wait {wait:.0f}s before retrying {method} (over the {self.max_wait:.0f}s cap)"
                )
            self.sleep(wait)
        raise GitHubAPIError(
            f"{method} to the GitHub API failed after {self.max_attempts} attempts ({last})"
        )

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        status = response.status_code
        if status in _RETRY_STATUSES:
            asked = _retry_after(response)
            return self._backoff(attempt) if asked is None else asked
        if status == 429 or (status == 403 and _is_rate_limited(response)):
            for asked in (_retry_after(response), _reset_wait(response)):
                if asked is not None:
                    return asked
            # GitHub's advice for a secondary limit without a header: wait at least a minute.
            return 60.0
        return None

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff * 2 ** (attempt - 1), self.max_wait))

    def _next_page(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        nxt = httpx.URL(link)
        base = httpx.URL(self.api_url)
        # Follow only the same origin: the Authorization header goes with the request.
        if (nxt.scheme, nxt.host, nxt.port) != (base.scheme, base.host, base.port):
            raise GitHubAPIError(f"GitHub's next page points to another host ({nxt.host})")
        return str(nxt)

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        data = response.json()
        if not isinstance(data, dict):
            raise GitHubAPIError("GitHub answered an API call with something other than an object")
        return data


def publish_comment(
    client: CommentClient,
    repo: str,
    number: int,
    body: str,
    *,
    mode: CommentMode = "update",
    marker: str = MARKER,
) -> CommentOutcome:
    """Post ``body`` on PR ``number`` as ``mode`` says; no access becomes ``unavailable``.

    ``update`` edits the marked comment (creating it the first time), ``new`` always adds a
    comment, ``off`` does nothing. The body always carries the marker, so a later ``update``
    finds a comment that ``new`` created.
    """
    if mode not in ("update", "new", "off"):
        raise InputError(f"comment mode must be update, new or off, not {mode!r}")
    if mode == "off":
        return CommentOutcome("skipped", reason="comment-mode is off")
    body = fit_comment(body if marker in body else f"{marker}\n{body}")
    try:
        existing = client.find(repo, number, marker) if mode == "update" else None
        if existing is not None and isinstance(existing.get("id"), int):
            done = client.update(repo, existing["id"], body)
            return CommentOutcome("updated", url=str(done.get("html_url") or ""))
        done = client.create(repo, number, body)
        return CommentOutcome("created", url=str(done.get("html_url") or ""))
    except GitHubForbidden as exc:
        return CommentOutcome("unavailable", reason=str(exc))


def fit_comment(body: str, limit: int = COMMENT_LIMIT) -> str:
    """``body`` cut at a line boundary to fit GitHub's comment limit, with a note."""
    if len(body) <= limit:
        return body
    cut = body[: limit - len(_CUT_NOTE)]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
    return cut + _CUT_NOTE


def _status_error(method: str, response: httpx.Response) -> GitHubAPIError:
    status = response.status_code
    detail = _message(response)
    if status in (401, 403, 404):
        why = {
            401: "the token was rejected",
            403: "the token may not write comments here (a pull request from a fork gets a read-only token; the job needs `permissions: pull-requests: write`)",
            404: "the repository or pull request is not visible to the token (a fork's read-only token, or missing `pull-requests: write`)",
        }[status]
        return GitHubForbidden(
            f"GitHub answered {status} to {method}: {why}{detail}", status_code=status
        )
    return GitHubAPIError(f"GitHub answered {status} to {method}{detail}", status_code=status)


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    msg = data.get("message") if isinstance(data, dict) else None
    return f" ({' '.join(str(msg).split())[:200]})" if msg else ""


def _is_rate_limited(response: httpx.Response) -> bool:
    if "retry-after" in response.headers or response.headers.get("x-ratelimit-remaining") == "0":
        return True
    return "rate limit" in _message(response).lower()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _reset_wait(response: httpx.Response) -> float | None:
    if response.headers.get("x-ratelimit-remaining") != "0":
        return None
    try:
        return max(0.0, float(response.headers["x-ratelimit-reset"]) - time.time())
    except (KeyError, ValueError):
        return None
