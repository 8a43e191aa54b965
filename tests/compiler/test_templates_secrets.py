"""Secrets: refused in ordinary fields, kept as SecretRef placeholders in credential fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from compiler.templating.engine import SecretAlias, TemplateEngine, TemplateProblem, looks_secret
from runtime.plan import SecretRef

NOW = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
SENTINEL = "sentinel-b7e1c9"
ENV = {
    "GITHUB_TOKEN": SENTINEL,
    "OPENAI_API_KEY": SENTINEL + "-openai",
    "API_TOKEN": SENTINEL + "-api",
    "MY_ORG": "acme",
    "HOME": "/home/u",
}


def _engine() -> TemplateEngine:
    return TemplateEngine(seed=7, now=NOW, env=ENV)


@pytest.mark.requirement("template:secret-refused")
@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "OPENAI_API_KEY",
        "openaiApiKey",
        "DB_PASSWORD",
        "db_passwd",
        "AWS_SECRET_ACCESS_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AZURE_CREDENTIAL",
        "PRIVATE_KEY_PATH",
        "AUTH",
        "X_AUTH_HEADER",
        "Token",
    ],
)
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.requirement("template:secret-refused")
@pytest.mark.parametrize(
    "name",
    ["HOME", "AUTHOR", "KEYBOARD", "MONKEY", "TOKENIZER_PATH", "SECRETARY", "WORKSPACE_PATH"],
)
def test_ordinary_names(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.requirement("template:secret-refused")
@pytest.mark.parametrize(
    "template",
    [
        "{{GITHUB_TOKEN}}",
        "token is ${GITHUB_TOKEN}",
        "{{ GITHUB_TOKEN | upper }}",
        "{{cut GITHUB_TOKEN 'x'}}",
        "{{{OPENAI_API_KEY}}}",
        "{% if GITHUB_TOKEN %}set{% endif %}",
        "{{UNSET_SECRET_TOKEN}}",  # refused even when unset: the suite must not depend on it
    ],
)
def test_secrets_are_refused_in_ordinary_fields(template: str) -> None:
    with pytest.raises(TemplateProblem) as info:
        _engine().render(template, {})
    assert "would put a secret into the plan" in info.value.message
    assert (
        info.value.hint
        == "reference secrets only in credential fields: token, secret, headers, ..."
    )
    assert SENTINEL not in str(info.value)


@pytest.mark.requirement("template:secret-refused")
def test_secret_refusal_message_quotes_the_reference() -> None:
    with pytest.raises(TemplateProblem) as info:
        _engine().render("Print {{GITHUB_TOKEN}} please", {})
    assert info.value.message == "'{{GITHUB_TOKEN}}' would put a secret into the plan"
    assert info.value.offset == 6


@pytest.mark.requirement("template:env-ref")
def test_non_secret_environment_expands_in_ordinary_fields() -> None:
    assert _engine().render("org {{MY_ORG}} at ${HOME}", {}) == "org acme at /home/u"


@pytest.mark.requirement("template:secret-ref")
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{OPENAI_API_KEY}}", "${OPENAI_API_KEY}"),
        ("${OPENAI_API_KEY}", "${OPENAI_API_KEY}"),
        ("Bearer {{API_TOKEN}}", "Bearer ${API_TOKEN}"),
        ("Authorization: Bearer ${API_TOKEN}", "Authorization: Bearer ${API_TOKEN}"),
        ("{{user}}:{{GITHUB_TOKEN}}", "bob:${GITHUB_TOKEN}"),
        ("{{MY_ORG}}-{{NOT_SET_ANYWHERE}}", "${MY_ORG}-${NOT_SET_ANYWHERE}"),  # every env reference
        ("{{{API_TOKEN}}}", "${API_TOKEN}"),
    ],
)
def test_credentials_become_secret_refs(template: str, expected: str) -> None:
    ref = _engine().render_credential(template, {"user": "bob"})
    assert ref == SecretRef(template=expected)
    assert SENTINEL not in json.dumps(ref.model_dump()) and "acme" not in expected


@pytest.mark.requirement("template:secret-ref")
def test_credentials_without_env_references_stay_strings() -> None:
    engine = _engine()
    assert engine.render_credential("sk-literal", {}) == "sk-literal"
    assert (
        engine.render_credential("{{user}}-{{randomInt lower=3 upper=3}}", {"user": "bob"})
        == "bob-3"
    )


@pytest.mark.requirement("template:secret-ref")
def test_credentials_need_the_secret_whole() -> None:
    engine = _engine()
    for template in (
        "{{ API_TOKEN | lower }}",
        "{{cut API_TOKEN 'x'}}",
        "{% if API_TOKEN %}x{% endif %}",
    ):
        with pytest.raises(TemplateProblem) as info:
            engine.render_credential(template, {})
        assert "API_TOKEN" in info.value.message and SENTINEL not in str(info.value)


@pytest.mark.requirement("template:secret-ref")
def test_credential_literal_text_cannot_fake_a_placeholder() -> None:
    with pytest.raises(TemplateProblem):
        _engine().render_credential("{{prefix}}{{API_TOKEN}}", {"prefix": "${EVIL}"})


@pytest.mark.requirement("template:secret-ref")
def test_variables_holding_secrets_become_aliases() -> None:
    engine = _engine()
    values, problems = engine.resolve_variables(
        {"auth": "Bearer {{API_TOKEN}}", "org": "{{MY_ORG}}", "both": "{{org}} {{auth}}"}, {}
    )
    assert problems == []
    assert isinstance(values["auth"], SecretAlias) and values["auth"] == "Bearer ${API_TOKEN}"
    assert values["org"] == "acme"  # non-secret env expands in variables
    assert values["both"] == "acme Bearer ${API_TOKEN}" and isinstance(values["both"], SecretAlias)
    assert engine.render_credential("{{auth}}", values) == SecretRef(template="Bearer ${API_TOKEN}")
    with pytest.raises(TemplateProblem) as info:
        engine.render("Say {{auth}}", values)
    assert "would put a secret into the plan" in info.value.message
    with pytest.raises(TemplateProblem):
        engine.render("{{auth}}", values, runtime_vars={"other"})
    with pytest.raises(TemplateProblem):
        engine.render("{{auth}} {{other}}", values, runtime_vars={"other"})


@pytest.mark.requirement("template:secret-refused")
def test_no_output_ever_contains_a_secret_value() -> None:
    engine = _engine()
    outputs: list[str] = []
    templates = [
        "{{GITHUB_TOKEN}}",
        "${OPENAI_API_KEY}",
        "{{API_TOKEN}} {{extracted}}",
        "{{ API_TOKEN ~ 'x' }}",
        "{{MY_ORG}}",
    ]
    for template in templates:
        for call in (
            lambda t: engine.render(t, {}, runtime_vars={"extracted"}),
            lambda t: engine.render_credential(t, {}),
        ):
            try:
                outputs.append(repr(call(template)))
            except TemplateProblem as exc:
                outputs.append(str(exc) + repr(exc))
    values, problems = engine.resolve_variables(
        {"t": "{{GITHUB_TOKEN}}", "u": "{{ GITHUB_TOKEN|upper }}"}, {}
    )
    outputs += [repr(values), repr(problems)]
    assert all(SENTINEL not in out for out in outputs)
