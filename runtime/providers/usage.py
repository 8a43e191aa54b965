"""Token usage when a provider reports none: estimated at chars / 4 and marked ``estimated``."""

from __future__ import annotations

import json

from ..ratelimit import estimate_tokens
from ..transcript import TokenUsage
from .base import ChatRequest, ToolRequest

__all__ = ["estimated_usage"]


def estimated_usage(request: ChatRequest, text: str, calls: list[ToolRequest]) -> TokenUsage:
    """Usage estimated from the request's messages and the reply (chars / 4)."""
    prompt = "".join(m.content for m in request.messages)
    prompt += "".join(json.dumps(t.input_schema) + t.description for t in request.tools)
    reply = text + "".join(c.name + json.dumps(c.arguments) for c in calls)
    return TokenUsage(input=estimate_tokens(prompt), output=estimate_tokens(reply), estimated=True)
