"""``baseline: auto``: the base branch's newest report, found and fetched through the REST API.

On a pull request the Action looks for the newest successful run of the *same workflow* on the
pull request's base branch (``GET /repos/{repo}/actions/workflows/{file}/runs?branch=…&status=
success``), lists that run's artifacts for the one named by the convention (``bench-report``,
the Action's ``artifact-name`` input: every run of the Action uploads its report.json under
it, push runs included), downloads it (GitHub answers with a 302 to the archive: the redirect is
followed *without* the token, which must never reach another host), unpacks ``report.json``
and returns it with where it came from (run, commit, age).

Nothing here fails the job: no base run, an expired artifact, a download error or a file that
is not a bench report each become a ``reason``, the comment says it, and the run is judged
alone. Archive sizes are capped (a zip bomb is a reason, not a full disk).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .comment import CommentClient, GitHubAPIError

__all__ = ["ARTIFACT_NAME", "BaselineFound", "BaselineSearch", "find_baseline"]

ARTIFACT_NAME = "bench-report"
"""The artifact every Action run uploads its report.json under (the ``artifact-name`` input)."""

MAX_ARCHIVE = 64 * 1024 * 1024
"""Largest artifact archive downloaded, in bytes."""
MAX_REPORT = 256 * 1024 * 1024
"""Largest report.json unpacked from it, in bytes."""
RUNS_LOOKED_AT = 10
"""Base-branch runs examined, newest first, for one whose artifact is still there."""


@dataclass(frozen=True)
class BaselineFound:
    """The base report, saved to ``path``, and where it came from."""

    path: Path
    run_id: int
    run_url: str
    commit: str
    branch: str
    created_at: str
    age_days: float


@dataclass(frozen=True)
class BaselineSearch:
    """The outcome of the search: ``found``, or why there is no baseline."""

    found: BaselineFound | None = None
    reason: str = ""


def _workflow_file(environ: Mapping[str, str]) -> str | None:
    """``bench.yml`` from ``GITHUB_WORKFLOW_REF`` (``owner/repo/.github/workflows/bench.yml@ref``)."""
    ref = environ.get("GITHUB_WORKFLOW_REF", "")
    path = ref.split("@", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return name or None


def _age_days(created_at: str, now: datetime) -> float:
    try:
        when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, (now - when).total_seconds() / 86400)


def find_baseline(
    environ: Mapping[str, str],
    *,
    repo: str,
    base_branch: str,
    out_dir: Path,
    artifact: str = ARTIFACT_NAME,
    token: str = "",
    transport: httpx.BaseTransport | None = None,
    now: datetime | None = None,
) -> BaselineSearch:
    """Find, fetch and save the base branch's newest bench report; never raises for GitHub."""
    workflow = _workflow_file(environ)
    if workflow is None:
        return BaselineSearch(reason="the workflow file is unknown (GITHUB_WORKFLOW_REF unset)")
    api = environ.get("GITHUB_API_URL", "https://api.github.com")
    current = environ.get("GITHUB_RUN_ID", "")
    try:
        with CommentClient(api, token, transport=transport, max_attempts=3) as client:
            return _search(client, repo, workflow, base_branch, artifact, current, out_dir, now)
    except (GitHubAPIError, httpx.HTTPError, OSError, ValueError) as exc:
        return BaselineSearch(reason=f"the base run could not be fetched ({_short(exc)})")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _search(
    client: CommentClient,
    repo: str,
    workflow: str,
    branch: str,
    artifact: str,
    current: str,
    out_dir: Path,
    now: datetime | None,
) -> BaselineSearch:
    runs = client.get_json(
        f"repos/{repo}/actions/workflows/{workflow}/runs"
        f"?branch={branch}&status=success&per_page={RUNS_LOOKED_AT}"
    ).get("workflow_runs")
    runs = [r for r in runs or [] if isinstance(r, dict) and str(r.get("id")) != current]
    if not runs:
        return BaselineSearch(
            reason=f"no successful run of {workflow} on {branch} yet; "
            "this run is judged alone (the next push to the base branch makes one)"
        )
    expired = 0
    for run in runs[:RUNS_LOOKED_AT]:
        listed = client.get_json(
            f"repos/{repo}/actions/runs/{run['id']}/artifacts?name={artifact}&per_page=100"
        ).get("artifacts")
        usable = [
            a
            for a in listed or []
            if isinstance(a, dict) and a.get("name") == artifact and not a.get("expired")
        ]
        if not usable:
            expired += any(isinstance(a, dict) and a.get("expired") for a in listed or [])
            continue
        archive = _download(client, str(usable[0]["archive_download_url"]))
        path = out_dir / "baseline.json"
        _unpack(archive, path)
        created = str(run.get("created_at") or "")
        return BaselineSearch(
            found=BaselineFound(
                path=path,
                run_id=int(run["id"]),
                run_url=str(run.get("html_url") or ""),
                commit=str(run.get("head_sha") or ""),
                branch=branch,
                created_at=created,
                age_days=_age_days(created, now or datetime.now(UTC)),
            )
        )
    what = f"{expired} had expired" if expired else f"none had an artifact named {artifact!r}"
    return BaselineSearch(
        reason=f"of the last {len(runs[:RUNS_LOOKED_AT])} successful run(s) of {workflow} on "
        f"{branch}, {what}; this run is judged alone"
    )


def _download(client: CommentClient, url: str) -> bytes:
    """The archive at ``url``: GitHub's 302 is followed with no Authorization header."""
    first = client.get_raw(url)
    if first.is_redirect:
        location = first.headers.get("location", "")
        with httpx.Client(timeout=client.timeout, transport=client.transport) as plain:
            with plain.stream("GET", location) as response:
                response.raise_for_status()
                return _read_capped(response)
    if len(first.content) > MAX_ARCHIVE:
        _too_big()
    return first.content


def _read_capped(response: httpx.Response) -> bytes:
    buf = bytearray()
    for chunk in response.iter_bytes():
        buf.extend(chunk)
        if len(buf) > MAX_ARCHIVE:
            _too_big()
    return bytes(buf)


def _too_big() -> bytes:
    raise ValueError(f"the artifact archive is over {MAX_ARCHIVE // (1024 * 1024)} MB")


def _unpack(archive: bytes, dest: Path) -> None:
    """Write the archive's report.json to ``dest`` (capped; any other member is ignored)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile as exc:
        raise ValueError("the artifact is not a zip archive") from exc
    with zf:
        names = [n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "report.json"]
        if not names:
            raise ValueError("the artifact holds no report.json")
        info = zf.getinfo(min(names, key=len))
        if info.file_size > MAX_REPORT:
            raise ValueError("the artifact's report.json is too large")
        with zf.open(info) as src:
            data = src.read(MAX_REPORT + 1)
        if len(data) > MAX_REPORT:
            raise ValueError("the artifact's report.json is too large")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def describe(found: BaselineFound) -> dict[str, Any]:
    """The report's ``baseline.source`` for a found base run."""
    return {
        "run_id": found.run_id,
        "run_url": found.run_url,
        "commit": found.commit,
        "branch": found.branch,
        "created_at": found.created_at,
        "age_days": round(found.age_days, 2),
    }
