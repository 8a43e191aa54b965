"""The meter's model: the response's, else the request's (body, then URL path)."""

from __future__ import annotations

import json

import pytest

from runtime.proxy.usage import Meter


def _json_answer(meter: Meter, answer: dict[str, object]) -> None:
    meter.start("application/json", "")
    meter.feed(json.dumps(answer).encode())
    meter.usage()


@pytest.mark.requirement("proxy:openai-chat")
def test_the_model_the_response_names_wins() -> None:
    meter = Meter("openai_chat", b'{"model": "gpt-asked"}')
    _json_answer(meter, {"model": "gpt-served", "choices": []})
    assert meter.model == "gpt-served"


@pytest.mark.requirement("proxy:openai-chat")
def test_without_one_in_the_response_the_request_body_names_it() -> None:
    meter = Meter("openai_chat", b'{"model": "gpt-asked", "messages": []}')
    _json_answer(meter, {"choices": []})
    assert meter.model == "gpt-asked"
    assert meter.model == "gpt-asked"  # asked twice: same answer (the body is parsed once)


@pytest.mark.requirement("proxy:gemini")
@pytest.mark.parametrize(
    ("body", "expected"),
    [(b'{"contents": []}', "gemini-path"), (b"not json", "gemini-path"), (b"", "gemini-path")],
)
def test_a_gemini_model_comes_from_the_path_when_the_body_has_none(
    body: bytes, expected: str
) -> None:
    meter = Meter("gemini", body, model_hint="gemini-path")
    _json_answer(meter, {"candidates": []})
    assert meter.model == expected


def test_a_model_in_the_request_body_overrides_the_path_hint() -> None:
    meter = Meter("gemini", b'{"model": "in-body"}', model_hint="gemini-path")
    assert meter.model == "in-body"
