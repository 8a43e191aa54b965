"""The ``bench view`` web app: the list of runs, a run's HTML report, two runs compared.

Read-only and local by design:

- runs are looked up by exact name in the store's listing (bench/view/index.py), never by a
  path built from the URL; anything else is a 404 page;
- only GET and HEAD are answered (405 otherwise), and only for the host names the server
  was bound for (a page on another site cannot reach it through DNS rebinding: 400);
- every page is self-contained and its Content-Security-Policy forbids every request
  (the run page keeps the HTML report's own policy, which allows only its one inline
  script); no framing, no referrer, no caching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from markupsafe import escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from report.escape import clip, strip_controls
from runtime.errors import BenchError

from .index import StoreIndex

__all__ = ["LOOPBACK_HOSTS", "create_app"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Host names a loopback-bound viewer answers to."""

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""The viewer's own pages: no script at all; the compare form submits to the viewer."""

_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')
_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}


def _host_name(value: str) -> str:
    """``127.0.0.1:8000`` -> ``127.0.0.1``; ``[::1]:8000`` -> ``::1``; lower-cased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class _Guard:
    """ASGI middleware: GET/HEAD only, known Host only, security headers on every answer."""

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str] | None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # no websockets
        if scope["method"] not in ("GET", "HEAD"):
            await _error_page(405, "bench view is read-only: only GET and HEAD are answered.",
                              {"allow": "GET, HEAD"})(scope, receive, send)  # fmt: skip
            return
        if self.allowed_hosts is not None:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if _host_name(host) not in self.allowed_hosts:
                await _error_page(400, "Unknown Host header.")(scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                for name, value in _HEADERS.items():
                    if name.encode() not in have:
                        headers.append((name.encode(), value.encode()))
                if b"content-security-policy" not in have:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error_page(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    text = escape(clip(strip_controls(message), 2000))
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">'
        f"<title>bench view · {status}</title></head><body>"
        f'<h1>{status}</h1><p>{text}</p><p><a href="/">all runs</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=status, headers=headers)


def _report_page(html: str) -> HTMLResponse:
    """The HTML report as it is, with its own CSP (from its meta tag) sent as a header too."""
    found = _META_CSP.search(html, 0, 4096)
    csp = f"{found.group(1)}; frame-ancestors 'none'" if found else PAGE_CSP
    return HTMLResponse(html, headers={"content-security-policy": csp})


def create_app(root: Path, *, allowed_hosts: Iterable[str] | None = LOOPBACK_HOSTS) -> Any:
    """The viewer over the runs directory ``root`` (an ASGI app).

    ``allowed_hosts``: Host header names to answer (None: any, for a viewer bound to another
    interface on purpose).
    """
    from report.run_list import render_run_list
    from report.side_by_side import render_compare, side_by_side

    index = StoreIndex(root)

    def known(name: str | None, what: str) -> str:
        if not name:
            raise HTTPException(400, f"Pick a {what} run: /compare?base=RUN&head=RUN.")
        if index.entry(name) is None:
            raise HTTPException(404, f"No run {name!r} in this store.")
        return name

    def runs_page(request: Request) -> Response:
        return HTMLResponse(render_run_list(index.rows(), store=str(index.root)))

    def run_page(request: Request) -> Response:
        from report import render

        name = known(request.path_params["name"], "")
        html = index.cached(name, "html", lambda _: render(index.report(name), "html"))
        return _report_page(html)

    def compare_page(request: Request) -> Response:
        base = known(request.query_params.get("base"), "base")
        head = known(request.query_params.get("head"), "head")
        return HTMLResponse(render_compare(side_by_side(index.report(base), index.report(head))))

    def favicon(request: Request) -> Response:
        return Response(status_code=204)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error_page(exc.status_code, exc.detail, exc.headers)

    async def bench_error(request: Request, exc: Exception) -> Response:
        return _error_page(500, f"Cannot show this run: {exc}")

    app = Starlette(
        routes=[
            Route("/", runs_page),
            Route("/runs/{name}", run_page),
            Route("/compare", compare_page),
            Route("/favicon.ico", favicon),
        ],
        exception_handlers={HTTPException: http_error, BenchError: bench_error},
    )
    app.state.index = index
    hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)
    return _Guard(app, hosts)
