"""Compile-time errors: the subtree of ``BenchError`` the compiler raises.

::

    BenchError                      (runtime/errors.py)
    └── InputError                  exit_code 2
        └── SuiteInvalid            a suite with one or more diagnostics (all of them, at once)

The compiler never raises on the first problem: passes append ``Diagnostic`` records to a
``Diagnostics`` sink, and ``compile_suite`` raises one ``SuiteInvalid`` at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from runtime.errors import InputError

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

__all__ = ["SuiteInvalid"]


class SuiteInvalid(InputError):
    """A suite failed to compile; ``diagnostics`` holds every problem found, in file order."""

    exit_code: ClassVar[int] = 2

    def __init__(
        self, diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None
    ) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        """Every problem, errors and warnings, sorted by file and position."""
        self.sources: dict[str, str] = dict(sources or {})
        """Text of each file read, keyed by display path, for source excerpts."""
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        lines = [d.format(self.sources.get(d.file)) for d in self.diagnostics]
        summary = f"suite is invalid: {errors} error(s)"
        super().__init__("\n".join([*lines, summary]))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")
