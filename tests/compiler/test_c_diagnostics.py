"""All of a suite's mistakes in one run, each at its file:line:col, with did-you-mean hints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import Diagnostic
from compiler.suggest import closest
from tests.compiler.conftest import BASE, compile_errors

MISTAKES = Path(__file__).resolve().parent.parent / "fixtures" / "mistakes" / "many-mistakes.yaml"


@pytest.mark.requirement("diagnostics:all-at-once")
def test_every_mistake_is_reported_at_its_place() -> None:
    errors = compile_errors(MISTAKES)
    got = [(d.code, d.line, d.col) for d in errors]
    assert got == [
        ("literal-secret", 5, 12),
        ("invalid-value", 8, 11),
        ("unknown-provider", 14, 15),
        ("runtime-var-order", 23, 28),
        ("invalid-value", 24, 22),
        ("unknown-key", 27, 13),
        ("undefined-variable", 29, 25),
        ("unknown-assertion", 30, 19),
        ("bad-regex", 33, 22),
        ("unknown-agent", 35, 16),
        ("secret-in-template", 36, 45),
        ("bad-jsonpath", 40, 19),
    ]
    hints = {d.code: d.hint for d in errors}
    assert hints["unknown-provider"] == "did you mean 'gpt'?"
    assert hints["unknown-assertion"] == "did you mean 'tool_called'?"
    assert hints["undefined-variable"] == "did you mean 'filename'?"
    assert hints["unknown-key"] is not None and hints["unknown-key"].startswith(
        "did you mean 'value'?"
    )
    assert errors[1].hint == "did you mean 'ANTHROPIC'?"
    order = next(d for d in errors if d.code == "runtime-var-order")
    assert "many-mistakes.yaml:41:28" in order.message


@pytest.mark.requirement("diagnostics:all-at-once")
def test_the_cli_reports_them_all_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    assert main(["compile", str(MISTAKES), "--diagnostics-format", "text"]) == 2
    err = capsys.readouterr().err
    assert err.count("error[") == 12
    assert "    5 |     token: sk-live-1234567890\n      |            ^\n" in err
    assert "hint: did you mean 'tool_called'?" in err
    assert "12 errors; nothing written" in err


def test_format_with_excerpt_and_caret() -> None:
    d = Diagnostic(
        "unknown-key", "unknown key 'text'", "s.yaml", 2, 5, hint="did you mean 'value'?"
    )
    assert d.format("a: 1\n    text: x\n") == (
        "s.yaml:2:5: error[unknown-key]: unknown key 'text'\n"
        "    2 |     text: x\n"
        "      |     ^\n"
        "hint: did you mean 'value'?"
    )


def test_github_and_json_forms() -> None:
    d = Diagnostic("bad-regex", "invalid 100%\nregex", "a,b.yaml", 3, 7, hint="escape it")
    assert (
        d.github()
        == "::error file=a%2Cb.yaml,line=3,col=7::[bad-regex] invalid 100%25%0Aregex (escape it)"
    )
    assert json.loads(json.dumps(d.as_dict()))["line"] == 3


@pytest.mark.requirement("diagnostics:unknown-keys")
@pytest.mark.parametrize(
    ("snippet", "code", "hint_part"),
    [
        ("- type: cli_stdout_contains\n  substring: ok", "unknown-key", "did you mean 'value'?"),
        (
            "- type: tool_param_equals\n  tool: t\n  param: {a: 1}",
            "unknown-key",
            "did you mean 'params'?",
        ),
        ("- type: output_regex\n  patern: x", "unknown-key", "did you mean 'pattern'?"),
        ("- type: output_contains\n  value: x\n  description: y", "unknown-key", "no description"),
        ("- any_of: []", "invalid-assertion", "did you mean 'anyOf'?"),
        ("- type: Tool_Called\n  tool: x", "unknown-assertion", "did you mean 'tool_called'?"),
    ],
)
def test_assertion_mistakes_get_hints(
    write: Callable[..., Path], snippet: str, code: str, hint_part: str
) -> None:
    body = "\n".join("          " + line for line in snippet.splitlines())
    path = write(
        BASE
        + f"sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n        assertions:\n{body}\n"
    )
    errors = compile_errors(path)
    assert errors[0].code == code
    assert hint_part in (errors[0].hint or "")


@pytest.mark.requirement("diagnostics:unknown-keys")
def test_unknown_keys_elsewhere(write: Callable[..., Path]) -> None:
    path = write(
        BASE.replace("    provider: p\n", "    provider: p\n    sytem_prompt: hi\n")
        + "servers:\n  - name: s\n    type: stdio\n    command: x\n    init_timeout: 5s\n"
        + "settings:\n  max_iteration: 3\n"
        + "sessions:\n  - name: s\n    tests:\n      - name: t\n        promt: hi\n"
    )
    errors = compile_errors(path)
    hints = {(d.line, d.hint) for d in errors if d.code == "unknown-key"}
    assert (9, "did you mean 'system_prompt'?") in hints
    assert any(h and "server_delay" in h for _, h in hints)
    assert any(h == "did you mean 'max_iterations'?" for _, h in hints)
    assert any(h == "did you mean 'prompt'?" for _, h in hints)
    assert not any(d.code == "missing-key" and "prompt" in d.message for d in errors)


def test_closest_is_case_insensitive() -> None:
    assert closest("OPENAPI", ["OPENAI", "AZURE"]) == "OPENAI"
    assert closest("zzz", ["OPENAI"]) is None


def test_every_suite_model_has_a_name_users_know() -> None:
    # A diagnostic says where a value is ("'min' in criteria.pass_hat_k"), never a class name.
    import inspect

    from compiler import suite
    from compiler.validate import _KIND

    models = {
        name
        for module in (
            suite.agents,
            suite.datasets,
            suite.document,
            suite.providers,
            suite.servers,
            suite.sessions,
            suite.extractors,
        )  # fmt: skip
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and name.endswith("Def") and obj.__module__ == module.__name__
    }
    assert models and models <= set(_KIND), sorted(models - set(_KIND))
