"""Every seed requirement has a test, and every test's requirement id exists."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.requirements import all_requirements

TESTS = Path(__file__).resolve().parent


def _marked_ids() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "requirement"
            ):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.setdefault(arg.value, []).append(path.name)
    return found


def test_every_requirement_has_a_test() -> None:
    missing = sorted(set(all_requirements()) - set(_marked_ids()))
    assert not missing, f"requirements without a test: {missing}"


def test_every_marked_id_is_a_requirement() -> None:
    unknown = {k: v for k, v in _marked_ids().items() if k not in all_requirements()}
    assert not unknown, f"tests name unknown requirement ids: {unknown}"
