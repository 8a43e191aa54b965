"""CaseRun.render_prompt: the one place both agent kinds finish a case's prompt."""

from __future__ import annotations

import pytest

from runtime.case_finish import CaseRun
from runtime.errors import InputError
from runtime.plan import RuntimeTemplate

from .runtime_helpers import case, unit


def _run(prompt: str | RuntimeTemplate) -> CaseRun:
    c = case("u", 0, prompt)
    return CaseRun(unit("u", [c]), c)


def test_plain_prompt_is_sent_as_written() -> None:
    run = _run("hello {{ x }}")
    assert run.render_prompt({"x": "ignored"}) == "hello {{ x }}"
    assert run.prompt == "hello {{ x }}" and run.transcript.errors == []


def test_template_prompt_renders_with_session_variables() -> None:
    run = _run(RuntimeTemplate(source="user {{ user_id }}", variables=("user_id",)))
    assert run.render_prompt({"user_id": "42"}) == "user 42"
    assert run.prompt == "user 42" and run.transcript.errors == []


def test_unbound_variable_renders_empty_and_is_reported() -> None:
    run = _run(RuntimeTemplate(source="user [{{ user_id }}]", variables=("user_id",)))
    assert run.render_prompt({}) == "user []"
    assert run.transcript.errors == [
        "variable 'user_id' was not bound by its extractor; rendered as empty"
    ]


def test_render_failure_is_an_input_error() -> None:
    run = _run(RuntimeTemplate(source="{{ x | no_such_filter }}", variables=("x",)))
    with pytest.raises(InputError, match="prompt of this test failed to render"):
        run.render_prompt({"x": "1"})
    assert run.prompt == ""
