"""The scripted provider: per-conversation replies, `when` matching, usage, running out."""

from __future__ import annotations

import pytest

from runtime.errors import ProviderError
from runtime.plan import ScriptedProvider, ScriptedReply, ScriptedToolCall
from runtime.providers.base import ChatRequest
from runtime.providers.registry import create_provider
from runtime.transcript import Message

pytestmark = pytest.mark.anyio


def _spec(*replies: ScriptedReply) -> ScriptedProvider:
    return ScriptedProvider(name="fake", replies=replies)


def _req(prompt: str, conversation: str = "u1", *extra: Message) -> ChatRequest:
    return ChatRequest(
        messages=[
            Message(role="system", content="sys"),
            Message(role="user", content=prompt),
            *extra,
        ],
        tools=[],
        conversation_id=conversation,
    )


@pytest.mark.requirement("scripted:replies")
async def test_replies_in_order_with_tool_calls() -> None:
    provider = create_provider(
        _spec(
            ScriptedReply(tool_calls=(ScriptedToolCall(name="get_time", arguments={"tz": "UTC"}),)),
            ScriptedReply(text="It is noon."),
        )
    )
    first = await provider.generate(_req("what time is it?"))
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("get_time", {"tz": "UTC"})]
    assert first.text == ""
    tool_msg = Message(role="tool", content="12:00", tool_call_id=first.tool_calls[0].id)
    second = await provider.generate(_req("what time is it?", "u1", tool_msg))
    assert second.text == "It is noon." and second.tool_calls == []


async def test_tool_call_ids_are_unique_within_a_conversation() -> None:
    call = ScriptedToolCall(name="t")
    provider = create_provider(
        _spec(ScriptedReply(tool_calls=(call, call)), ScriptedReply(tool_calls=(call,)))
    )
    ids = [c.id for c in (await provider.generate(_req("a"))).tool_calls]
    ids += [c.id for c in (await provider.generate(_req("a"))).tool_calls]
    assert len(set(ids)) == 3


async def test_when_matches_latest_user_prompt_and_each_reply_is_used_once() -> None:
    provider = create_provider(
        _spec(
            ScriptedReply(when="weather", text="sunny"),
            ScriptedReply(when="time", text="noon"),
            ScriptedReply(text="fallback"),
        )
    )
    assert (await provider.generate(_req("the time please"))).text == "noon"
    assert (await provider.generate(_req("the weather please"))).text == "sunny"
    # Both `when` replies are used up in this conversation: the unconditional one answers.
    assert (await provider.generate(_req("the weather again"))).text == "fallback"


async def test_conversations_have_their_own_cursor() -> None:
    provider = create_provider(_spec(ScriptedReply(text="only")))
    assert (await provider.generate(_req("x", "u1"))).text == "only"
    assert (await provider.generate(_req("x", "u2"))).text == "only"


async def test_out_of_replies_is_a_clear_fatal_error() -> None:
    provider = create_provider(_spec(ScriptedReply(when="^hello", text="hi")))
    with pytest.raises(
        ProviderError, match="scripted provider 'fake' has no reply left in"
    ) as info:
        await provider.generate(_req("goodbye"))
    assert provider.classify(info.value).kind == "fatal"


async def test_usage_reported_or_estimated() -> None:
    provider = create_provider(
        _spec(
            ScriptedReply(text="a" * 40, input_tokens=100, output_tokens=7),
            ScriptedReply(text="b" * 40),
        )
    )
    reported = (await provider.generate(_req("q"))).usage
    assert (reported.input, reported.output, reported.estimated) == (100, 7, False)
    estimated = (await provider.generate(_req("q"))).usage
    assert estimated.output == 10 and estimated.estimated is True and estimated.input >= 1


async def test_delay_uses_anyio_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("runtime.providers.scripted.anyio.sleep", fake_sleep)
    provider = create_provider(_spec(ScriptedReply(text="x", delay_ms=250)))
    await provider.generate(_req("q"))
    assert slept == [0.25]
