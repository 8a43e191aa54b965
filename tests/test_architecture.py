"""Architecture rules that must not erode: import direction and the shape of the plan."""

from __future__ import annotations

import ast
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import runtime.plan as plan_pkg
from runtime.plan.base import Frozen

ROOT = Path(__file__).resolve().parent.parent

# package -> packages it may import from this project
ALLOWED = {
    "runtime": {"runtime"},
    "compiler": {"compiler", "runtime"},
    "report": {"report", "runtime", "templates"},
    "bench": {"bench", "compiler", "runtime", "report", "templates"},
}
PROJECT = set(ALLOWED) | {"templates"}

# Which runtime modules the compiler and the reports may reach (STYLE practice 8): the plan
# contract and a few leaf modules, never the machinery (providers, servers, the loop, the store).
RUNTIME_SURFACE = {
    # runtime.sanitize: secret-looking names are one rule for compile-time refusal and redaction.
    # runtime.regex: a suite regex compiles at compile time exactly as the run compiles it.
    "compiler": {
        "runtime.plan",
        "runtime.templating",
        "runtime.errors",
        "runtime.jsonpath",
        "runtime.regex",
        "runtime.sanitize",
    },
    # runtime.criteria: the one rule for criteria_met, shared by the exit code and the report.
    # runtime.load: the load result document (runtime/load/result.py) that report/ renders.
    "report": {
        "runtime.load",
        "runtime.plan",
        "runtime.results",
        "runtime.transcript",
        "runtime.errors",
        "runtime.criteria",
        "runtime.sanitize",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = (_imports(path) & PROJECT) - ALLOWED[package]
        if wrong:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert not bad, "\n".join(bad)


def _runtime_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found.update(".".join(n.split(".")[:2]) for n in names if n.split(".")[0] == "runtime")
    return found


@pytest.mark.parametrize("package", sorted(RUNTIME_SURFACE))
def test_compiler_and_reports_reach_only_the_runtime_surface(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = _runtime_modules(path) - RUNTIME_SURFACE[package]
        if wrong:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert not bad, "\n".join(bad)


def _plan_models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    stack: list[type] = [cls for cls in vars(plan_pkg).values() if isinstance(cls, type)]
    for mod in ("agents", "assertions", "cases", "extractors", "providers", "servers"):
        stack += [c for c in vars(getattr(plan_pkg, mod)).values() if isinstance(c, type)]
    for cls in stack:
        if issubclass(cls, BaseModel) and cls.__module__.startswith("runtime.plan"):
            seen[cls.__qualname__] = cls
    return list(seen.values())


def test_every_plan_model_is_frozen_and_forbids_extras() -> None:
    models = _plan_models()
    assert len(models) > 30
    for cls in models:
        assert issubclass(cls, Frozen), cls
        assert cls.model_config.get("frozen") is True, cls
        assert cls.model_config.get("extra") == "forbid", cls


def test_every_union_member_is_tagged_with_type() -> None:
    for alias in (
        plan_pkg.ProviderSpec,
        plan_pkg.ServerSpec,
        plan_pkg.AgentSpec,
        plan_pkg.Assertion,
    ):
        union, *meta = typing.get_args(alias)
        assert any(getattr(m, "discriminator", None) == "type" for m in meta)
        for member in typing.get_args(union):
            field = member.model_fields["type"]
            assert typing.get_origin(field.annotation) is typing.Literal, member


def test_importing_runtime_loads_no_provider_sdk() -> None:
    code = (
        "import sys, runtime, runtime.plan, runtime.results, runtime.templating;"
        "bad=[m for m in ('openai','anthropic','google.genai','compiler','report') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
