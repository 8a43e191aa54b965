"""Helpers for compiler tests: write a suite, compile it, collect diagnostics."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import Diagnostic, SuiteInvalid, compile_suite
from runtime.plan import Plan

NOW = "2026-11-01T12:00:00Z"

BASE = """\
providers:
  - name: p
    type: SCRIPTED
    replies:
      - text: done
agents:
  - name: a
    provider: p
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to a file under tmp_path and return its path."""

    def _write(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


def compile_ok(path: Path, **kwargs: object) -> Plan:
    """Compile with a fixed seed and clock unless given; fail the test with the diagnostics."""
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("env", {})
    try:
        return compile_suite(path, **kwargs)  # type: ignore[arg-type]
    except SuiteInvalid as exc:
        pytest.fail(f"expected {path} to compile:\n{exc}")


def compile_errors(path: Path, **kwargs: object) -> list[Diagnostic]:
    """Compile expecting SuiteInvalid; return its error diagnostics."""
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("env", {})
    with pytest.raises(SuiteInvalid) as info:
        compile_suite(path, **kwargs)  # type: ignore[arg-type]
    assert info.value.exit_code == 2
    return list(info.value.errors)
