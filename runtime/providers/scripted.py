"""The scripted provider: replays the replies a suite lists, so it runs with no key and no network.

Semantics (``runtime.plan.ScriptedProvider``): per conversation (``ChatRequest.conversation_id``,
one per (agent, session) unit) each reply is used at most once; a call takes the first unused
reply whose ``when`` regex is found in the latest user prompt, or that has no ``when``.
Running out of replies is a fatal ``ProviderError``. Usage comes from the reply, or is
estimated (chars / 4) and marked ``estimated``. ``delay_ms`` is slept with ``anyio.sleep``.
"""

from __future__ import annotations

import anyio

from ..errors import ProviderError
from ..plan import ProviderSpec, ScriptedProvider, ScriptedReply
from ..ratelimit import estimate_tokens
from ..regex import compile_go
from ..transcript import Message, TokenUsage
from .base import ChatRequest, ChatResponse, RetryDecision, ToolRequest

__all__ = ["ScriptedChatProvider"]

_PROMPT_PREVIEW = 60


def _latest_user_prompt(messages: list[Message]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _PROMPT_PREVIEW else flat[: _PROMPT_PREVIEW - 1] + "…"


class ScriptedChatProvider:
    """A ``Provider`` that answers from ``spec.replies``."""

    def __init__(self, spec: ScriptedProvider) -> None:
        self.spec: ProviderSpec = spec
        self._spec = spec
        self._patterns = [
            compile_go(reply.when) if reply.when is not None else None for reply in spec.replies
        ]
        self._used: dict[str, set[int]] = {}
        self._calls: dict[str, int] = {}

    def _pick(self, conversation_id: str, prompt: str) -> int | None:
        used = self._used.setdefault(conversation_id, set())
        for index, pattern in enumerate(self._patterns):
            if index in used:
                continue
            if pattern is None or pattern.search(prompt) is not None:
                used.add(index)
                return index
        return None

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """Answer with the next matching reply of this conversation."""
        prompt = _latest_user_prompt(request.messages)
        # Choose before sleeping so concurrent calls never take the same reply.
        index = self._pick(request.conversation_id, prompt)
        if index is None:
            raise ProviderError(
                f"scripted provider '{self.spec.name}' has no reply left in this session's "
                f"conversation (latest prompt: {_preview(prompt)!r}); "
                "add a reply, or one whose `when` matches this prompt",
                provider=self.spec.name,
            )
        reply = self._spec.replies[index]
        if reply.delay_ms > 0:
            await anyio.sleep(reply.delay_ms / 1000.0)
        call_number = self._calls.get(request.conversation_id, 0)
        self._calls[request.conversation_id] = call_number + 1
        tool_calls = [
            ToolRequest(
                id=f"call_{call_number}_{n}", name=call.name, arguments=dict(call.arguments)
            )
            for n, call in enumerate(reply.tool_calls)
        ]
        return ChatResponse(
            text=reply.text,
            tool_calls=tool_calls,
            usage=_usage(reply, request),
            model=self.spec.model,
            stop_reason="tool_calls" if tool_calls else "stop",
        )

    def classify(self, exc: BaseException) -> RetryDecision:
        """Every scripted failure is fatal: retrying cannot produce a reply."""
        return RetryDecision(kind="fatal", message=str(exc))

    async def aclose(self) -> None:
        """Nothing to release."""


def _usage(reply: ScriptedReply, request: ChatRequest) -> TokenUsage:
    estimated = False
    input_tokens = reply.input_tokens
    if input_tokens is None:
        estimated = True
        text = "".join(m.content for m in request.messages)
        input_tokens = estimate_tokens(text)
    output_tokens = reply.output_tokens
    if output_tokens is None:
        estimated = True
        text = reply.text + "".join(c.name + str(c.arguments) for c in reply.tool_calls)
        output_tokens = estimate_tokens(text)
    return TokenUsage(input=input_tokens, output=output_tokens, estimated=estimated)
