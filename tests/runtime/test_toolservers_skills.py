"""Skill reference tools: listing, reading, and refusing paths out of references/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.plan import Skill
from runtime.toolservers import SkillServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def skill(tmp_path: Path) -> Skill:
    root = tmp_path / "weather-expert"
    refs = root / "references"
    refs.mkdir(parents=True)
    (refs / "clothing.md").write_text("coat below 10C")
    (refs / "uv.md").write_text("hat above UV 6")
    (root / "SKILL.md").write_text("---\nname: weather-expert\n---\nbody")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    evil = tmp_path / "weather-expert" / "references-evil"
    evil.mkdir()
    (evil / "x.md").write_text("sibling folder")
    os.symlink(tmp_path / "secret.txt", refs / "link.md")
    return Skill(
        path=str(root),
        content="---\nname: weather-expert\n---\nbody",
        references=("uv.md", "clothing.md"),
    )


@pytest.mark.requirement("skill:reference-tools")
async def test_lists_and_reads_references(skill: Skill) -> None:
    server = SkillServer(skill)
    tools = await server.list_tools()
    listed = await server.call_tool("list_skill_references", {}, timeout_s=None)
    read = await server.call_tool(
        "read_skill_reference", {"filename": "clothing.md"}, timeout_s=None
    )
    assert server.name == "skill:weather-expert"
    assert [t.name for t in tools] == ["list_skill_references", "read_skill_reference"]
    assert tools[1].input_schema["required"] == ["filename"]
    assert listed.text == "clothing.md\nuv.md"
    assert not read.is_error and read.text == "coat below 10C"


@pytest.mark.requirement("skill:reference-tools")
async def test_no_references_no_tools(skill: Skill) -> None:
    bare = SkillServer(skill.model_copy(update={"references": ()}))
    assert await bare.list_tools() == []


@pytest.mark.requirement("skill:path-escape")
@pytest.mark.parametrize(
    "filename",
    ["../../secret.txt", "../SKILL.md", "/etc/passwd", "../references-evil/x.md", "link.md", "."],
)
async def test_path_escape_is_refused(skill: Skill, filename: str) -> None:
    result = await SkillServer(skill).call_tool(
        "read_skill_reference", {"filename": filename}, timeout_s=None
    )
    assert result.is_error
    assert "escapes the skill's references folder" in result.text
    assert "TOP SECRET" not in result.text


async def test_missing_file_and_bad_arguments_are_tool_errors(skill: Skill) -> None:
    server = SkillServer(skill)
    missing = await server.call_tool(
        "read_skill_reference", {"filename": "nope.md"}, timeout_s=None
    )
    no_name = await server.call_tool("read_skill_reference", {}, timeout_s=None)
    other = await server.call_tool("write_skill_reference", {}, timeout_s=None)
    assert missing.is_error and "cannot read reference nope.md" in missing.text
    assert no_name.is_error and "filename" in no_name.text
    assert other.is_error
