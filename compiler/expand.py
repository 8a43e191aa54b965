"""Expansion: one Unit per (agent, session), cases in test order, ids ``u0001`` and ``u0001/3``.

Agents in file order, then sessions in file order (test files in ``test_files`` order); a test
with ``agent:`` appears only in that agent's units, and a unit left with no test is dropped.
This is also where the run-time variable proof happens: a test's prompt may read variables
bound by extractors of *earlier* tests of its session; its assertions may also read its own.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.plan import (
    BuiltinAgent,
    Case,
    ExternalAgent,
    JsonPathExtractor,
    Span,
    Steer,
    TurnExpect,
    Unit,
)

from .assertions import AssertionScope, lower_assertion
from .checks.patterns import check_jsonpath
from .dataset_cases import ROW_NAMES
from .datasets import DatasetRow
from .diagnostics import Diagnostics
from .includes import Located, Suite, TestFile
from .suite import SessionDef, TestDef
from .suite import assertions as syn
from .suite.scalars import duration_ms
from .templating.handlebars import is_variable_name
from .templating.render import Renderer

__all__ = ["UNIT_NAMES", "expand"]

UNIT_NAMES = frozenset({"AGENT_NAME", "SESSION_NAME", "PROVIDER_NAME", "SKILL_DIR"})
"""Names bound per (agent, session); a text that reads none of them renders once for all agents."""


@dataclass
class _Lowered:
    """A test's content rendered for one context: everything of a Case but its id."""

    prompt: Any
    assertions: tuple[Any, ...]
    extractors: tuple[JsonPathExtractor, ...]
    ok: bool


def _unit_context(agent: BuiltinAgent | ExternalAgent, session: str) -> dict[str, str]:
    # An external agent has no provider of the suite: it calls whatever LLM it likes.
    provider = agent.provider if isinstance(agent, BuiltinAgent) else ""
    ctx = {"AGENT_NAME": agent.name, "SESSION_NAME": session, "PROVIDER_NAME": provider}
    if isinstance(agent, BuiltinAgent) and agent.skill is not None:
        ctx["SKILL_DIR"] = agent.skill.path
    return ctx


def _texts(test: TestDef) -> list[str]:
    """Every templated text of a test: its prompt and its assertions' values and params."""
    out = [test.prompt]
    stack: list[Any] = list(test.assertions)
    while stack:
        node = stack.pop()
        if isinstance(node, syn.AnyOfA):
            stack.extend(node.any_of)
        elif isinstance(node, syn.AllOfA):
            stack.extend(node.all_of)
        elif isinstance(node, syn.NotA):
            stack.append(node.not_)
        else:
            # plain attribute reads: pydantic's __getattr__ is slow on misses
            fields = node.__dict__
            for name in ("value", "path", "expected"):
                v = fields.get(name)
                if isinstance(v, str):
                    out.append(v)
            params = fields.get("params")
            if isinstance(params, dict):
                out.extend(str(v) for v in params.values())
    return out


