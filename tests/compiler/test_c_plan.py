"""The plan: expansion order and ids, run-time variables, determinism, secrets, suites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import compile_suite
from runtime.plan import RuntimeTemplate, parse_plan
from tests.compiler.conftest import NOW, compile_errors, compile_ok

TWO_AGENTS = """\
providers:
  - {name: p1, type: SCRIPTED, replies: [{text: ok}]}
  - {name: p2, type: SCRIPTED, replies: [{text: ok}]}
agents:
  - name: zeta
    provider: p1
    system_prompt: "I am {{AGENT_NAME}} on {{PROVIDER_NAME}}, session {{SESSION_NAME}}"
  - name: alpha
    provider: p2
variables:
  token_word: "{{randomValue length=12}}"
  who: "{{faker 'Name.full_name'}}"
  when: "{{now format='yyyy-MM-dd'}}"
sessions:
  - name: first
    allowed_tools: []
    tests:
      - name: one
        prompt: "say {{token_word}} to {{who}} on {{when}}"
      - name: only alpha
        agent: alpha
        prompt: "hi {{AGENT_NAME}}"
        allowed_tools: [x]
  - name: second
    tests:
      - name: only alpha again
        agent: alpha
        prompt: "again"
"""


@pytest.mark.requirement("config:sessions")
@pytest.mark.requirement("config:test-agent-filter")
def test_units_in_agent_then_session_order(write: Callable[..., Path]) -> None:
    plan = compile_ok(write(TWO_AGENTS))
    assert [(u.id, u.agent, u.session) for u in plan.units] == [
        ("u0001", "zeta", "first"),
        ("u0002", "alpha", "first"),
        ("u0003", "alpha", "second"),
    ]
    assert [c.id for c in plan.cases] == ["u0001/1", "u0002/1", "u0002/2", "u0003/1"]
    assert plan.units[1].cases[1].prompt == "hi alpha"
    assert plan.units[0].allowed_tools == () and plan.units[2].allowed_tools is None
    assert plan.units[1].cases[1].allowed_tools == ("x",)
    span = plan.units[1].cases[1].span
    assert (span.line, span.col) == (20, 9)


@pytest.mark.requirement("config:system-prompt-vars")
def test_system_prompt_per_unit(write: Callable[..., Path]) -> None:
    plan = compile_ok(write(TWO_AGENTS))
    assert plan.units[0].system_prompt == "I am zeta on p1, session first"
    assert plan.units[1].system_prompt is None


@pytest.mark.requirement("determinism:seed")
def test_same_seed_same_bytes_other_seed_other_values(write: Callable[..., Path]) -> None:
    path = write(TWO_AGENTS)
    a = compile_ok(path, seed=7).dumps()
    b = compile_ok(path, seed=7).dumps()
    c = compile_ok(path, seed=8)
    assert a == b
    assert c.dumps() != a
    assert c.hash != parse_plan(__import__("json").loads(a)).hash
    assert c.cases[0].prompt != compile_ok(path, seed=7).cases[0].prompt


@pytest.mark.requirement("determinism:seed")
def test_fresh_seed_is_recorded_and_reproduces(write: Callable[..., Path]) -> None:
    path = write(TWO_AGENTS)
    first = compile_suite(path, now=NOW, env={})
    again = compile_suite(path, seed=first.seed, now=NOW, env={})
    assert first.dumps() == again.dumps()


def test_clock_from_source_date_epoch(write: Callable[..., Path]) -> None:
    plan = compile_suite(write(TWO_AGENTS), seed=1, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert plan.compiled_now == "2023-11-14T22:13:20Z"
    assert "2023-11-14" in str(plan.cases[0].prompt)


def test_plan_round_trips_and_hash_verifies(write: Callable[..., Path]) -> None:
    import json

    plan = compile_ok(write(TWO_AGENTS))
    again = parse_plan(json.loads(plan.dumps()))
    assert again == plan and plan.hash.startswith("sha256:")
    assert plan.sources[0].path.endswith("suite.yaml") and len(plan.sources[0].sha256) == 64


def test_a_plan_hashed_the_older_way_still_verifies_and_an_edit_does_not(
    write: Callable[..., Path],
) -> None:
    import json

    from runtime.errors import PlanError

    plan = compile_ok(write(TWO_AGENTS))
    older = json.loads(plan.dumps())
    older["hash"] = plan.legacy_hash()  # what bench before 2026-12 wrote (key-sorted content)
    assert older["hash"] != plan.hash
    assert parse_plan(older) == plan.model_copy(update={"hash": older["hash"]})
    for doc in (older, json.loads(plan.dumps())):
        doc["settings"]["concurrency"] = 99
        with pytest.raises(PlanError, match="does not match its content"):
            parse_plan(doc)


EXTRACT = """\
providers:
  - {name: p, type: SCRIPTED, replies: [{text: ok}]}
