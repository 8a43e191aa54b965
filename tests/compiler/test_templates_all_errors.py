"""Every template error of a field is reported, each located, with a did-you-mean drawn from
the names defined where it is used (issue 10 item 15)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import Diagnostic
from tests.compiler.conftest import BASE, compile_errors

VARIABLES = "variables:\n  user: bob\n  name: x\n  customer_name: c\n"


def _errors(write: Callable[..., Path], prompt: str, **kwargs: object) -> list[Diagnostic]:
    text = BASE + VARIABLES + "sessions:\n  - name: s\n    tests:\n      - name: t\n"
    text += f"        prompt: {json.dumps(prompt)}\n"
    return compile_errors(write(text), **kwargs)


def _column(prompt: str, tag: str) -> int:
    """The column of ``tag`` in the prompt line (``        prompt: "`` is 17 characters)."""
    return 18 + prompt.index(tag)


def _summary(errors: list[Diagnostic]) -> list[tuple[str, int, int, str | None]]:
    return [(e.code, e.line, e.col, e.hint) for e in errors]


@pytest.mark.requirement("template:all-errors")
def test_two_undefined_names_in_one_prompt_are_two_located_diagnostics(
    write: Callable[..., Path],
) -> None:
    prompt = "Hi {{usr}} and {{nme}}"
    assert _summary(_errors(write, prompt)) == [
        ("undefined-variable", 17, _column(prompt, "{{usr}}"), "did you mean 'user'?"),
        ("undefined-variable", 17, _column(prompt, "{{nme}}"), "did you mean 'name'?"),
    ]


@pytest.mark.requirement("template:all-errors")
@pytest.mark.parametrize(
    ("prompt", "tags"),
    [
        # Jinja blocks: the whole text renders at once; each name is located at its first use.
        ("{% if usr %}{{ nme }}{% endif %} {{ nam }}", ["{% if usr %}", "{{ nme }}", "{{ nam }}"]),
        ("{{ usr|upper }} {{ nme ~ 'x' }}", ["{{ usr|upper }}", "{{ nme ~ 'x' }}"]),
        ("{{ usr ~ nme }}", ["{{ usr ~ nme }}", "{{ usr ~ nme }}"]),
        # A bad helper argument does not hide the undefined name after it.
        ("{{randomValue lenght=3}} {{ usre }}", ["{{randomValue lenght=3}}", "{{ usre }}"]),
    ],
)
def test_every_problem_of_a_field_is_reported(
    write: Callable[..., Path], prompt: str, tags: list[str]
) -> None:
    errors = _errors(write, prompt)
    assert [(e.line, e.col) for e in errors] == [(17, _column(prompt, t)) for t in tags]
    assert all(e.hint and e.hint.startswith("did you mean") for e in errors), errors


@pytest.mark.requirement("template:all-errors")
def test_a_name_used_twice_is_reported_once(write: Callable[..., Path]) -> None:
    prompt = "{{usr}} and again {{ usr }}"
    assert _summary(_errors(write, prompt)) == [
        ("undefined-variable", 17, _column(prompt, "{{usr}}"), "did you mean 'user'?")
    ]


@pytest.mark.requirement("template:all-errors")
def test_did_you_mean_knows_the_names_a_template_binds(write: Callable[..., Path]) -> None:
    prompt = "{% for item in [1, 2] %}{{ itme }}{% endfor %}"
    [error] = _errors(write, prompt)
    assert (error.col, error.hint) == (_column(prompt, "{{ itme }}"), "did you mean 'item'?")


@pytest.mark.requirement("template:all-errors")
def test_a_defined_variable_beats_an_environment_variable(write: Callable[..., Path]) -> None:
    # CUSTMER_NAMX is spelled closer, but customer_name is what the suite defines.
    [error] = _errors(write, "{{custmer_nam}}", env={"CUSTMER_NAMX": "1"})
    assert error.hint == "did you mean 'customer_name'?"


@pytest.mark.requirement("template:all-errors")
def test_every_undefined_name_of_a_variable_is_reported(write: Callable[..., Path]) -> None:
    text = BASE + VARIABLES + '  greeting: "{{usr}} {{nme}}"\n'
    text += "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: '{{greeting}}'}\n"
    errors = compile_errors(write(text))
    assert _summary(errors) == [
        ("undefined-variable", 13, 14, "did you mean 'user'?"),
        ("undefined-variable", 13, 22, "did you mean 'name'?"),
    ]


@pytest.mark.requirement("template:all-errors")
def test_run_time_fields_report_every_name_too(write: Callable[..., Path]) -> None:
    text = BASE + VARIABLES + "sessions:\n  - name: s\n    tests:\n"
    text += "      - name: t1\n        prompt: go\n        extractors:\n"
    text += "          - {type: jsonpath, tool: t, path: $.id, variable_name: ticket_id}\n"
    text += '      - name: t2\n        prompt: "{{ ticket_id }} {{ usr }} {{ tiket_id }}"\n'
    errors = compile_errors(write(text))
    assert [(e.line, e.hint) for e in errors] == [
        (21, "did you mean 'user'?"),
        (21, "did you mean 'ticket_id'?"),
    ]
