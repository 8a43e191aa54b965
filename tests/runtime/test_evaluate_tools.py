"""Tool leaves: called, not called, count, order, params (equals / regex), JSON results."""

from __future__ import annotations

import pytest

from runtime.plan import RuntimeTemplate
from runtime.transcript import ToolCall

from .evalkit import call, check, transcript

CALLS = [
    call("validate_input", {"data": "x"}),
    call("search_api", {"q": "a"}),
    call("process_data", {"n": 1}),
    call("search_api", {"q": "b"}),
    call("save_results", {"ok": True}),
]


@pytest.mark.requirement("assert:tool_called")
def test_tool_called_pass_and_fail() -> None:
    tr = transcript(CALLS)
    ok = check({"type": "tool_called", "tool": "search_api"}, tr)
    assert ok.passed and ok.message == "Tool 'search_api' was called"
    assert ok.details["calls"] == 2
    bad = check({"type": "tool_called", "tool": "search"}, tr)
    assert not bad.passed and bad.message == "Tool 'search' was NOT called"
    assert bad.expected == "search" and "search_api" in bad.actual


@pytest.mark.requirement("assert:tool_not_called")
def test_tool_not_called_pass_and_fail() -> None:
    tr = transcript(CALLS)
    assert check({"type": "tool_not_called", "tool": "delete_database"}, tr).passed
    bad = check({"type": "tool_not_called", "tool": "process_data"}, tr)
    assert not bad.passed
    assert "should not have been" in bad.message


@pytest.mark.requirement("assert:tool_call_count")
def test_tool_call_count_is_exact_and_counts_all_calls_without_tool() -> None:
    tr = transcript(CALLS)
    ok = check({"type": "tool_call_count", "tool": "search_api", "count": 2}, tr)
    assert ok.passed and ok.details == {"actual": 2, "expected": 2}
    assert ok.message == "Tool 'search_api' called 2 times (expected 2)"
    assert not check({"type": "tool_call_count", "tool": "search_api", "count": 1}, tr).passed
    assert not check({"type": "tool_call_count", "tool": "search_api", "count": 3}, tr).passed
    assert check({"type": "tool_call_count", "count": 5}, tr).passed
    assert check({"type": "tool_call_count", "tool": "nope", "count": 0}, tr).passed
    assert not check({"type": "tool_call_count", "count": 4}, tr).passed


@pytest.mark.requirement("assert:tool_call_order")
def test_tool_call_order_is_a_greedy_in_order_subsequence() -> None:
    tr = transcript(CALLS)
    seq = ["validate_input", "process_data", "save_results"]
    ok = check({"type": "tool_call_order", "sequence": seq}, tr)
    assert ok.passed and ok.details == {"matched": 3, "total": 3}
    # out of order
    bad = check({"type": "tool_call_order", "sequence": ["process_data", "validate_input"]}, tr)
    assert not bad.passed and "matched 1/2" in bad.message
    # repeated names need repeated calls
    assert check({"type": "tool_call_order", "sequence": ["search_api", "search_api"]}, tr).passed
    rep = ["search_api", "search_api", "search_api"]
    assert not check({"type": "tool_call_order", "sequence": rep}, tr).passed
    empty = check({"type": "tool_call_order", "sequence": []}, tr)
    assert not empty.passed and empty.message == "No sequence specified"


@pytest.mark.requirement("assert:tool_param_equals")
def test_tool_param_equals_any_single_call_must_match_all_params() -> None:
    tr = transcript(
        [
            call("create_user", {"name": "John Doe", "age": 31}),
            call("create_user", {"name": "Jane", "age": 30, "extra": "ignored"}),
        ]
    )
    # name from call 1 and age from call 2: no single call matches both
    mixed = check(
        {
            "type": "tool_param_equals",
            "tool": "create_user",
            "params": {"name": "John Doe", "age": "30"},
        },
        tr,
    )
    assert not mixed.passed
    assert mixed.message.startswith("Tool 'create_user' called with incorrect parameters")
    assert mixed.expected == {"name": "John Doe", "age": "30"}
    assert len(mixed.details["mismatches"]) == 2
    ok = check(
        {
            "type": "tool_param_equals",
            "tool": "create_user",
            "params": {"name": "Jane", "age": "30"},
        },
        tr,
    )
    assert ok.passed and ok.message == "Tool 'create_user' called with correct parameters"
    assert ok.actual["extra"] == "ignored"


