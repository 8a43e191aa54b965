"""The JSONPath dialect (semantics §3.3) on jsonpath-ng: a table of paths and their results."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.jsonpath import NO_MATCH, compile_path, find, find_value

DATA: dict[str, Any] = {
    "data": {"user": {"id": 7, "name": "John Doe", "tags": ["a", "b"]}},
    "items": [{"id": 1, "ok": True}, {"id": 2, "ok": False}, {"id": 3, "ok": True}],
    "nums": [10, 20, 30, 40, 50],
    "odd key": "spaced",
    "empty": [],
}

DIALECT = [
    ("$", [DATA], True),
    ("$.data.user.id", [7], True),
    ('$["data"]["user"]["name"]', ["John Doe"], True),
    ("$['data']['user']['name']", ["John Doe"], True),
    ('$["odd key"]', ["spaced"], True),
    ("$.nums[0]", [10], True),
    ("$.nums[-1]", [50], True),
    ("$.nums[1:3]", [20, 30], False),
    ("$.nums[-2:]", [40, 50], False),
    ("$.nums[::2]", [10, 30, 50], False),
    ("$.nums[0,2]", [10, 30], False),
    ('$["odd key","data"]', ["spaced", DATA["data"]], False),
    ("$.items[*].id", [1, 2, 3], False),
    ("$.data.user.*", [7, "John Doe", ["a", "b"]], False),
    ("$..id", [7, 1, 2, 3], False),
    ("$.data.user.tags", [["a", "b"]], True),
    ("$.missing", [], True),
    ("$.nums[9]", [], True),
    # the extension: filters, as jsonpath-ng's ext parser reads them
    ("$.items[?(@.ok == true)].id", [1, 3], False),
    ("$.items[?(@.id > 1)].id", [2, 3], False),
]


@pytest.mark.requirement("extract:jsonpath")
@pytest.mark.parametrize(("expr", "expected", "singular"), DIALECT)
def test_dialect_table(expr: str, expected: list[Any], singular: bool) -> None:
    compiled = compile_path(expr)
    assert compiled.singular is singular
    assert find(compiled, DATA) == expected
    assert find(expr, DATA) == expected


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("data.user", "must start with '$'"),
        ("", "must start with '$'"),
        ("$..", "invalid JSONPath"),
        ("$[", "invalid JSONPath"),
        ("$.a[", "invalid JSONPath"),
        ("$.items where id", "does not support"),
        ("$.a | $.b", "does not support"),
        ("$.nums.`len`", "does not support"),
        ("$.nums[0] + 1", "does not support"),
    ],
)
def test_bad_paths_raise_value_error_with_the_expression(expr: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="JSONPath") as info:
        compile_path(expr)
    assert fragment in str(info.value)
    assert repr(expr) in str(info.value)


def test_find_value_returns_bare_value_for_singular_and_list_otherwise() -> None:
    assert find_value("$.data.user.id", DATA) == 7
    assert find_value("$.data.user.tags", DATA) == ["a", "b"]
    assert find_value("$.items[*].id", DATA) == [1, 2, 3]
    assert find_value("$.nums[0:1]", DATA) == [10]
    assert find_value("$.missing", DATA) is NO_MATCH
    assert find_value("$.empty[*]", DATA) is NO_MATCH


def test_find_on_non_json_shapes_is_no_match_not_a_crash() -> None:
    assert find("$.a.b", "a string") == []
    assert find("$.nums[0]", {"nums": {"x": 1}}) == []
    assert find("$.items[?(@.id > 'x')]", DATA) == []


def test_compiled_paths_are_cached() -> None:
    assert compile_path("$.data.user.id") is compile_path("$.data.user.id")
