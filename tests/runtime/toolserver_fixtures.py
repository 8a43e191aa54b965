"""Shared helpers for the tool-server tests: specs for our notes server, free ports."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import anyio

from runtime.plan import StdioServer

REPO = Path(__file__).resolve().parents[2]
NOTES_SERVER = REPO / "examples" / "servers" / "notes_server.py"


def notes_stdio(name: str = "notes", **overrides: object) -> StdioServer:
    """Our notes server over stdio, started with no process delay (tests need no settling)."""
    fields: dict[str, object] = {
        "name": name,
        "command": (sys.executable, str(NOTES_SERVER)),
        "process_delay_ms": 0,
    }
    fields.update(overrides)
    return StdioServer.model_validate(fields)


def free_port() -> int:
    """A port on 127.0.0.1 free right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(argv: list[str], port: int, *, cwd: str | None = None) -> AsyncIterator[None]:
    """Run a server process until the block ends; ready once 127.0.0.1:port accepts."""
    async with await anyio.open_process(
        argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        try:
            with anyio.fail_after(20):
                while True:
                    try:
                        stream = await anyio.connect_tcp("127.0.0.1", port)
                    except OSError:
                        if process.returncode is not None:
                            raise RuntimeError(f"{argv} exited early") from None
                        await anyio.sleep(0.05)
                        continue
                    await stream.aclose()
                    break
            yield
        finally:
            if process.returncode is None:
                with suppress(ProcessLookupError):  # it may have exited (e.g. the crash tool)
                    process.terminate()
                with anyio.move_on_after(5, shield=True):
                    await process.wait()
            if process.returncode is None:
                process.kill()


def notes_http(port: int) -> list[str]:
    """argv serving our notes server over streamable HTTP on 127.0.0.1:port."""
    return [sys.executable, str(NOTES_SERVER), "--http", str(port)]


def notes_sse(port: int) -> list[str]:
    """argv serving our notes server over SSE on 127.0.0.1:port."""
    return [sys.executable, str(NOTES_SERVER), "--sse", str(port)]
