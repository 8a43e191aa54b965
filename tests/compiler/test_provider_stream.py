"""``stream:`` on the Anthropic, Gemini and Azure provider types, and its place in the plan hash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import compile_with_warnings
from runtime.plan import AnthropicProvider, GoogleProvider
from tests.compiler.conftest import NOW

SESSION = "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"
HEAD = """\
providers:
  - {name: an, type: ANTHROPIC, token: "{{ANTHROPIC_API_KEY}}", model: m, stream: true}
  - {name: b, type: AMAZON-ANTHROPIC, token: "{{AWS_ACCESS_KEY_ID}}", secret: "{{AWS_SECRET_ACCESS_KEY}}", location: us-east-1, model: m, stream: true}
  - {name: ge, type: GOOGLE, token: "{{GOOGLE_API_KEY}}", model: m, stream: true}
  - {name: v, type: VERTEX, project_id: p, location: l, model: m, stream: true}
  - {name: off, type: GOOGLE, token: "{{GOOGLE_API_KEY}}", model: m}
  - {name: az, type: AZURE, token: "{{AZURE_OPENAI_API_KEY}}", model: d, baseUrl: "https://x.openai.azure.com", version: "2024-10-21", stream: true}
agents:
  - {name: a, provider: an}
"""


@pytest.mark.requirement("provider:streaming-ttft")
def test_stream_applies_to_anthropic_and_gemini_types(write: Callable[..., Path]) -> None:
    result = compile_with_warnings(write(HEAD + SESSION), seed=7, now=NOW, env={})
    assert "ignored-key" not in {w.code for w in result.warnings}
    by = {p.name: p for p in result.plan.providers}
    assert [n for n in ("an", "b", "ge", "v", "off", "az") if getattr(by[n], "stream", None)] == [
        "an",
        "b",
        "ge",
        "v",
        "az",
    ]


def test_stream_off_stays_out_of_the_canonical_json(write: Callable[..., Path]) -> None:
    # Plans compiled before these types had ``stream`` must keep their hash.
    result = compile_with_warnings(write(HEAD + SESSION), seed=7, now=NOW, env={})
    providers = json.loads(result.plan.canonical_json())["providers"]
    assert [p["name"] for p in providers if "stream" in p] == ["an", "b", "ge", "v", "az"]
    for spec in (AnthropicProvider(name="x", model="m"), GoogleProvider(name="x", model="m")):
        assert "stream" not in spec.model_dump(mode="json")
