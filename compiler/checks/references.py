"""Names: duplicates, and every reference (agent -> provider, agent -> server, test -> agent,
judge -> provider) points at something defined, with a did-you-mean when it does not."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from runtime.plan import Span

from ..diagnostics import Diagnostics
from ..includes import Located, Suite
from ..source import YamlPath
from ..suggest import did_you_mean
from ..suite import AgentDef
from ..suite import assertions as syn
from ..suite.providers import GENERATION_KEYS

__all__ = ["check_references"]


def _duplicates(items: Iterable[Located[object]], kind: str, diags: Diagnostics) -> None:
    seen: dict[str, Span] = {}
    for item in items:
        name = str(getattr(item.value, "name", ""))
        if name in seen:
            diags.add(
                "duplicate-name",
                f"{kind} '{name}' is defined twice (first at {seen[name]})",
                item.span("name"),
                hint=f"give each {kind} a unique name",
            )
        else:
            seen[name] = item.span("name")


def _ref(
    name: str, known: set[str], pruned: set[str], kind: str, span: Span, diags: Diagnostics
) -> None:
    if name in known or name in pruned:
        return
    hint = did_you_mean(name, known) or (
        f"defined {kind}s: {', '.join(sorted(known))}" if known else None
    )
    diags.add(f"unknown-{kind}", f"unknown {kind} '{name}'", span, hint=hint)


def check_references(suite: Suite, diags: Diagnostics) -> None:
    """Report duplicate names and dangling references across the suite."""
    _duplicates(suite.providers, "provider", diags)  # type: ignore[arg-type]  # Located is invariant
    _duplicates(suite.servers, "server", diags)  # type: ignore[arg-type]
    _duplicates(suite.agents, "agent", diags)  # type: ignore[arg-type]
    providers = {p.value.name for p in suite.providers}
    servers = {s.value.name for s in suite.servers}
    agents = {a.value.name for a in suite.agents}
    p_pruned = suite.pruned.get("providers", set())
    s_pruned = suite.pruned.get("servers", set())
    a_pruned = suite.pruned.get("agents", set())
    load = suite.document.load
    if load is not None and load.provider is not None:
        span = suite.root.positions.span(("load", "provider"))
        _ref(load.provider, providers, p_pruned, "provider", span, diags)
    for agent in suite.agents:
        a = agent.value
        if not _agent_kind(agent, diags):
            continue
        if a.provider is not None:
            _ref(a.provider, providers, p_pruned, "provider", agent.span("provider"), diags)
        listed: set[str] = set()
        for i, srv in enumerate(a.servers):
            _ref(srv.name, servers, s_pruned, "server", agent.span("servers", i, "name"), diags)
            if srv.name in listed:
                diags.add(
                    "duplicate-name",
                    f"server '{srv.name}' is listed twice for agent '{a.name}'",
                    agent.span("servers", i, "name"),
                )
            listed.add(srv.name)
            if srv.allowed_tools is not None and srv.allowed_tools_camel is not None:
                diags.add(
                    "conflicting-keys",
                    "both allowed_tools and allowedTools are given; keep allowed_tools",
                    agent.span("servers", i, "allowedTools", key=True),
                )
        cd = a.clarification_detection
        if cd is not None and cd.judge_provider and cd.judge_provider != "$self":
            _ref(
                cd.judge_provider,
                providers,
                p_pruned,
                "provider",
                agent.span("clarification_detection", "judge_provider"),
                diags,
            )
        if a.settings is not None:
            diags.warn(
                "ignored-key",
                "agent 'settings' are ignored (agent-benchmark parses but never uses them)",
                agent.span("settings", key=True),
            )
    if suite.ai_summary is not None:
        judge = suite.ai_summary.value.judge_provider
        if judge and judge != "$self":
            _ref(
                judge,
                providers,
                p_pruned,
                "provider",
                suite.ai_summary.span("judge_provider"),
                diags,
            )
        if suite.ai_summary.value.enabled and not judge:
            diags.add(
                "missing-key",
                "ai_summary needs 'judge_provider' (a provider name or $self)",
                suite.ai_summary.span(),
                hint="judge_provider: $self uses the provider of the first result",
            )
    _check_sessions(suite, agents, a_pruned, diags)
    _check_judges(suite, diags)


_EXTERNAL_KEYS = ("env", "setup", "teardown", "workers", "timeout", "working_dir")


def _agent_kind(agent: Located[AgentDef], diags: Diagnostics) -> bool:
    """Exactly one of provider and command; each kind's keys only. False: skip its other checks."""
    a = agent.value
    if a.provider is None and a.command is None:
        diags.add("missing-key", f"agent '{a.name}' needs 'provider' (or 'command' for an external agent)",
                  agent.span("name"), hint="provider: <a provider name>, or command: python my_agent.py")  # fmt: skip
        return False
    if a.provider is not None and a.command is not None:
        diags.add("conflicting-keys", f"agent '{a.name}' has both 'provider' and 'command'; keep one",
                  agent.span("command", key=True),
                  hint="command: runs your own program (it calls its LLM itself); provider: runs bench's loop")  # fmt: skip
        return False
    if a.provider is not None:
        for key in _EXTERNAL_KEYS:
            if getattr(a, key) is not None:
                diags.add("invalid-value", f"'{key}' applies only to external agents (command:), not to agent '{a.name}'",
                          agent.span(key, key=True))  # fmt: skip
        return True
    for key in ("servers", "skill"):
        if agent.doc.positions.has((*agent.path, key)):
            diags.add("invalid-value",
                      f"external agent '{a.name}' cannot use '{key}': it runs its own program, "
                      "which connects to its own tools",
                      agent.span(key, key=True), hint=f"remove '{key}', or use provider: for bench's loop")  # fmt: skip
    for key in GENERATION_KEYS:
        if getattr(a, key) is not None:
            diags.add("invalid-value",
                      f"external agent '{a.name}' cannot use '{key}': its program calls its own model",
                      agent.span(key, key=True), hint="pass it to your program (env:), or use provider: for bench's loop")  # fmt: skip
    if a.clarification_detection is not None:
        diags.warn("ignored-key", "clarification_detection applies only to built-in agents and is ignored",
                   agent.span("clarification_detection", key=True))  # fmt: skip
    return False


