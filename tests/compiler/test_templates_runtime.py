"""Run-time templates: the compile-time parts substituted, the rest rendered by the runtime."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from compiler.templating.engine import TemplateEngine, TemplateProblem
from compiler.templating.segments import jinja_literal, jinja_string
from runtime.plan import RuntimeTemplate
from runtime.templating import make_environment, render

NOW = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
CTX = {
    "filename": "report.txt",
    "weird": "{{ evil }}{% if x %}\\ \" ' {# c #}",
    "suffix": "-s",
}
RUNTIME = {"user_id": "u1.txt", "user": {"id": 42, "name": "Ada"}}


def _engine(seed: int = 5) -> TemplateEngine:
    return TemplateEngine(seed=seed, now=NOW, env={"HOME": "/home/u"})


def _runtime(text: str, seed: int = 5) -> RuntimeTemplate:
    out = _engine(seed).render(text, CTX, runtime_vars={"user_id", "user"})
    assert isinstance(out, RuntimeTemplate)
    return out


def _whole(text: str, seed: int = 5) -> str:
    out = _engine(seed).render(text, {**CTX, "user_id": "u1.txt"})
    assert isinstance(out, str)
    return out


@pytest.mark.requirement("template:runtime")
def test_extractor_example_from_the_docs() -> None:
    rt = _runtime("Get details for user {{user_id}}")
    assert rt == RuntimeTemplate(
        source="Get details for user {{ user_id }}", variables=("user_id",)
    )
    assert render(rt.source, {"user_id": "123"}) == "Get details for user 123"


@pytest.mark.requirement("template:runtime")
def test_compile_time_values_are_escaped_in_the_source() -> None:
    rt = _runtime("{{weird}} {{user_id}} {{filename}}")
    assert "report.txt" in rt.source and "{{ evil }}" not in rt.source.replace('"{{ evil }}', "")
    assert render(rt.source, {"user_id": "X"}) == CTX["weird"] + " X report.txt"


@pytest.mark.requirement("template:runtime")
def test_text_without_runtime_names_stays_a_string() -> None:
    engine = _engine()
    assert engine.render("{{filename}}", CTX, runtime_vars={"user_id"}) == "report.txt"
    assert engine.render("plain", CTX, runtime_vars={"user_id"}) == "plain"


@pytest.mark.requirement("template:runtime")
def test_compile_time_names_inside_runtime_expressions_are_bound() -> None:
    rt = _runtime("{{ user_id ~ suffix }} {{replace user_id '1' filename}}")
    assert rt.source.startswith('{% set filename = "report.txt" %}{% set suffix = "-s" %}')
    assert render(rt.source, {"user_id": "a1"}) == "a1-s areport.txt"


@pytest.mark.requirement("template:runtime")
def test_random_helpers_cannot_take_runtime_arguments() -> None:
    with pytest.raises(TemplateProblem) as info:
        _engine().render("{{randomInt lower=1 upper=user_id}}", CTX, runtime_vars={"user_id"})
    assert "runs at compile time" in info.value.message and "user_id" in info.value.message


@pytest.mark.requirement("template:runtime")
def test_secrets_and_undefined_names_in_runtime_templates_are_still_checked() -> None:
    engine = TemplateEngine(seed=1, now=NOW, env={"API_TOKEN": "s3cr3t"})
    with pytest.raises(TemplateProblem, match="secret"):
        engine.render("{{ user_id ~ API_TOKEN }}", {}, runtime_vars={"user_id"})
    with pytest.raises(TemplateProblem) as info:
        engine.render("{{ user_id ~ usr }}", {"user": "x"}, runtime_vars={"user_id"})
    assert info.value.undefined == "usr"


# Fragments of suite text; the fuzz below strings them together at random.
FRAGMENTS = [
    "Hello ",
    "{{user_id}}",
    "${user_id}",
    "{{ user_id | upper }}",
    "{{filename}}",
    "{{weird}}",
    "{{{weird}}}",
    "{{randomValue length=4}}",
    "{{randomInt}}",
    "{{randomValue type='ALPHANUMERIC_AND_SYMBOLS' length=30}}",
    "{{now format='yyyy-MM-dd'}}",
    "{{cut filename '.txt'}}",
    "{{cut user_id '.txt'}}",
    "{{replace user_id '1' 'x'}}",
    "{{substring user_id start=1 end=3}}",
    "{{ '{{' }}",
    "{% raw %}{{not}}{% endraw %}",
    "{% if user_id %}Y{{ filename }}{% else %}N{% endif %}",
    "{% for c in user_id %}<{{ c }}{{ filename }}>{% endfor %}",
    "{{#if user_id}}y{{/if}}",
    "{{!-- c --}}",
    "{{- user_id -}}",
    "\r\n",
    "\n",
    "\\",
    '"',
    "'",
    "{",
    "}",
    "é😀",
    "${HOME}",
    "$${HOME}",
    "%}",
    "#}",
    "  ",
    "\t",
]


@pytest.mark.requirement("template:runtime")
def test_runtime_templates_render_exactly_like_the_whole_template() -> None:
    picker = random.Random(2024)
    compared = 0
    for _ in range(600):
        text = "".join(picker.choice(FRAGMENTS) for _ in range(picker.randint(1, 7)))
        try:
            whole = _engine().render(text, {**CTX, "user_id": "u1.txt"})
        except TemplateProblem:
            with pytest.raises(TemplateProblem):
                _engine().render(text, CTX, runtime_vars={"user_id", "user"})
            continue
        out = _engine().render(text, CTX, runtime_vars={"user_id", "user"})
        rendered = out if isinstance(out, str) else render(out.source, RUNTIME)
        assert rendered == whole, (text, out)
        compared += 1
    assert compared > 300


@pytest.mark.requirement("template:runtime")
@pytest.mark.requirement("template:dotted-path")
def test_runtime_paths_into_extracted_objects() -> None:
    rt = _runtime("{{user.name}} #{{ user.id + 1 }} ({{filename}})")
    assert rt.variables == ("user",)
    assert render(rt.source, RUNTIME) == "Ada #43 (report.txt)"


@pytest.mark.requirement("template:runtime")
def test_runtime_templates_are_deterministic_per_seed() -> None:
    text = "{{user_id}} {{randomValue length=16}} {{faker 'Internet.email'}}"
    assert _runtime(text, seed=7) == _runtime(text, seed=7)
    assert _runtime(text, seed=7) != _runtime(text, seed=8)


@pytest.mark.requirement("template:runtime")
def test_literal_encoding_round_trips() -> None:
    env = make_environment()
    picker = random.Random(9)
    alphabet = "ab{}%#\\\"'\r\n\t\x00\x7fé😀 -~$"
    for _ in range(500):
        text = "".join(picker.choice(alphabet) for _ in range(picker.randint(1, 12)))
        assert env.from_string("{{ " + jinja_string(text) + " }}").render() == text
        assert env.from_string(jinja_literal(text)).render() == text
        assert (
            env.from_string("{{ x }}" + jinja_literal(text) + "{{ x }}").render(x="|")
            == f"|{text}|"
        )
