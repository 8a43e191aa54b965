"""Evaluators (issue 6): exact_match, f1, regex, multiple_choice, json_match."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.evaluate import EvalContext, evaluate
from runtime.evaluate.answer_checks import f1_score, normalize_answer, pick_choice
from runtime.results import AssertionResult

from .evalkit import node, transcript


def run(
    data: dict[str, Any],
    output: str,
    *,
    expected: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> AssertionResult:
    ctx = EvalContext(
        transcript=transcript(output=output),
        variables={},
        expected=expected,
        metadata=metadata or {},
    )
    [res] = evaluate([node(data)], ctx)
    return res


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  a   cat, an apple ", "cat apple"),
        ("Paris.", "paris"),
        ("", ""),
    ],
)
def test_normalize_answer(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


@pytest.mark.requirement("eval:exact_match")
def test_exact_match_normalised_from_node_or_case() -> None:
    assert run({"type": "exact_match", "expected": "Paris"}, "paris.").passed
    assert run({"type": "exact_match"}, "The Paris", expected="paris").passed
    bad = run({"type": "exact_match"}, "Paris, France", expected="Paris")
    assert not bad.passed and bad.expected == "Paris"
    assert bad.details["normalized_actual"] == "paris france"
    strict = run({"type": "exact_match", "expected": "Paris", "normalize": False}, "paris")
    assert not strict.passed
    assert run({"type": "exact_match", "expected": "Paris", "normalize": False}, " Paris\n").passed
    none = run({"type": "exact_match"}, "x")
    assert not none.passed and "no expected answer" in none.message


@pytest.mark.requirement("eval:f1")
def test_f1_with_threshold() -> None:
    assert f1_score("the cat sat", "cat sat") == 1.0
    assert f1_score("cat", "dog") == 0.0
    assert f1_score("", "") == 1.0
    assert f1_score("a cat sat on mat", "cat sat") == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    res = run({"type": "f1", "threshold": 0.6}, "cat sat on mat", expected="cat sat")
    assert res.passed and res.details["score"] == pytest.approx(2 / 3, abs=1e-6)
    assert res.message == "F1: 0.667 (threshold: 0.6)"
    assert not run({"type": "f1", "threshold": 0.7}, "cat sat on mat", expected="cat sat").passed
    assert not run({"type": "f1", "expected": "dog"}, "cat").passed


@pytest.mark.requirement("eval:regex")
def test_regex_evaluator_pattern_or_case_expected() -> None:
    assert run({"type": "regex", "pattern": r"\b42\b"}, "The answer is 42.").passed
    assert run({"type": "regex"}, "Total: 1,024 items", expected=r"1,?024").passed
    assert not run({"type": "regex", "pattern": "paris"}, "Paris").passed
    assert run({"type": "regex", "pattern": "paris", "ignore_case": True}, "Paris").passed
    bad = run({"type": "regex", "pattern": "("}, "x")
    assert not bad.passed and bad.message.startswith("Invalid regex")


@pytest.mark.parametrize(
    ("output", "picked"),
    [
        ("Answer: B", "B"),
        ("The answer is (C).", "C"),
        ("Final answer: D", "D"),
        ("ANSWER IS C", "C"),
        ("The answer is a mammal", None),
        ("B", "B"),
        ("B. Because it is blue.", "B"),
        ("I pick option C", "C"),
        ("Either (A) or (B)", None),
        ("A cat is a mammal", None),
        ("no idea", None),
    ],
)
def test_pick_choice(output: str, picked: str | None) -> None:
    assert pick_choice(output, ["one", "two", "three", "four"]) == picked


@pytest.mark.requirement("eval:multiple_choice")
def test_multiple_choice() -> None:
    choices = ["Berlin", "Paris", "Rome", "Madrid"]
    data = {"type": "multiple_choice", "choices": choices}
    ok = run(data, "Answer: B", expected="B")
    assert ok.passed and ok.message == "Picked option B (expected B)"
    assert run(data, "The capital is Paris.", expected="Paris").passed
    wrong = run(data, "Answer: C", expected="B")
    assert not wrong.passed and wrong.actual == "C" and wrong.expected == "B"
    # choices from the case metadata (dataset rows)
    assert run(
        {"type": "multiple_choice"}, "(D)", expected="Madrid", metadata={"choices": choices}
    ).passed
    unknown = run(data, "Answer: B", expected="Lisbon")
    assert not unknown.passed and "not an option" in unknown.message
    assert not run(data, "Hmm, hard to say", expected="B").passed


@pytest.mark.requirement("eval:json_match")
def test_json_match_exact_and_partial() -> None:
    data = {"type": "json_match", "expected": '{"a": 1, "b": [1, 2]}'}
    assert run(data, '{"b": [1, 2.0], "a": 1.0}').passed
    assert run(data, '```json\n{"a": 1, "b": [1, 2]}\n```').passed
    extra = '{"a": 1, "b": [1, 2], "c": true}'
    assert not run(data, extra).passed
    assert run({**data, "partial": True}, extra).passed
    assert not run(data, '{"a": true, "b": [1, 2]}').passed  # true is not 1
    assert not run(data, '{"a": 1, "b": [2, 1]}').passed  # list order matters
    not_json = run(data, "sure")
    assert not not_json.passed and "not valid JSON" in not_json.message
    bad_expected = run({"type": "json_match"}, "{}", expected="{oops")
    assert not bad_expected.passed and "expected answer is not JSON" in bad_expected.message
    assert run({"type": "json_match"}, '{"x": null}', expected='{"x": null}').passed


def test_evaluators_combine_with_other_assertions() -> None:
    tree = {
        "type": "any_of",
        "children": [
            {"type": "exact_match", "expected": "Paris"},
            {"type": "f1", "expected": "the city of Paris", "threshold": 0.5},
        ],
    }
    res = run(tree, "Paris city")
    assert res.passed and res.details == {"passed_count": 1, "failed_count": 1}
