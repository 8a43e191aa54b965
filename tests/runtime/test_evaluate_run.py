"""Run leaves (tokens, latency, errors, hallucinations, clarification, 429s) and cli leaves."""

from __future__ import annotations

import json

import pytest

from runtime.transcript import (
    ClarificationStats,
    RateLimitStats,
    RunEvent,
    TokenUsage,
    ToolCall,
)

from .evalkit import call, check, transcript


@pytest.mark.requirement("assert:max_tokens")
def test_max_tokens() -> None:
    tr = transcript(usage=TokenUsage(input=600, output=400))
    ok = check({"type": "max_tokens", "value": 1000}, tr)
    assert ok.passed and ok.message == "Tokens used: 1000 (max: 1000)"
    assert ok.details == {"actual": 1000, "max": 1000}
    assert not check({"type": "max_tokens", "value": 999}, tr).passed
    est = check(
        {"type": "max_tokens", "value": 10}, transcript(usage=TokenUsage(output=3, estimated=True))
    )
    assert est.passed and est.details["estimated"] is True


@pytest.mark.requirement("assert:max_latency_ms")
def test_max_latency_ms_matches_the_seed_message() -> None:
    tr = transcript(latency_ms=2340.9)
    ok = check({"type": "max_latency_ms", "value": 5000}, tr)
    assert ok.passed
    assert ok.message == "Latency: 2340ms (max: 5000ms)"
    assert ok.details == {"actual": 2340, "max": 5000}
    assert not check({"type": "max_latency_ms", "value": 2000}, tr).passed


@pytest.mark.requirement("assert:no_error_messages")
def test_no_error_messages() -> None:
    assert check({"type": "no_error_messages"}, transcript()).passed
    bad = check({"type": "no_error_messages"}, transcript(errors=["tool x failed", "second"]))
    assert not bad.passed
    assert bad.details["errors"] == ["tool x failed", "second"]
    assert "2 error message(s)" in bad.message


@pytest.mark.requirement("assert:no_hallucinated_tools")
def test_no_hallucinated_tools_uses_agent_tools_not_narrowed_offer() -> None:
    calls = [call("read_file"), call("write_file")]
    tr = transcript(calls, available_tools=["read_file", "write_file"], offered_tools=["read_file"])
    assert check({"type": "no_hallucinated_tools"}, tr).passed
    tr2 = transcript(
        [call("read_file"), call("launch_rockets", hallucinated=True)],
        available_tools=["read_file"],
    )
    bad = check({"type": "no_hallucinated_tools"}, tr2)
    assert not bad.passed and bad.actual == ["launch_rockets"]
    assert bad.message == "Has hallucinated tool(s): launch_rockets"


@pytest.mark.requirement("assert:no_clarification_questions")
def test_no_clarification_questions() -> None:
    off = check({"type": "no_clarification_questions"}, transcript())
    assert off.passed and off.message.startswith("Warning: clarification_detection not enabled")
    assert "warning" in off.details
    on = transcript(clarification=ClarificationStats(enabled=True))
    ok = check({"type": "no_clarification_questions"}, on, clarification=True)
    assert ok.passed and ok.message == "No clarification questions detected"
    asked = transcript(
        clarification=ClarificationStats(
            enabled=True, count=2, iterations=[1, 3], examples=["Would you like me to..."]
        )
    )
    bad = check({"type": "no_clarification_questions"}, asked, clarification=True)
    assert not bad.passed
    assert bad.message == "Agent asked for clarification 2 time(s)"
    assert bad.details == {
        "count": 2,
        "iterations": [1, 3],
        "examples": ["Would you like me to..."],
    }


@pytest.mark.requirement("assert:no_rate_limit_errors")
def test_no_rate_limit_errors_counts_this_case_only() -> None:
    assert check({"type": "no_rate_limit_errors"}, transcript()).passed
    stats = RateLimitStats(rate_limit_hits=1, retry_count=1, retry_success_count=1)
    bad = check({"type": "no_rate_limit_errors"}, transcript(rate_limits=stats))
    assert not bad.passed and bad.message == "Received 1 rate limit error(s) (HTTP 429)"
    events = [RunEvent(kind="rate_limited", at_ms=1.0), RunEvent(kind="rate_limited", at_ms=2.0)]
    from_events = check({"type": "no_rate_limit_errors"}, transcript(events=events))
    assert not from_events.passed and from_events.actual == 2
    throttled = [RunEvent(kind="throttle", at_ms=1.0, wait_ms=50)]
    assert check({"type": "no_rate_limit_errors"}, transcript(events=throttled)).passed


