"""Go-like value normalisation (semantics §3.2) and Go's %v for regex params."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.evaluate.normalize import go_format, go_g, normalize

NORMALIZE = [
    (None, "null"),
    (True, "true"),
    (False, "false"),
    (30, "30"),
    (30.0, "30"),
    (-2.0, "-2"),
    (0, "0"),
    (0.5, "0.5"),
    (-0.25, "-0.25"),
    (1234567.5, "1.2345675e+06"),
    (123456.5, "123456.5"),
    (0.0001, "0.0001"),
    (0.00001234, "1.234e-05"),
    (1e300, "1e+300"),
    (12345678901234567890, "12345678901234567890"),
    ("x", "x"),
    (" padded ", " padded "),
    ("Case", "Case"),
    ("", ""),
    (["a", "b"], "[a, b]"),
    ([1, 2.0, None, True], "[1, 2, null, true]"),
    ([["a"], []], "[[a], []]"),
    ([], "[]"),
    ({"b": 1, "a": "x"}, "map[a:x b:1]"),
    ({"k": [1, "y"], "n": None}, "map[k:[1 y] n:<nil>]"),
]


@pytest.mark.parametrize(("value", "expected"), NORMALIZE)
def test_normalize_table(value: Any, expected: str) -> None:
    assert normalize(value) == expected


def test_three_point_zero_string_does_not_match_three() -> None:
    # YAML "3.0" stays the string "3.0"; JSON 3 normalises to "3" (agent-benchmark's rule).
    assert normalize(3) != "3.0"
    assert normalize(3.0) == "3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "<nil>"),
        (["a", "b"], "[a b]"),
        ({"k": "v"}, "map[k:v]"),
        (1000000, "1000000"),
        (0.5, "0.5"),
        (True, "true"),
        ("s", "s"),
    ],
)
def test_go_format_table(value: Any, expected: str) -> None:
    assert go_format(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100000.0, "100000"),
        (1000000.0, "1e+06"),
        (1.5e-7, "1.5e-07"),
        (float("nan"), "NaN"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (-0.0, "-0"),
        (2.5e21, "2.5e+21"),
    ],
)
def test_go_g_matches_go_shortest_formatting(value: float, expected: str) -> None:
    assert go_g(value) == expected