class _SessionExpander:
    """Lowers the tests of one session, proving run-time variables as it goes."""

    def __init__(
        self, tf: TestFile, session: Located[SessionDef], r: Renderer, diags: Diagnostics
    ) -> None:
        self.tf = tf
        self.session = session
        self.r = r
        self.diags = diags
        self.binds: list[dict[str, Span]] = []
        for j, test in enumerate(session.value.tests):
            names: dict[str, Span] = {}
            for k, ex in enumerate(test.extractors):
                span = session.span("tests", j, "extractors", k, "variable_name")
                names.setdefault(ex.variable_name, span)
            self.binds.append(names)
        self._extractors: dict[int, tuple[JsonPathExtractor, ...] | None] = {}
        self._cache: dict[tuple[int, tuple[str, ...]], _Lowered] = {}
        self._deps: dict[int, list[str]] = {}
        self._turns: dict[int, tuple[TurnExpect | None, Steer | None]] = {}

    def _later(self, j: int, *, include_own: bool) -> dict[str, Span]:
        later: dict[str, Span] = {}
        for names in self.binds[j if include_own else j + 1 :]:
            for name, span in names.items():
                later.setdefault(name, span)
        return later

    def turn(self, j: int) -> tuple[TurnExpect | None, Steer | None]:
        """Test ``j``'s scenario expectations and steering event, lowered once per session."""
        if j not in self._turns:
            from .scenario import lower_turn

            test = Located(self.session.value.tests[j], self.session.doc,
                           (*self.session.path, "tests", j))  # fmt: skip
            self._turns[j] = lower_turn(test, self.diags)
        return self._turns[j]

    def extractors(self, j: int) -> tuple[JsonPathExtractor, ...] | None:
        if j in self._extractors:
            return self._extractors[j]
        test = self.session.value.tests[j]
        out: list[JsonPathExtractor] = []
        ok = True
        for k, ex in enumerate(test.extractors):
            base = ("tests", j, "extractors", k)
            # Whatever a template can read ({{my-var}} included), an extractor may bind.
            if not is_variable_name(ex.variable_name):
                self.diags.add(
                    "invalid-value",
                    f"variable_name '{ex.variable_name}' is not a valid name",
                    self.session.span(*base, "variable_name"),
                    hint="letters, digits, '_' and '-', starting with a letter or '_', not ending with '-'",
                )
                ok = False
            ok = check_jsonpath(ex.path, self.session.span(*base, "path"), self.diags) and ok
            out.append(
                JsonPathExtractor(
                    tool=ex.tool,
                    path=ex.path,
                    variable_name=ex.variable_name,
                    span=self.session.span(*base),
                )
            )
        self._extractors[j] = tuple(out) if ok else None
        return self._extractors[j]

    def lower(self, j: int, ctx: Mapping[str, str], unit_ctx: Mapping[str, str]) -> _Lowered:
        test = self.session.value.tests[j]
        deps = self._deps.get(j)
        if deps is None:
            found: set[str] = set()
            for text in _texts(test):
                found |= self.r.engine.referenced_names(text) & (UNIT_NAMES | ROW_NAMES)
            deps = self._deps[j] = sorted(found)
        key = (j, tuple(unit_ctx.get(n, "") for n in deps))
        if key in self._cache:
            return self._cache[key]
        full = ChainMap(dict(unit_ctx), dict(ctx))
        earlier: set[str] = set()
        for names in self.binds[:j]:
            earlier |= set(names)
        own = set(self.binds[j])
        base = ("tests", j)
        prompt = self.r.render(
            test.prompt,
            full,
            self.session.span(*base, "prompt"),
            runtime_vars=earlier,
            later=self._later(j, include_own=True),
        )
        scope = AssertionScope(
            self.session.doc,
            full,
            earlier | own,
            self._later(j, include_own=False),
            self.r,
            self.diags,
        )
        path = (*self.session.path, *base, "assertions")
        nodes = [lower_assertion(a, (*path, k), scope) for k, a in enumerate(test.assertions)]
        extractors = self.extractors(j)
        ok = prompt is not None and all(n is not None for n in nodes) and extractors is not None
        lowered = _Lowered(prompt, tuple(nodes), extractors or (), ok)
        self._cache[key] = lowered
        return lowered


def _system_prompt(
    agent: Located[Any],
    spec: BuiltinAgent | ExternalAgent,
    ctx: Mapping[str, str],
    unit_ctx: Mapping[str, str],
    r: Renderer,
) -> tuple[str | None, bool]:
    raw = agent.value.system_prompt
    rendered: str | None = None
    if raw is not None:
        out = r.render_static(raw, ChainMap(dict(unit_ctx), dict(ctx)), agent.span("system_prompt"))
        if out is None:
            return None, False
        rendered = out
    skill = spec.skill if isinstance(spec, BuiltinAgent) else None
    parts = [p for p in ((skill.content if skill else None), rendered) if p]
    return ("\n\n".join(parts) if parts else None), True


def _row_context(row: DatasetRow) -> dict[str, str]:
    return {"input": row.input, "expected": row.expected or "", "row_id": row.id}


_NO_ROW = {"input": "", "expected": "", "row_id": ""}
"""Stand-ins for checking a dataset session's tests when no row reached them."""


