"""The compile pipeline: read, validate, include, check, render, expand, freeze."""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from runtime.plan import Plan, Unit
from runtime.templating import TemplateLimits

from .agents import lower_agent
from .checks.references import check_references
from .dataset_cases import load_session_rows
from .diagnostics import Diagnostic, Diagnostics
from .errors import SuiteInvalid
from .expand import expand
from .freeze import build_plan, build_settings, fresh_seed, resolve_now
from .includes import Suite, load_suite
from .infra import lower_provider, lower_server
from .pawbench import ScenarioTarget
from .source import SourceDoc
from .suite import LoadDef
from .templating.engine import TemplateEngine
from .templating.handlebars import is_variable_name
from .templating.render import Renderer

__all__ = ["Compilation", "compile_suite", "compile_with_warnings"]


@dataclass
class Compilation:
    """A compiled plan and the warnings found on the way."""

    plan: Plan
    warnings: list[Diagnostic]
    sources: dict[str, str]
    """Text of each file read (display path -> text), for printing the warnings."""
    load: LoadDef | None = None
    """The suite's validated ``load:`` section (``bench load``; not part of the plan)."""


def _variables(
    suite: Suite, engine: TemplateEngine, r: Renderer, diags: Diagnostics, run_id: str
) -> tuple[dict[str, Mapping[str, str]], Mapping[str, str]]:
    """Per test file: static context + its resolved variables; and the suite root's context."""
    contexts: dict[str, Mapping[str, str]] = {}
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], Mapping[str, str]] = {}
    warned: set[tuple[str, str]] = set()

    def resolve(
        doc_dir: str, raw: Mapping[str, str], where: Mapping[str, SourceDoc], fallback: SourceDoc
    ) -> Mapping[str, str]:
        key = (doc_dir, tuple(raw.items()))
        if key in cache:
            return cache[key]
        for name in raw:
            src = where.get(name, fallback)
            if not is_variable_name(name) and (src.file, name) not in warned:
                warned.add((src.file, name))
                diags.warn(
                    "unreadable-variable",
                    f"variable '{name}' can never be read: {{{{{name}}}}} is not a name",
                    src.positions.span(("variables", name), key=True),
                    hint="letters, digits, '_' and '-', starting with a letter or '_', "
                    "not ending with '-'",
                )
        static = engine.static_context(test_dir=doc_dir, run_id=run_id)
        values, problems = engine.resolve_variables(raw, static)
        for name, problem in problems:
            src = where.get(name, fallback)
            r.report(problem, raw[name], src.positions.span(("variables", name)))
        ctx: Mapping[str, str] = ChainMap(values, static)
        cache[key] = ctx
        return ctx

    root_ctx = resolve(
        str(suite.root.path.parent),
        suite.document.variables,
        dict.fromkeys(suite.document.variables, suite.root),
        suite.root,
    )
    for tf in suite.files:
        contexts[tf.doc.file] = resolve(
            str(tf.doc.path.parent), tf.variables, tf.variable_doc, tf.doc
        )
    return contexts, root_ctx


