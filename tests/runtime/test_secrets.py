"""runtime.secrets: references resolve from the environment; values never leak into messages."""

from __future__ import annotations

import pytest

from runtime.errors import InputError
from runtime.plan import SecretRef
from runtime.secrets import MissingSecretError, Redactor, resolve


def test_resolve_reads_env_and_templates() -> None:
    env = {"TOKEN": "s3cr3t-value", "USER_ID": "42"}
    assert resolve(SecretRef.from_env("TOKEN"), env) == "s3cr3t-value"
    assert (
        resolve(SecretRef(template="Bearer ${TOKEN}/${USER_ID}"), env) == "Bearer s3cr3t-value/42"
    )


def test_resolve_passes_literals_and_none() -> None:
    assert resolve(None, {}) is None
    assert resolve("plain-header", {}) == "plain-header"


@pytest.mark.requirement("provider:token-required")
def test_missing_variable_names_it_not_a_value() -> None:
    env = {"OTHER": "do-not-show-me"}
    with pytest.raises(MissingSecretError) as info:
        resolve(SecretRef.from_env("OPENAI_API_KEY"), env, what="provider 'gpt'")
    assert isinstance(info.value, InputError)
    message = str(info.value)
    assert "OPENAI_API_KEY" in message and "provider 'gpt'" in message
    assert "do-not-show-me" not in message


def test_empty_variable_is_missing() -> None:
    with pytest.raises(MissingSecretError, match="KEY"):
        resolve(SecretRef.from_env("KEY"), {"KEY": ""})


def test_redactor_scrubs_registered_values() -> None:
    redactor = Redactor()
    resolve(
        SecretRef(template="${A}-${B}"),
        {"A": "alpha-secret", "B": "beta-secret-longer"},
        redactor=redactor,
    )
    text = "got alpha-secret and beta-secret-longer and alpha-secret"
    assert redactor.redact(text) == "got *** and *** and ***"
    assert "alpha" not in repr(redactor)


def test_redactor_prefers_the_longest_overlapping_value() -> None:
    redactor = Redactor(["abcd", "abcdefgh"])
    assert redactor.redact("xabcdefghx") == "x***x"


def test_redactor_ignores_trivially_short_values() -> None:
    redactor = Redactor(["1", ""])
    assert redactor.redact("version 1.0") == "version 1.0"


def test_no_secret_reference_can_live_in_a_unit() -> None:
    """The run's redactor looks for secret references outside the units only (a plan's units
    are most of it); a SecretRef field in Unit's tree would be a secret it never scrubs."""
    import json

    from runtime.plan import Plan, Unit

    assert "SecretRef" not in json.dumps(Unit.model_json_schema())
    assert "SecretRef" in json.dumps(Plan.model_json_schema())  # the check can see one
