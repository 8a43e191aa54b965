"""Output leaves (final assistant text only) and file_created."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.plan import RuntimeTemplate

from .evalkit import call, check, transcript


@pytest.mark.requirement("assert:output_contains")
def test_output_contains_is_case_sensitive_and_empty_always_passes() -> None:
    tr = transcript(output="Operation completed successfully")
    ok = check({"type": "output_contains", "value": "completed"}, tr)
    assert ok.passed and ok.message == "Output contains 'completed': true"
    assert not check({"type": "output_contains", "value": "Completed"}, tr).passed
    assert check({"type": "output_contains", "value": ""}, tr).passed


@pytest.mark.requirement("assert:output_contains")
def test_output_assertions_ignore_tool_responses() -> None:
    # Trap 7: agent-benchmark mixed tool JSON into FinalOutput; bench reads the answer only.
    tr = transcript([call("lookup", text='{"error": "failed"}')], output="All good.")
    assert not check({"type": "output_contains", "value": "error"}, tr).passed
    assert check({"type": "output_not_contains", "value": "error"}, tr).passed


@pytest.mark.requirement("assert:output_not_contains")
def test_output_not_contains() -> None:
    tr = transcript(output="no problems here")
    assert check({"type": "output_not_contains", "value": "error"}, tr).passed
    bad = check({"type": "output_not_contains", "value": "problems"}, tr)
    assert not bad.passed and bad.message == "Output does not contain 'problems': false"
    assert not check({"type": "output_not_contains", "value": ""}, tr).passed


@pytest.mark.requirement("assert:output_contains")
def test_output_contains_renders_runtime_template() -> None:
    tr = transcript(output="User 42 created")
    value = RuntimeTemplate(source="User {{ uid }}", variables=("uid",)).model_dump()
    assert check({"type": "output_contains", "value": value}, tr, variables={"uid": "42"}).passed
    assert not check({"type": "output_contains", "value": value}, tr, variables={"uid": "7"}).passed


@pytest.mark.requirement("assert:output_regex")
def test_output_regex_search_flags_and_invalid() -> None:
    tr = transcript(output="Result:\nUser ID: 12345")
    assert check({"type": "output_regex", "pattern": "User ID: [0-9]{4,}"}, tr).passed
    assert not check({"type": "output_regex", "pattern": "^User ID: [0-9]{4,}$"}, tr).passed
    assert check({"type": "output_regex", "pattern": "(?m)^User ID: [0-9]{4,}$"}, tr).passed
    assert check({"type": "output_regex", "pattern": "(?i)user id"}, tr).passed
    bad = check({"type": "output_regex", "pattern": "([a-"}, tr)
    assert not bad.passed and bad.message.startswith("Invalid regex")


@pytest.mark.requirement("assert:output_json_valid")
@pytest.mark.parametrize(
    ("output", "valid"),
    [
        ('{"a": 1}', True),
        ("  [1, 2]\n", True),
        ('Here you go:\n```json\n{"a": 1}\n```\nDone.', True),
        ('```\n{"a": 1}\n```', True),
        ("```json\n{broken\n```", False),
        ("{'a': 1}", False),
        ("", False),
        ("The answer is 42 apples", False),
    ],
)
def test_output_json_valid(output: str, valid: bool) -> None:
    res = check({"type": "output_json_valid"}, transcript(output=output))
    assert res.passed is valid
    if not valid:
        assert res.message.startswith("Output is not valid JSON")


@pytest.mark.requirement("assert:output_matches_json")
def test_output_matches_json() -> None:
    tr = transcript(output='Sure!\n```json\n{"user": {"id": 7, "tags": ["a", "b"]}}\n```')
    ok = check({"type": "output_matches_json", "path": "$.user.id", "value": "7"}, tr)
    assert ok.passed and ok.actual == "7"
    assert check(
        {"type": "output_matches_json", "path": "$.user.tags", "value": "[a, b]"}, tr
    ).passed
    wrong = check({"type": "output_matches_json", "path": "$.user.id", "value": "8"}, tr)
    assert not wrong.passed and wrong.expected == "8" and wrong.actual == "7"
    missing = check({"type": "output_matches_json", "path": "$.user.name", "value": "x"}, tr)
    assert not missing.passed and "matched nothing" in missing.message
    not_json = check(
        {"type": "output_matches_json", "path": "$.a", "value": "1"}, transcript(output="hi")
    )
    assert not not_json.passed and "not valid JSON" in not_json.message


@pytest.mark.requirement("assert:file_created")
def test_file_created_relative_to_work_dir_and_absolute(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "hello.txt").write_text("hi")
    tr = transcript()
    ok = check({"type": "file_created", "path": "out/hello.txt"}, tr, work_dir=str(tmp_path))
    assert ok.passed and ok.message == "File 'out/hello.txt' was created"
    absolute = str(tmp_path / "out" / "hello.txt")
    assert check({"type": "file_created", "path": absolute}, tr).passed
    bad = check({"type": "file_created", "path": "out/missing.txt"}, tr, work_dir=str(tmp_path))
    assert not bad.passed and bad.message == "File 'out/missing.txt' does not exist"
    assert bad.details["resolved_path"] == str(tmp_path / "out" / "missing.txt")


def test_file_created_without_a_work_dir_starts_at_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "made.txt").write_text("hi")
    monkeypatch.chdir(tmp_path)
    ok = check({"type": "file_created", "path": "made.txt"}, transcript())
    assert ok.passed and ok.actual == str(tmp_path / "made.txt")
    bad = check({"type": "file_created", "path": "gone.txt"}, transcript())
    assert not bad.passed and bad.details["resolved_path"] == str(tmp_path / "gone.txt")
