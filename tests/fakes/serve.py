"""Run an ASGI app with uvicorn in a background thread on 127.0.0.1:0 (httpx's test pattern)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

__all__ = ["build_app", "serve_in_subprocess", "serve_in_thread"]


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # Signals belong to the test runner's main thread, not to this server.
        pass


@contextmanager
def serve_in_thread(app: Any, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yield its base URL (``http://127.0.0.1:PORT``)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="error",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        # Keep-alive connections from SDK clients must not hold shutdown up.
        timeout_keep_alive=1,
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="fake-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("fake server did not start")
        time.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=5)


APPS = {
    "openai": "tests.fakes.openai_server:openai_app",
    "anthropic": "tests.fakes.anthropic_server:anthropic_app",
    "gemini": "tests.fakes.gemini_server:gemini_app",
}


def build_app(provider: str, latency_s: float = 0.0) -> Any:
    """A fake server app for ``provider`` answering every request with "ok" after ``latency_s``."""
    import importlib

    from . import FakeLLM

    module, _, name = APPS[provider].partition(":")
    fake = FakeLLM(latency_s=latency_s)
    fake.record_requests = False  # flat memory over thousands of requests
    return getattr(importlib.import_module(module), name)(fake)


@contextmanager
def serve_in_subprocess(provider: str, *, latency_s: float = 0.0) -> Iterator[str]:
    """Serve a scripted-default fake in its own process (its own GIL: for benchmarks).

    The fake answers every request with the default reply after ``latency_s``; yields the
    base URL. Per-test scripting needs ``serve_in_thread`` instead.
    """
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", provider, str(latency_s)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise RuntimeError(f"fake {provider} server did not start: {line!r}")
        yield line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
