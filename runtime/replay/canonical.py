"""The canonical form of a request and its sha256 key: what makes two requests "the same".

An LLM request is the provider's type and model, the generation parameters it is sent with
(``generation_of``: the agent's over the provider's; temperature, max_tokens, top_p, seed,
stop, whatever ``Generation`` holds), any other setting the provider spec carries besides where
and how to connect (Anthropic's max_tokens, a scripted provider's replies), the messages and the
tools; a tool call is its server, tool and arguments; a tool listing is
the servers asked (with their allowed_tools) and the skill. Never in a key: the provider's
name, endpoint, credentials, retry and rate-limit settings, timeouts, streaming (a transport
choice: the answer is the same), timestamps and durations, conversation ids. So a cassette
recorded against one endpoint replays against another, and a changed prompt is a miss.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..plan import BuiltinAgent, ProviderSpec
from ..providers.base import ChatRequest, generation_of

__all__ = [
    "NOT_IN_KEY",
    "canonical_json",
    "key_of",
    "llm_request",
    "provider_identity",
    "scoped_key",
    "tool_call_request",
    "tools_request",
]

NOT_IN_KEY = frozenset(
    {
        # identity and source location
        "name",
        "span",
        # where and how to connect, and with which credentials
        "api_key",
        "access_key",
        "secret_key",
        "credentials_path",
        "auth",
        "base_url",
        "region",
        "project_id",
        "location",
        "api_version",
        "flavor",
        "stream",
        # sent per request: the request's own parameters are keyed instead (llm_request)
        "generation",
        # how long to wait and how often to try
        "retry",
        "rate_limits",
        "timeout_ms",
        "deadline_ms",
        "request_deadline_ms",
        "total_timeout_ms",
    }
)
"""Provider spec fields that do not change the answer, so they stay out of the key."""


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""One encoder for every key (``json.dumps`` with options builds one per call)."""


def canonical_json(doc: Any) -> str:
    """Sorted keys, no insignificant whitespace, text as is: the text the key is taken over."""
    return _CANONICAL.encode(doc)


def key_of(doc: Any) -> str:
    """sha256 (hex) of ``doc``'s canonical JSON."""
    return hashlib.sha256(canonical_json(doc).encode()).hexdigest()


def scoped_key(key: str, case: str, attempt: int, occurrence: int) -> str:
    """A request key made specific to one case, attempt and occurrence (the cache's key)."""
    return key_of({"request": key, "case": case, "attempt": attempt, "n": occurrence})


def _no_secrets(value: Any) -> Any:
    """``value`` without any secret reference (a credential has no place in a key)."""
    if isinstance(value, dict):
        if value.get("type") == "secret":
            return None
        return {k: _no_secrets(v) for k, v in value.items() if not _is_secret(v)}
    if isinstance(value, list):
        return [_no_secrets(v) for v in value]
    return value


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "secret"


def provider_identity(spec: ProviderSpec) -> dict[str, Any]:
    """The provider's type, model and generation settings (whatever else its spec carries)."""
    data = spec.model_dump(mode="json", exclude_none=True)
    kept = {k: v for k, v in data.items() if k not in NOT_IN_KEY}
    out: dict[str, Any] = _no_secrets(kept)
    return out


def generation_doc(spec: ProviderSpec, request: ChatRequest) -> dict[str, Any]:
    """The canonical form of the generation parameters ``request`` is sent with."""
    return generation_of(spec, request).model_dump(mode="json", exclude_defaults=True)


def llm_request(
    spec: ProviderSpec,
    request: ChatRequest,
    *,
    identity: dict[str, Any] | None = None,
    generation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The canonical form of one model call (``identity``: ``provider_identity(spec)``, and
    ``generation``: ``generation_doc(spec, request)``, when the caller keeps them)."""
    messages = []
    for m in request.messages:
        msg: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            msg["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments}
                | ({"raw_arguments": c.raw_arguments} if c.raw_arguments is not None else {})
                for c in m.tool_calls
            ]
        if m.tool_call_id is not None:
            msg["tool_call_id"] = m.tool_call_id
        if m.name is not None:
            msg["name"] = m.name
        messages.append(msg)
    return {
        "provider": identity if identity is not None else provider_identity(spec),
        "generation": generation if generation is not None else generation_doc(spec, request),
        "purpose": request.purpose,
        "messages": messages,
        "tools": [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in request.tools
        ],
    }


def tool_call_request(server: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of one tool call."""
    return {"server": server, "tool": tool, "arguments": arguments}


def tools_request(agent: BuiltinAgent) -> dict[str, Any]:
    """The canonical form of a tool listing: the servers asked, their allowed_tools, the skill."""
    return {
        "servers": [
            {"name": ref.name, "allowed_tools": list(ref.allowed_tools or ())}
            for ref in agent.servers
        ],
        # A skill's folder path differs between machines; its reference files make its tools.
        "skill_references": list(agent.skill.references) if agent.skill is not None else [],
    }