def _cli(name: str, exit_code: object, stdout: str = "", stderr: str = "") -> ToolCall:
    return call(
        name,
        {"args": "x"},
        text=json.dumps({"exit_code": exit_code, "stdout": stdout, "stderr": stderr}),
    )


@pytest.mark.requirement("assert:cli_exit_code_equals")
def test_cli_exit_code_equals_first_matching_call() -> None:
    tr = transcript(
        [
            call("cli_execute", text="not json"),
            _cli("cli_execute", 0, "Sheet1 created"),
            _cli("cli_execute", 2),
        ]
    )
    ok = check({"type": "cli_exit_code_equals", "value": 0}, tr)
    assert ok.passed and ok.message == "Exit code: 0 (expected 0)"
    bad = check({"type": "cli_exit_code_equals", "value": 2}, tr)
    assert not bad.passed and bad.actual == 0 and bad.expected == 2


@pytest.mark.requirement("assert:cli_exit_code_equals")
def test_cli_selection_prefers_the_named_tool_then_any_execute() -> None:
    tr = transcript([_cli("other_execute", 5), _cli("excel_execute", 0)])
    assert check({"type": "cli_exit_code_equals", "tool": "excel_execute", "value": 0}, tr).passed
    # no call named cli_execute: fall back to the first *_execute call with a JSON object
    fallback = check({"type": "cli_exit_code_equals", "value": 5}, tr)
    assert fallback.passed and fallback.details["tool"] == "other_execute"
    none = check({"type": "cli_exit_code_equals", "value": 0}, transcript([call("read_file")]))
    assert not none.passed and "No CLI call" in none.message
    weird = check(
        {"type": "cli_exit_code_equals", "value": 0}, transcript([_cli("cli_execute", "x")])
    )
    # exit_code "x" does not decode into Go's CLIResult: the call is passed over, as there
    assert not weird.passed and "No CLI call" in weird.message
    missing = check(
        {"type": "cli_exit_code_equals", "value": 0},
        transcript([call("cli_execute", text=json.dumps({"stdout": "ok"}))]),
    )
    assert not missing.passed and "no exit_code" in missing.message


@pytest.mark.requirement("assert:cli_stdout_contains")
def test_cli_stdout_contains() -> None:
    tr = transcript([_cli("cli_execute", 0, "Sheet1\nSheet2")])
    ok = check({"type": "cli_stdout_contains", "value": "Sheet2"}, tr)
    assert ok.passed and ok.details["stdout_len"] == 13
    assert ok.details["stdout_preview"] == "Sheet1\nSheet2"
    assert not check({"type": "cli_stdout_contains", "value": "sheet3"}, tr).passed


@pytest.mark.requirement("assert:cli_stdout_regex")
def test_cli_stdout_regex() -> None:
    tr = transcript([_cli("cli_execute", 0, "Chart Created successfully")])
    assert check({"type": "cli_stdout_regex", "pattern": "Created.*successfully"}, tr).passed
    assert not check({"type": "cli_stdout_regex", "pattern": "^successfully"}, tr).passed
    assert not check({"type": "cli_stdout_regex", "pattern": "(unclosed"}, tr).passed


@pytest.mark.requirement("assert:cli_stderr_contains")
def test_cli_stderr_contains() -> None:
    tr = transcript([_cli("cli_execute", 1, "", "Warning: deprecated flag")])
    ok = check({"type": "cli_stderr_contains", "value": "Warning:"}, tr)
    assert ok.passed and ok.details["stderr_len"] == len("Warning: deprecated flag")
    assert not check({"type": "cli_stderr_contains", "value": "Error:"}, tr).passed
