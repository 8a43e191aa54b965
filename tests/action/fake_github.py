"""A fake GitHub REST API for issue comments and Actions artifacts, served on 127.0.0.1.

It speaks just enough of the real API for bench's comment code: list (paginated with a
``Link`` header and ``per_page``), create and update issue comments; and for ``baseline:
auto``: list a workflow's runs by branch, list a run's artifacts, and download one (a 302 to
the archive on another origin, ``localhost`` instead of ``127.0.0.1``, as GitHub redirects to
its blob storage). Tokens decide access
(``write``, ``read``: 403 on writes, ``hidden``: 404 on everything, unknown: 401), and a queue
of scripted answers lets a test inject 5xx and rate-limit responses before the real handling.
Every request is recorded, so tests can assert what was sent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

WRITE_TOKEN = "ghs_fake_write_token_0123456789"
READ_TOKEN = "ghs_fake_read_token_0123456789"
HIDDEN_TOKEN = "ghs_fake_hidden_token_0123456789"


@dataclass
class Scripted:
    """One canned answer served instead of the real handling (for the next matching request)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    method: str | None = None
    """Only for this HTTP method (None: any)."""


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    authorization: str | None
    body: Any


class FakeGitHub:
    """State and Starlette app of the fake API; ``url`` is set while it is served."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {
            WRITE_TOKEN: "write",
            READ_TOKEN: "read",
            HIDDEN_TOKEN: "hidden",
        }
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.script: list[Scripted] = []
        self.requests: list[Recorded] = []
        self.next_link_host: str | None = None
        """When set, Link headers point to this origin instead (to test the same-origin guard)."""
        self.url = ""
        self._next_id = 1000
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route(
                    "/repos/{owner}/{repo}/issues/{number:int}/comments",
                    self._issue_comments,
                    methods=["GET", "POST"],
                ),
                Route(
                    "/repos/{owner}/{repo}/issues/comments/{comment_id:int}",
                    self._one_comment,
                    methods=["PATCH"],
                ),
                Route(
                    "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs",
                    self._workflow_runs,
                ),
                Route(
                    "/repos/{owner}/{repo}/actions/runs/{run_id:int}/artifacts",
                    self._run_artifacts,
                ),
                Route(
                    "/repos/{owner}/{repo}/actions/artifacts/{artifact_id:int}/zip",
                    self._artifact_zip,
                ),
                Route("/blob/{artifact_id:int}", self._blob),
            ]
        )
        self.runs: list[dict[str, Any]] = []
        """Workflow runs, newest first: id, workflow, head_branch, conclusion, head_sha, ..."""
        self.archives: dict[int, bytes] = {}
        self.run_artifacts: dict[int, list[dict[str, Any]]] = {}

    # -- helpers for tests -------------------------------------------------------------------

    def seed(self, repo: str, number: int, bodies: list[str], *, user: str = "someone") -> None:
        """Add comments with these bodies to a PR, oldest first."""
        with self._lock:
            for body in bodies:
                self._add(repo, number, body, user)

    def bodies(self, repo: str, number: int) -> list[str]:
        """The PR's comment bodies, oldest first."""
        return [c["body"] for c in self.comments.get((repo, number), [])]

    def add_run(
        self,
        repo: str,
        *,
        workflow: str,
        branch: str,
        run_id: int,
        sha: str,
        created_at: str,
        archive: bytes | None = None,
        artifact: str = "bench-report",
        expired: bool = False,
        conclusion: str = "success",
    ) -> None:
        """A workflow run (newer runs are added later) with one artifact holding ``archive``."""
        with self._lock:
            self.runs.insert(
                0,
                {
                    "id": run_id,
                    "repo": repo,
                    "workflow": workflow,
                    "head_branch": branch,
                    "head_sha": sha,
                    "conclusion": conclusion,
                    "status": "completed",
                    "created_at": created_at,
                    "html_url": f"https://github.example/{repo}/actions/runs/{run_id}",
                },
            )
            if archive is not None:
                aid = run_id * 10
                self.archives[aid] = archive
                self.run_artifacts[run_id] = [
                    {"id": aid, "name": artifact, "expired": expired, "size_in_bytes": len(archive)}
                ]

    def writes(self) -> list[Recorded]:
        """Recorded POST and PATCH requests."""
        return [r for r in self.requests if r.method in ("POST", "PATCH")]

    # -- handlers ------------------------------------------------------------------------------

    async def _issue_comments(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        p = request.path_params
        key = (f"{p['owner']}/{p['repo']}", int(p["number"]))
        if request.method == "POST":
            body = (await request.json()).get("body")
            with self._lock:
                comment = self._add(key[0], key[1], str(body), "github-actions[bot]")
            return JSONResponse(comment, status_code=201)
        per_page = min(int(request.query_params.get("per_page", "30")), 100)
        page = int(request.query_params.get("page", "1"))
        items = self.comments.get(key, [])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            origin = self.next_link_host or self.url
            nxt = f"{origin}{request.url.path}?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
        return JSONResponse(chunk, headers=headers)

    async def _one_comment(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        cid = int(request.path_params["comment_id"])
        body = (await request.json()).get("body")
        with self._lock:
            for items in self.comments.values():
                for comment in items:
                    if comment["id"] == cid:
                        comment["body"] = str(body)
                        comment["updated_at"] = "2026-11-21T00:00:01Z"
                        return JSONResponse(comment)
        return JSONResponse({"message": "Not Found"}, status_code=404)

    async def _gate(self, request: Request) -> Response | None:
        raw = await request.body()
        auth = request.headers.get("authorization")
        self.requests.append(
            Recorded(
                request.method,
                request.url.path,
                request.url.query,
                auth,
                None if not raw else await request.json(),
            )
        )
        for i, item in enumerate(self.script):
            if item.method in (None, request.method):
                del self.script[i]
                return JSONResponse(item.body, status_code=item.status, headers=item.headers)
        token = (auth or "").removeprefix("Bearer ").removeprefix("token ")
        access = self.tokens.get(token)
        if access is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if access == "hidden":
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if access == "read" and request.method != "GET":
            return JSONResponse(
                {"message": "Resource not accessible by integration"}, status_code=403
            )
        return None

    async def _workflow_runs(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        p, q = request.path_params, request.query_params
        repo = f"{p['owner']}/{p['repo']}"
        runs = [
            r
            for r in self.runs
            if r["repo"] == repo
            and r["workflow"] == p["workflow"]
            and r["head_branch"] == q.get("branch", r["head_branch"])
            and (q.get("status") != "success" or r["conclusion"] == "success")
        ][: int(q.get("per_page", "30"))]
        return JSONResponse({"total_count": len(runs), "workflow_runs": runs})

    async def _run_artifacts(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        p = request.path_params
        name = request.query_params.get("name")
        items = [
            {
                **a,
                "archive_download_url": f"{self.url}/repos/{p['owner']}/{p['repo']}"
                f"/actions/artifacts/{a['id']}/zip",
            }
            for a in self.run_artifacts.get(int(p["run_id"]), [])
            if name is None or a["name"] == name
        ]
        return JSONResponse({"total_count": len(items), "artifacts": items})

    async def _artifact_zip(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        aid = int(request.path_params["artifact_id"])
        if aid not in self.archives:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        blob = self.url.replace("127.0.0.1", "localhost") + f"/blob/{aid}"
        return Response(status_code=302, headers={"Location": blob})

    async def _blob(self, request: Request) -> Response:
        self.requests.append(
            Recorded("GET", request.url.path, "", request.headers.get("authorization"), None)
        )
        aid = int(request.path_params["artifact_id"])
        return Response(self.archives.get(aid, b""), media_type="application/zip")

    def _add(self, repo: str, number: int, body: str, user: str) -> dict[str, Any]:
        self._next_id += 1
        cid = self._next_id
        comment = {
            "id": cid,
            "body": body,
            "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
            "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{cid}",
            "created_at": "2026-11-21T00:00:00Z",
            "updated_at": "2026-11-21T00:00:00Z",
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve ``fake`` on 127.0.0.1 (a free port) in a thread; ``fake.url`` is its origin."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake GitHub API did not start")
        time.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
