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
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from random import Random
from typing import Any, TypeVar

from jinja2 import TemplateError, meta, nodes

from runtime.plan import RuntimeTemplate, SecretRef
from runtime.templating import (
    TemplateBudgetError,
    TemplateLimits,
    jinja_name,
    make_environment,
)

from ..secret_names import SecretAlias, looks_secret
from ..suggest import did_you_mean
from .errors import as_problem, budget_problem, fresh_copy
from .handlebars import subtraction_hint
from .helpers import Helpers
from .names import NameResolver
from .problem import TemplateProblem
from .runtime_shape import Parsed, Shape, runtime_shape, variable_names
from .sandbox import harden
from .segments import Block, Expr, Segment, Text, jinja_literal, jinja_string
from .splitter import split
from .variable_order import dependency_order

__all__ = ["SecretAlias", "TemplateEngine", "TemplateProblem", "looks_secret"]

_QUICK_MARKERS = ("{{", "${", "{%", "{#")
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_CACHE_LIMIT = 200_000  # distinct template texts kept parsed; more means a generated suite
_T = TypeVar("_T", str, int)


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
        self._names = NameResolver(env)
        self._helpers = Helpers(seed=seed, now=now, max_chars=self.limits.value_chars)
        self._functions = self._helpers.functions()
        self._jinja = harden(make_environment(self._functions, limits=self.limits), self._helpers)
        self._meter = self._jinja.meter
        self._reserved = frozenset(self._jinja.globals)
        self._parsed: dict[str, Parsed] = {}
        self._compiled: dict[str, Any] = {}
        self._shapes: dict[tuple[Parsed, frozenset[str]], Shape] = {}

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
            raise self._parse_problem(parsed, context, text, runtime_vars)
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

    def _join(self, parsed: Parsed, context: Mapping[str, str], text: str) -> str:
        """The segments of expression-only text rendered and joined, within one value's size."""
        out: list[str] = []
        problems: list[TemplateProblem] = []
        size = 0
        for seg in parsed.segments:
            if isinstance(seg, Text):
                piece = seg.text
            elif isinstance(seg, Expr):
                try:
                    piece = self._eval(seg, context)
                except TemplateProblem as exc:
                    if _collect(problems, exc):
                        continue
                    break
            else:  # pragma: no cover - text with blocks renders whole
                continue
            size = self._grow(size, piece, text)
            out.append(piece)
        if problems:
            raise TemplateProblem.group(problems)
        return "".join(out)

    def _run(self, template: Any, values: Mapping[str, Any]) -> str:
        """Render a compiled Jinja template within the per-template budget."""
        meter = self._meter
        meter.start()
        try:
            return str(template.render(values))
        finally:
            meter.stop()

    def _parse_problem(
        self,
        parsed: Parsed,
        context: Mapping[str, str],
        text: str,
        runtime_vars: Collection[str],
    ) -> TemplateProblem:
        """The problem reading ``text``, with the problems of its readable expressions."""
        assert parsed.problem is not None
        problems = fresh_copy(parsed.problem).every()
        if parsed.segments and parsed.names.isdisjoint(runtime_vars):
            try:
                self._join(parsed, context, text)
            except TemplateProblem as more:
                problems += more.every()
        return TemplateProblem.group(sorted(problems, key=lambda p: p.offset or 0))

    # -- parsing --------------------------------------------------------------------------

    def _parse(self, text: str) -> Parsed:
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parse_uncached(text)
            if len(self._parsed) < _CACHE_LIMIT:
                self._parsed[text] = parsed
        return parsed

    def _parse_uncached(self, text: str) -> Parsed:
        try:
            found, bad = split(text)
        except TemplateProblem as exc:
            return Parsed((), frozenset(), None, exc)
        except RecursionError as exc:  # a deep nest of parentheses or brackets
            return Parsed((), frozenset(), None, self._problem(exc, _clip(text), 0))
        segments = tuple(found)
        problem = TemplateProblem.group(bad) if bad else None
        if not any(isinstance(s, Block) for s in segments):
            names: set[str] = set()
            for seg in segments:
                if isinstance(seg, Expr):
                    names |= seg.names
            # With a bad expression, the good ones are kept to be checked too (``render``).
            return Parsed(segments, frozenset(names - self._reserved), problem=problem)
        if problem is not None:
            return Parsed((), frozenset(), None, problem)
        source = "".join(_piece(seg) for seg in segments)
        try:
            tree = self._jinja.parse(source)
            self._template(source)
        except (TemplateError, RecursionError, SyntaxError, MemoryError) as exc:
            return Parsed((), frozenset(), None, self._problem(exc, text, 0))
        free = variable_names(meta.find_undeclared_variables(tree)) - self._reserved
        bound = variable_names(
            [n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")]
        )
        return Parsed(segments, free, source, locals=bound)

    def _template(self, source: str) -> Any:
        template = self._compiled.get(source)
        if template is None:
            template = self._jinja.from_string(source)
            if len(self._compiled) < _CACHE_LIMIT:
                self._compiled[source] = template
        return template

    # -- evaluation -----------------------------------------------------------------------

    def _eval(self, seg: Expr, context: Mapping[str, str], extra: Collection[str] = ()) -> str:
        """One expression, rendered now; errors become TemplateProblem located at ``seg``.

        ``extra``: more names defined there (run-time variables), for the did-you-mean.
        """
        try:
            if seg.bare is not None and seg.bare not in self._reserved:
                return str(self._names.lookup(seg.bare, context, seg.original, extra))
            if seg.call is not None:
                return self._call(seg, context)
            names = (n for n in seg.names if n not in self._reserved)
            values = self._names.values(names, context, seg.original, extra)
            return self._run(self._template("{{ " + seg.jinja + " }}"), values)
        except TemplateProblem as exc:
            raise self._locate(exc, seg) from None
        except Exception as exc:  # a template must never crash the compiler
            raise self._problem(exc, seg.original, seg.offset) from None

    def _call(self, seg: Expr, context: Mapping[str, str]) -> str:
        """A Handlebars-style helper call: ``{{randomValue length=8}}``, ``{{cut name '.txt'}}``."""
        assert seg.call is not None
        call = seg.call
        given = [*call.args, *(arg for _, arg in call.kwargs)]
        found = self._names.values([v for is_name, v in given if is_name], context, seg.original)

        def value(arg: tuple[bool, Any]) -> Any:
            is_name, text = arg
            return found[jinja_name(text)] if is_name else text

        args = [value(a) for a in call.args]
        kwargs = {k: value(a) for k, a in call.kwargs}
        return str(self._functions[call.helper](*args, **kwargs))

    def _locate(self, exc: TemplateProblem, seg: Expr) -> TemplateProblem:
        for each in exc.every():
            name = each.undefined
            if name is not None and name in seg.arg_names:
                if each.hint is None or each.hint == subtraction_hint(name):
                    each.hint = f"to pass the text itself, quote it: '{name}'"
            if seg.original not in each.message:
                each.message = f"{seg.original}: {each.message}"
            each.at(seg.offset)
        return exc

    def _whole_values(self, parsed: Parsed, context: Mapping[str, str]) -> dict[str, Any]:
        """The values of a whole template's names; every undefined one located where it is used."""
        values: dict[str, Any] = {}
        problems: list[TemplateProblem] = []
        for name in sorted(parsed.names):
            original, offset = _first_use(parsed, name)
            try:
                values[jinja_name(name)] = self._names.lookup(
                    name, context, original, parsed.locals
                )
            except TemplateProblem as exc:
                problems.append(exc.at(offset))
        if problems:
            raise TemplateProblem.group(problems)
        return values

    def _render_whole(self, parsed: Parsed, context: Mapping[str, str]) -> str:
        assert parsed.source is not None
        text = "".join(s.original for s in parsed.segments if not isinstance(s, Text))
        values = self._whole_values(parsed, context)
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
            secrets = sorted(n for n in parsed.names if is_secret(n))
            if secrets:
                raise TemplateProblem(
                    f"the secret '{secrets[0]}' cannot be used inside {{% %}} blocks",
                    hint="write it whole, as {{" + secrets[0] + "}} or ${" + secrets[0] + "}",
                )
            return self._count(self._render_whole(parsed, context), text)
        pieces: list[str] = []
        literal: list[str] = []  # parts that must not look like placeholders
        problems: list[TemplateProblem] = []
        has_secret = False
        size = 0
        for seg in parsed.segments:
            if isinstance(seg, Text):
                pieces.append(seg.text)
                literal.append(seg.text)
                continue
            assert isinstance(seg, Expr)
            try:
                piece, is_ref = self._secretive_piece(seg, context, is_secret)
            except TemplateProblem as exc:
                if _collect(problems, exc):
                    continue
                break
            pieces.append(piece)
            has_secret |= is_ref
            if not is_ref:
                size = self._grow(size, piece, text)
                literal.append(piece)
        if problems:
            raise TemplateProblem.group(problems)
        if not has_secret:
            return self._count("".join(pieces), text)
        _no_placeholders(literal)
        return SecretRef(template=self._count("".join(pieces), text))

    def _secretive_piece(
        self, seg: Expr, context: Mapping[str, str], is_secret: Callable[[str], bool]
    ) -> tuple[str, bool]:
        """One expression of a secretive field: its text, and whether it is a secret placeholder."""
        name = seg.bare
        if name is not None and name not in self._reserved and is_secret(name):
            value = context.get(name)
            if "-" in name and not isinstance(value, SecretAlias):
                raise TemplateProblem(
                    f"'{seg.original}': '{name}' is not a variable, and an environment "
                    "variable read as a secret needs a name without '-'",
                    hint=did_you_mean(name, [*context, *self._names.env]),
                    undefined=name,
                    offset=seg.offset,
                )
            return (
                value.ref.template if isinstance(value, SecretAlias) else "${" + name + "}"
            ), True
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
        return self._eval(seg, context), False

    def _runtime(
        self, parsed: Parsed, context: Mapping[str, str], runtime: frozenset[str]
    ) -> RuntimeTemplate:
        """Substitute every compile-time part; keep what reads run-time variables as Jinja."""
        key = (parsed, runtime)
        shape = self._shapes.get(key)
        if shape is None:
            shape = runtime_shape(parsed, runtime, self._reserved)
            if len(self._shapes) < _CACHE_LIMIT:
                self._shapes[key] = shape
        kept, bound, variables, problem = shape
        if problem is not None:
            raise fresh_copy(problem)
        text = "".join(s.original for s in parsed.segments if not isinstance(s, Text))
        problems: list[TemplateProblem] = []
        pieces: list[str] = []
        try:
            found = self._names.values(bound, context, text, runtime)
            pieces = [f"{{% set {key} = {jinja_string(str(v))} %}}" for key, v in found.items()]
        except TemplateProblem as exc:
            problems.append(exc)
        for seg, keep in zip(parsed.segments, kept, strict=True):
            if isinstance(seg, Text):
                pieces.append(jinja_literal(seg.text))
            elif isinstance(seg, Block):
                pieces.append("{% " + seg.body + " %}")
            elif keep:
                pieces.append("{{ " + seg.jinja + " }}")
            else:
                try:
                    pieces.append(jinja_literal(self._eval(seg, context, runtime)))
                except TemplateProblem as exc:
                    if not _collect(problems, exc):
                        break
        if problems:
            raise TemplateProblem.group(problems)
        return RuntimeTemplate(source="".join(pieces), variables=variables)

    # -- errors ---------------------------------------------------------------------------

    def _problem(self, exc: BaseException, original: str, offset: int) -> TemplateProblem:
        """Translate a Jinja (or any) exception into a TemplateProblem for ``original``."""
        return as_problem(
            exc, original, offset, filters=self._jinja.filters, tests=self._jinja.tests
        )


def _no_placeholders(literal: list[str]) -> None:
    """Refuse literal parts of a secret reference that would read as ``${NAME}`` placeholders."""
    for part in literal:
        if _PLACEHOLDER.search(part):
            raise TemplateProblem(
                f"{part!r} contains '${{...}}', which a secret reference would read as a placeholder",
                hint="keep '${NAME}' text out of fields that reference secrets",
            )


def _collect(problems: list[TemplateProblem], problem: TemplateProblem) -> bool:
    """Add ``problem``; False when the field should stop (its budget is spent)."""
    problems.append(problem)
    return problem.code != "template-budget"


def _first_use(parsed: Parsed, name: str) -> tuple[str, int]:
    """The tag of ``parsed`` that first reads ``name``, and its offset (the whole text at 0)."""
    word = re.compile(r"(?<![\w.])" + re.escape(jinja_name(name)) + r"(?!\w)")
    for seg in parsed.segments:
        if isinstance(seg, Expr) and name in seg.names:
            return seg.original, seg.offset
        if isinstance(seg, Block) and word.search(seg.body):
            return seg.original, seg.offset
    text = "".join(s.original for s in parsed.segments if not isinstance(s, Text))
    return text, 0


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
