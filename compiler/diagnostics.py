"""Diagnostics: one record per problem, a sink that collects them, and their text forms.

A diagnostic prints as ``file:line:col: error[code]: message``, then the source line with a
caret under the column, then ``hint: ...`` when there is one (Jinja's TemplateSyntaxError
plus a column; click's did-you-mean).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.plan import Span

__all__ = ["Diagnostic", "Diagnostics", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a suite, at a 1-based file:line:col."""

    code: str
    """Stable kebab-case identifier of the kind of problem, e.g. ``unknown-key``."""
    message: str
    file: str
    line: int
    col: int
    hint: str | None = None
    """How to fix it, e.g. ``did you mean 'tool_called'?``."""
    severity: Severity = "error"

    @property
    def location(self) -> str:
        """``file:line:col``."""
        return f"{self.file}:{self.line}:{self.col}"

    def headline(self) -> str:
        """The first line: ``file:line:col: error[code]: message``."""
        return f"{self.location}: {self.severity}[{self.code}]: {self.message}"

    def excerpt(self, source: str | None) -> list[str]:
        """The offending source line and a caret under the column (empty without source)."""
        if source is None or self.line < 1:
            return []
        lines = source.splitlines()
        if self.line > len(lines):
            return []
        text = lines[self.line - 1].rstrip("\n")
        if len(text) > 200:  # keep excerpts readable for minified or huge lines
            text = text[:200] + "..."
        gutter = f"{self.line:>5} | "
        caret = " " * (len(gutter) - 2) + "| " + " " * max(self.col - 1, 0) + "^"
        return [gutter + text, caret]

    def format(self, source: str | None = None) -> str:
        """Headline, source excerpt and hint, one per line (plain text)."""
        parts = [self.headline(), *self.excerpt(source)]
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def github(self) -> str:
        """A GitHub Actions workflow command (``::error file=F,line=L,col=C::msg``)."""
        kind = "error" if self.severity == "error" else "warning"
        msg = f"[{self.code}] {self.message}" + (f" ({self.hint})" if self.hint else "")
        # Workflow commands end at a newline; %, CR and LF must be escaped in the message.
        msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        file = self.file.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::{kind} file={file},line={self.line},col={self.col}::{msg}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Diagnostics:
    """The sink every pass appends to; the compiler raises once, at the end, if it has errors."""

    items: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    """Text of every file read, keyed by display path (for excerpts)."""
    _seen: set[Diagnostic] = field(default_factory=set, init=False, repr=False)

    def add(
        self,
        code: str,
        message: str,
        span: Span,
        *,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        """Record a problem at ``span`` (duplicates of the same problem are dropped)."""
        diag = Diagnostic(code, message, span.file, span.line, span.col, hint, severity)
        if diag not in self._seen:  # the same test lowered for several agents reports once
            self._seen.add(diag)
            self.items.append(diag)

    def warn(self, code: str, message: str, span: Span, *, hint: str | None = None) -> None:
        """Record a warning (does not make the suite invalid)."""
        self.add(code, message, span, hint=hint, severity="warning")

    @property
    def has_errors(self) -> bool:
        """True when at least one diagnostic is an error."""
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Diagnostics in file order: by file (first read first), line, column."""
        order = {name: i for i, name in enumerate(self.sources)}
        return sorted(
            self.items, key=lambda d: (order.get(d.file, len(order)), d.file, d.line, d.col)
        )
