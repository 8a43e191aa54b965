"""Smoke tests for the template engine interface the compiler core calls."""

from __future__ import annotations

from datetime import UTC, datetime

from compiler.templates import TemplateEngine, TemplateProblem
from runtime.plan import RuntimeTemplate, SecretRef
from runtime.templating import render

NOW = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)


def _engine(seed: int = 7) -> TemplateEngine:
    return TemplateEngine(
        seed=seed, now=NOW, env={"HOME": "/home/u", "GITHUB_TOKEN": "sentinel-secret"}
    )


def test_interface_round_trip() -> None:
    engine = _engine()
    ctx = engine.static_context(test_dir="/suite", run_id="run-1")
    assert ctx["TEST_DIR"] == "/suite" and ctx["RUN_ID"] == "run-1"
    values, problems = engine.resolve_variables({"file": "f-{{randomValue length=4}}.txt"}, ctx)
    assert problems == [] and len(values["file"]) == len("f-abcd.txt")
    assert (
        engine.render("{{cut file '.txt'}} in {{HOME}}", {**ctx, **values})
        == values["file"][:-4] + " in /home/u"
    )
    assert engine.render_credential("Bearer {{GITHUB_TOKEN}}", ctx) == SecretRef(
        template="Bearer ${GITHUB_TOKEN}"
    )
    assert engine.referenced_names("{{a}} ${B} {{now}}") == {"a", "B"}
    rt = engine.render("id={{user_id}} at {{now format='yyyy'}}", ctx, runtime_vars={"user_id"})
    assert isinstance(rt, RuntimeTemplate) and rt.variables == ("user_id",)
    assert render(rt.source, {"user_id": "42"}) == "id=42 at 2024"


def test_problem_carries_undefined_name() -> None:
    try:
        _engine().render("{{usr}}", {"user": "x"})
    except TemplateProblem as exc:
        assert exc.undefined == "usr" and exc.hint == "did you mean 'user'?"
    else:
        raise AssertionError("expected a TemplateProblem")
