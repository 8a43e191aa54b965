"""Text and tool-call diffs of the compare page (report/text_diff.py)."""

from __future__ import annotations

from types import SimpleNamespace

from report.text_diff import align_tools, line_diff


def _call(name: str, **arguments: object) -> SimpleNamespace:
    return SimpleNamespace(name=name, arguments=arguments, raw_arguments=None)


def test_equal_texts_have_no_diff() -> None:
    assert line_diff("same\ntext", "same\ntext") == []


def test_a_replaced_line_marks_the_changed_words_only() -> None:
    (row,) = line_diff("Tokyo is nine hours ahead.", "Tokyo is 9 hours ahead.")
    assert row.kind == "chg" and row.base_no == row.head_no == 1
    assert [s.text for s in row.base if s.changed] == ["nine"]
    assert [s.text for s in row.head if s.changed] == ["9"]
    assert "".join(s.text for s in row.head) == "Tokyo is 9 hours ahead."


def test_insertions_deletions_and_folded_context() -> None:
    base = "\n".join(f"line {i}" for i in range(20))
    head = base.replace("line 10\n", "") + "\nline 20"
    rows = line_diff(base, head)
    kinds = [r.kind for r in rows]
    assert kinds.count("del") == 1 and kinds.count("ins") == 1
    assert [r.base_no for r in rows if r.kind == "del"] == [11]
    # long unchanged runs fold into one row each, with 3 lines kept beside each change
    skips = [r.skipped for r in rows if r.kind == "skip"]
    assert skips == [7, 3]
    assert sum(1 for r in rows if r.kind == "same") == 3 + 3 + 3


def test_control_characters_are_dropped_before_diffing() -> None:
    (row,) = line_diff("a\x1b[31mred", "b\x1b[31mred")
    assert "\x1b" not in "".join(s.text for s in (*row.base, *row.head))


def test_tool_sequences_align_by_name_with_insertions_deletions_and_changes() -> None:
    base = [_call("search", q="a"), _call("read", id=1), _call("write", id=1), _call("ping")]
    head = [_call("search", q="b"), _call("list"), _call("read", id=1), _call("delete")]
    rows = align_tools(base, head)
    assert [(r.kind, r.base and r.base.name, r.head and r.head.name) for r in rows] == [
        ("args", "search", "search"),
        ("added", None, "list"),
        ("same", "read", "read"),
        ("replaced", "write", "delete"),
        ("removed", "ping", None),
    ]


def test_tool_sequences_one_side_empty() -> None:
    rows = align_tools([], [_call("a"), _call("b")])
    assert [r.kind for r in rows] == ["added", "added"]
    assert align_tools([_call("a")], [_call("a")])[0].kind == "same"