def _compile(
    path: str | os.PathLike[str],
    *,
    seed: int | None,
    now: datetime | str | None,
    env: Mapping[str, str] | None,
    limits: TemplateLimits | None = None,
    scenario: ScenarioTarget | None = None,
) -> tuple[Plan | None, Diagnostics, LoadDef | None]:
    diags = Diagnostics()
    environ = dict(os.environ if env is None else env)
    display = os.fspath(path)
    suite = load_suite(Path(display), display, diags, scenario=scenario)
    if suite is None:
        return None, diags, None
    check_references(suite, diags)
    the_seed = seed if seed is not None else fresh_seed()
    clock = resolve_now(now, environ)
    engine = TemplateEngine(seed=the_seed, now=clock, env=environ, limits=limits)
    r = Renderer(engine, diags)
    run_id = engine.make_run_id()
    contexts, root_ctx = _variables(suite, engine, r, diags, run_id)
    providers = [lower_provider(p, root_ctx, r, diags) for p in suite.providers]
    used_servers = {s.name for a in suite.agents for s in a.value.servers}
    servers = []
    for srv in suite.servers:
        if srv.value.name not in used_servers:
            diags.warn(
                "unused-server",
                f"server '{srv.value.name}' is not used by any agent",
                srv.span("name"),
            )
        servers.append(lower_server(srv, root_ctx, r, diags))
    agents = []
    provider_types = {p.value.name: p.value.type for p in suite.providers}
    for agent in suite.agents:
        spec = lower_agent(
            agent,
            root_ctx,
            r,
            diags,
            base_dir=agent.doc.path.parent,
            provider_type=provider_types.get(agent.value.provider or ""),
        )
        if spec is not None:
            agents.append((agent, spec))
    rows, dataset_sources = load_session_rows(suite, the_seed, diags)
    units = expand(suite, agents, contexts, r, diags, rows)
    _check_pass_hat_k(suite, units, diags)
    settings = build_settings(suite, diags)
    if diags.has_errors:
        return None, diags, None
    plan = build_plan(
        suite,
        seed=the_seed,
        now=clock,
        clock_read=engine.clock_read,
        providers=[p for p in providers if p is not None],
        servers=[s for s in servers if s is not None],
        agents=[spec for _, spec in agents],
        units=list(units),
        settings=settings,
        extra_sources=dataset_sources,
    )
    if not plan.units:
        diags.add(
            "no-cases",
            "the suite expands to no cases",
            suite.root.positions.span(()),
            hint="check the tests' agent: filters",
        )
        return None, diags, None
    return plan, diags, suite.document.load


def compile_with_warnings(
    path: str | os.PathLike[str],
    *,
    seed: int | None = None,
    now: datetime | str | None = None,
    env: Mapping[str, str] | None = None,
    limits: TemplateLimits | None = None,
    scenario: ScenarioTarget | None = None,
) -> Compilation:
    """Compile like ``compile_suite`` and also return the warnings (for the CLI)."""
    plan, diags, load = _compile(
        path, seed=seed, now=now, env=env, limits=limits, scenario=scenario
    )
    if plan is None or diags.has_errors:
        raise SuiteInvalid(diags.sorted(), diags.sources)
    warnings = [d for d in diags.sorted() if d.severity == "warning"]
    return Compilation(plan, warnings, diags.sources, load)


def compile_suite(
    path: str | os.PathLike[str],
    *,
    seed: int | None = None,
    now: datetime | str | None = None,
    env: Mapping[str, str] | None = None,
    limits: TemplateLimits | None = None,
    scenario: ScenarioTarget | None = None,
) -> Plan:
    """Compile the suite or test file at ``path`` into a sealed plan.

    ``seed`` fixes every random value (a fresh one is drawn and recorded otherwise); ``now``
    freezes the clock (else SOURCE_DATE_EPOCH, else the current time); ``env`` is the
    environment templates may read (default: the process environment); ``limits`` bound what
    templates may cost (default: ``TemplateLimits()``). Secret values are never read:
    credential fields become references. Raises ``SuiteInvalid`` with every diagnostic.
    A PawBench scenario (``.json``, docs/scenarios.md) runs against ``scenario``'s endpoint
    and model (default: ``ScenarioTarget()``).
    """
    return compile_with_warnings(
        path, seed=seed, now=now, env=env, limits=limits, scenario=scenario
    ).plan


def _check_pass_hat_k(suite: Suite, units: Sequence[Unit], diags: Diagnostics) -> None:
    """``criteria.pass_hat_k.k`` needs every test to run at least k attempts."""
    crit = suite.criteria
    if crit is None or crit.value.pass_hat_k is None:
        return
    k = crit.value.pass_hat_k.k
    short = [case for unit in units for case in unit.cases if case.repeat < k]
    if short:
        diags.add(
            "pass-hat-k-repeat",
            f"criteria.pass_hat_k.k is {k}, but {len(short)} case(s) run fewer attempts "
            f"(test '{short[0].test}' runs {short[0].repeat})",
            crit.span("pass_hat_k", "k"),
            hint=f"set repeat: {k} (or more) in settings:, or lower k",
        )