agents:
  - {name: a, provider: p}
variables:
  greeting: hello
sessions:
  - name: flow
    tests:
      - name: create
        prompt: "create"
        extractors:
          - {type: jsonpath, tool: create_user, path: "$.data.id", variable_name: user_id}
        assertions:
          - type: output_contains
            value: "{{user_id}}"
      - name: use
        prompt: "{{greeting}} user {{user_id}}"
        assertions:
          - type: tool_param_equals
            tool: get_user
            params: {id: "{{user_id}}", note: "{{greeting}}"}
"""


@pytest.mark.requirement("extract:runtime-vars")
def test_extracted_variables_stay_templates(write: Callable[..., Path]) -> None:
    plan = compile_ok(write(EXTRACT))
    create, use = plan.cases
    assert isinstance(create.assertions[0].value, RuntimeTemplate)  # type: ignore[union-attr]
    assert isinstance(use.prompt, RuntimeTemplate)
    assert use.prompt.variables == ("user_id",)
    assert "hello" in use.prompt.source and "user_id" in use.prompt.source
    params = use.assertions[0].params  # type: ignore[union-attr]
    assert isinstance(params["id"], RuntimeTemplate) and params["note"] == "hello"
    assert create.extractors[0].variable_name == "user_id"


@pytest.mark.requirement("extract:runtime-vars")
def test_use_before_extraction_names_both_places(write: Callable[..., Path]) -> None:
    text = EXTRACT.replace('prompt: "create"', 'prompt: "create {{user_id}}"')
    errors = compile_errors(write(text))
    assert [(e.code, e.line) for e in errors] == [("runtime-var-order", 11)]
    assert (
        "suite.yaml:13:" in errors[0].message
        and "move the test or the extractor" in errors[0].message
    )


def test_extracted_variables_do_not_leak_across_sessions(write: Callable[..., Path]) -> None:
    text = EXTRACT + "  - name: other\n    tests:\n      - name: t\n        prompt: '{{user_id}}'\n"
    errors = compile_errors(write(text))
    assert [e.code for e in errors] == ["undefined-variable"]


@pytest.mark.requirement("compile:sandbox-refused")
@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ self.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_escapes_are_refused(write: Callable[..., Path], template: str) -> None:
    path = write(EXTRACT.replace('prompt: "create"', f"prompt: {template!r}".replace("\\'", "''")))
    errors = compile_errors(path)
    assert errors and errors[0].line == 11


@pytest.mark.requirement("secrets:refused-in-templates")
def test_secret_printing_template_is_refused(write: Callable[..., Path]) -> None:
    path = write(EXTRACT.replace('prompt: "create"', 'prompt: "my key is {{GITHUB_TOKEN}}"'))
    errors = compile_errors(path, env={"GITHUB_TOKEN": "ghp_SENTINEL"})
    assert [e.code for e in errors] == ["secret-in-template"]
    assert "ghp_SENTINEL" not in str(errors)


@pytest.mark.requirement("secrets:env-refs")
def test_no_secret_value_reaches_the_plan(write: Callable[..., Path]) -> None:
    text = """\
providers:
  - {name: p, type: OPENAI, token: "{{OPENAI_API_KEY}}", model: m}
servers:
  - {name: s, type: sse, url: "https://h/sse", headers: ["Authorization: Bearer ${API_TOKEN}"]}
agents:
  - {name: a, provider: p, servers: [{name: s}]}
sessions:
  - {name: s, tests: [{name: t, prompt: "hi from {{HOME_DIR}}"}]}
