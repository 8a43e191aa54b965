"""Gemini specifics: the schema subset, functionCall/functionResponse on the wire, Vertex."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.plan import GoogleProvider, SecretRef, VertexProvider
from runtime.providers.base import ChatRequest, ToolSpec
from runtime.providers.convert import gemini_schema, gemini_tools
from runtime.providers.registry import create_provider
from runtime.transcript import Message, ToolCall
from tests.fakes import FakeLLM, Reply, ToolCallSpec

pytestmark = pytest.mark.anyio

ENV = {"GOOGLE_API_KEY": "AIza-test-0000000000"}


def test_schema_is_reduced_to_geminis_subset() -> None:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "city": {"type": "string", "description": "City", "examples": ["Paris"]},
            "days": {"type": ["integer", "null"], "minimum": 1},
            "unit": {"enum": ["C", "F"]},
            "mode": {"const": "fast"},
            "tags": {"type": "array"},
            "where": {"$ref": "#/$defs/Point"},
            "maybe": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        },
        "required": ["city", "ghost"],
        "$defs": {"Point": {"type": "object", "properties": {"lat": {"type": "number"}}}},
    }
    assert gemini_schema(schema) == {
        "type": "OBJECT",
        "properties": {
            "city": {"type": "STRING", "description": "City"},
            "days": {"type": "INTEGER", "nullable": True, "minimum": 1},
            "unit": {"type": "STRING", "enum": ["C", "F"]},
            "mode": {"type": "STRING", "enum": ["fast"]},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
            "where": {"type": "OBJECT", "properties": {"lat": {"type": "NUMBER"}}},
            "maybe": {"type": "NUMBER", "nullable": True},
        },
        "required": ["city"],
    }


def test_recursive_ref_is_bounded() -> None:
    schema = {
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
    }
    out = gemini_schema(schema)
    depth = 0
    while "properties" in out:
        out = out["properties"]["next"]
        depth += 1
    assert out == {"type": "OBJECT"} and depth <= 9


def test_tool_without_arguments_has_no_parameters() -> None:
    tools = gemini_tools([ToolSpec("now", "Current time", {"type": "object", "properties": {}})])
    assert tools == [{"function_declarations": [{"name": "now", "description": "Current time"}]}]


@pytest.mark.requirement("provider:tool-calls")
async def test_function_calls_and_responses_on_the_wire(gemini_server: tuple[FakeLLM, str]) -> None:
    fake, url = gemini_server
    fake.push(
        Reply(tool_calls=(ToolCallSpec("lookup", {"q": "a"}), ToolCallSpec("lookup", {"q": "b"}))),
        Reply(text="A and B"),
    )
    spec = GoogleProvider(
        name="g", model="gemini-test", api_key=SecretRef.from_env("GOOGLE_API_KEY"), base_url=url
    )
    provider = create_provider(spec, env=ENV)
    tool = ToolSpec(
        "lookup",
        "Look up",
        {"type": "object", "properties": {"q": {"type": "string"}}, "additionalProperties": False},
    )
    first = await provider.generate(
        ChatRequest(
            messages=[Message(role="system", content="sys"), Message(role="user", content="a, b")],
            tools=[tool],
            conversation_id="c",
        )
    )
    # Gemini sent no ids: the adapter makes distinct ones so results can be paired.
    ids = [c.id for c in first.tool_calls]
    assert len(set(ids)) == 2 and all(ids)
    assert fake.requests[-1].path.endswith("/models/gemini-test:generateContent")
    sent_tools = fake.requests[-1].body["tools"][0]["functionDeclarations"][0]
    assert (
        "additionalProperties" not in str(sent_tools)
        and sent_tools["parameters"]["type"] == "OBJECT"
    )
    history = [
        Message(role="system", content="sys"),
        Message(role="user", content="a, b"),
        Message(
            role="assistant",
            tool_calls=[
                ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in first.tool_calls
            ],
        ),
        Message(role="tool", tool_call_id=ids[0], content="A"),
        Message(role="tool", tool_call_id=ids[1], content="B"),
    ]
    second = await provider.generate(
        ChatRequest(messages=history, tools=[tool], conversation_id="c")
    )
    await provider.aclose()
    assert second.text == "A and B"
    body = fake.requests[-1].body
    assert body["systemInstruction"]["parts"][0]["text"] == "sys"
    contents = body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    responses = [p["functionResponse"] for p in contents[2]["parts"]]
    # The name comes from the matching call even though the tool messages carry none.
    assert [(r["name"], r["response"]) for r in responses] == [
        ("lookup", {"result": "A"}),
        ("lookup", {"result": "B"}),
    ]


@pytest.mark.requirement("provider:base-url")
async def test_vertex_honours_base_url(
    gemini_server: tuple[FakeLLM, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = gemini_server
    fake.push(Reply(text="from vertex"))

    # Vertex needs Google credentials; stand in static ones so no metadata server is asked.
    import google.auth
    from google.auth.credentials import Credentials

    class Static(Credentials):  # type: ignore[misc]
        def refresh(self, request: Any) -> None:
            self.token = "vertex-token"

    monkeypatch.setattr(google.auth, "default", lambda *a, **k: (Static(), "proj"))
    spec = VertexProvider(
        name="v", model="gemini-test", project_id="proj", location="us-central1", base_url=url
    )
    provider = create_provider(spec, env={})
    response = await provider.generate(
        ChatRequest(messages=[Message(role="user", content="hi")], tools=[], conversation_id="c")
    )
    await provider.aclose()
    assert response.text == "from vertex"
    assert fake.requests[-1].path.endswith(
        "/projects/proj/locations/us-central1/publishers/google/models/gemini-test:generateContent"
    )
