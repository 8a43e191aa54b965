"""A skill's reference files as two tools: ``list_skill_references``, ``read_skill_reference``.

agent-benchmark registers them on an agent whose skill folder has a ``references/``
directory. Read failures and path escapes answer a tool error (``isError``), so the model
sees what went wrong and the run goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from ..plan import Skill
from ..providers.base import ToolSpec
from ..transcript import ToolResult

__all__ = ["LIST_TOOL", "READ_TOOL", "SkillServer", "skill_server_name"]

LIST_TOOL = "list_skill_references"
READ_TOOL = "read_skill_reference"
REFERENCES_DIR = "references"
_MAX_BYTES = 1_000_000
"""A reference larger than this is cut: it goes whole into the model's context."""

_TOOLS = (
    ToolSpec(
        name=LIST_TOOL,
        description="List the reference files of the agent's skill (one file name per line).",
        input_schema={"type": "object", "properties": {}, "required": []},
    ),
    ToolSpec(
        name=READ_TOOL,
        description="Read one reference file of the agent's skill by its file name.",
        input_schema={
            "type": "object",
            "properties": {
                "filename": {
                    "type": "string",
                    "description": "File name as listed by list_skill_references.",
                }
            },
            "required": ["filename"],
        },
    ),
)


def skill_server_name(skill: Skill) -> str:
    """The pseudo-server name skill tools are reported under: ``skill:<folder name>``."""
    return f"skill:{Path(skill.path).name}"


def _text(text: str, *, error: bool = False) -> ToolResult:
    return ToolResult(content=[{"type": "text", "text": text}], is_error=error)


class SkillServer:
    """The reference tools of one skill; implements the ``ToolServer`` protocol."""

    def __init__(self, skill: Skill) -> None:
        self.skill = skill
        """The skill as the plan recorded it."""
        self.name = skill_server_name(skill)
        """Pseudo-server name: ``skill:<folder name>``."""
        self._refs_dir = Path(skill.path) / REFERENCES_DIR

    async def list_tools(self) -> list[ToolSpec]:
        """The two reference tools (none when the skill has no references)."""
        return list(_TOOLS) if self.skill.references else []

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Answer one of the two tools; anything else is a tool error."""
        if name == LIST_TOOL:
            names = sorted(self.skill.references)
            return _text("\n".join(names) if names else "No reference files.")
        if name == READ_TOOL:
            filename = arguments.get("filename")
            if not isinstance(filename, str) or not filename:
                return _text("read_skill_reference needs a 'filename' string", error=True)
            return await anyio.to_thread.run_sync(self._read, filename)
        return _text(f"unknown skill tool {name!r}", error=True)

    def _read(self, filename: str) -> ToolResult:
        base = self._refs_dir.resolve()
        target = (base / filename).resolve()
        # Resolved paths, compared by component: "../x", absolute paths, symlinks out of
        # the folder and "references-evil/" siblings are all refused (agent-benchmark's
        # string-prefix check let the last one through).
        if target == base or not target.is_relative_to(base):
            return _text(
                f"reference path escapes the skill's references folder: {filename}", error=True
            )
        try:
            with target.open("rb") as handle:
                data = handle.read(_MAX_BYTES + 1)
        except OSError as exc:
            return _text(f"cannot read reference {filename}: {exc.strerror or exc}", error=True)
        text = data[:_MAX_BYTES].decode("utf-8", errors="replace")
        if len(data) > _MAX_BYTES:
            text += "\n[... cut at 1,000,000 bytes]"
        return _text(text)
