"""Rendering at a place in a suite: the template engine's problems become located diagnostics.

Also the run-time variable proof's error message: when a name is undefined here but a later
extractor of the same session binds it, the diagnostic names both places.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from runtime.plan import RuntimeTemplate, SecretRef, Span

from ..diagnostics import Diagnostics
from .problem import TemplateProblem

if TYPE_CHECKING:
    from .engine import TemplateEngine

__all__ = ["Renderer"]


class Renderer:
    """Renders suite text through the engine and reports problems at the text's span."""

    def __init__(self, engine: TemplateEngine, diags: Diagnostics) -> None:
        self.engine = engine
        self.diags = diags

    def _locate(self, span: Span, text: str, offset: int | None) -> Span:
        """Move the span to ``offset`` inside a one-line scalar when the source shows it."""
        if offset is None or "\n" in text or offset > len(text):
            return span
        source = self.diags.sources.get(span.file)
        if source is None:
            return span
        lines = source.splitlines()
        if not 0 < span.line <= len(lines):
            return span
        line = lines[span.line - 1]
        start = span.col - 1
        quoted = line[start : start + 1] in ("'", '"')
        body = line[start + 1 if quoted else start :]
        if not body.startswith(text[: min(offset, 20)]):
            return span  # escapes or folding changed the text; keep the value's start
        return Span(file=span.file, line=span.line, col=span.col + (1 if quoted else 0) + offset)

    def report(
        self,
        problem: TemplateProblem,
        text: str,
        span: Span,
        later: Mapping[str, Span] | None = None,
    ) -> None:
        """Add a diagnostic for ``problem`` (and each it carries) found rendering ``text`` at ``span``."""
        for each in problem.every():
            self._report_one(each, text, span, later)

    def _report_one(
        self,
        problem: TemplateProblem,
        text: str,
        span: Span,
        later: Mapping[str, Span] | None,
    ) -> None:
        where = self._locate(span, text, problem.offset)
        name = problem.undefined
        if name is not None and later and name in later:
            self.diags.add(
                "runtime-var-order",
                f"'{name}' is extracted at {later[name]}, after this use; move the test or the extractor",
                where,
                hint="a variable bound by an extractor can be used by later tests of the same session "
                "(and by the assertions of the test that extracts it)",
            )
            return
        code = "undefined-variable" if name is not None else "template"
        text_l = problem.message.lower()
        if problem.code is not None:
            code = problem.code
        elif "secret" in text_l:
            code = "secret-in-template"
        elif "sandbox" in text_l:
            code = "template-sandbox"
        self.diags.add(code, problem.message, where, hint=problem.hint)

    def render(
        self,
        text: str,
        context: Mapping[str, str],
        span: Span,
        *,
        runtime_vars: Collection[str] = (),
        later: Mapping[str, Span] | None = None,
    ) -> str | RuntimeTemplate | None:
        """The rendered text (a RuntimeTemplate when it reads run-time variables); None on a problem."""
        try:
            return self.engine.render(text, context, runtime_vars=runtime_vars)
        except TemplateProblem as problem:
            self.report(problem, text, span, later)
            return None

    def render_static(self, text: str, context: Mapping[str, str], span: Span) -> str | None:
        """Render text that must be complete at compile time (names, urls, commands)."""
        out = self.render(text, context, span)
        if isinstance(out, RuntimeTemplate):  # pragma: no cover - no runtime vars were offered
            return None
        return out

    def credential(
        self,
        text: str,
        context: Mapping[str, str],
        span: Span,
        *,
        what: str,
        literal_ok: bool = False,
    ) -> SecretRef | str | None:
        """A credential: env references become a SecretRef; a literal is an error unless allowed."""
        try:
            value = self.engine.render_credential(text, context)
        except TemplateProblem as problem:
            self.report(problem, text, span)
            return None
        if isinstance(value, str) and not literal_ok and value.strip():
            self.diags.add(
                "literal-secret",
                f"{what} is a literal value; secrets must come from the environment",
                span,
                hint='write an environment reference, e.g. "{{OPENAI_API_KEY}}", and export the variable',
            )
            return None
        return value
