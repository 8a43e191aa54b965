"""JUnit XML and the console report."""

from __future__ import annotations

import io
import re
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
@pytest.mark.requirement("console:pytest-like")
def test_console_details_only_failures_then_one_table(runs: dict[str, Path]) -> None:
    out = _console(build_report(runs["09_failed_with_errors"]), terminal=False)
    # No per-test comparison tables, no detail of passing cases (issue 10 item 10).
    assert "COMPARISON SUMMARY" not in out and "DETAILED TEST RESULTS" not in out
    assert "PASS" not in out and "✓ " not in out.split("Tests where")[0]
    # Failures and errors in detail, errors first.
    assert (
        out.index("FAILURES AND ERRORS (3)")
        < out.index("! ERROR claude-agent / default / Create file  (3.12 s, ANTHROPIC)")
        < out.index("! ERROR claude-agent / default / Delete file")
        < out.index("✗ FAIL gemini-agent / default / Read file  (2.34 s, GOOGLE)")
    )
    assert out.count("error: provider error: 503 Service Unavailable after 3 retries") == 2
    assert "✗ tool_param_equals: Tool called with incorrect parameters" in out
    assert 'expected: {"content": "Hello", "path": "test.txt"}' in out
    assert 'actual:   {"path": "test.txt"}' in out
    # One summary table: a row per agent and a total row.
    assert len(re.findall(r"^agent +cases +passed", out, re.M)) == 1
    assert re.search(r"^gemini-agent GOOGLE +3 +2 +1 +0 +66\.7% +870 ", out, re.M)
    assert re.search(r"^claude-agent ANTHROPIC +3 +1 +0 +2 +33\.3% +530 ", out, re.M)
    assert re.search(r"^total +6 +3 +1 +2 +50\.0% +1,400 +\$0\.0025 ", out, re.M)
    # Several agents: the tests on which they differ, one line each.
    assert "Tests where the agents differ (3):" in out
    assert "  Read file: ✗ gemini-agent ✓ claude-agent" in out
    assert "6 cases: 3 passed, 1 failed, 2 errors · 4 tool calls · 1,400 tokens" in out
    assert "criteria NOT met: every case must pass" in out


@pytest.mark.requirement("console:pytest-like")
def test_console_of_one_agent_has_no_comparison(runs: dict[str, Path]) -> None:
    report = build_report(runs["02_single_agent_multi_test"])  # 3 tests, one fails
    out = _console(report, terminal=False)
    assert "differ" not in out and not re.search(r"^total ", out, re.M)
    assert out.count("✗ FAIL") == 1 and len(re.findall(r"^agent +cases", out, re.M)) == 1
    # failure header, its assertion and values, table header, rule and row, totals, criteria
    assert len(out.strip().splitlines()) <= 12, out


@pytest.mark.requirement("report:console-colour")
def test_console_colour_only_on_a_terminal(runs: dict[str, Path]) -> None:
    report = build_report(runs["03_multi_agent_single_test"])
    assert "\x1b[" not in _console(report, terminal=False)
    assert "\x1b[" in _console(report, terminal=True)
