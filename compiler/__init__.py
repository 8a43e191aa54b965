"""The compiler: a YAML suite to a frozen, hashed execution plan.

``compile_suite(path)`` returns a sealed ``runtime.plan.Plan`` or raises ``SuiteInvalid``
carrying every diagnostic of the suite (exit code 2). Passes: read (``source``), validate
(``validate``), include (``includes``), check names (``checks``), render and lower providers,
servers and agents (``infra``), expand units and cases (``expand``), freeze (``freeze``).
"""

from __future__ import annotations

from .compile import Compilation as Compilation
from .compile import compile_suite as compile_suite
from .compile import compile_with_warnings as compile_with_warnings
from .diagnostics import Diagnostic as Diagnostic
from .errors import SuiteInvalid as SuiteInvalid
from .pawbench import ScenarioTarget as ScenarioTarget

__all__ = [
    "Compilation",
    "Diagnostic",
    "ScenarioTarget",
    "SuiteInvalid",
    "compile_suite",
    "compile_with_warnings",
]
