"""TemplateProblem: what the template engine reports instead of raising a traceback.

It is a plain exception, not a ``BenchError``: the compiler catches it at the field it was
rendering and turns it into a located diagnostic (``file:line:col``). One field can have
several problems (two undefined names): the first carries the others in ``also``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["TemplateProblem"]


class TemplateProblem(Exception):
    """A template that cannot be compiled or rendered, with an optional fix."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        undefined: str | None = None,
        offset: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        """What is wrong, quoting the offending ``{{ ... }}`` where there is one."""
        self.hint = hint
        """How to fix it (often ``did you mean 'x'?``), or None."""
        self.undefined = undefined
        """The name that was undefined (variable, helper or faker key), if that was the problem."""
        self.offset = offset
        """Character offset of the offending part inside the template text, when known."""
        self.code = code
        """The diagnostic code when the kind of problem fixes it (``template-budget``), else None."""
        self.also: list[TemplateProblem] = []
        """More problems of the same text, each reported on its own."""

    @classmethod
    def group(cls, problems: Sequence[TemplateProblem]) -> TemplateProblem:
        """One problem to raise for all of ``problems`` (the first, carrying the rest)."""
        flat: list[TemplateProblem] = []
        seen: set[str] = set()
        for each in (e for problem in problems for e in problem.every()):
            if each.undefined is not None:
                if each.undefined in seen:
                    continue  # one report per undefined name, at its first use
                seen.add(each.undefined)
            flat.append(each)
        first = flat[0]
        first.also = flat[1:]
        return first

    def every(self) -> list[TemplateProblem]:
        """This problem and the ones it carries."""
        return [self, *self.also]

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"

    def __repr__(self) -> str:
        return (
            f"TemplateProblem({self.message!r}, hint={self.hint!r}, undefined={self.undefined!r})"
        )

    def at(self, offset: int) -> TemplateProblem:
        """This problem located at ``offset`` unless it already has a location."""
        if self.offset is None:
            self.offset = offset
        return self
