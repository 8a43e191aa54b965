"""One parser of report-format lists, shared by `bench report`, `bench compare`, `bench execute
--report` and the Action's `report-formats` input."""

from __future__ import annotations

import pytest

from bench.gha.inputs import ActionInputs
from report.formats import normalise_formats
from runtime.errors import InputError


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("html,md", ["html", "md"]),
        ("html md", ["html", "md"]),
        (" HTML , markdown\tXML ", ["html", "md", "junit"]),
        ("htm,html", ["html"]),
        (["json", "md", "json"], ["json", "md"]),
    ],
)
def test_lists_in_any_spelling(spec: str | list[str], want: list[str]) -> None:
    assert normalise_formats(spec) == want


def test_every_unknown_format_is_named_at_once() -> None:
    with pytest.raises(InputError, match=r"unknown report formats 'pdf', 'docx'; choose from"):
        normalise_formats("html,pdf docx")


def test_an_empty_list_is_an_error() -> None:
    with pytest.raises(InputError, match="no report format given"):
        normalise_formats(" , ")


def test_the_action_reads_its_input_with_the_same_rules() -> None:
    got = ActionInputs.from_env({"INPUT_SUITE": "s.yaml", "INPUT_REPORT_FORMATS": "htm xml"})
    assert got.report_formats == ["json", "md", "html", "junit"]  # JSON and Markdown always
    with pytest.raises(InputError, match=r"input 'report-formats': unknown report format 'pdf'"):
        ActionInputs.from_env({"INPUT_SUITE": "s.yaml", "INPUT_REPORT_FORMATS": "pdf"})


def test_execute_and_retry_read_report_with_the_same_rules() -> None:
    from bench.commands.execute import parse_formats

    assert parse_formats("htm xml") == ["html", "junit"]
    assert parse_formats(None) == [] and parse_formats(" ") == []  # no --report: no files
    with pytest.raises(InputError, match=r"unknown report formats 'pdf', 'docx'"):
        parse_formats("html,pdf docx")
