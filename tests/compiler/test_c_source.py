"""Hostile and broken input: each ends in one clear diagnostic, never a traceback."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.diagnostics import Diagnostics
from compiler.source import MAX_FILE_BYTES, load_yaml
from tests.compiler.conftest import BASE, compile_errors


def _one(path: Path) -> tuple[str, str, int, int]:
    errors = compile_errors(path)
    assert len(errors) == 1, [e.headline() for e in errors]
    e = errors[0]
    return e.code, e.message, e.line, e.col


pytestmark = pytest.mark.requirement("diagnostics:hostile-input")


def test_malformed_yaml(write: Callable[..., Path]) -> None:
    path = write("providers:\n  - name: p\n    type: [OPENAI\nagents: []\n")
    code, message, line, _ = _one(path)
    assert code == "yaml-syntax"
    assert "invalid YAML" in message
    assert line in (3, 4)


def test_tab_indentation_gets_a_hint(write: Callable[..., Path]) -> None:
    path = write("providers:\n\t- name: p\n")
    errors = compile_errors(path)
    assert errors[0].code == "yaml-syntax"
    assert errors[0].line == 2


def test_duplicate_keys(write: Callable[..., Path]) -> None:
    path = write(
        BASE
        + "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: a\n        prompt: b\n"
    )
    code, message, line, col = _one(path)
    assert code == "duplicate-key"
    assert "'prompt'" in message and "line 13" in message
    assert (line, col) == (14, 9)


def test_alias_bomb_is_refused_fast_and_small(write: Callable[..., Path]) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    path = write("\n".join(lines) + "\n")
    tracemalloc.start()
    code, message, _, _ = _one(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert code == "yaml-too-large"
    assert "alias bomb" in message
    assert peak < 50 * 1024 * 1024


def test_recursive_alias(write: Callable[..., Path]) -> None:
    path = write("a: &x\n  - *x\n")
    assert _one(path)[0] == "yaml-recursive"


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.seek(50 * 1024 * 1024)
        fh.write(b"\n")  # a sparse 50 MB file: nothing is read
    tracemalloc.start()
    code, message, _, _ = _one(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert code == "file-too-large"
    assert "50.0 MiB" in message
    assert peak < MAX_FILE_BYTES


def test_list_document(write: Callable[..., Path]) -> None:
    code, message, line, col = _one(write("- a\n- b\n"))
    assert code == "not-mapping"
    assert "a list" in message
    assert (line, col) == (1, 1)


def test_scalar_document(write: Callable[..., Path]) -> None:
    assert _one(write("just text\n"))[0] == "not-mapping"


def test_empty_file(write: Callable[..., Path]) -> None:
    assert _one(write("   \n"))[0] == "empty-file"


def test_missing_file(tmp_path: Path) -> None:
    code, message, _, _ = _one(tmp_path / "nope.yaml")
    assert code == "file-not-found"
    assert "nope.yaml" in message


def test_missing_test_file_is_reported_at_its_entry(write: Callable[..., Path]) -> None:
    path = write(BASE + "test_files:\n  - here.yaml\n  - missing.yaml\n")
    write("sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n", "here.yaml")
    code, message, line, col = _one(path)
    assert code == "file-not-found"
    assert "missing.yaml" in message
    assert (line, col) == (11, 5)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_bytes(bytes(range(256)) * 40)
    code, message, _, _ = _one(path)
    assert code == "not-text"


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    code, _, line, _ = _one(path)
    assert code == "not-text"
    assert line == 1


def test_deep_nesting(write: Callable[..., Path]) -> None:
    path = write("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert _one(path)[0] in ("yaml-too-deep", "yaml-syntax")


def test_brackets_in_quotes_block_scalars_and_comments_are_not_nesting(tmp_path: Path) -> None:
    """The bracket pre-scan counted every bracket character: 300 '[' in a quoted string were
    refused as nesting too deep."""
    deep = "[" * 300 + "{" * 300
    path = tmp_path / "s.yaml"
    path.write_text(
        f"a: \"{deep}\"\nb: '{deep}'\nc: |\n  {deep}\nd: plain{deep}\n# {deep}\n"
        f'e: [x, {{y: "{deep}"}}]\n',
        encoding="utf-8",
    )
    diags = Diagnostics()
    doc = load_yaml(path, "s.yaml", diags)
    assert not diags.items, [e.headline() for e in diags.items]
    assert doc is not None and doc.data["a"] == deep and doc.data["e"][1]["y"] == deep


def test_real_flow_nesting_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: " + '["[",' * 201 + "1" + "]" * 201 + "\n", encoding="utf-8")
    diags = Diagnostics()
    assert load_yaml(path, "s.yaml", diags) is None
    (error,) = diags.items
    assert error.code == "yaml-too-deep" and "201 deep" in error.message


def test_positions_of_keys_and_values(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a:\n  b: [1, {c: x}]\n<<: {d: 1}\n", encoding="utf-8")
    diags = Diagnostics()
    doc = load_yaml(path, "p.yaml", diags)
    assert doc is not None and not diags.items
    assert doc.data == {"a": {"b": [1, {"c": "x"}]}, "d": 1}
    span = doc.positions.span(("a", "b", 1, "c"))
    assert (span.line, span.col) == (2, 14)
    key = doc.positions.span(("a", "b"), key=True)
    assert (key.line, key.col) == (2, 3)


def test_unquoted_template_is_one_diagnostic(write: Callable[..., Path]) -> None:
    path = write(
        "providers:\n  - name: p\n    type: OPENAI\n    token: {{OPENAI_API_KEY}}\n    model: m\n"
        "agents:\n  - name: a\n    provider: p\n"
        "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"
    )
    code, message, line, col = _one(path)
    assert code == "unquoted-template"
    assert "{{OPENAI_API_KEY}}" in message
    assert (line, col) == (4, 12)


def test_both_parsers_give_the_same_plan_and_diagnostics(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ruamel.yaml import YAML

    import compiler.source as source
    from compiler import SuiteInvalid, compile_suite

    docs = Path(__file__).resolve().parent.parent / "fixtures"
    suite = docs / "docs" / "02-suite.yaml"
    mistakes = docs / "mistakes" / "many-mistakes.yaml"

    def run() -> tuple[str, list[str]]:
        plan = compile_suite(suite, seed=3, now="2026-01-01T00:00:00Z", env={})
        with pytest.raises(SuiteInvalid) as info:
            compile_suite(mistakes, seed=3, now="2026-01-01T00:00:00Z", env={})
        return plan.dumps(), [d.headline() for d in info.value.diagnostics]

    fast = run()
    monkeypatch.setattr(source, "_compose", lambda text: YAML(typ="safe", pure=True).compose(text))
    assert run() == fast


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("true", True),
        ("~", None),
        ("0x1F", 31),
        ("0o17", 15),
        ("1e3", 1000.0),
        ("2024-01-15", "2024-01-15"),
        ("010", 10),
        (".inf", float("inf")),
        ("1_000", "1_000"),
    ],
)
def test_plain_scalars_follow_yaml_1_2(text: str, value: object) -> None:
    from compiler.source import resolve_plain

    assert resolve_plain(text) == value


def _compile_in_subprocess(path: Path, tmp_path: Path) -> str:
    """`bench compile PATH` in its own process: a hang must fail the test, not stall CI."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "bench", "compile", str(path), "--check"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr + done.stdout


@pytest.mark.parametrize("kind", ["fifo", "fifo-link", "device", "directory"])
def test_a_suite_path_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    import os

    path = tmp_path / "suite.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "fifo-link":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    out = _compile_in_subprocess(path, tmp_path)
    assert "not a regular file" in out or "is a directory" in out


def test_a_test_file_that_is_a_fifo_is_refused_at_its_entry(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    import os

    path = write(BASE + "test_files:\n  - pipe.yaml\n")
    os.mkfifo(path.parent / "pipe.yaml")
    out = _compile_in_subprocess(path, tmp_path)
    assert "pipe.yaml" in out and "not a regular file" in out


@pytest.mark.parametrize("parser", ["libyaml", "ruamel"])
def test_flow_depth_counts_tokens_with_either_parser(
    parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import compiler.source as source

    if parser == "ruamel":
        monkeypatch.setattr(source, "_LIBYAML", None)
    text = 'a: "' + "[" * 300 + '"\nb: ' + "[" * 250 + "]" * 250 + "\n"
    assert source._flow_depth(text) == 250
