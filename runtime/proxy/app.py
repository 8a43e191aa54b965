"""The metrics proxy: a loopback HTTP server that measures an external agent's LLM traffic.

Attribution works through a token in the URL path. Each agent worker gets its own
``ProxyChannel`` whose base URLs look like ``http://127.0.0.1:PORT/<token>/openai``; the
worker's SDKs send every call there, so concurrent workers never mix their calls up. The pool
marks which case a channel currently serves (``channel.begin(case_id)``) and collects the
case's calls afterwards (``channel.end()``). A call belongs to the case that was active when
it *arrived*, even if it finishes later. Calls arriving while no case is active (during an
agent's start-up, say) are counted in ``channel.stray``.

Routes: ``/{token}/{upstream}/{rest}`` is forwarded to ``<upstream base URL>/{rest}`` with the
query string; the upstream base URLs default to the real providers and can be replaced (a
vLLM server, a fake on loopback). The proxy records method-independent facts only: provider,
model, latency, time to first token, tokens, status. It never records a header or a body,
except into a cassette when the run records one (``bench execute --record``: the request's body
and the answer, never a header; runtime/replay/proxy_tape.py), which also answers the calls in
a replay without forwarding them.

Served by uvicorn on the caller's event loop (asyncio), in the caller's task group; its own
signal handling is off so that Ctrl-C stays with bench.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any

import anyio
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..clock import monotonic_ms
from ..errors import InfrastructureError
from ..transcript import LlmCall
from .forward import CallStart, forward

__all__ = ["DEFAULT_UPSTREAMS", "ENV_VARS", "MetricsProxy", "ProxyChannel"]

DEFAULT_UPSTREAMS: Mapping[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
}
"""Where each upstream's calls go unless configured otherwise (base URL as the SDK uses it)."""

ENV_VARS: Mapping[str, str] = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    # google-genai reads this one for the Gemini API (google/genai/_base_url.py).
    "gemini": "GOOGLE_GEMINI_BASE_URL",
}
"""The environment variable each official SDK reads its base URL from."""


