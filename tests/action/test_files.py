"""$GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, the event payload, annotations and the report digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.gha.annotations import annotation, from_diagnostic_line, relocate, workspace_prefix
from bench.gha.digest import load_digest
from bench.gha.event import read_event
from bench.gha.outputs import format_outputs, write_outputs
from bench.gha.summary import write_summary
from runtime.errors import InputError
from tests.action.conftest import FIXTURES


def _parse_outputs(text: str) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (heredoc form only)."""
    out: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        name, _, mark = line.partition("<<")
        value = []
        for body in lines:
            if body == mark:
                break
            value.append(body)
        out[name] = "\n".join(value)
    return out


@pytest.mark.requirement("action:outputs")
def test_outputs_are_heredoc_blocks_appended(tmp_path: Path) -> None:
    path = tmp_path / "output"
    path.write_text("earlier<<EOF\nx\nEOF\n")
    write_outputs({"passed": "3", "note": "two\nlines\nevil=1"}, path)
    parsed = _parse_outputs(path.read_text())
    assert parsed == {"earlier": "x", "passed": "3", "note": "two\nlines\nevil=1"}


def test_outputs_reject_a_value_holding_the_delimiter() -> None:
    with pytest.raises(InputError, match="delimiter"):
        format_outputs({"x": "a\nEND\nb"}, delimiter="END")
    with pytest.raises(InputError, match="name"):
        format_outputs({"bad name": "1"})


def test_outputs_without_a_file_are_only_returned() -> None:
    text = write_outputs({"a": "1"}, None)
    assert _parse_outputs(text) == {"a": "1"}