def expand(
    suite: Suite,
    agents: list[tuple[Located[Any], BuiltinAgent | ExternalAgent]],
    contexts: Mapping[str, Mapping[str, str]],
    r: Renderer,
    diags: Diagnostics,
    rows: Mapping[tuple[str, int], list[DatasetRow]] | None = None,
) -> list[Unit]:
    """Every unit of the plan, in deterministic order; problems are reported, bad cases dropped.

    A session with ``dataset:`` gives one unit per row (rows are separate conversations, so
    they also run in parallel); its cases carry the row's expected answer, history and
    metadata, and their test names end in `` [<row id>]``.
    """
    units: list[Unit] = []
    expanders: dict[tuple[str, int], _SessionExpander] = {}
    default_repeat = (suite.settings.value.repeat if suite.settings else None) or 1
    for agent_loc, spec in agents:
        for tf in suite.files:
            ctx = contexts[tf.doc.file]
            for i, session in enumerate(tf.sessions):
                exp = expanders.get((tf.doc.file, i))
                if exp is None:
                    exp = expanders[(tf.doc.file, i)] = _SessionExpander(tf, session, r, diags)
                session_rows: list[DatasetRow | None] = (
                    [None]
                    if session.value.dataset is None
                    else list((rows or {}).get((tf.doc.file, i), []))
                )
                for row in session_rows:
                    made = _unit(
                        exp, agent_loc, spec, ctx, r, f"u{len(units) + 1:04d}", row, default_repeat
                    )
                    units.extend([made] if made else [])
    # Tests no unit ran (an unknown agent in their filter, or no valid agent at all) are still
    # checked once, so their template, regex and JSONPath mistakes are reported in this run.
    for tf in suite.files:
        ctx = contexts[tf.doc.file]
        for i, session in enumerate(tf.sessions):
            exp = expanders.get((tf.doc.file, i)) or _SessionExpander(tf, session, r, diags)
            stand_in = _NO_ROW if session.value.dataset is not None else {}
            for j in range(len(session.value.tests)):
                if not any(key[0] == j for key in exp._cache):
                    exp.lower(j, ctx, {"SESSION_NAME": session.value.name, **stand_in})
    return units


def _unit(
    exp: _SessionExpander,
    agent_loc: Located[Any],
    spec: BuiltinAgent | ExternalAgent,
    ctx: Mapping[str, str],
    r: Renderer,
    unit_id: str,
    row: DatasetRow | None,
    default_repeat: int = 1,
) -> Unit | None:
    """One (agent, session) unit, or (agent, session, row) for a dataset session."""
    session = exp.session
    s = session.value
    unit_ctx = _unit_context(spec, s.name)
    if row is not None:
        unit_ctx.update(_row_context(row))
    cases: list[Case] = []
    for j, test in enumerate(s.tests):
        if test.agent is not None and test.agent != spec.name:
            continue
        low = exp.lower(j, ctx, unit_ctx)
        if not low.ok:
            continue
        extra: dict[str, Any] = {}
        if row is not None:
            extra = {"expected": row.expected, "metadata": row.metadata, "history": row.history}
        expect, steer = exp.turn(j)
        if expect is not None:
            extra["expect"] = expect
        if steer is not None:
            extra["steer"] = steer
        cases.append(
            Case(
                id=f"{unit_id}/{j + 1}",
                test=test.name if row is None else f"{test.name} [{row.id}]",
                description=test.description,
                prompt=low.prompt,
                start_delay_ms=duration_ms(test.start_delay) if test.start_delay else 0,
                repeat=test.repeat or s.repeat or default_repeat,
                allowed_tools=tuple(test.allowed_tools) if test.allowed_tools is not None else None,
                assertions=low.assertions,
                extractors=low.extractors,
                span=session.span("tests", j),
                **extra,
            )
        )
    if not cases:
        return None
    system_prompt, ok = _system_prompt(agent_loc, spec, ctx, unit_ctx, r)
    if not ok:
        return None
    return Unit(
        id=unit_id,
        agent=spec.name,
        session=s.name,
        file=exp.tf.doc.file,
        system_prompt=system_prompt,
        allowed_tools=tuple(s.allowed_tools) if s.allowed_tools is not None else None,
        cases=tuple(cases),
        span=session.span(),
    )
