"""``bench compile`` and ``bench schema`` through the real CLI entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.cli import main
from tests.compiler.conftest import BASE

SUITE = (
    BASE
    + "settings: {max_iterations: 5}\nvariables: {w: '{{randomValue length=10}}'}\nsessions:\n  - name: s\n    tests:\n      - {name: t1, prompt: '{{w}}'}\n      - {name: t2, prompt: b}\n"
)


@pytest.fixture(autouse=True)
def _not_in_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.mark.requirement("cli:compile")
def test_compile_writes_plan_and_prints_summary(
    write: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = write(SUITE)
    out = tmp_path / "plan.json"
    assert (
        main(
            ["compile", str(suite), "-o", str(out), "--seed", "7", "--now", "2026-01-01T00:00:00Z"]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert (
        "2 cases (1 agents x 1 sessions, 1 units), 1 providers, 0 servers; at most 10 LLM calls"
        in text
    )
    assert f"wrote {out}" in text
    plan = json.loads(out.read_text(encoding="utf-8"))
    # The suite reads no clock, so the clock is not in the plan (same bytes at any time).
    assert plan["seed"] == 7 and "compiled_now" not in plan


@pytest.mark.requirement("determinism:seed")
def test_seed_7_twice_is_byte_identical_and_8_differs(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    suite = write(SUITE)
    outs = []
    for i, seed in enumerate(["7", "7", "8"]):
        out = tmp_path / f"p{i}.json"
        assert (
            main(
                [
                    "compile",
                    str(suite),
                    "-o",
                    str(out),
                    "--seed",
                    seed,
                    "--now",
                    "2026-01-01T00:00:00Z",
                ]
            )
            == 0
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[2] != outs[0]
    assert json.loads(outs[2])["hash"] != json.loads(outs[0])["hash"]


def test_check_writes_nothing(
    write: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.json"
    assert main(["compile", str(write(SUITE)), "--check", "-o", str(out)]) == 0
    assert not out.exists()
    assert "--check: nothing written" in capsys.readouterr().out


def test_json_diagnostics(write: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(SUITE.replace("prompt: b", "promt: b"))
    assert main(["compile", str(bad), "--diagnostics-format", "json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert [d["code"] for d in payload["diagnostics"]] == ["unknown-key"]


def test_github_format_is_picked_in_actions(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    bad = write(SUITE.replace("prompt: b", "promt: b"))
    assert main(["compile", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"::error file={bad},line=")


def test_bad_now_is_an_input_error(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", str(write(SUITE)), "--now", "yesterday"]) == 2
    assert "--now" in capsys.readouterr().err


def test_missing_suite_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(tmp_path / "none.yaml")]) == 2
    assert "file-not-found" in capsys.readouterr().err


@pytest.mark.requirement("cli:schema")
def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "sessions" in schema["properties"]
    assert "allowedTools" in json.dumps(schema) and "baseUrl" in json.dumps(schema)


def test_schema_to_an_unwritable_path_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-such-dir" / "schema.json"
    assert main(["schema", "-o", str(out)]) == 2
    assert f"cannot write {out}" in capsys.readouterr().err
