# Self-contained on purpose: `bench init` copies this file into new projects, so it imports
# nothing of bench. It is a near-copy of examples/servers/notes_server.py in bench's repository
# (which the tests and examples start); change the two together.
"""A small MCP server made by `bench init`: notes kept in memory, answered as JSON text.

Every tool answers ``{"data": {...}}`` like a typical REST API, so suites can pull values out
with JSONPath extractors (``$.data.note.id``). Run it over stdio: ``python notes_server.py``.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("notes")
_notes: dict[str, dict[str, Any]] = {}


def _answer(payload: dict[str, Any]) -> str:
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
def list_notes() -> str:
    """List every note; answers {"data": {"notes": [...], "total": n}}."""
    return _answer({"notes": list(_notes.values()), "total": len(_notes)})


if __name__ == "__main__":
    server.run("stdio")
