"""Evaluator and llm_judge assertions in YAML: lowered to their plan nodes, checked at compile time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.plan import RuntimeTemplate
from runtime.plan.assertions import (
    AllOf,
    AnyOf,
    ExactMatch,
    F1Score,
    JsonMatch,
    LlmJudge,
    MultipleChoice,
    Not,
    RegexEvaluator,
)
from tests.compiler.conftest import BASE, compile_errors, compile_ok

HEAD = BASE.replace(
    "replies:\n      - text: done\n",
    "replies:\n      - text: done\n  - {name: judge, type: SCRIPTED, replies: [{text: PASS}]}\n",
)


def suite(assertions: str) -> str:
    body = "\n".join("          " + line for line in assertions.strip("\n").splitlines())
    return (
        HEAD
        + "variables:\n  city: Paris\n"
        + "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: p\n"
        + "        assertions:\n"
        + body
        + "\n"
    )


@pytest.mark.requirement("suite:evaluators")
@pytest.mark.requirement("eval:exact_match")
def test_each_evaluator_lowers_with_its_fields(write: Callable[..., Path]) -> None:
    text = suite(
        """
- type: exact_match
  expected: "{{city}}"
  normalize: false
- type: exact_match
- type: f1
  expected: the city of Paris
  threshold: 0.6
- type: regex
  pattern: "\\\\b42\\\\b"
  ignore_case: true
- type: regex
- type: multiple_choice
  expected: B
  choices: [Berlin, Paris, 3]
- type: json_match
  expected: {status: ok, count: 3}
  partial: true
- type: json_match
  expected: '{"a": [1, 2]}'
"""
    )
    nodes = compile_ok(write(text)).units[0].cases[0].assertions
    assert nodes[0] == ExactMatch(expected="Paris", normalize=False, span=nodes[0].span)
    assert nodes[1] == ExactMatch(span=nodes[1].span)  # expected: the case's (dataset rows)
    assert nodes[2] == F1Score(expected="the city of Paris", threshold=0.6, span=nodes[2].span)
    assert nodes[3] == RegexEvaluator(pattern=r"\b42\b", ignore_case=True, span=nodes[3].span)
    assert nodes[4] == RegexEvaluator(span=nodes[4].span)
    assert nodes[5] == MultipleChoice(
        expected="B", choices=("Berlin", "Paris", "3"), span=nodes[5].span
    )
    assert isinstance(nodes[6], JsonMatch) and nodes[6].partial
    assert nodes[6].expected == '{"status": "ok", "count": 3}'  # a YAML mapping as JSON text
    assert nodes[7].expected == '{"a": [1, 2]}'
    assert nodes[3].span is not None and nodes[3].span.line == 25


@pytest.mark.requirement("suite:evaluators")
def test_evaluators_combine_with_any_of_all_of_not(write: Callable[..., Path]) -> None:
    text = suite(
        """
- anyOf:
    - type: exact_match
      expected: Paris
    - allOf:
        - type: f1
        - not:
            type: regex
            pattern: "(?i)i don't know"
"""
    )
    [node] = compile_ok(write(text)).units[0].cases[0].assertions
    assert isinstance(node, AnyOf)
    first, second = node.children
    assert isinstance(first, ExactMatch) and isinstance(second, AllOf)
    assert isinstance(second.children[0], F1Score) and isinstance(second.children[1], Not)
    assert isinstance(second.children[1].child, RegexEvaluator)


@pytest.mark.requirement("suite:evaluators")
@pytest.mark.parametrize(
    ("assertion", "code", "line"),
    [
        ("- type: regex\n  pattern: '(unclosed'", "bad-regex", 19),
        ("- type: f1\n  threshold: 1.5", "invalid-value", 19),
        ("- type: exact_match\n  expectd: x", "unknown-key", 19),
        ("- type: exact_match\n  expected: '{{nope}}'", "undefined-variable", 19),
        ("- type: exact_mach", "unknown-assertion", 18),
    ],
)
def test_evaluator_mistakes_are_diagnostics(
    write: Callable[..., Path], assertion: str, code: str, line: int
) -> None:
    errors = compile_errors(write(suite(assertion)))
    assert any(e.code == code and e.line == line for e in errors), errors


@pytest.mark.requirement("suite:llm-judge")
def test_llm_judge_lowers_to_its_plan_node(write: Callable[..., Path]) -> None:
    text = suite(
        """
