"""A small MCP server of bench's own: notes kept in memory, plus tools for testing.

Written with the official ``mcp`` SDK. Every notes tool answers JSON text shaped like a
typical REST API (``{"data": {"note": {...}}}``) so suites can pull values out with
JSONPath extractors. The test tools exercise a client's failure paths:

- ``echo``   returns its text unchanged;
- ``fail``   answers a tool error (``isError: true``);
- ``sleep``  waits, for tool-timeout tests;
- ``crash``  exits the whole process, for server-restart tests;
- ``whoami`` returns the HTTP headers the request carried (``{}`` over stdio).

Run it over stdio (the default), or bound to 127.0.0.1 only::

    python examples/servers/notes_server.py
    python examples/servers/notes_server.py --http 8765   # streamable HTTP at /mcp
    python examples/servers/notes_server.py --sse 8765    # SSE at /sse
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("notes")
"""Tools answer plain JSON text (no structuredContent), as most real servers do."""
_notes: dict[str, dict[str, Any]] = {}


def _answer(payload: dict[str, Any]) -> str:
    """Serialise a response body the way the notes tools all answer."""
    return json.dumps({"data": payload}, sort_keys=True)


@server.tool(structured_output=False)
def create_note(title: str, body: str = "", tags: list[str] | None = None) -> str:
    """Create a note; answers {"data": {"note": {"id", "title", "body", "tags"}}}."""
    note_id = f"n{len(_notes) + 1}"
    note = {"id": note_id, "title": title, "body": body, "tags": list(tags or [])}
    _notes[note_id] = note
    return _answer({"note": note})


@server.tool(structured_output=False)
def get_note(id: str) -> str:
    """Fetch one note by id; a tool error when there is no such note."""
    note = _notes.get(id)
    if note is None:
        raise ToolError(f"no note with id {id!r}")
    return _answer({"note": note})


@server.tool(structured_output=False)
def list_notes(tag: str | None = None) -> str:
    """List notes (optionally those carrying ``tag``); answers {"data": {"notes": [...], "total": n}}."""
    notes = [n for n in _notes.values() if tag is None or tag in n["tags"]]
    return _answer({"notes": notes, "total": len(notes)})


@server.tool(structured_output=False)
def echo(text: str) -> str:
    """Return ``text`` unchanged."""
    return text


@server.tool(structured_output=False)
def fail(message: str = "requested failure") -> str:
    """Always answer a tool error (isError) carrying ``message``."""
    raise ToolError(message)


@server.tool(structured_output=False)
async def sleep(seconds: float) -> str:
    """Wait ``seconds`` and then answer "slept"."""
    await anyio.sleep(seconds)
    return "slept"


@server.tool(structured_output=False)
def crash(code: int = 3) -> str:
    """Exit the server process at once, without answering (saying why on stderr)."""
    sys.stderr.write(f"notes: crash requested, exiting with {code}\n")
    sys.stderr.flush()
    os._exit(code)


@server.tool(structured_output=False)
def whoami(ctx: Context) -> str:
    """The HTTP headers of this request, lower-cased ({} over stdio)."""
    headers = ctx.headers or {}
    return json.dumps({k.lower(): v for k, v in headers.items()}, sort_keys=True)


def main(argv: list[str] | None = None) -> None:
    """Serve over stdio, or over HTTP/SSE on 127.0.0.1 (never any other interface)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--http", type=int, metavar="PORT", help="streamable HTTP on 127.0.0.1:PORT/mcp"
    )
    group.add_argument("--sse", type=int, metavar="PORT", help="SSE on 127.0.0.1:PORT/sse")
    args = parser.parse_args(argv)
    if args.http is not None:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    elif args.sse is not None:
        server.run("sse", host="127.0.0.1", port=args.sse)
    else:
        server.run("stdio")


if __name__ == "__main__":
    main()