def _judges(nodes: Iterable[Any], path: YamlPath) -> Iterator[tuple[str, YamlPath]]:
    """(provider, path) of every llm_judge among ``nodes``, at any depth."""
    for k, node in enumerate(nodes):
        here = (*path, k)
        if isinstance(node, syn.AnyOfA):
            yield from _judges(node.any_of, (*here, "anyOf"))
        elif isinstance(node, syn.AllOfA):
            yield from _judges(node.all_of, (*here, "allOf"))
        elif isinstance(node, syn.NotA):
            yield from _judges([node.not_], (*here, "not"))
        elif isinstance(node, syn.LlmJudgeA):
            yield node.provider, (*here, "provider")


def _check_judges(suite: Suite, diags: Diagnostics) -> None:
    """Every llm_judge names a provider of the suite."""
    providers = {p.value.name for p in suite.providers}
    pruned = suite.pruned.get("providers", set())
    for tf in suite.files:
        for session in tf.sessions:
            for j, test in enumerate(session.value.tests):
                base = (*session.path, "tests", j, "assertions")
                for name, path in _judges(test.assertions, base):
                    span = tf.doc.positions.span(path)
                    _ref(name, providers, pruned, "provider", span, diags)


def _check_sessions(suite: Suite, agents: set[str], a_pruned: set[str], diags: Diagnostics) -> None:
    """Test agent filters name real agents; session and test names are not repeated."""
    for tf in suite.files:
        session_names: dict[str, Span] = {}
        for session in tf.sessions:
            s = session.value
            if s.name in session_names:
                diags.warn(
                    "duplicate-name",
                    f"session '{s.name}' is defined twice in this file (first at {session_names[s.name]})",
                    session.span("name"),
                )
            session_names.setdefault(s.name, session.span("name"))
            test_names: dict[str, Span] = {}
            for j, test in enumerate(s.tests):
                if test.agent is not None:
                    _ref(
                        test.agent,
                        agents,
                        a_pruned,
                        "agent",
                        session.span("tests", j, "agent"),
                        diags,
                    )
                if test.name in test_names:
                    diags.warn(
                        "duplicate-name",
                        f"test '{test.name}' appears twice in session '{s.name}' (first at {test_names[test.name]})",
                        session.span("tests", j, "name"),
                    )
                test_names.setdefault(test.name, session.span("tests", j, "name"))