"""
    env = {"OPENAI_API_KEY": "sk-SENTINEL1", "API_TOKEN": "tok-SENTINEL2", "HOME_DIR": "/home/u"}
    plan = compile_ok(write(text), env=env)
    dumped = plan.dumps()
    assert "SENTINEL" not in dumped
    assert "${OPENAI_API_KEY}" in dumped and "Bearer ${API_TOKEN}" in dumped
    assert plan.cases[0].prompt == "hi from /home/u"


@pytest.mark.requirement("config:suite-files")
def test_suite_with_test_files(write: Callable[..., Path]) -> None:
    write(
        "providers:\n  - {name: ignored, type: SCRIPTED, replies: [{text: x}]}\n"
        "variables:\n  v: from-test\n"
        "sessions:\n  - name: s1\n    tests:\n      - {name: t, prompt: '{{v}} {{TEST_DIR}}'}\n",
        "tests/one.yaml",
    )
    write(
        "sessions:\n  - name: s2\n    tests:\n      - {name: t, prompt: '{{v}}'}\n",
        "tests/two.yaml",
    )
    suite = write(
        "name: My suite\ntest_files: [tests/one.yaml, tests/two.yaml]\n"
        "providers:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\n"
        "agents:\n  - {name: a, provider: p}\n"
        "variables:\n  v: from-suite\n"
        "settings:\n  variable_policy: merge-test-priority\n"
    )
    plan = compile_ok(suite)
    assert plan.name == "My suite"
    assert [p.name for p in plan.providers] == ["p"]
    assert [u.file for u in plan.units] == [
        str(Path(suite.parent, "tests/one.yaml")),
        str(Path(suite.parent, "tests/two.yaml")),
    ]
    first, second = plan.cases
    assert str(first.prompt).startswith("from-test ") and str(first.prompt).endswith("/tests")
    assert second.prompt == "from-suite"
    assert len(plan.sources) == 3


@pytest.mark.requirement("config:variable-policy")
@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("suite-only", "S"),
        ("test-only", "T"),
        ("merge-test-priority", "T"),
        ("merge-suite-priority", "S"),
    ],
)
def test_variable_policy(write: Callable[..., Path], policy: str, expected: str) -> None:
    write(
        "variables: {v: T}\nsessions:\n  - {name: s, tests: [{name: t, prompt: '{{v}}'}]}\n",
        "t.yaml",
    )
    suite = write(
        "test_files: [t.yaml]\nproviders:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\n"
        f"agents:\n  - {{name: a, provider: p}}\nvariables: {{v: S}}\nsettings: {{variable_policy: {policy}}}\n"
    )
    assert compile_ok(suite).cases[0].prompt == expected


def test_suites_do_not_nest(write: Callable[..., Path]) -> None:
    write("test_files: [a.yaml]\n", "inner.yaml")
    suite = write(
        "test_files: [inner.yaml]\nproviders:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\nagents:\n  - {name: a, provider: p}\n"
    )
    assert "nested-suite" in {e.code for e in compile_errors(suite)}


def test_variable_cycle_is_named(write: Callable[..., Path]) -> None:
    text = EXTRACT.replace("  greeting: hello\n", "  greeting: '{{x}}'\n  x: '{{greeting}}'\n")
    errors = compile_errors(write(text))
    assert (
        errors[0].code == "template"
        and "greeting" in errors[0].message
        and "x" in errors[0].message
    )


@pytest.mark.requirement("determinism:seed")
def test_the_clock_is_recorded_only_when_a_template_reads_it(write: Callable[..., Path]) -> None:
    # Same suite, same seed, compiled at different times: the same bytes, unless a template
    # read the clock (a shard job and a later resume recompile and must agree).
    timeless = write(TWO_AGENTS.replace("""  when: "{{now format='yyyy-MM-dd'}}"\n""", "").replace(
        " on {{when}}", ""
    ))  # fmt: skip
    early = compile_suite(timeless, seed=3, now="2026-01-01T00:00:00Z", env={})
    late = compile_suite(timeless, seed=3, now="2026-06-30T12:34:56Z", env={})
    assert early.dumps() == late.dumps() and early.hash == late.hash
    assert early.compiled_now is None and "compiled_now" not in early.dumps()
    timed = write(TWO_AGENTS, "timed.yaml")
    a = compile_suite(timed, seed=3, now="2026-01-01T00:00:00Z", env={})
    b = compile_suite(timed, seed=3, now="2026-06-30T12:34:56Z", env={})
    assert a.compiled_now == "2026-01-01T00:00:00Z" and a.hash != b.hash
    clocked_faker = write(
        TWO_AGENTS.replace("{{now format='yyyy-MM-dd'}}", "{{faker 'Misc.date'}}"), "faker.yaml"
    )
    assert compile_suite(clocked_faker, seed=3, now=NOW, env={}).compiled_now is not None
