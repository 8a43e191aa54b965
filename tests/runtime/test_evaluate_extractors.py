"""Extractors: JSONPath over each call's JSON text, last match wins, warnings, no crashes."""

from __future__ import annotations

import pytest

from runtime.evaluate import extract
from runtime.plan import JsonPathExtractor

from .evalkit import call, transcript


def _ex(tool: str, path: str, var: str) -> JsonPathExtractor:
    return JsonPathExtractor(tool=tool, path=path, variable_name=var)


@pytest.mark.requirement("extract:jsonpath")
def test_extracts_normalised_string_and_last_match_wins() -> None:
    tr = transcript(
        [
            call("create_user", result={"data": {"user": {"id": 1, "score": 2.0}}}),
            call("other", result={"data": {"user": {"id": 99}}}),
            call("create_user", result={"data": {"user": {"id": 7, "tags": ["a", "b"]}}}),
            call("create_user", result={"nothing": True}),
        ]
    )
    bound, warnings = extract(
        [
            _ex("create_user", "$.data.user.id", "user_id"),
            _ex("create_user", "$.data.user.score", "score"),
            _ex("create_user", "$.data.user.tags", "tags"),
        ],
        tr,
    )
    assert bound == {"user_id": "7", "score": "2", "tags": "[a, b]"}
    assert warnings == []


@pytest.mark.requirement("extract:jsonpath")
def test_no_match_leaves_variable_unbound_with_a_warning() -> None:
    tr = transcript([call("create_user", result={"data": {}})])
    bound, warnings = extract([_ex("create_user", "$.data.user.id", "user_id")], tr)
    assert bound == {}
    assert len(warnings) == 1 and "user_id" in warnings[0] and "stays unbound" in warnings[0]


@pytest.mark.requirement("extract:jsonpath")
def test_tool_not_called_warns() -> None:
    bound, warnings = extract([_ex("create_user", "$.id", "uid")], transcript([call("x")]))
    assert bound == {}
    assert "not called" in warnings[0]


@pytest.mark.requirement("extract:jsonpath")
def test_unparsable_and_empty_results_are_skipped_with_warnings_not_crashes() -> None:
    tr = transcript(
        [
            call("create_user", text="Created user 5"),
            call("create_user", content=[]),
            call("create_user", error="timeout"),
            call("create_user", result={"id": 5}),
        ]
    )
    bound, warnings = extract([_ex("create_user", "$.id", "uid")], tr)
    assert bound == {"uid": "5"}
    assert len(warnings) == 3
    assert "not JSON" in warnings[0]
    assert "no text content" in warnings[1]
    assert "call failed" in warnings[2]


def test_wildcard_path_binds_the_list_form_and_bad_path_warns() -> None:
    tr = transcript([call("list", result={"items": [{"id": 1}, {"id": 2}]})])
    bound, warnings = extract(
        [_ex("list", "$.items[*].id", "ids"), _ex("list", "items.id", "bad")], tr
    )
    assert bound == {"ids": "[1, 2]"}
    assert len(warnings) == 1 and "must start with '$'" in warnings[0]