class ProxyChannel:
    """One worker's view of the proxy: its base URLs, and per-case recording."""

    def __init__(self, proxy: MetricsProxy, token: str) -> None:
        self.token = token
        """The path segment that routes calls to this channel."""
        self._proxy = proxy
        self._case: str | None = None
        self._case_t0 = 0.0
        self._calls: list[LlmCall] = []
        self._scope: Any = None
        self._misses: list[str] = []
        self.stray: list[LlmCall] = []
        """Calls that arrived while no case was active."""

    @property
    def base_urls(self) -> dict[str, str]:
        """Base URL per upstream name, for this channel."""
        return {name: f"{self._proxy.url}/{self.token}/{name}" for name in self._proxy.upstreams}

    def env(self) -> dict[str, str]:
        """Environment variables pointing the official SDKs at this channel."""
        urls = self.base_urls
        return {var: urls[name] for name, var in ENV_VARS.items() if name in urls}

    def begin(self, case_id: str) -> None:
        """Attribute the calls that arrive from now on to ``case_id``.

        Called from the case's own task: the case's record/replay scope is taken from there.
        """
        from ..replay.scope import current_scope

        self._case = case_id
        self._case_t0 = monotonic_ms()
        self._calls = []
        self._scope = current_scope()
        self._misses = []

    def take_misses(self) -> list[str]:
        """Why replayed calls of the current case had no recorded answer (then forgotten)."""
        misses, self._misses = self._misses, []
        return misses

    def end(self) -> list[LlmCall]:
        """Stop attributing to the current case; its calls in order of completion."""
        calls = self._calls
        self._case = None
        self._calls = []
        self._scope = None
        return calls

    def _start(self, provider: str) -> CallStart:
        if self._case is None:
            return CallStart(provider=provider, started_ms=0.0, record=self.stray.append)
        # Bind this case's list now: a late finish still lands with the case it belongs to.
        return CallStart(
            provider=provider,
            started_ms=round(monotonic_ms() - self._case_t0, 2),
            record=self._calls.append,
            scope=self._scope,
            miss=self._misses.append,
        )


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: Ctrl-C belongs to bench, not to the proxy."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class MetricsProxy:
    """The local metrics proxy, as an async context manager.

    ::

        async with MetricsProxy({"openai": "http://127.0.0.1:9000/v1"}) as proxy:
            channel = proxy.channel()
            env = channel.env()          # OPENAI_BASE_URL=http://127.0.0.1:PORT/<token>/openai
            channel.begin("case-1")
            ...                          # the agent calls the proxy
            calls = channel.end()        # list[LlmCall]

    ``proxy.base_urls`` / ``begin_case`` / ``end_case`` use a default channel, for callers with
    one agent process at a time.
    """

    def __init__(
        self,
        upstreams: Mapping[str, str] | None = None,
        *,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 600.0,
        tape: Any = None,
    ) -> None:
        """``tape`` (``runtime.replay.proxy_tape.ProxyTape``) records or replays LLM calls."""
        merged = dict(DEFAULT_UPSTREAMS)
        merged.update(upstreams or {})
        self.upstreams: dict[str, str] = {k: v.rstrip("/") for k, v in merged.items()}
        """Upstream name -> base URL the calls are forwarded to."""
        self._timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self._channels: dict[str, ProxyChannel] = {}
        self._client: httpx.AsyncClient | None = None
        self._server: _Server | None = None
        self._stack: AsyncExitStack | None = None
        self._default: ProxyChannel | None = None
        self.tape = tape
        self.url = ""
        """``http://127.0.0.1:PORT`` once started."""

    # -- channels ------------------------------------------------------------------------

    def channel(self) -> ProxyChannel:
        """A new channel with its own token (one per agent worker)."""
        token = "c" + secrets.token_hex(8)
        channel = ProxyChannel(self, token)
        self._channels[token] = channel
        return channel

    def close_channel(self, channel: ProxyChannel) -> None:
        """Forget ``channel``; later calls with its token get 404."""
        self._channels.pop(channel.token, None)

    @property
    def default_channel(self) -> ProxyChannel:
        """The channel behind ``base_urls`` / ``begin_case`` / ``end_case``."""
        if self._default is None:
            self._default = self.channel()
        return self._default

    @property
    def base_urls(self) -> dict[str, str]:
        """Base URL per upstream name, on the default channel."""
        return self.default_channel.base_urls

    def begin_case(self, case_id: str) -> None:
        """Attribute calls on the default channel to ``case_id``."""
        self.default_channel.begin(case_id)

    def end_case(self, case_id: str) -> list[LlmCall]:
        """The default channel's calls for ``case_id``."""
        return self.default_channel.end()

    # -- serving -------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        token = request.path_params["token"]
        name = request.path_params["upstream"]
        channel = self._channels.get(token)
        base = self.upstreams.get(name)
        if channel is None or base is None:
            what = "channel" if channel is None else f"upstream {name!r}"
            return JSONResponse(
                {
                    "error": {
                        "type": "proxy_error",
                        "message": f"bench metrics proxy: unknown {what}",
                    }
                },
                status_code=404,
            )
        assert self._client is not None
        url = f"{base}/{request.path_params['rest']}"
        start = channel._start(name)
        if self.tape is not None:
            client = self._client

            async def upstream(capture: Any) -> Response:
                return await forward(request, client, url, start, capture)

            rest = request.path_params["rest"]
            answer: Response = await self.tape.serve(request, name, rest, start, upstream)
            return answer
        return await forward(request, self._client, url, start)

    def app(self) -> Starlette:
        """The ASGI app (one catch-all route)."""
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return Starlette(
            routes=[Route("/{token}/{upstream}/{rest:path}", self._handle, methods=methods)]
        )

    async def __aenter__(self) -> MetricsProxy:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            # No environment proxies: the upstream is exactly what the suite says.
            self._client = await stack.enter_async_context(
                httpx.AsyncClient(
                    timeout=self._timeout,
                    trust_env=False,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
                )
            )
            # proto=IPPROTO_TCP matters: asyncio only turns Nagle off (TCP_NODELAY) for
            # sockets that say they are TCP, and accepted sockets inherit this one's proto.
            # Without it every keep-alive response waits ~40 ms for a delayed ACK.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            sock.setblocking(False)
            port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.app(),
                lifespan="off",
                log_config=None,
                log_level="warning",
                access_log=False,
                http="h11",
                timeout_graceful_shutdown=1,
                timeout_keep_alive=30,
            )
            server = _Server(config)
            self._server = server
            tg = await stack.enter_async_context(anyio.create_task_group())
            stack.push_async_callback(self._stop)
            tg.start_soon(self._serve, server, sock)
            with anyio.fail_after(10):
                while not server.started:
                    await anyio.sleep(0.002)
            self.url = f"http://127.0.0.1:{port}"
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def _serve(self, server: _Server, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:  # uvicorn exits the process on startup failure
            raise InfrastructureError("the metrics proxy could not start") from exc
        finally:
            sock.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"MetricsProxy({self.url or 'not started'}, upstreams={sorted(self.upstreams)})"
