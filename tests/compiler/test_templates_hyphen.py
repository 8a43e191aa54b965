"""Names with '-' (``{{my-var}}``, ``{{user.first-name}}``) read as agent-benchmark reads them.

Handlebars (raymond) IDs may contain '-', so ``{{my-var}}`` looks ``my-var`` up; Jinja would
read it as ``my - var``. bench follows Handlebars for a body that is one path with no spaces,
at compile time and in run-time templates; ``{{ a - b }}`` with spaces still subtracts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compiler.templating.engine import TemplateEngine, TemplateProblem
from runtime.plan import RuntimeTemplate, SecretRef
from runtime.templating import (
    TemplateRenderError,
    jinja_name,
    readable_names,
    render,
    variable_name,
)
from tests.compiler.conftest import BASE, compile_errors, compile_ok

NOW = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
CTX = {"my-var": "world", "x": "5", "file-name": "notes.txt", "my_var": "under"}


def _engine() -> TemplateEngine:
    return TemplateEngine(seed=3, now=NOW, env={"HOME": "/home/u"})


def _render(text: str, context: Mapping[str, object] | None = None) -> str:
    out = _engine().render(text, CTX if context is None else context)  # type: ignore[arg-type]
    assert isinstance(out, str)
    return out


def _problem(text: str, context: dict[str, str] | None = None) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as info:
        _engine().render(text, CTX if context is None else context)
    return info.value


def _runtime(text: str, runtime_vars: set[str]) -> RuntimeTemplate:
    out = _engine().render(text, CTX, runtime_vars=runtime_vars)
    assert isinstance(out, RuntimeTemplate)
    return out


# -- the reported example ------------------------------------------------------------------


@pytest.mark.requirement("template:hyphen-path")
def test_the_reported_suite_compiles_and_says_world(write: Callable[..., Path]) -> None:
    text = (
        BASE
        + 'variables:\n  my-var: "world"\n'
        + 'sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: "say {{my-var}}"\n'
    )
    plan = compile_ok(write(text))
    assert plan.cases[0].prompt == "say world"


@pytest.mark.requirement("template:hyphen-path")
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("say {{my-var}}", "say world"),
        ("say {{ my-var }}", "say world"),  # spaces around the body, none inside: a name
        ("say {{{my-var}}} {{&my-var}}", "say world world"),
        ("a {{~my-var~}} b {{-my-var-}} c", "aworldbworldc"),
        ("{{my-var}}/{{my_var}}", "world/under"),  # '-' and '_' are different names
        ("{{#if my-var}}yes{{else}}no{{/if}}", "yes"),
        ("{% if x %}{{my-var}}{% endif %}", "world"),
    ],
)
def test_a_hyphenated_name_is_one_lookup(template: str, expected: str) -> None:
    assert _render(template) == expected


@pytest.mark.requirement("template:hyphen-path")
def test_hyphenated_keys_of_a_path() -> None:
    people = {"user": {"first-name": "Ada", "last_name": "L"}, "the-user": {"first-name": "Bo"}}
    assert _render("{{user.first-name}} {{user.last_name}}", people) == "Ada L"
    assert _render("{{the-user.first-name}}", people) == "Bo"


@pytest.mark.requirement("template:hyphen-path")
@pytest.mark.requirement("template:helper-args")
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{cut file-name ".txt"}}', "notes"),
        ("{{replace my-var 'o' '0'}}", "w0rld"),
        ("{{substring my-var start=1 end=3}}", "or"),
        ("{{cut (replace file-name 'notes' my-var) '.txt'}}", "world"),
        ("{{randomInt lower=x upper=x}}", "5"),
    ],
)
def test_a_hyphenated_name_as_a_helper_argument(template: str, expected: str) -> None:
    assert _render(template) == expected


# -- Jinja subtraction stays, with spaces -------------------------------------------------


@pytest.mark.requirement("template:jinja")
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% set a = 5 %}{% set b = 2 %}{{ a - b }}", "3"),
        ("{% set a = 5 %}{{ a -1 }}", "4"),
        ("{% for i in range(3) %}{{ i - 1 }},{% endfor %}", "-1,0,1,"),
        ("{% set n = 1 %}{{3-n}}", "2"),  # a digit cannot start a name
        ("{{ x|int - 2 }}", "3"),
        ("{{randomInt lower=-3 upper=-3}}", "-3"),
    ],
)
def test_subtraction_with_spaces_still_subtracts(template: str, expected: str) -> None:
    assert _render(template) == expected


# -- undefined names ----------------------------------------------------------------------


@pytest.mark.requirement("template:hyphen-path")
@pytest.mark.requirement("template:undefined")
def test_an_undefined_hyphenated_name_is_named_whole_with_a_did_you_mean() -> None:
    problem = _problem("say {{my-vra}}")
    assert problem.undefined == "my-vra"
    assert "'my-vra' is undefined" in problem.message
    assert problem.hint == "did you mean 'my-var'?"
    close = _problem("{{file_name}}")
    assert close.hint == "did you mean 'file-name'?"


@pytest.mark.requirement("template:undefined")
def test_x_minus_one_without_spaces_is_a_name_and_the_hint_says_how_to_subtract() -> None:
    problem = _problem("{% for i in range(2) %}{{i-1}}{% endfor %}")
    assert problem.undefined == "i-1"
    assert problem.hint is not None and "{{ i - 1 }}" in problem.hint
    bare = _problem("{{x-1}}")
    assert bare.undefined == "x-1" and bare.hint is not None and "{{ x - 1 }}" in bare.hint


@pytest.mark.requirement("template:undefined")
def test_a_hyphenated_name_inside_a_jinja_expression_gets_a_hint() -> None:
    problem = _problem("{{ my-var | upper }}", {"my-var": "w"})
    assert problem.undefined == "my"
    assert problem.hint is not None and "Jinja reads 'my-var' as 'my - var'" in problem.hint


@pytest.mark.requirement("template:unknown-helper")
def test_undefined_hyphenated_helper_arguments() -> None:
    arg = _problem("{{cut my-file '.txt'}}")
    assert arg.undefined == "my-file"
    assert arg.hint == "to pass the text itself, quote it: 'my-file'"
    key = _problem("{{randomValue my-length=3}}")
    assert "randomValue has no argument 'my-length'" in key.message


@pytest.mark.requirement("template:sandbox")
def test_the_sandbox_still_guards_hyphenated_paths() -> None:
    refused = _problem("{{my-var.__class__.__mro__}}")
    assert "refused by the template sandbox" in refused.message
    # A hyphenated key is a subscript: no such item, and no attribute of that name is read.
    missing = _problem("{{my-var.__class__-x}}")
    assert "has no attribute '__class__-x'" in missing.message


@pytest.mark.requirement("template:undefined")
def test_compile_reports_the_undefined_hyphenated_name(write: Callable[..., Path]) -> None:
    text = (
        BASE
        + 'variables:\n  my-var: "world"\n'
        + 'sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: "say {{my-vr}}"\n'
    )
    (error,) = compile_errors(write(text))
    assert error.code == "undefined-variable"
    assert "'my-vr' is undefined" in error.message
    assert error.hint == "did you mean 'my-var'?"


# -- variables and extractors with hyphenated names ----------------------------------------


@pytest.mark.requirement("template:variables")
def test_variables_may_read_hyphenated_variables_in_dependency_order() -> None:
    values, problems = _engine().resolve_variables(
        {"greeting": "hi {{first-name}}", "first-name": "{{faker 'Name.first_name'}}"}, {}
    )
    assert problems == []
    assert values["greeting"] == "hi " + values["first-name"] and values["first-name"]


@pytest.mark.requirement("template:hyphen-path")
@pytest.mark.requirement("template:runtime")
def test_runtime_templates_read_hyphenated_extracted_names() -> None:
    rt = _runtime("id {{note-id}} of {{my-var}}", {"note-id"})
    assert rt.variables == ("note-id",)
    assert render(rt.source, {"note-id": "n1"}) == "id n1 of world"
    obj = _runtime("{{note-id.first-name}}", {"note-id"})
    assert render(obj.source, {"note-id": {"first-name": "Ada"}}) == "Ada"


@pytest.mark.requirement("template:runtime")
def test_runtime_templates_bind_hyphenated_compile_time_names() -> None:
    # The helper reads a run-time name and a compile-time one: the latter is bound in the source.
    rt = _runtime("{{cut note-id file-name}}", {"note-id"})
    assert rt.variables == ("note-id",)
    assert render(rt.source, {"note-id": "a-notes.txt"}) == "a-"
    block = _runtime("{% if x %}{{note-id}}{% endif %}{{#if my-var}}!{{/if}}", {"note-id"})
    assert block.variables == ("note-id",)
    assert render(block.source, {"note-id": "n2"}) == "n2!"


EXTRACT = """\
sessions:
  - name: flow
    tests:
      - name: create
        prompt: create
        extractors:
          - {type: jsonpath, tool: create_note, path: "$.id", variable_name: NAME}
      - name: use
        prompt: "show {{note-id}}"
        assertions:
          - {type: tool_param_equals, tool: get_note, params: {id: "{{cut note-id 'x'}}"}}
