"""A fake Hugging Face Hub: the endpoints huggingface_hub calls to read a dataset repository.

- ``GET /api/datasets/{owner}/{name}[/revision/{rev}]``: ``HfApi.dataset_info`` (id, commit
  sha, file list);
- ``HEAD``/``GET /datasets/{owner}/{name}/resolve/{rev}/{path}``: ``hf_hub_download`` (the
  HEAD gives the commit in ``X-Repo-Commit`` and the ``ETag`` the cache stores the blob by).

Errors carry ``X-Error-Code`` as the Hub does (``RepoNotFound``, ``RevisionNotFound``,
``EntryNotFound``), which the client turns into its typed exceptions. A repository is a set of
commits (path -> bytes) and refs (branch or tag -> commit); ``push`` adds a commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["FakeHub", "hub_app"]


@dataclass
class _Repo:
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeHub:
    """Dataset repositories by id, and the requests received (method, path)."""

    repos: dict[str, _Repo] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def push(self, repo_id: str, files: dict[str, bytes], *, ref: str = "main") -> str:
        """Commit ``files`` (the whole tree) to ``ref``; the new commit's sha."""
        repo = self.repos.setdefault(repo_id, _Repo())
        digest = hashlib.sha1(repr((len(repo.commits), sorted(files.items()))).encode())
        sha = digest.hexdigest()
        repo.commits[sha] = dict(files)
        repo.refs[ref] = sha
        return sha

    def tag(self, repo_id: str, name: str, sha: str) -> None:
        self.repos[repo_id].refs[name] = sha

    def resolve(self, repo_id: str, rev: str) -> tuple[str, dict[str, bytes]] | Response:
        repo = self.repos.get(repo_id)
        if repo is None:
            return _error(404, "RepoNotFound", f"Repository {repo_id} not found")
        sha = repo.refs.get(rev, rev)
        if sha not in repo.commits:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return sha, repo.commits[sha]


def _error(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse({"error": message}, status, headers={"X-Error-Code": code, **headers})


def hub_app(hub: FakeHub) -> Starlette:
    async def info(request: Request) -> Response:
        p = request.path_params
        hub.requests.append((request.method, request.url.path))
        repo_id = f"{p['owner']}/{p['name']}"
        got = hub.resolve(repo_id, p.get("rev", "main"))
        if isinstance(got, Response):
            return got
        sha, files = got
        siblings = [{"rfilename": name} for name in sorted(files)]
        return JSONResponse({"id": repo_id, "sha": sha, "private": False, "siblings": siblings})

    async def resolve(request: Request) -> Response:
        p = request.path_params
        hub.requests.append((request.method, request.url.path))
        got = hub.resolve(f"{p['owner']}/{p['name']}", p["rev"])
        if isinstance(got, Response):
            return got
        sha, files = got
        data = files.get(p["path"])
        if data is None:
            return _error(404, "EntryNotFound", "Entry not found", **{"X-Repo-Commit": sha})
        headers = {
            "X-Repo-Commit": sha,
            "ETag": '"' + hashlib.sha256(data).hexdigest() + '"',
            "Content-Length": str(len(data)),
            "Content-Type": "application/octet-stream",
        }
        if request.method == "HEAD":
            return Response(b"", headers=headers)
        return Response(data, headers=headers)

    routes: list[Any] = [
        Route("/api/datasets/{owner}/{name}", info),
        Route("/api/datasets/{owner}/{name}/revision/{rev}", info),
        Route(
            "/datasets/{owner}/{name}/resolve/{rev}/{path:path}", resolve, methods=["GET", "HEAD"]
        ),
    ]
    return Starlette(routes=routes)