- type: llm_judge
  provider: judge
  rubric: |
    Does the answer {{ output }} name the capital of France{% if expected %} ({{ expected }}){% endif %}?
    Question: {{ input }}
  expected: "{{city}}"
  threshold: 0.7
- not:
    type: llm_judge
    provider: judge
    rubric: "Is {{ output | upper }} rude?"
"""
    )
    plan = compile_ok(write(text))
    first, second = plan.units[0].cases[0].assertions
    assert isinstance(first, LlmJudge)
    assert (first.provider, first.expected, first.pass_threshold) == ("judge", "Paris", 0.7)
    # The rubric is kept as Jinja source: the runtime renders it with input/output/expected.
    assert "{{ output }}" in first.rubric and "{% if expected %}" in first.rubric
    assert isinstance(second, Not) and isinstance(second.child, LlmJudge)
    assert second.child.pass_threshold is None and second.child.expected is None


@pytest.mark.requirement("suite:llm-judge")
@pytest.mark.parametrize(
    ("assertion", "code", "needle"),
    [
        ("provider: judg\n  rubric: ok", "unknown-provider", "did you mean 'judge'"),
        ("provider: judge\n  rubric: '{% if output %}'", "template", "not a valid template"),
        ("provider: judge\n  rubric: '{{ answer }}'", "undefined-variable", "'answer'"),
        ("rubric: ok", "missing-key", "provider"),
        ("provider: judge\n  rubric: ok\n  threshold: 2", "invalid-value", ""),
    ],
)
def test_llm_judge_mistakes_are_diagnostics(
    write: Callable[..., Path], assertion: str, code: str, needle: str
) -> None:
    errors = compile_errors(write(suite("- type: llm_judge\n  " + assertion)))
    assert any(
        e.code == code and e.line >= 15 and needle in f"{e.message} {e.hint or ''}" for e in errors
    ), errors


@pytest.mark.requirement("suite:evaluators")
def test_expected_may_use_unit_names_and_extracted_variables(write: Callable[..., Path]) -> None:
    text = (
        HEAD
        + "sessions:\n  - name: s\n    tests:\n"
        + "      - name: one\n        prompt: p\n"
        + "        extractors:\n          - {type: jsonpath, tool: t, path: $.id, variable_name: rid}\n"
        + "      - name: two\n        prompt: p\n        assertions:\n"
        + "          - {type: exact_match, expected: '{{rid}} by {{AGENT_NAME}}'}\n"
    )
    node = compile_ok(write(text)).units[0].cases[1].assertions[0]
    assert isinstance(node, ExactMatch) and isinstance(node.expected, RuntimeTemplate)
    assert node.expected.variables == ("rid",) and "by a" in node.expected.source


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        ("'^(?!error).*'", "look-around"),
        ("'(\\w)\\1'", "back-references"),
        ("'done\\Z'", "\\z"),
        ("'\\C'", None),
    ],
)
def test_patterns_go_refuses_are_bad_regex_with_a_hint(
    write: Callable[..., Path], pattern: str, hint: str | None
) -> None:
    errors = compile_errors(write(suite(f"- type: output_regex\n  pattern: {pattern}")))
    [error] = [e for e in errors if e.code == "bad-regex"]
    assert error.line == 19
    if hint is not None:
        assert error.hint is not None and hint in error.hint


def test_go_only_regex_syntax_compiles(write: Callable[..., Path]) -> None:
    text = suite(
        "- type: output_regex\n  pattern: '[[:alpha:]]+\\pL\\z'\n"
        "- type: output_regex\n  pattern: 'a(?i)b\\Qc.d'\n"
        "- type: output_regex\n  pattern: '(?U)x+'"
    )
    assert len(compile_ok(write(text)).units[0].cases[0].assertions) == 3
