"""Name resolution for compile-time templates: a name's value, or every problem with the names.

A field's names resolve against its ``context`` (suite variables, TEST_DIR, AGENT_NAME, ...),
then the non-secret environment. A name that resolves nowhere is a problem with a did-you-mean
drawn first from the names defined where it is used (the context, names the template binds
itself such as loop variables, run-time variables), then from the environment and helpers.
``values`` resolves all the names of a template and reports every undefined one, not the first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from runtime.templating import jinja_name

from ..secret_names import SecretAlias, looks_secret
from ..suggest import did_you_mean
from .handlebars import subtraction_hint
from .helpers import HELPERS
from .problem import TemplateProblem

__all__ = ["SECRET_HINT", "NameResolver"]

SECRET_HINT = "reference secrets only in credential fields: token, secret, headers, ..."


class NameResolver:
    """Looks names up for ordinary fields: context first, then the non-secret environment."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        """The environment templates may read (secret-looking names are refused)."""

    def lookup(
        self, name: str, context: Mapping[str, str], seg_text: str, extra: Collection[str] = ()
    ) -> Any:
        """The value of ``name``; ``extra`` are more names defined there (for the did-you-mean)."""
        if name in context:
            value = context[name]
            if isinstance(value, SecretAlias):
                reads = value.ref.env and ", ".join(value.ref.env)
                raise TemplateProblem(
                    f"'{seg_text}' would put a secret into the plan (variable '{name}' reads {reads})",
                    hint=SECRET_HINT,
                )
            return value
        if looks_secret(name):
            raise TemplateProblem(
                f"'{seg_text}' would put a secret into the plan", hint=SECRET_HINT
            )
        if name in self.env:
            return self.env[name]
        raise self.undefined(name, context, seg_text, extra)

    def values(
        self,
        names: Iterable[str],
        context: Mapping[str, str],
        text: str,
        extra: Collection[str] = (),
    ) -> dict[str, Any]:
        """Every name's value under its Jinja identifier; raises every problem at once."""
        values: dict[str, Any] = {}
        problems: list[TemplateProblem] = []
        for name in sorted(names):  # sorted: problems come in the same order on every run
            try:
                values[jinja_name(name)] = self.lookup(name, context, text, extra)
            except TemplateProblem as exc:
                problems.append(exc)
        if problems:
            raise TemplateProblem.group(problems)
        return values

    def undefined(
        self, name: str, context: Mapping[str, str], seg_text: str, extra: Collection[str] = ()
    ) -> TemplateProblem:
        """The problem for undefined ``name``, with the closest defined name as a hint."""
        # The names defined where it is used come first: a variable beats an environment
        # variable or a helper of similar spelling.
        near = [*context, *extra]
        hint = did_you_mean(name, near) or did_you_mean(name, [*self.env, *HELPERS])
        if hint is None and "-" in name:
            hint = subtraction_hint(name)
        elif hint is None:
            # `{{ my-var | upper }}` is Jinja, which reads my - var: say so when it shows.
            choices = [*near, *self.env]
            whole = next((c for c in choices if "-" in c and _has_part(c, name, seg_text)), None)
            if whole is not None:
                hint = (
                    f"Jinja reads '{whole}' as '{whole.replace('-', ' - ')}'; write {{{{{whole}}}}} "
                    f"alone or as a helper argument, or copy it into a variable named without '-'"
                )
        return TemplateProblem(f"'{seg_text}': '{name}' is undefined", hint=hint, undefined=name)


def _has_part(whole: str, part: str, text: str) -> bool:
    """True when hyphenated ``whole`` is written in ``text`` and ``part`` is one of its pieces."""
    return part in whole.split("-") and whole in text