"""


@pytest.mark.requirement("extract:runtime-vars")
def test_an_extractor_may_bind_a_hyphenated_name(write: Callable[..., Path]) -> None:
    plan = compile_ok(write(BASE + EXTRACT.replace("NAME", "note-id")))
    create, use = plan.cases
    assert create.extractors[0].variable_name == "note-id"
    assert isinstance(use.prompt, RuntimeTemplate) and use.prompt.variables == ("note-id",)
    assert render(use.prompt.source, {"note-id": "n1"}) == "show n1"
    param = use.assertions[0].params["id"]  # type: ignore[union-attr]
    assert isinstance(param, RuntimeTemplate) and render(param.source, {"note-id": "nx1"}) == "n1"


@pytest.mark.parametrize("name", ["note-", "1note", "-note", "note id"])
def test_an_extractor_name_no_template_can_read_is_refused(
    write: Callable[..., Path], name: str
) -> None:
    text = BASE + EXTRACT.replace("NAME", repr(name)).replace("{{note-id}}", "x").replace(
        "cut note-id", "cut 'a'"
    )
    errors = compile_errors(write(text))
    assert [e.code for e in errors] == ["invalid-value"]
    assert "is not a valid name" in errors[0].message


# -- secrets ------------------------------------------------------------------------------


@pytest.mark.requirement("template:secret-ref")
def test_a_hyphenated_variable_holding_a_secret_reference_works_in_credentials() -> None:
    engine = _engine()
    values, problems = engine.resolve_variables({"api-token": "Bearer {{OPENAI_API_KEY}}"}, {})
    assert problems == []
    ref = engine.render_credential("{{api-token}}", values)
    assert ref == SecretRef(template="Bearer ${OPENAI_API_KEY}")


@pytest.mark.requirement("template:secret-ref")
def test_a_hyphenated_environment_secret_is_a_clear_error() -> None:
    with pytest.raises(TemplateProblem) as info:
        _engine().render_credential("{{api-token}}", {"api_token": "x"})
    assert "needs a name without '-'" in info.value.message
    assert info.value.hint == "did you mean 'api_token'?"


# -- the encoding shared with the runtime -------------------------------------------------


@pytest.mark.parametrize("name", ["my-var", "a_b-c", "a--b", "x-1", "_-_", "user-info"])
def test_jinja_names_round_trip(name: str) -> None:
    ident = jinja_name(name)
    assert ident.isidentifier() and "-" not in ident
    assert variable_name(ident) == name
    assert readable_names(f"'{ident}' is undefined") == f"'{name}' is undefined"


@pytest.mark.parametrize("name", ["plain", "my_var", "_hb_x", "_hb_a_b", "_hb_"])
def test_names_without_a_hyphen_are_themselves(name: str) -> None:
    assert jinja_name(name) == name and variable_name(name) == name


@pytest.mark.parametrize(
    "template", ["{{ _hb_my_hvar | upper }}", "{% if x %}{{ _hb_my_hvar | upper }}{% endif %}"]
)
def test_the_encoded_identifier_reads_the_same_variable_in_any_template(template: str) -> None:
    assert _render(template) == "WORLD"


def test_runtime_render_binds_hyphenated_names_and_reports_them_as_written() -> None:
    source = "{{ " + jinja_name("note-id") + " }}"
    assert render(source, {"note-id": "n7", "x": "1"}) == "n7"
    with pytest.raises(TemplateRenderError) as info:
        render(source, {"x": "1"})
    assert "'note-id' is undefined" in str(info.value)


def test_a_variable_no_template_can_read_is_warned_once(write: Callable[..., Path]) -> None:
    from compiler import compile_with_warnings

    text = (
        BASE
        + 'variables:\n  "my var": "a"\n  "x-": "b"\n  ok-name: "c"\n'
        + "sessions:\n  - name: s\n    tests:\n"
        + "      - {name: t, prompt: 'say {{ok-name}}'}\n"
        + "      - {name: u, prompt: 'again'}\n"
    )
    result = compile_with_warnings(write(text), seed=7, now=NOW, env={})
    warned = [w for w in result.warnings if w.code == "unreadable-variable"]
    assert sorted(w.message for w in warned) == [
        "variable 'my var' can never be read: {{my var}} is not a name",
        "variable 'x-' can never be read: {{x-}} is not a name",
    ]
    assert sorted(w.line for w in warned) == [10, 11]  # at each key, in the suite file
    assert result.plan.cases[0].prompt == "say c"
