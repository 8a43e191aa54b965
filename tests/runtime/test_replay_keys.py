"""What a cassette key holds: the request's content, never where or how it was sent."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.plan import Generation, OpenAIProvider, RetryPolicy, SecretRef
from runtime.providers.base import ChatRequest, ToolSpec
from runtime.replay.canonical import key_of, llm_request
from runtime.transcript import Message


def request(**kw: Any) -> ChatRequest:
    base: dict[str, Any] = {
        "messages": [Message(role="user", content="hi", at_ms=1.0)],
        "tools": [ToolSpec("t", "a tool", {"type": "object"})],
        "conversation_id": "u1",
    }
    return ChatRequest(**(base | kw))


def spec(**kw: Any) -> OpenAIProvider:
    return OpenAIProvider(**({"name": "p", "model": "gpt-x"} | kw))


def key(s: OpenAIProvider, r: ChatRequest) -> str:
    return key_of(llm_request(s, r))


def test_connection_settings_and_timing_stay_out_of_the_key() -> None:
    base = key(spec(), request())
    assert base == key(
        spec(api_key=SecretRef.from_env("K"), base_url="http://x", stream=True,
             retry=RetryPolicy(timeout_ms=5, max_retries=0)),
        request(conversation_id="u1@3", messages=[Message(role="user", content="hi", at_ms=9.0)]),
    )  # fmt: skip
    assert base == key(spec(name="other"), request())


def test_content_model_tools_and_sampling_parameters_change_the_key() -> None:
    base = key(spec(), request())
    changed = [
        key(spec(model="gpt-y"), request()),
        key(spec(), request(messages=[Message(role="user", content="hi!")])),
        key(spec(), request(tools=[])),
        key(spec(), request(purpose="judge")),
        key(spec(generation=Generation(temperature=0.2)), request()),
        key(spec(), request(generation=Generation(seed=7))),
        key(spec(), request(generation=Generation(stop=("END",)))),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_the_parameters_a_request_is_sent_with_are_keyed_whoever_set_them() -> None:
    on_provider = key(spec(generation=Generation(temperature=0.5)), request())
    on_agent = key(spec(), request(generation=Generation(temperature=0.5)))
    assert on_provider == on_agent


@pytest.mark.anyio
async def test_the_seam_keys_each_request_with_its_own_generation(tmp_path: Any) -> None:
    """The seam keeps each generation's canonical form; requests that alternate between an
    agent's parameters and the provider's are each keyed as ``llm_request`` keys them."""
    from runtime.providers.base import ChatResponse
    from runtime.replay.cassette import Cassette
    from runtime.replay.seam import Traffic, TrafficProvider

    class Answer:
        spec = spec()

        async def generate(self, request: ChatRequest) -> ChatResponse:
            return ChatResponse(text="ok")

    s = spec(generation=Generation(temperature=0.1))
    cassette = Cassette.create(tmp_path / "cas")
    provider = TrafficProvider(s, Traffic(cassette=cassette), None, inner=Answer())  # type: ignore[arg-type]
    asked = [
        request(),
        request(generation=Generation(seed=7)),
        request(),
        request(generation=Generation(temperature=0.9)),
        request(generation=Generation(seed=7)),
    ]
    for r in asked:
        await provider.generate(r)
    cassette.close()
    keys = [e["key"] for e in Cassette.load(tmp_path / "cas").entries() if e["kind"] == "llm"]
    assert keys == [key(s, r) for r in asked]
    assert keys[0] == keys[2] and keys[1] == keys[4] and len(set(keys)) == 3
