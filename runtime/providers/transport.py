"""Which HTTP transport an SDK client gets: the SDK's aiohttp client on asyncio, else its default.

The openai and anthropic SDKs ship ``DefaultAioHttpClient`` (their ``[aiohttp]`` extra) "for
improved concurrency performance": a call costs about half the CPU of their default HTTPX2
pool, which probes every idle connection on each request. With 50 calls in flight the event
loop's CPU per call is what delays answers (benchmarks/runtime_bench.py, latency scenario).
Auth, timeouts, proxies from the environment and error types are the SDK's either way.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from typing import Any

__all__ = ["aiohttp_client"]


def aiohttp_client(client_cls: Callable[[], Any] | None) -> dict[str, Any]:
    """``{"http_client": client_cls()}`` when the aiohttp transport can serve, else ``{}``.

    ``client_cls`` is the SDK's ``DefaultAioHttpClient`` (None for an SDK without one).
    aiohttp needs asyncio: outside a running asyncio loop (another anyio backend, or no loop
    at all) the SDK's default transport is kept, as it is when aiohttp is not installed
    (the SDK's class then only raises when built).
    """
    if client_cls is None or importlib.util.find_spec("aiohttp") is None:
        return {}
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return {}
    return {"http_client": client_cls()}