@pytest.mark.requirement("action:summary")
def test_summary_is_appended_with_notes(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("# earlier step\n")
    write_summary("## report\n\n| a |\n", path, notes=["No PR comment:\nread-only token"])
    text = path.read_text()
    assert text.startswith(
        "# earlier step\n> [!NOTE]\n> No PR comment: read-only token\n\n## report"
    )
    assert text.endswith("| a |\n")


def test_summary_over_the_limit_is_cut_at_a_line(tmp_path: Path) -> None:
    text = write_summary("line of text\n" * 1000, tmp_path / "s.md", limit=2000)
    assert len(text.encode()) <= 2000
    assert "cut to fit" in text
    kept = text.split("\n\n> [!NOTE]")[0].strip("\n").split("\n")
    assert kept and set(kept) == {"line of text"}


def _event(tmp_path: Path, name: str, payload: object, repo: str = "") -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    env = {"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}
    if repo:
        env["GITHUB_REPOSITORY"] = repo
    return env


@pytest.mark.requirement("action:event")
def test_pull_request_event_gives_the_number(tmp_path: Path) -> None:
    payload = {"pull_request": {"number": 42}, "repository": {"full_name": "o/r"}}
    ctx = read_event(_event(tmp_path, "pull_request", payload))
    assert (ctx.repository, ctx.pull_number, ctx.is_pull_request) == ("o/r", 42, True)


@pytest.mark.requirement("action:event")
def test_push_event_has_no_pull_request(tmp_path: Path) -> None:
    ctx = read_event(_event(tmp_path, "push", {"ref": "refs/heads/main"}, repo="o/r"))
    assert (ctx.repository, ctx.pull_number, ctx.is_pull_request) == ("o/r", None, False)


def test_issue_comment_on_a_pull_request(tmp_path: Path) -> None:
    payload = {"issue": {"number": 5, "pull_request": {"url": "x"}}}
    assert read_event(_event(tmp_path, "issue_comment", payload, "o/r")).pull_number == 5
    plain = {"issue": {"number": 5}}
    assert read_event(_event(tmp_path, "issue_comment", plain, "o/r")).pull_number is None


def test_odd_payloads(tmp_path: Path) -> None:
    assert read_event({}).is_pull_request is False
    assert read_event({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}).pull_number is None
    bad = _event(tmp_path, "pull_request", {"pull_request": {"number": True}}, "o/r")
    assert read_event(bad).pull_number is None
    (tmp_path / "event.json").write_text("{not json")
    with pytest.raises(InputError, match="event payload"):
        read_event(bad)


@pytest.mark.requirement("action:annotations")
def test_annotations_are_escaped() -> None:
    line = annotation("error", "bad: 50%\nsecond", file="a,b.yaml", line=3, col=5, title="x:y")
    assert line == "::error file=a%2Cb.yaml,line=3,col=5,title=x%3Ay::bad: 50%25%0Asecond"


@pytest.mark.requirement("action:annotations")
def test_relocate_prefixes_paths_and_converts_human_lines() -> None:
    lines = [
        "::error file=suite.yaml,line=4,col=7::unknown assertion type 'tool_caled'",
        "::warning file=/abs/x.yaml,line=1::absolute paths stay",
        "suite.yaml:9:3: error[E102]: unknown key 'sesions'",
        "    sesions:",
        "compiled 3 cases",
    ]
    assert relocate(lines, "evals") == [
        "::error file=evals/suite.yaml,line=4,col=7::unknown assertion type 'tool_caled'",
        "::warning file=/abs/x.yaml,line=1::absolute paths stay",
        "::error file=evals/suite.yaml,line=9,col=3,title=bench E102::unknown key 'sesions'",
    ]
    assert relocate(lines[:1], "") == lines[:1]
    assert from_diagnostic_line("nothing here") is None


def test_workspace_prefix(tmp_path: Path) -> None:
    assert workspace_prefix(tmp_path / "evals" / "x", tmp_path) == "evals/x"
    assert workspace_prefix(tmp_path, tmp_path) == ""
    assert workspace_prefix("/elsewhere", tmp_path) == ""
    assert workspace_prefix(tmp_path, None) == ""


@pytest.mark.requirement("action:outputs")
def test_digest_outputs_from_a_report() -> None:
    digest = load_digest(FIXTURES / "report_below.json")
    assert digest.outputs() == {
        "passed": "2",
        "failed": "1",
        "errors": "1",
        "pass-rate": "0.5",
        "criteria-met": "false",
    }
    assert digest.any_failure
    assert load_digest(FIXTURES / "report_pass.json").outputs()["pass-rate"] == "1"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[]", "no 'summary'"),
        ('{"summary": {"total": -1}}', "summary.total"),
        (
            '{"summary": {"total": 1, "passed": 1, "failed": 0, "errors": 0, "pass_rate": 2}}',
            "pass_rate",
        ),
        (
            '{"summary": {"total": 1, "passed": 1, "failed": 0, "errors": 0, "pass_rate": 1, "criteria_met": "yes"}}',
            "criteria_met",
        ),
        ("{oops", "cannot read"),
    ],
)
def test_digest_rejects_malformed_reports(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(InputError, match=words):
        load_digest(path)
    with pytest.raises(InputError, match="not found"):
        load_digest(tmp_path / "none.json")


@pytest.mark.requirement("action:summary")
def test_summary_notes_are_inert_markdown(tmp_path: Path) -> None:
    """A note may quote an API error (foreign text): it shows as written, and nothing in it
    forms a link, mention or HTML tag in the rendered job summary."""
    from markdown_it import MarkdownIt

    from report.escape import ZWSP

    note = "HTTP 403: <script>x</script> @octocat [do](https://evil.com) `a_b` *c* | d\\e"
    text = write_summary("## report\n", None, notes=[note])
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    inline = next(t for t in tokens if t.type == "inline")
    kinds = {c.type for c in inline.children or []}
    assert kinds <= {"text", "softbreak"}, kinds
    visible = "".join(c.content for c in inline.children or []).replace(ZWSP, "")
    assert visible == "[!NOTE] " + note or visible == "[!NOTE]" + note, visible
    assert "@octocat" not in text and "://" not in text
