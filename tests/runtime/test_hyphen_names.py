"""A variable named with '-' (``note-id``) through a run: extracted, then read by templates.

The compiler writes such a name in run-time template sources as ``jinja_name`` encodes it;
the runtime binds the extracted value under that identifier too.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute
from runtime.case_finish import CaseRun
from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    JsonPathExtractor,
    RuntimeTemplate,
    StdioServer,
)
from runtime.plan.assertions import ToolCalled, ToolParamEquals
from runtime.services import Services
from runtime.templating import jinja_name

from .runtime_helpers import FakePool, case, make_plan, reply, unit

NAME = "note-id"
REF = "{{ " + jinja_name(NAME) + " }}"


def _template(source: str) -> RuntimeTemplate:
    return RuntimeTemplate(source=source, variables=(NAME,))


def _services(pool: FakePool) -> Services:
    """Real providers, extractors and evaluators; tools from an in-process pool."""
    base = Services.default()

    @asynccontextmanager
    async def open_pool(servers: Any, env: Any):  # type: ignore[no-untyped-def]
        yield pool

    return Services(
        create_provider=base.create_provider,
        open_pool=open_pool,
        evaluate=base.evaluate,
        extract=base.extract,
    )


@pytest.mark.anyio
async def test_an_extracted_hyphenated_name_feeds_the_next_prompt_and_assertion(
    tmp_path: Path,
) -> None:
    pool = FakePool(
        {
            "create_note": ("notes", lambda a: json.dumps({"id": "n1"})),
            "get_note": ("notes", lambda a: f"note {a['id']}"),
        }
    )
    u1 = unit(
        "u1",
        [
            case(
                "u1", 0, "create a note",
                extractors=[JsonPathExtractor(tool="create_note", path="$.id", variable_name=NAME)],
                assertions=[ToolCalled(tool="create_note")],
            ),
            case(
                "u1", 1, _template("read note " + REF),
                assertions=[ToolParamEquals(tool="get_note", params={"id": _template(REF)})],
            ),
        ],
    )  # fmt: skip
    plan = make_plan(
        [u1],
        replies=[
            reply("", ("create_note", {"title": "a"}), when="create"),
            reply("created", when="create"),
            reply("", ("get_note", {"id": "n1"}), when="read note n1"),
            reply("done", when="read note"),
        ],
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="notes"),))],
        servers=[StdioServer(name="notes", command=("notes-server",))],
    )
    summary = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, run_id="r"), services=_services(pool)
    )
    first, second = summary.results
    assert first.extracted == {NAME: "n1"}
    assert second.prompt == "read note n1"
    assert [a.passed for a in second.assertions] == [True], second.assertions


def test_an_unbound_hyphenated_name_renders_empty_and_is_reported_by_name() -> None:
    c = case("u", 0, _template("note [" + REF + "]"))
    run = CaseRun(unit("u", [c]), c)
    assert run.render_prompt({}) == "note []"
    assert run.transcript.errors == [
        f"variable '{NAME}' was not bound by its extractor; rendered as empty"
    ]
