"""Secrets at run time: resolve ``SecretRef`` from the environment, and redact known values.

The plan only ever holds references (``SecretRef(template="${OPENAI_API_KEY}")``); this module
is the one place that turns them into values. Errors name the variable, never a value, and
``Redactor`` scrubs resolved values out of any text before it reaches a log, a transcript or a
report.

``needed_env(plan)`` lists the variables the plan's cases need (through the providers, servers
and agents they use, their llm_judge assertions and the ai_summary judge), so ``check_env`` can
refuse a run with every missing name at once before anything is written; a plan cut down by
``--agents``/``--limit`` only needs what its remaining cases use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel

from .errors import InputError
from .plan import AzureProvider, BuiltinAgent, ExternalAgent, Header, Plan, SecretRef, Span
from .sanitize import register_secret

__all__ = [
    "EnvUse",
    "MissingSecretError",
    "MissingSecretsError",
    "Redactor",
    "check_env",
    "missing_env",
    "needed_env",
    "resolve",
]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Values this short are too likely to occur in ordinary text ("1", "on") to be worth
# scrubbing: redacting them would mangle reports without protecting anything real.
_MIN_REDACT_LEN = 4


class MissingSecretError(InputError):
    """A secret reference names an environment variable that is not set (or is empty)."""

    def __init__(self, variable: str, *, what: str = "") -> None:
        where = f" (needed by {what})" if what else ""
        super().__init__(
            f"environment variable {variable} is not set{where}; export it before running"
        )
        self.variable = variable
        """The missing variable's name (never its value)."""


class EnvUse(NamedTuple):
    """An environment variable a plan needs, what needs it, and where that is defined."""

    name: str
    user: str
    """e.g. ``provider 'gpt' (api_key)``, ``server 'fs' (header Authorization)``."""
    span: Span | None


class MissingSecretsError(InputError):
    """Environment variables a run needs are unset: all of them, with what needs each."""

    def __init__(self, missing: list[tuple[str, list[str]]]) -> None:
        lines = [f"  {name}: needed by {', '.join(users)}" for name, users in missing]
        n = len(missing)
        super().__init__(
            f"{n} environment variable{'s' if n != 1 else ''} this run needs "
            f"{'are' if n != 1 else 'is'} not set (nothing was run):\n"
            + "\n".join(lines)
            + "\nexport them, or leave out the agents that need them with --agents"
        )
        self.names = tuple(name for name, _ in missing)
        """The missing variables' names (never a value)."""


def resolve(
    ref: SecretRef | str | None,
    env: Mapping[str, str] | None = None,
    *,
    what: str = "",
    redactor: Redactor | None = None,
) -> str | None:
    """Turn a secret reference into its value.

    ``None`` stays ``None``; a plain ``str`` is a literal (e.g. a header value with no secret)
    and is returned as is; a ``SecretRef`` has each ``${NAME}`` replaced from ``env``
    (``os.environ`` by default). A missing or empty variable raises ``MissingSecretError``
    naming the variable and ``what`` needed it. When ``redactor`` is given, every resolved
    variable value is registered with it.
    """
    if ref is None:
        return None
    if isinstance(ref, str):
        return ref
    source = os.environ if env is None else env

    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        value = source.get(name)
        if not value:
            raise MissingSecretError(name, what=what)
        if redactor is not None:
            redactor.add(value)
        return value

    return _PLACEHOLDER.sub(_sub, ref.template)


class Redactor:
    """Replaces known secret values with ``***`` in any text."""

    def __init__(self, values: tuple[str, ...] | list[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Remember ``value`` as secret (ignored when empty or very short)."""
        if not value or len(value) < _MIN_REDACT_LEN or value in self._values:
            return
        self._values.add(value)
        # Whatever a file sink must not show, no console or log line may show either.
        register_secret(value)
        # Longest first so a secret that contains another is replaced whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def redact(self, text: str) -> str:
        """``text`` with every known secret value replaced by ``***``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub("***", text)

    def __repr__(self) -> str:
        # Never show the values themselves, only how many there are.
        return f"Redactor({len(self._values)} values)"


def needed_env(plan: Plan) -> list[EnvUse]:
    """(variable, what needs it, its span) for every environment reference the plan's cases need.

    Only what the units use counts: the providers of their built-in agents (and those agents'
    clarification judges), the servers those agents use, external agents' ``env``, the
    providers of the cases' llm_judge assertions, and the ai_summary judge when enabled. A
    declared component no case uses needs nothing. In plan order, one entry per (variable,
    user).
    """
    from .plan.facts import unit_facts

    facts = unit_facts(plan.units)  # a streamed plan gathered them when it was opened
    providers: list[str] = list(facts.judges)
    servers: list[str] = []
    for agent in (a for a in plan.agents if a.name in facts.agents):
        if isinstance(agent, BuiltinAgent):
            providers.append(agent.provider)
            judge = agent.clarification.judge_provider if agent.clarification else None
            if judge and judge != "$self":
                providers.append(judge)
            servers.extend(s.name for s in agent.servers)
    judge = plan.ai_summary.judge_provider
    if plan.ai_summary.enabled and judge and judge != "$self":
        providers.append(judge)  # $self is an agent's provider, counted above
    found: list[EnvUse] = []
    for spec in plan.providers:
        if spec.name in providers:
            entra = isinstance(spec, AzureProvider) and spec.auth == "entra_id"
            skip = frozenset({"api_key"} if entra else ())  # Entra ID never reads the key
            found += _refs(spec, f"provider '{spec.name}'", skip)
    for server in plan.servers:
        if server.name in servers:
            found += _refs(server, f"server '{server.name}'")
    for agent in plan.agents:
        if isinstance(agent, ExternalAgent) and agent.name in facts.agents:
            found += _agent_env(agent)
    return list(dict.fromkeys(found))


def missing_env(plan: Plan, env: Mapping[str, str] | None = None) -> list[tuple[str, list[str]]]:
    """The variables ``needed_env`` names that are unset or empty, sorted, with their users."""
    source = os.environ if env is None else env
    missing: dict[str, list[str]] = {}
    for name, user, _span in needed_env(plan):
        if not source.get(name):
            missing.setdefault(name, []).append(user)
    return sorted(missing.items())


def check_env(plan: Plan, env: Mapping[str, str] | None = None) -> None:
    """Raise ``MissingSecretsError`` listing every variable the plan needs that is unset."""
    missing = missing_env(plan, env)
    if missing:
        raise MissingSecretsError(missing)


def _refs(model: Any, owner: str, skip: frozenset[str] = frozenset()) -> list[EnvUse]:
    """An EnvUse for every variable of every SecretRef inside ``model`` (a component spec)."""
    return [
        EnvUse(name, f"{owner} ({where})", model.span)
        for ref, where in _walk(model, "", skip)
        for name in ref.env
    ]


def _walk(
    value: Any, where: str, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[SecretRef, str]]:
    if isinstance(value, SecretRef):
        yield value, where
    elif isinstance(value, Header):
        yield from _walk(value.value, f"header {value.name}")
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            if field not in skip:
                yield from _walk(getattr(value, field), field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{where} {key}")
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _walk(item, where)


def _agent_env(agent: ExternalAgent) -> list[EnvUse]:
    """An external agent's env references; a name set by an earlier key of its env counts."""
    defined: set[str] = set()
    found: list[EnvUse] = []
    for key, value in agent.env.items():
        if isinstance(value, SecretRef):
            found += [
                EnvUse(name, f"agent '{agent.name}' (env {key})", agent.span)
                for name in value.env
                if name not in defined
            ]
        defined.add(key)
    return found
