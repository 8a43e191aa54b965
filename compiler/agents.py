"""Agents: suite entries to plan specs, built-in (provider + servers) or external (a command)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    ClarificationDetection,
    ExternalAgent,
    Skill,
)

from .checks.patterns import check_regex
from .diagnostics import Diagnostics
from .includes import Located
from .infra import StaticFields, lower_env, lower_generation, split_command
from .suite import AgentDef
from .suite.scalars import duration_ms
from .templating.render import Renderer

__all__ = ["BUILTIN_CLARIFICATION_PATTERNS", "lower_agent"]

BUILTIN_CLARIFICATION_PATTERNS = (
    r"(?i)would you like me to",
    r"(?i)do you want me to",
    r"(?i)should i proceed",
    r"(?i)shall i proceed",
    r"(?i)please confirm",
    r"(?i)is that correct\?",
    r"(?i)can you confirm",
    r"(?i)could you confirm",
    r"(?i)would you prefer",
    r"(?i)do you prefer",
    r"(?i)let me know if you('d| would) like me to",
    r"(?i)before i proceed",
    r"(?i)should i go ahead",
    r"(?i)shall i go ahead",
    r"(?i)please let me know (which|what|how)",
    r"(?i)could you (please )?(clarify|specify|provide)",
)
"""The pattern form's built-in English phrases (agent-benchmark before 2026-01 had 16 such)."""


def lower_agent(
    item: Located[AgentDef],
    ctx: Mapping[str, str],
    r: Renderer,
    diags: Diagnostics,
    *,
    base_dir: Path,
    provider_type: str | None = None,
) -> BuiltinAgent | ExternalAgent | None:
    """The plan spec of one agent (its system prompt is rendered per unit, in expand.py).

    ``provider_type``: the type of the provider it names, for its generation parameters.
    """
    a = item.value
    if a.command is not None:
        return _lower_external(item, ctx, r, diags, base_dir=base_dir)
    if a.provider is None:
        return None  # reported by checks/references.py
    ok = True
    skill: Skill | None = None
    if a.skill is not None:
        raw = r.render_static(a.skill.path, ctx, item.span("skill", "path"))
        if raw is None:
            ok = False
        else:
            skill = _load_skill(base_dir / raw, raw, item, diags)
            ok = ok and skill is not None
    clar: ClarificationDetection | None = None
    cd = a.clarification_detection
    if cd is not None and cd.enabled:
        if cd.use_builtin_patterns is not None or cd.custom_patterns is not None:
            patterns = (
                list(BUILTIN_CLARIFICATION_PATTERNS) if cd.use_builtin_patterns is not False else []
            )
            for i, pat in enumerate(cd.custom_patterns or []):
                ok = (
                    check_regex(
                        pat,
                        item.span("clarification_detection", "custom_patterns", i),
                        diags,
                        what="custom_patterns",
                    )
                    and ok
                )
                patterns.append(pat)
            if cd.judge_provider:
                diags.warn(
                    "ignored-key",
                    "judge_provider is ignored when patterns are used",
                    item.span("clarification_detection", "judge_provider", key=True),
                )
            clar = ClarificationDetection(mode="patterns", level=cd.level, patterns=tuple(patterns))
        else:
            judge = (
                cd.judge_provider if cd.judge_provider and cd.judge_provider != "$self" else None
            )
            clar = ClarificationDetection(mode="judge", level=cd.level, judge_provider=judge)
    servers = tuple(
        AgentServer(name=s.name, allowed_tools=tuple(s.tools) if s.tools else None)
        for s in a.servers
    )
    generation = lower_generation(item, diags, ptype=provider_type, owner=f"agent '{a.name}'")
    if not ok or generation is None:
        return None
    return BuiltinAgent(
        name=a.name,
        provider=a.provider,
        servers=servers,
        skill=skill,
        clarification=clar,
        generation=generation,
        span=item.span(),
    )


def _lower_external(
    item: Located[AgentDef],
    ctx: Mapping[str, str],
    r: Renderer,
    diags: Diagnostics,
    *,
    base_dir: Path,
) -> ExternalAgent | None:
    """An external agent: the command split like a stdio server's, env values as credentials."""
    a = item.value
    fields = StaticFields(item, ctx, r)
    text = fields.text
    argv = split_command(text("command", a.command), item.span("command"), diags)
    env = lower_env(item, a.env, ctx, r, what=f"agent '{a.name}' ")
    # Relative to the file, like skill paths; the default lets `python agent.py` find its script.
    wd = text("working_dir", a.working_dir)
    working_dir = str((base_dir / wd).resolve() if wd is not None else base_dir.resolve())
    setup = text("setup", a.setup)
    teardown = text("teardown", a.teardown)
    if not fields.ok or argv is None or env is None:
        return None
    extra: dict[str, Any] = {}
    if a.timeout is not None:
        extra["timeout_ms"] = duration_ms(a.timeout)
    return ExternalAgent(
        name=a.name,
        command=argv,
        env=env,
        setup=setup,
        teardown=teardown,
        workers=a.workers or 1,
        working_dir=working_dir,
        span=item.span(),
        **extra,
    )


def _load_skill(
    folder: Path, shown: str, item: Located[AgentDef], diags: Diagnostics
) -> Skill | None:
    span = item.span("skill", "path")
    skill_md = folder / "SKILL.md"
    if not folder.is_dir():
        diags.add(
            "skill-missing",
            f"skill folder not found: {shown}",
            span,
            hint="skill paths are relative to the test file's directory",
        )
        return None
    if not skill_md.is_file():
        diags.add("skill-missing", f"no SKILL.md in skill folder {shown}", span)
        return None
    try:
        content = skill_md.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        diags.add("skill-missing", f"cannot read {skill_md}: {exc}", span)
        return None
    if not content.startswith("---"):
        diags.warn(
            "skill-frontmatter", "SKILL.md has no YAML front matter (name, description)", span
        )
    refs_dir = folder / "references"
    refs = (
        tuple(sorted(p.name for p in refs_dir.iterdir() if p.is_file()))
        if refs_dir.is_dir()
        else ()
    )
    return Skill(path=str(folder.resolve()), content=content, references=refs)
