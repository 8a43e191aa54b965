"""A fake GitHub REST API for issue comments, served on 127.0.0.1 in a thread.

It speaks just enough of the real API for bench's comment code: list (paginated with a
``Link`` header and ``per_page``), create and update issue comments. Tokens decide access
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
            ]
        )

    # -- helpers for tests -------------------------------------------------------------------

    def seed(self, repo: str, number: int, bodies: list[str], *, user: str = "someone") -> None:
        """Add comments with these bodies to a PR, oldest first."""
        with self._lock:
            for body in bodies:
                self._add(repo, number, body, user)

    def bodies(self, repo: str, number: int) -> list[str]:
        """The PR's comment bodies, oldest first."""
        return [c["body"] for c in self.comments.get((repo, number), [])]

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
