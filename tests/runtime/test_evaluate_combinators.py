"""allOf / anyOf / not: children kept, counts in details, nesting 3+ deep, the depth limit."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.evaluate import MAX_DEPTH, EvalContext, evaluate

from .evalkit import call, check, node, transcript

TR = transcript(
    [call("keyboard_control"), call("create_file")],
    output="File created successfully",
)
CALLED_KB = {"type": "tool_called", "tool": "keyboard_control"}
CALLED_UI = {"type": "tool_called", "tool": "ui_automation"}
NO_ERRORS = {"type": "no_error_messages"}
SAYS_ERROR = {"type": "output_contains", "value": "error"}


@pytest.mark.requirement("assert:anyOf")
def test_any_of_passes_when_one_child_passes_and_keeps_children() -> None:
    res = check({"type": "any_of", "children": [CALLED_UI, CALLED_KB]}, TR)
    assert res.passed and res.type == "anyOf"
    assert res.details == {"passed_count": 1, "failed_count": 1}
    assert [c.type for c in res.children] == ["tool_called", "tool_called"]
    assert res.message == "anyOf passed: 1 of 2 assertions passed"
    bad = check({"type": "any_of", "children": [CALLED_UI, SAYS_ERROR]}, TR)
    assert not bad.passed and bad.message == "anyOf failed: none of 2 assertions passed"
    empty = check({"type": "any_of", "children": []}, TR)
    assert not empty.passed and "at least one child" in empty.message


@pytest.mark.requirement("assert:allOf")
def test_all_of_requires_every_child() -> None:
    ok = check({"type": "all_of", "children": [CALLED_KB, NO_ERRORS]}, TR)
    assert ok.passed and ok.type == "allOf"
    assert ok.details == {"passed_count": 2, "failed_count": 0}
    bad = check({"type": "all_of", "children": [CALLED_KB, CALLED_UI, SAYS_ERROR]}, TR)
    assert not bad.passed
    assert bad.details == {"passed_count": 1, "failed_count": 2}
    assert bad.message == "allOf failed: 2 of 3 assertions failed"
    assert len(bad.children) == 3


@pytest.mark.requirement("assert:not")
def test_not_inverts_and_keeps_the_child() -> None:
    ok = check({"type": "not", "child": SAYS_ERROR}, TR)
    assert ok.passed and ok.type == "not"
    assert ok.children[0].type == "output_contains" and not ok.children[0].passed
    assert ok.message.startswith("not passed: child assertion failed as expected")
    bad = check({"type": "not", "child": CALLED_KB}, TR)
    assert not bad.passed and bad.children[0].passed


@pytest.mark.requirement("assert:allOf")
@pytest.mark.requirement("assert:anyOf")
@pytest.mark.requirement("assert:not")
def test_nested_three_deep_seed_examples() -> None:
    # (keyboard OR ui_automation) AND no errors AND NOT (error in output AND no success_handler)
    tree = {
        "type": "all_of",
        "children": [
            {"type": "any_of", "children": [CALLED_KB, CALLED_UI]},
            NO_ERRORS,
            {
                "type": "not",
                "child": {
                    "type": "all_of",
                    "children": [
                        SAYS_ERROR,
                        {"type": "tool_not_called", "tool": "success_handler"},
                    ],
                },
            },
        ],
    }
    res = check(tree, TR)
    assert res.passed
    inner_not = res.children[2]
    assert inner_not.type == "not" and inner_not.passed
    inner_all = inner_not.children[0]
    assert inner_all.type == "allOf" and not inner_all.passed
    assert inner_all.details == {"passed_count": 1, "failed_count": 1}
    # flip one leaf four levels down and the whole tree fails
    errored = transcript([call("ui_automation")], output="error: disk full", errors=["boom"])
    assert not check(tree, errored).passed


def _nest(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = CALLED_KB
    for _ in range(depth):
        tree = {"type": "all_of", "children": [tree]}
    return tree


@pytest.mark.requirement("assert:allOf")
def test_depth_limit_ten_combinators_pass_eleven_fail() -> None:
    assert check(_nest(MAX_DEPTH), TR).passed
    res = check(_nest(MAX_DEPTH + 1), TR)
    assert not res.passed
    assert res.message == "Maximum combinator nesting depth (10) exceeded"
    assert res.details["depth_exceeded"] is True


@pytest.mark.requirement("assert:not")
def test_depth_failure_propagates_through_not_and_any_of() -> None:
    deep = _nest(MAX_DEPTH)  # the not on top makes 11 combinators
    res = check({"type": "not", "child": deep}, TR)
    assert not res.passed and "depth" in res.message
    res2 = check({"type": "any_of", "children": [CALLED_KB, deep]}, TR)
    assert not res2.passed and "depth" in res2.message


def test_evaluate_keeps_order_and_spans() -> None:
    span = {"file": "suite.yaml", "line": 12, "col": 9}
    nodes = [node({**CALLED_UI, "span": span}), node(CALLED_KB)]
    results = evaluate(nodes, EvalContext(transcript=TR, variables={}, clarification_enabled=False))
    assert [r.passed for r in results] == [False, True]
    assert results[0].span is not None and results[0].span.line == 12


def test_results_round_trip_through_results_jsonl_form() -> None:
    from runtime.results import AssertionResult

    tree = {
        "type": "all_of",
        "children": [
            {"type": "any_of", "children": [CALLED_KB, CALLED_UI]},
            {"type": "not", "child": SAYS_ERROR},
            {"type": "output_json_valid"},
            {"type": "max_latency_ms", "value": 10},
        ],
    }
    res = check(tree, TR)
    again = AssertionResult.model_validate_json(res.model_dump_json())
    assert again == res
    assert not again.passed and again.details == {"passed_count": 3, "failed_count": 1}
