"""Compile-time rendering of suite templates in the shared sandbox (``TemplateEngine``).

One engine per compile: it owns the seeded helpers, the frozen clock and a view of the
environment. The compiler calls it for every templated field:

- ``render`` for ordinary fields (prompts, values, commands): names resolve, helpers run,
  non-secret environment variables expand; a secret-looking environment variable is refused;
  names bound only at run time (extractor outputs) leave a ``RuntimeTemplate``.
- ``render_credential`` for credential fields (tokens, secrets, headers): environment
  references become a ``SecretRef`` placeholder, never a value.
- ``resolve_variables`` for a file's ``variables:`` block, in dependency order.

Precedence of names (later wins), as in agent-benchmark: environment < TEST_DIR, TEMP_DIR,
RUN_ID < user variables < AGENT_NAME, SESSION_NAME, PROVIDER_NAME, SKILL_DIR < extracted
(run-time) variables; helpers win over every same-named variable. The caller layers the
``context`` mappings; the environment is the engine's own fallback, so it must not be merged
into ``context``.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections import ChainMap
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Any, TypeVar

from jinja2 import TemplateError, meta

from runtime.plan import RuntimeTemplate, SecretRef
from runtime.templating import (
    TemplateBudgetError,
    TemplateLimits,
    jinja_name,
    make_environment,
    variable_name,
)

from ..secret_names import SecretAlias, looks_secret
from ..suggest import did_you_mean
from .errors import as_problem, budget_problem, fresh_copy
from .handlebars import subtraction_hint
from .helpers import HELPERS, Helpers
from .problem import TemplateProblem
from .sandbox import harden
from .segments import Block, Expr, Segment, Text, jinja_literal, jinja_string
from .splitter import split
from .variable_order import dependency_order

__all__ = ["SecretAlias", "TemplateEngine", "TemplateProblem", "looks_secret"]

_SECRET_HINT = "reference secrets only in credential fields: token, secret, headers, ..."
_QUICK_MARKERS = ("{{", "${", "{%", "{#")
# Jinja globals the runtime's environment also has; lipsum is left out because it draws
# from the global random module, which would make a plan depend on more than its seed.
_RUNTIME_GLOBALS = frozenset({"range", "dict", "namespace", "cycler", "joiner"})
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_CACHE_LIMIT = 200_000  # distinct template texts kept parsed; more means a generated suite
_T = TypeVar("_T", str, int)


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: a cheap cache key
class _Parsed:
    segments: tuple[Segment, ...]
    names: frozenset[str]
    """Free variable names (helpers and Jinja globals excluded)."""
    source: str | None = None
    """Whole-template Jinja source when the text has blocks; None for expression-only text."""
    problem: TemplateProblem | None = None


_Shape = tuple[tuple[bool, ...], tuple[str, ...], tuple[str, ...], TemplateProblem | None]
"""Per (text, run-time names): kept expressions, names to bind, run-time variables, problem."""


class TemplateEngine:
    """Renders suite templates deterministically from one seed and one frozen clock."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        env: Mapping[str, str],
        limits: TemplateLimits | None = None,
    ) -> None:
        self.seed = seed
        """The seed every random value comes from."""
        self.limits = limits or TemplateLimits()
        """The resource budget of this compile's templates (``runtime.template_budget``)."""
        self._env = dict(env)
        self._helpers = Helpers(seed=seed, now=now, max_chars=self.limits.value_chars)
        self._functions = self._helpers.functions()
        self._jinja = harden(make_environment(self._functions, limits=self.limits), self._helpers)
        self._meter = self._jinja.meter
        self._runtime_env = make_environment()
        self._reserved = frozenset(self._jinja.globals)
        self._parsed: dict[str, _Parsed] = {}
        self._compiled: dict[str, Any] = {}
        self._shapes: dict[tuple[_Parsed, frozenset[str]], _Shape] = {}

    # -- public interface ---------------------------------------------------------------

    @property
    def clock_read(self) -> bool:
        """Whether a template read the frozen clock (then the plan records it)."""
        return self._helpers.clock_read

    def make_run_id(self) -> str:
        """A UUIDv4 for RUN_ID derived from the seed (its own stream: other values don't shift)."""
        return str(uuid.UUID(int=Random(f"bench-run-id:{self.seed}").getrandbits(128), version=4))

    def static_context(self, *, test_dir: str, run_id: str) -> dict[str, str]:
        """TEST_DIR, TEMP_DIR and RUN_ID (``run_id`` empty -> ``make_run_id()``)."""
        return {
            "TEST_DIR": test_dir,
            "TEMP_DIR": tempfile.gettempdir(),
            "RUN_ID": run_id or self.make_run_id(),
        }

    def referenced_names(self, text: str) -> set[str]:
        """Variable names ``text`` reads (helpers excluded); empty if it does not parse."""
        if not _has_markers(text):
            return set()
        return set(self._parse(text).names)

    def render(
        self,
        text: str,
        context: Mapping[str, str],
        *,
        runtime_vars: Collection[str] = (),
    ) -> str | RuntimeTemplate:
        """Render ``text`` now, or leave a RuntimeTemplate if it reads a name in ``runtime_vars``.

        Raises TemplateProblem for undefined names, unknown helpers, sandbox violations and
        secret-looking environment variables.
        """
        if not _has_markers(text):
            return text
        parsed = self._parse(text)
        if parsed.problem is not None:
            raise fresh_copy(parsed.problem)
        if runtime_vars and not parsed.names.isdisjoint(runtime_vars):
            kept = self._runtime(parsed, context, frozenset(runtime_vars))
            self._count(len(kept.source), text)
            return kept
        if parsed.source is not None:
            return self._count(self._render_whole(parsed, context), text)
        return self._count(self._join(parsed, context, text), text)

    def render_credential(self, text: str, context: Mapping[str, str]) -> SecretRef | str:
        """Render a credential field: environment references become ``${NAME}`` placeholders.

        ``"Bearer {{API_TOKEN}}"`` -> ``SecretRef(template="Bearer ${API_TOKEN}")``; helpers
        and user variables in the same field render normally. No value is ever read from the
        environment here.
        """
        return self._render_secretive(text, context, every_env=True)

    def resolve_variables(
        self, raw: Mapping[str, str], context: Mapping[str, str]
    ) -> tuple[dict[str, str], list[tuple[str, TemplateProblem]]]:
        """Render user ``variables`` in dependency order against ``context``.

        A variable may use helpers, ``context`` names and other variables; a reference to its
        own name reads the layer below (``PATH: "{{PATH}}:/opt/bin"``). A cycle is reported
        once, naming it (``a -> b -> a``). Variables that fail, and those depending on them,
        map to ``""`` so their uses do not cascade into more errors: the problem list is
        authoritative. A variable reading a secret-looking environment variable becomes a
        ``SecretAlias`` (usable in credential fields only).
        """
        texts = {name: str(value) for name, value in raw.items()}
        index = {name: i for i, name in enumerate(texts)}
        # Declaration order, not set order: the order of rendering decides which random
        # value each variable draws, so it must not depend on string hashing.
        deps = {
            name: sorted(self.referenced_names(t) & index.keys() - {name}, key=index.__getitem__)
            for name, t in texts.items()
        }
        base = dict(context)
        order, cycles = dependency_order(deps)
        problems: list[tuple[str, TemplateProblem]] = []
        failed: set[str] = set()
        for cycle in cycles:
            problems.append(
                (
                    cycle[0],
                    TemplateProblem(
                        "variables refer to each other in a cycle: " + " -> ".join(cycle),
                        hint="give one of them a value that does not use the others",
                    ),
                )
            )
            failed.update(cycle)
        resolved: dict[str, str] = {}
        for name in order:
            if name in failed or any(d in failed for d in deps[name]):
                failed.add(name)
                resolved[name] = ""
                continue
            try:
                value = self._render_secretive(
                    texts[name], ChainMap(resolved, base), every_env=False
                )
            except TemplateProblem as exc:
                problems.append((name, exc))
                failed.add(name)
                resolved[name] = ""
                continue
            resolved[name] = SecretAlias(value) if isinstance(value, SecretRef) else value
        return {name: resolved[name] for name in texts}, problems

    # -- the budget -----------------------------------------------------------------------

    def _count(self, value: _T, text: str) -> _T:
        """``value`` (a rendered str, or its size) counted against the compile's budget."""
        try:
            self._meter.add_output(value if isinstance(value, int) else len(value))
        except TemplateBudgetError as exc:
            raise budget_problem(f"'{_clip(text)}' was stopped: {exc.message}", exc.hint) from None
        return value

    def _grow(self, size: int, piece: str, text: str) -> int:
        """``size`` plus ``piece``, refused before joining pieces longer than one value may be."""
        size += len(piece)
        if size > self.limits.value_chars:
            self._count(size, text)
        return size

    def _join(self, parsed: _Parsed, context: Mapping[str, str], text: str) -> str:
        """The segments of expression-only text rendered and joined, within one value's size."""
        out: list[str] = []
        size = 0
        for seg in parsed.segments:
            if isinstance(seg, Text):
                piece = seg.text
            elif isinstance(seg, Expr):
                piece = self._eval(seg, context)
            else:  # pragma: no cover - text with blocks renders whole
                continue
            size = self._grow(size, piece, text)
            out.append(piece)
        return "".join(out)

    def _run(self, template: Any, values: Mapping[str, Any]) -> str:
        """Render a compiled Jinja template within the per-template budget."""
        meter = self._meter
        meter.start()
        try:
            return str(template.render(values))
        finally:
            meter.stop()

    # -- parsing --------------------------------------------------------------------------

    def _parse(self, text: str) -> _Parsed:
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parse_uncached(text)
            if len(self._parsed) < _CACHE_LIMIT:
                self._parsed[text] = parsed
        return parsed

    def _parse_uncached(self, text: str) -> _Parsed:
        try:
            segments = tuple(split(text))
        except TemplateProblem as exc:
            return _Parsed((), frozenset(), None, exc)
        except RecursionError as exc:  # a deep nest of parentheses or brackets
            return _Parsed((), frozenset(), None, self._problem(exc, _clip(text), 0))
        if not any(isinstance(s, Block) for s in segments):
            names: set[str] = set()
            for seg in segments:
                if isinstance(seg, Expr):
                    names |= seg.names
            return _Parsed(segments, frozenset(names - self._reserved))
        source = "".join(_piece(seg) for seg in segments)
        try:
            tree = self._jinja.parse(source)
            self._template(source)
        except (TemplateError, RecursionError, MemoryError) as exc:
            return _Parsed((), frozenset(), None, self._problem(exc, text, 0))
        free = _variable_names(meta.find_undeclared_variables(tree)) - self._reserved
        return _Parsed(segments, free, source)

    def _template(self, source: str) -> Any:
        template = self._compiled.get(source)
        if template is None:
            template = self._jinja.from_string(source)
            if len(self._compiled) < _CACHE_LIMIT:
                self._compiled[source] = template
        return template

    # -- name resolution ------------------------------------------------------------------

    def _lookup(
        self, name: str, context: Mapping[str, str], seg_text: str, extra: Collection[str] = ()
    ) -> Any:
        """The value of ``name`` for an ordinary field: context, then non-secret environment."""
        if name in context:
            value = context[name]
            if isinstance(value, SecretAlias):
                raise TemplateProblem(
                    f"'{seg_text}' would put a secret into the plan (variable '{name}' reads {value.ref.env and ', '.join(value.ref.env)})",
                    hint=_SECRET_HINT,
                )
            return value
        if looks_secret(name):
            raise TemplateProblem(
                f"'{seg_text}' would put a secret into the plan", hint=_SECRET_HINT
            )
        if name in self._env:
            return self._env[name]
        raise self._undefined(name, context, seg_text, extra)

    def _undefined(
        self, name: str, context: Mapping[str, str], seg_text: str, extra: Collection[str] = ()
    ) -> TemplateProblem:
        choices = [*context, *self._env, *HELPERS, *extra]
        hint = did_you_mean(name, choices)
        if hint is None and "-" in name:
            hint = subtraction_hint(name)
        elif hint is None:
            # `{{ my-var | upper }}` is Jinja, which reads my - var: say so when it shows.
            whole = next((c for c in choices if "-" in c and _has_part(c, name, seg_text)), None)
            if whole is not None:
                hint = (
                    f"Jinja reads '{whole}' as '{whole.replace('-', ' - ')}'; write {{{{{whole}}}}} "
                    f"alone or as a helper argument, or copy it into a variable named without '-'"
                )
        return TemplateProblem(f"'{seg_text}': '{name}' is undefined", hint=hint, undefined=name)

    # -- evaluation -----------------------------------------------------------------------

    def _eval(self, seg: Expr, context: Mapping[str, str]) -> str:
        """One expression, rendered now; errors become TemplateProblem located at ``seg``."""
        try:
            if seg.bare is not None and seg.bare not in self._reserved:
                return str(self._lookup(seg.bare, context, seg.original))
            if seg.call is not None:
                call = seg.call
                args = [self._arg(a, context, seg) for a in call.args]
                kwargs = {k: self._arg(a, context, seg) for k, a in call.kwargs}
                return str(self._functions[call.helper](*args, **kwargs))
            values = {
                jinja_name(n): self._lookup(n, context, seg.original)
                for n in sorted(seg.names)  # sorted: the first undefined name is always the same
                if n not in self._reserved
            }
            return self._run(self._template("{{ " + seg.jinja + " }}"), values)
        except TemplateProblem as exc:
            raise self._locate(exc, seg, context) from None
        except Exception as exc:  # a template must never crash the compiler
            raise self._problem(exc, seg.original, seg.offset) from None

    def _arg(self, arg: tuple[bool, Any], context: Mapping[str, str], seg: Expr) -> Any:
        is_name, value = arg
        return self._lookup(value, context, seg.original) if is_name else value

    def _locate(
        self, exc: TemplateProblem, seg: Expr, context: Mapping[str, str]
    ) -> TemplateProblem:
        name = exc.undefined
        if name is not None and name in seg.arg_names:
            if exc.hint is None or exc.hint == subtraction_hint(name):
                exc.hint = f"to pass the text itself, quote it: '{name}'"
        if seg.original not in exc.message:
            exc.message = f"{seg.original}: {exc.message}"
        return exc.at(seg.offset)

    def _render_whole(self, parsed: _Parsed, context: Mapping[str, str]) -> str:
        assert parsed.source is not None
        text = "".join(s.original for s in parsed.segments if not isinstance(s, Text))
        values = {jinja_name(n): self._lookup(n, context, text) for n in sorted(parsed.names)}
        try:
            return self._run(self._template(parsed.source), values)
        except TemplateProblem:
            raise
        except Exception as exc:  # a template must never crash the compiler
            raise self._problem(exc, text, 0) from None

    def _render_secretive(
        self, text: str, context: Mapping[str, str], *, every_env: bool
    ) -> SecretRef | str:
        """Render with environment references kept as ``${NAME}`` placeholders.

        ``every_env``: every environment reference (credential fields); otherwise only
        secret-looking ones (variables), the others expand.
        """
        if not _has_markers(text):
            return text
        parsed = self._parse(text)
        if parsed.problem is not None:
            raise fresh_copy(parsed.problem)

        def is_secret(name: str) -> bool:
            if name in context:
                return isinstance(context[name], SecretAlias)
            return every_env or looks_secret(name)

        if parsed.source is not None:
            secret = sorted(n for n in parsed.names if is_secret(n))
            if secret:
                raise TemplateProblem(
                    f"the secret '{secret[0]}' cannot be used inside {{% %}} blocks",
                    hint="write it whole, as {{" + secret[0] + "}} or ${" + secret[0] + "}",
                )
            return self._count(self._render_whole(parsed, context), text)
        pieces: list[str] = []
        literal: list[str] = []  # parts that must not look like placeholders
        has_secret = False
        size = 0
        for seg in parsed.segments:
            if isinstance(seg, Text):
                pieces.append(seg.text)
                literal.append(seg.text)
                continue
            assert isinstance(seg, Expr)
            name = seg.bare
            if name is not None and name not in self._reserved and is_secret(name):
                value = context.get(name)
                if "-" in name and not isinstance(value, SecretAlias):
                    raise TemplateProblem(
                        f"'{seg.original}': '{name}' is not a variable, and an environment "
                        "variable read as a secret needs a name without '-'",
                        hint=did_you_mean(name, [*context, *self._env]),
                        undefined=name,
                        offset=seg.offset,
                    )
                pieces.append(
                    value.ref.template if isinstance(value, SecretAlias) else "${" + name + "}"
                )
                has_secret = True
                continue
            hidden = sorted(n for n in seg.names - self._reserved if is_secret(n))
            if hidden:
                raise TemplateProblem(
                    f"'{seg.original}': the secret '{hidden[0]}' can only be used whole",
                    hint="write it as {{"
                    + hidden[0]
                    + "}} or ${"
                    + hidden[0]
                    + "}; secrets are never read at compile time",
                    offset=seg.offset,
                )
            rendered = self._eval(seg, context)
            size = self._grow(size, rendered, text)
            pieces.append(rendered)
            literal.append(rendered)
        if not has_secret:
            return self._count("".join(pieces), text)
        for part in literal:
            if _PLACEHOLDER.search(part):
                raise TemplateProblem(
                    f"{part!r} contains '${{...}}', which a secret reference would read as a placeholder",
                    hint="keep '${NAME}' text out of fields that reference secrets",
                )
        return SecretRef(template=self._count("".join(pieces), text))

    def _runtime(
        self, parsed: _Parsed, context: Mapping[str, str], runtime: frozenset[str]
    ) -> RuntimeTemplate:
        """Substitute every compile-time part; keep what reads run-time variables as Jinja."""
        key = (parsed, runtime)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._runtime_shape(parsed, runtime)
            if len(self._shapes) < _CACHE_LIMIT:
                self._shapes[key] = shape
        kept, bound, variables, problem = shape
        if problem is not None:
            raise fresh_copy(problem)
        text = "".join(s.original for s in parsed.segments if not isinstance(s, Text))
        pieces = [
            "{% set "
            + jinja_name(name)
            + " = "
            + jinja_string(str(self._lookup(name, context, text, runtime)))
            + " %}"
            for name in bound
        ]
        for seg, keep in zip(parsed.segments, kept, strict=True):
            if isinstance(seg, Text):
                pieces.append(jinja_literal(seg.text))
            elif isinstance(seg, Block):
                pieces.append("{% " + seg.body + " %}")
            elif keep:
                pieces.append("{{ " + seg.jinja + " }}")
            else:
                pieces.append(jinja_literal(self._eval(seg, context)))
        return RuntimeTemplate(source="".join(pieces), variables=variables)

    def _runtime_shape(self, parsed: _Parsed, runtime: frozenset[str]) -> _Shape:
        """Which expressions stay for run time, and which compile-time names they need bound.

        Depends only on the text and the run-time names, so it is computed once per pair.
        """
        kept: list[bool] = []
        skeleton: list[str] = []
        for seg in parsed.segments:
            if isinstance(seg, Expr):
                free = seg.names - self._reserved
                local = free - parsed.names  # bound by a {% for %} or {% set %} around it
                keep = bool(local) or not free.isdisjoint(runtime)
                kept.append(keep)
                if keep:
                    skeleton.append("{{ " + seg.jinja + " }}")
            else:
                kept.append(False)
                if isinstance(seg, Block):
                    skeleton.append("{% " + seg.body + " %}")
        if parsed.source is None:
            free_names = frozenset().union(
                *(
                    s.names
                    for s, k in zip(parsed.segments, kept, strict=True)
                    if k and isinstance(s, Expr)
                )
            )
        else:
            # Blocks bind names ({% for x %}, {% set %}); only Jinja knows what stays free.
            try:
                tree = self._runtime_env.parse("".join(skeleton))
                free_names = _variable_names(meta.find_undeclared_variables(tree))
            except TemplateError as exc:  # pragma: no cover - built from parsed pieces
                return tuple(kept), (), (), self._problem(exc, "".join(skeleton), 0)
        variables = tuple(sorted(free_names & runtime))
        bound = tuple(sorted(free_names - runtime - _RUNTIME_GLOBALS))
        for name in bound:
            if name in self._reserved or name == "lipsum":
                problem = TemplateProblem(
                    f"'{name}' runs at compile time, so it cannot be combined with the run-time "
                    f"variable(s) {', '.join(variables)} in one expression",
                    hint="compute the compile-time part in a separate {{ ... }} or in a variable",
                )
                return tuple(kept), (), variables, problem
        return tuple(kept), bound, variables, None

    # -- errors ---------------------------------------------------------------------------

    def _problem(self, exc: BaseException, original: str, offset: int) -> TemplateProblem:
        """Translate a Jinja (or any) exception into a TemplateProblem for ``original``."""
        return as_problem(
            exc, original, offset, filters=self._jinja.filters, tests=self._jinja.tests
        )


def _variable_names(identifiers: Collection[str]) -> frozenset[str]:
    """Names Jinja found, with encoded hyphenated names (``_hb_my_hvar``) decoded."""
    return frozenset(variable_name(n) for n in identifiers)


def _has_part(whole: str, part: str, text: str) -> bool:
    """True when hyphenated ``whole`` is written in ``text`` and ``part`` is one of its pieces."""
    return part in whole.split("-") and whole in text


def _clip(text: str) -> str:
    """``text`` short enough to quote in a message."""
    return text if len(text) <= 80 else text[:77] + "..."


def _has_markers(text: str) -> bool:
    # The hot path: most suite strings are plain text.
    return "{" in text and any(m in text for m in _QUICK_MARKERS)


def _piece(seg: Segment) -> str:
    if isinstance(seg, Text):
        return jinja_literal(seg.text)
    if isinstance(seg, Expr):
        return "{{ " + seg.jinja + " }}"
    return "{% " + seg.body + " %}"