@pytest.mark.requirement("assert:tool_param_equals")
def test_tool_param_equals_dot_paths_normalisation_and_missing() -> None:
    args = {
        "name": "test-resource",
        "config": {"timeout": 30.0, "retry": {"max_attempts": 3, "backoff": "exponential"}},
        "tags": ["a", "b"],
        "enabled": True,
        "nothing": None,
        "flat.key": "literal",
    }
    tr = transcript([call("create_resource", args)])
    params = {
        "config.timeout": "30",
        "config.retry.max_attempts": "3",
        "config.retry.backoff": "exponential",
        "tags": "[a, b]",
        "enabled": "true",
        "nothing": "null",
        "flat.key": "literal",
    }
    assert check(
        {"type": "tool_param_equals", "tool": "create_resource", "params": params}, tr
    ).passed
    missing = check(
        {"type": "tool_param_equals", "tool": "create_resource", "params": {"config.nope": "1"}}, tr
    )
    assert not missing.passed and "missing param 'config.nope'" in missing.message
    # 3.0 as a string never equals the number 3 (Go-like normalisation)
    strict = check(
        {
            "type": "tool_param_equals",
            "tool": "create_resource",
            "params": {"config.retry.max_attempts": "3.0"},
        },
        tr,
    )
    assert not strict.passed
    # no array indexing in dot paths
    assert not check(
        {"type": "tool_param_equals", "tool": "create_resource", "params": {"tags.0": "a"}}, tr
    ).passed
    not_called = check({"type": "tool_param_equals", "tool": "other", "params": {"a": "b"}}, tr)
    assert not not_called.passed and not_called.message == "Tool 'other' was not called"


@pytest.mark.requirement("assert:tool_param_equals")
def test_tool_param_equals_renders_runtime_templates_and_reports_unbound() -> None:
    tr = transcript([call("get_user", {"id": 42})])
    template = RuntimeTemplate(source="{{ user_id }}", variables=("user_id",)).model_dump()
    data = {"type": "tool_param_equals", "tool": "get_user", "params": {"id": template}}
    assert check(data, tr, variables={"user_id": "42"}).passed
    assert not check(data, tr, variables={"user_id": "43"}).passed
    unbound = check(data, tr)
    assert not unbound.passed
    assert "'user_id' is not bound" in unbound.message


@pytest.mark.requirement("assert:tool_param_matches_regex")
def test_tool_param_matches_regex() -> None:
    tr = transcript(
        [
            call("send_email", {"recipient": "not-an-email", "n": 7}),
            call("send_email", {"recipient": "john@example.com", "n": 1000000, "tags": ["x", "y"]}),
        ]
    )
    email = r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$"
    ok = check(
        {"type": "tool_param_matches_regex", "tool": "send_email", "params": {"recipient": email}},
        tr,
    )
    assert ok.passed
    # numbers and lists are matched in Go's %v form; integers stay digits
    assert check(
        {
            "type": "tool_param_matches_regex",
            "tool": "send_email",
            "params": {"n": r"^\d{7}$", "tags": r"^\[x y\]$"},
        },
        tr,
    ).passed
    bad = check(
        {
            "type": "tool_param_matches_regex",
            "tool": "send_email",
            "params": {"recipient": "^admin@"},
        },
        tr,
    )
    assert not bad.passed and "does not match regex" in bad.message
    invalid = check(
        {"type": "tool_param_matches_regex", "tool": "send_email", "params": {"recipient": "("}}, tr
    )
    assert not invalid.passed and "invalid regex" in invalid.message
    unanchored = check(
        {
            "type": "tool_param_matches_regex",
            "tool": "send_email",
            "params": {"recipient": "example"},
        },
        tr,
    )
    assert unanchored.passed


@pytest.mark.requirement("assert:tool_result_matches_json")
def test_tool_result_matches_json_any_call() -> None:
    tr = transcript(
        [
            call("get_user", result={"data": {"user": {"name": "Jane", "age": 30.0}}}),
            call("get_user", result={"data": {"user": {"name": "John Doe", "tags": ["a", "b"]}}}),
        ]
    )
    base = {"type": "tool_result_matches_json", "tool": "get_user"}
    ok = check({**base, "path": "$.data.user.name", "value": "John Doe"}, tr)
    assert ok.passed and ok.details["call"] == 2
    assert check({**base, "path": "$.data.user.age", "value": "30"}, tr).passed
    assert check({**base, "path": "$.data.user.tags", "value": "[a, b]"}, tr).passed
    assert check({**base, "path": "$.data.user.tags[*]", "value": "[a, b]"}, tr).passed
    bad = check({**base, "path": "$.data.user.name", "value": "Nobody"}, tr)
    assert not bad.passed
    assert bad.expected == "Nobody" and bad.actual == ["Jane", "John Doe"]
    nothing = check({**base, "path": "$.data.missing", "value": "x"}, tr)
    assert not nothing.passed and "matched nothing" in nothing.message


@pytest.mark.requirement("assert:tool_result_matches_json")
@pytest.mark.parametrize(
    ("bad_call", "fragment"),
    [
        (call("get_user", content=[]), "no text content"),
        (call("get_user", text="not json"), "not JSON"),
        (call("get_user", error="timed out"), "call failed: timed out"),
        (call("get_user", content=[{"type": "image", "data": "..."}]), "no text content"),
    ],
)
def test_tool_result_matches_json_bad_results_are_clean_mismatches(
    bad_call: ToolCall, fragment: str
) -> None:
    res = check(
        {"type": "tool_result_matches_json", "tool": "get_user", "path": "$.a", "value": "1"},
        transcript([bad_call]),
    )
    assert not res.passed
    assert fragment in res.message
    assert not res.details.get("internal_error")


def test_tool_result_matches_json_uses_structured_content_when_no_text() -> None:
    tr = transcript([call("get_user", content=[], structured={"a": 1})])
    res = check(
        {"type": "tool_result_matches_json", "tool": "get_user", "path": "$.a", "value": "1"}, tr
    )
    assert res.passed
