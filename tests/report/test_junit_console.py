"""JUnit XML and the console report."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from report import build_report, print_console_report, render


@pytest.mark.requirement("report:junit")
def test_junit_suites_cases_failures_and_errors(runs: dict[str, Path]) -> None:
    root = ET.fromstring(render(build_report(runs["09_failed_with_errors"]), "junit").encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "1", "2")
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "tests.yaml › default"
    cases = suite.findall("testcase")
    # grouped by test, agents side by side, in execution order
    assert [(c.get("classname"), c.get("name")) for c in cases][:3] == [
        ("gemini-agent", "Create file"),
        ("claude-agent", "Create file"),
        ("gemini-agent", "Read file"),
    ]
    failure = cases[2].find("failure")
    assert failure is not None and failure.get("type") == "tool_param_equals"
    assert 'expected: {"content": "Hello", "path": "test.txt"}' in (failure.text or "")
    errors = [c for c in cases if c.find("error") is not None]
    assert len(errors) == 2 and "503" in (errors[0].find("error").get("message") or "")  # type: ignore[union-attr]
    assert cases[0].find("failure") is None and cases[0].find("error") is None


@pytest.mark.requirement("report:junit")
def test_junit_suite_per_file_and_session(runs: dict[str, Path]) -> None:
    root = ET.fromstring(render(build_report(runs["08_multi_agent_multi_file"]), "junit").encode())
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == [
        "suite/files.yaml › basic",
        "suite/files.yaml › edge",
        "suite/search.yaml › default",
    ]
    assert sum(int(s.get("tests") or 0) for s in root.findall("testsuite")) == 15


def _console(report, terminal: bool) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    print_console_report(
        report,
        Console(
            file=buf,
            force_terminal=terminal,
            width=100,
            color_system="standard" if terminal else None,
        ),
    )
    return buf.getvalue()


@pytest.mark.requirement("report:console-sections")
def test_console_sections(runs: dict[str, Path]) -> None:
    out = _console(build_report(runs["03_multi_agent_single_test"]), terminal=False)
    assert (
        out.index("COMPARISON SUMMARY")
        < out.index("DETAILED TEST RESULTS")
        < out.index("[Summary] Test Execution Summary")
    )
    assert "📋 Test: Create file [50.0% passed]" in out
    assert "Summary: 1/2 agents passed" in out
    assert "└─ [GOOGLE]" in out and "✗ FAIL" in out and "✓ PASS" in out
    assert "✗ claude-agent [ANTHROPIC] (3.12 s)" in out
    assert '• expected: {"content": "Hello", "path": "test.txt"}' in out
    assert '• actual: {"path": "test.txt"}' in out
    assert "Total: 2 | Passed: 1 | Failed: 1 | Errors: 0" in out
    for line in (
        "Total Tests:      2",
        "Passed:           1 (50.0%)",
        "Total Tool Calls: 2",
        "Total Tokens:     580",
    ):
        assert line in out


@pytest.mark.requirement("report:console-colour")
def test_console_colour_only_on_a_terminal(runs: dict[str, Path]) -> None:
    report = build_report(runs["03_multi_agent_single_test"])
    assert "\x1b[" not in _console(report, terminal=False)
    assert "\x1b[" in _console(report, terminal=True)
