"""Shared helpers for the tool-server tests: specs for our notes server, free ports."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

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
