"""Generation parameters and the request deadline in the suite language (issue 10 item 8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import compile_with_warnings
from runtime.plan import DEFAULT_TIMEOUT_MS, BuiltinAgent, Generation
from tests.compiler.conftest import NOW, compile_errors

SESSION = "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"
HEAD = """\
providers:
  - name: o
    type: OPENAI_COMPATIBLE
    baseUrl: http://127.0.0.1:9/v1
    model: m
    temperature: 0.2
    max_tokens: 300
    top_p: 0.9
    seed: 42
    stop: END
    timeout: 90s
  - {name: an, type: ANTHROPIC, token: "{{ANTHROPIC_API_KEY}}", model: m, max_tokens: 100, stop: [X, Y]}
agents:
  - {name: a, provider: o, temperature: 0, stop: [HALT]}
  - {name: b, provider: an}
"""


@pytest.mark.requirement("provider:generation-params")
def test_generation_parameters_and_deadline_reach_the_plan(write: Callable[..., Path]) -> None:
    result = compile_with_warnings(write(HEAD + SESSION), seed=7, now=NOW, env={})
    assert result.warnings == []
    by = {p.name: p for p in result.plan.providers}
    assert by["o"].generation == Generation(
        temperature=0.2, max_tokens=300, top_p=0.9, seed=42, stop=("END",)
    )
    assert by["o"].retry.timeout_ms == 90_000
    assert by["an"].generation == Generation(max_tokens=100, stop=("X", "Y"))
    assert by["an"].retry.timeout_ms == DEFAULT_TIMEOUT_MS
    agent = result.plan.agent("a")
    assert isinstance(agent, BuiltinAgent)
    assert agent.generation == Generation(temperature=0.0, stop=("HALT",))
    # Unset parameters stay out of plan.json, so suites without them keep their plan bytes.
    doc = json.loads(result.plan.canonical_json())
    assert [a["name"] for a in doc["agents"] if "generation" in a] == ["a"]
    assert [p["name"] for p in doc["providers"] if "generation" in p] == ["o", "an"]


@pytest.mark.requirement("provider:generation-params")
def test_parameters_an_api_has_no_use_for_are_warned_and_dropped(
    write: Callable[..., Path],
) -> None:
    head = """\
providers:
  - {name: an, type: ANTHROPIC, token: "{{ANTHROPIC_API_KEY}}", model: m, temperature: 0.5, seed: 3}
  - {name: s, type: SCRIPTED, replies: [{text: hi}], top_p: 0.5}
agents:
  - {name: a, provider: an, top_p: 0.3}
"""
    result = compile_with_warnings(write(head + SESSION), seed=7, now=NOW, env={})
    warned = sorted((w.code, w.message) for w in result.warnings)
    assert warned == [
        ("ignored-key", "'seed' does not apply to ANTHROPIC providers (their API has none) and is ignored"),
        ("ignored-key", "'temperature' does not apply to ANTHROPIC providers (their API has none) and is ignored"),
        ("ignored-key", "'top_p' does not apply to ANTHROPIC providers (their API has none) and is ignored"),
        ("ignored-key", "'top_p' does not apply to SCRIPTED providers and is ignored"),
    ]  # fmt: skip
    assert all(p.generation == Generation() for p in result.plan.providers)


@pytest.mark.parametrize(
    ("entry", "code", "words"),
    [
        ("temperature: 2.5", "invalid-value", "temperature"),
        ("top_p: 0", "invalid-value", "top_p"),
        ("max_tokens: 0", "invalid-value", "max_tokens"),
        ("stop: ['']", "invalid-value", "empty stop sequence"),
        ("timeout: soon", "invalid-value", "not a duration"),
    ],
)
def test_bad_generation_values_are_located_errors(
    write: Callable[..., Path], entry: str, code: str, words: str
) -> None:
    head = f"providers:\n  - name: o\n    type: OPENAI_COMPATIBLE\n    baseUrl: http://x/v1\n    model: m\n    {entry}\nagents:\n  - {{name: a, provider: o}}\n"
    errors = compile_errors(write(head + SESSION))
    assert len(errors) == 1
    assert errors[0].code == code and words in errors[0].message
    assert errors[0].line == 6


def test_an_external_agent_cannot_take_generation_parameters(write: Callable[..., Path]) -> None:
    head = "agents:\n  - name: e\n    command: python agent.py\n    max_tokens: 10\n"
    errors = compile_errors(write(head + SESSION))
    assert [(e.code, e.line) for e in errors] == [("invalid-value", 4)]
    assert "its program calls its own model" in errors[0].message
