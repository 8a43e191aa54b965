"""What a case ran, as one hash: two runs' cases compare only when their definitions agree.

The definition is the case's prompt, assertions, extractors, allowed tools, expected answer,
dataset metadata and scripted history; its unit's system prompt and allowed tools; and the
agent it ran on with that agent's provider and servers (type, model, endpoint, settings). Not
in it: ids, names, descriptions, repeat counts and source positions (a test moving down the file, or a
renamed provider entry, changes nothing that ran), rate limits and retry policies (they change
how a call is made, not what is asked).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import Case, Plan, Unit

__all__ = ["case_definition", "case_definitions"]

_TOP = {"id", "name", "description", "rate_limits", "retry", "repeat"}
"""Keys left out of the case, agent, provider and server documents themselves."""


def _strip(value: Any, top: bool = True) -> Any:
    """``value`` without source positions anywhere, and without ``_TOP`` keys at its top.

    Recurses only into containers (a call per scalar was most of the cost: this runs for
    every case of a report's plan)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "span" or (top and k in _TOP):
                continue
            out[k] = _strip(v, False) if isinstance(v, (dict, list)) else v
        return out
    if isinstance(value, list):
        return [_strip(v, top) if isinstance(v, (dict, list)) else v for v in value]
    return value


def case_definitions(plan: Plan) -> dict[str, str]:
    """Case id -> a short sha256 of what that case ran (see the module docstring)."""
    agents: dict[str, str] = {}
    out: dict[str, str] = {}
    for unit in plan.units:
        agent_doc = agents.get(unit.agent)
        if agent_doc is None:
            agent_doc = agents[unit.agent] = _canonical(_agent_document(plan, unit.agent))
        unit_doc = _canonical(
            {"system_prompt": unit.system_prompt, "allowed_tools": unit.allowed_tools}
        )
        for case in unit.cases:
            case_doc = _canonical(_strip(case.model_dump(mode="json")))
            digest = hashlib.sha256(f"{case_doc}\n{unit_doc}\n{agent_doc}".encode())
            out[case.id] = digest.hexdigest()[:16]
    return out


def case_definition(plan: Plan, unit: Unit, case: Case) -> str:
    """The definition hash of one case (``case_definitions`` computes all at once)."""
    agent_doc = _canonical(_agent_document(plan, unit.agent))
    unit_doc = _canonical(
        {"system_prompt": unit.system_prompt, "allowed_tools": unit.allowed_tools}
    )
    case_doc = _canonical(_strip(case.model_dump(mode="json")))
    return hashlib.sha256(f"{case_doc}\n{unit_doc}\n{agent_doc}".encode()).hexdigest()[:16]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _agent_document(plan: Plan, name: str) -> dict[str, Any]:
    agent = plan.agent(name).model_dump(mode="json")
    provider_name = agent.get("provider")
    providers = {p.name: p for p in plan.providers}
    provider = (
        providers[provider_name].model_dump(mode="json")
        if isinstance(provider_name, str) and provider_name in providers
        else None
    )
    servers = {s.name: s for s in plan.servers}
    used = [servers[n].model_dump(mode="json") for n in sorted(_server_refs(agent)) if n in servers]
    return {"agent": _strip(agent), "provider": _strip(provider), "servers": _strip(used)}


def _server_refs(agent: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for ref in agent.get("servers") or ():
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            found.add(ref["name"])
        elif isinstance(ref, str):
            found.add(ref)
    return found
