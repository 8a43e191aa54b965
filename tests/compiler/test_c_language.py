"""The suite language: agent-benchmark's keys, both spellings where docs and code differ, our extensions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.suite.scalars import duration_ms
from runtime.plan import (
    AzureProvider,
    BedrockAnthropicProvider,
    CliServer,
    HttpServer,
    OpenAIProvider,
    ScriptedProvider,
    SecretRef,
    SseServer,
    StdioServer,
    VertexProvider,
)
from tests.compiler.conftest import BASE, compile_errors, compile_ok

SESSION = "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"


def _suite(
    write: Callable[..., Path], assertions: str = "", *, head: str = BASE, extra: str = ""
) -> Path:
    body = SESSION
    if assertions:
        body += (
            "        assertions:\n"
            + "\n".join("          " + x for x in assertions.strip("\n").splitlines())
            + "\n"
        )
    return write(head + extra + body)


@pytest.mark.requirement("config:durations")
@pytest.mark.parametrize(
    ("text", "ms"), [("300ms", 300), ("2s", 2000), ("1m30s", 90_000), ("1.5h", 5_400_000), ("0", 0)]
)
def test_durations(text: str, ms: int) -> None:
    assert duration_ms(text) == ms


@pytest.mark.requirement("config:settings-timeouts")
@pytest.mark.parametrize("key", ["tool_timeout", "tool_tool_timeout", "timeout"])
def test_every_tool_timeout_spelling_works(write: Callable[..., Path], key: str) -> None:
    plan = compile_ok(
        _suite(
            write, extra=f"settings:\n  {key}: 1m30s\n  test_delay: 300ms\n  session_delay: 2s\n"
        )
    )
    assert plan.settings.tool_timeout_ms == 90_000
    assert (plan.settings.test_delay_ms, plan.settings.session_delay_ms) == (300, 2000)


@pytest.mark.requirement("config:settings-timeouts")
def test_conflicting_timeouts_are_an_error(write: Callable[..., Path]) -> None:
    errors = compile_errors(_suite(write, extra="settings:\n  tool_timeout: 30s\n  timeout: 10s\n"))
    assert [e.code for e in errors] == ["conflicting-keys"]


def test_settings_extensions(write: Callable[..., Path]) -> None:
    plan = compile_ok(
        _suite(write, extra="settings:\n  concurrency: 2\n  max_iterations: 3\n  verbose: true\n")
    )
    assert (plan.settings.concurrency, plan.settings.max_iterations, plan.settings.verbose) == (
        2,
        3,
        True,
    )


@pytest.mark.requirement("assert:tool_call_count-value")
@pytest.mark.parametrize("key", ["count", "value"])
def test_tool_call_count_reads_count_or_value(write: Callable[..., Path], key: str) -> None:
    plan = compile_ok(_suite(write, f"- type: tool_call_count\n  tool: x\n  {key}: 2\n"))
    node = plan.cases[0].assertions[0]
    assert node.type == "tool_call_count" and node.count == 2  # type: ignore[union-attr]


@pytest.mark.requirement("assert:cli_exit_code-expected")
@pytest.mark.parametrize("key", ["value", "expected"])
def test_cli_exit_code_reads_value_or_expected(write: Callable[..., Path], key: str) -> None:
    plan = compile_ok(_suite(write, f"- type: cli_exit_code_equals\n  {key}: 3\n"))
    node = plan.cases[0].assertions[0]
    assert node.type == "cli_exit_code_equals" and node.value == 3 and node.tool == "cli_execute"  # type: ignore[union-attr]


def test_cli_exit_code_disagreeing_keys(write: Callable[..., Path]) -> None:
    errors = compile_errors(
        _suite(write, "- type: cli_exit_code_equals\n  value: 1\n  expected: 2\n")
    )
    assert errors[0].code == "invalid-value"


@pytest.mark.requirement("assert:types")
def test_every_assertion_type_compiles(write: Callable[..., Path]) -> None:
    plan = compile_ok(
        _suite(
            write,
            """
- {type: tool_called, tool: a}
- {type: tool_not_called, tool: a}
- {type: tool_call_count, count: 1}
- {type: tool_call_order, sequence: [a, b]}
- {type: tool_param_equals, tool: a, params: {x.y: 30, flag: true}}
- {type: tool_param_matches_regex, tool: a, params: {x: "^a+$"}}
- {type: tool_result_matches_json, tool: a, path: "$.a[0].b", value: 1}
- {type: output_contains, value: 2000}
- {type: output_not_contains, value: err}
- {type: output_regex, pattern: "(?i)ok"}
- {type: output_json_valid}
- {type: output_matches_json, path: "$.x", value: y}
- {type: file_created, path: "{{TEMP_DIR}}/x"}
- {type: max_tokens, value: 1000}
- {type: max_latency_ms, value: 5000}
- {type: no_error_messages}
- {type: no_hallucinated_tools}
- {type: no_clarification_questions}
- {type: no_rate_limit_errors}
- {type: cli_exit_code_equals, value: 0}
- {type: cli_stdout_contains, value: ok}
- {type: cli_stdout_regex, pattern: "v[0-9]+"}
- {type: cli_stderr_contains, tool: git_execute, value: warn}
""",
        )
    )
    nodes = plan.cases[0].assertions
    assert len(nodes) == 23
    params = nodes[4].params  # type: ignore[union-attr]
    assert params == {"x.y": "30", "flag": "true"}  # scalars read as text, as yaml.v3 does
    assert nodes[7].value == "2000"  # type: ignore[union-attr]
    assert str(nodes[12].path).endswith("/x") and "{{" not in str(nodes[12].path)  # type: ignore[union-attr]


@pytest.mark.requirement("assert:combinators")
def test_combinators_nest_to_any_depth(write: Callable[..., Path]) -> None:
    node: dict[str, object] = {"type": "tool_called", "tool": "x"}
    for i in range(12):
        node = {"allOf": [node]} if i % 2 else {"anyOf": [node, {"type": "no_error_messages"}]}
    plan = compile_ok(_suite(write, "- " + json.dumps({"not": node}) + "\n"))
    lowered = plan.cases[0].assertions[0]
    depth = 0
    while lowered.type in ("not", "all_of", "any_of"):
        lowered = lowered.child if lowered.type == "not" else lowered.children[0]  # type: ignore[union-attr]
        depth += 1
    assert depth == 13 and lowered.type == "tool_called"


@pytest.mark.requirement("assert:regex-compiled")
def test_bad_regex_in_params_is_an_error(write: Callable[..., Path]) -> None:
    errors = compile_errors(
        _suite(write, "- type: tool_param_matches_regex\n  tool: a\n  params:\n    x: '[a-'\n")
    )
    assert [(e.code, e.line) for e in errors] == [("bad-regex", 18)]


@pytest.mark.requirement("assert:jsonpath-compiled")
def test_bad_jsonpath_is_an_error(write: Callable[..., Path]) -> None:
    errors = compile_errors(
        _suite(write, "- {type: tool_result_matches_json, tool: a, path: data.id, value: 1}\n")
    )
    assert errors[0].code == "bad-jsonpath"
    assert errors[0].hint == "JSONPath starts at the root: '$.data.id'"


@pytest.mark.requirement("config:provider-types")
def test_provider_types_map_to_plan_specs(write: Callable[..., Path]) -> None:
    head = """\
providers:
  - {name: o, type: OPENAI, token: "{{OPENAI_API_KEY}}", model: m, stream: true}
  - {name: g, type: groq, token: "{{GROQ_API_KEY}}", model: m}
  - {name: c, type: OPENAI_COMPATIBLE, baseUrl: "http://127.0.0.1:11434/v1", model: llama}
  - {name: az, type: AZURE, token: "{{AZURE_API_KEY}}", model: m, baseUrl: "https://x.openai.azure.com", version: 2024-02-15-preview}
  - {name: b, type: AMAZON-ANTHROPIC, token: "{{AWS_ACCESS_KEY_ID}}", secret: "{{AWS_SECRET_ACCESS_KEY}}", location: us-east-1, model: m}
  - {name: v, type: VERTEX, project_id: p, location: l, credentials_path: /k.json, model: m}
  - {name: an, type: anthropic, token: "{{ANTHROPIC_API_KEY}}", model: m}
  - {name: ge, type: GOOGLE, token: "{{GOOGLE_API_KEY}}", model: m}
agents:
  - {name: a, provider: o}
"""
    plan = compile_ok(_suite(write, head=head))
    by = {p.name: p for p in plan.providers}
    assert isinstance(by["o"], OpenAIProvider) and by["o"].stream and by["o"].flavor == "openai"
    assert isinstance(by["g"], OpenAIProvider) and by["g"].flavor == "groq"
    assert isinstance(by["c"], OpenAIProvider) and by["c"].api_key is None
    assert isinstance(by["az"], AzureProvider) and by["az"].api_version == "2024-02-15-preview"
    assert isinstance(by["b"], BedrockAnthropicProvider) and by[
        "b"
    ].secret_key == SecretRef.from_env("AWS_SECRET_ACCESS_KEY")
    assert isinstance(by["v"], VertexProvider) and by["v"].credentials_path == SecretRef(
        template="/k.json"
    )
    assert by["an"].type == "anthropic" and by["ge"].type == "google"


@pytest.mark.requirement("config:azure-auth")
def test_azure_needs_a_token_unless_entra_id(write: Callable[..., Path]) -> None:
    az = "providers:\n  - {name: az, type: AZURE, model: m, baseUrl: 'https://x', version: v%s}\nagents:\n  - {name: a, provider: az}\n"
    errors = compile_errors(_suite(write, head=az % ""))
    assert errors[0].code == "missing-key" and "token" in errors[0].message
    plan = compile_ok(_suite(write, head=az % ", auth_type: entra_id"))
    assert plan.providers[0].auth == "entra_id"  # type: ignore[union-attr]


@pytest.mark.requirement("config:rate-limits")
def test_rate_limits_and_retry(write: Callable[..., Path]) -> None:
    head = BASE.replace(
        "    replies:",
        "    rate_limits: {tpm: 30000, rpm: 60}\n    retry: {retry_on_429: true, max_retries: 5}\n    replies:",
    )
    p = compile_ok(_suite(write, head=head)).providers[0]
    assert (p.rate_limits.tpm, p.rate_limits.rpm, p.retry.retry_on_429, p.retry.max_retries) == (
        30000,
        60,
        True,
        5,
    )


def test_scripted_replies(write: Callable[..., Path]) -> None:
    head = """\
providers:
  - name: fake
    type: scripted
    replies:
      - when: "(?i)weather"
        tool_calls: [{name: get_weather, arguments: {city: Paris}}]
        input_tokens: 10
        output_tokens: 5
        delay: 200ms
      - text: It is sunny.
agents:
  - {name: a, provider: fake}
"""
    p = compile_ok(_suite(write, head=head)).providers[0]
    assert isinstance(p, ScriptedProvider)
    assert p.replies[0].tool_calls[0].arguments == {"city": "Paris"}
    assert (p.replies[0].delay_ms, p.replies[1].text) == (200, "It is sunny.")


@pytest.mark.requirement("config:servers")
def test_server_types(write: Callable[..., Path]) -> None:
    extra = """\
servers:
  - {name: st, type: stdio, command: "python -m srv --name 'a b'", env: {DEBUG: "1", API_KEY: "{{SRV_KEY}}"}}
  - {name: ss, type: sse, url: "https://h/sse", headers: ["Authorization: Bearer {{API_TOKEN}}", "X-Client: bench"]}
  - {name: ht, type: http, url: "http://127.0.0.1:1/mcp"}
  - {name: cl, type: cli, command: git, shell: bash, tool_prefix: git, working_dir: /tmp, help_commands: ["git --help"]}
"""
    head = (
        BASE
        + "    servers: [{name: st}, {name: ss}, {name: ht}, {name: cl, allowed_tools: [git_execute]}]\n"
    )
    plan = compile_ok(_suite(write, head=head, extra=extra))
    by = {s.name: s for s in plan.servers}
    assert isinstance(by["st"], StdioServer) and by["st"].command == (
        "python",
        "-m",
        "srv",
        "--name",
        "a b",
    )
    assert by["st"].env == {"DEBUG": "1", "API_KEY": SecretRef.from_env("SRV_KEY")}
    assert isinstance(by["ss"], SseServer)
    assert by["ss"].headers[0].value == SecretRef(template="Bearer ${API_TOKEN}")
    assert by["ss"].headers[1].value == "bench"
    assert isinstance(by["ht"], HttpServer)
    assert isinstance(by["cl"], CliServer) and by["cl"].tool_prefix == "git"
    assert plan.agents[0].servers[3].allowed_tools == ("git_execute",)  # type: ignore[union-attr]


@pytest.mark.requirement("config:server-timing")
def test_server_delays(write: Callable[..., Path]) -> None:
    head = BASE + "    servers: [{name: s}]\n"
    extra = (
        "servers:\n  - {name: s, type: stdio, command: x, server_delay: 45s, process_delay: 1s}\n"
    )
    s = compile_ok(_suite(write, head=head, extra=extra)).servers[0]
    assert (s.server_delay_ms, s.process_delay_ms) == (45_000, 1000)


@pytest.mark.parametrize(("given", "expected"), [(None, "session"), ("run", "run"),
                                                  ("Agent", "agent"), ("session", "session")])  # fmt: skip
def test_server_lifecycle(write: Callable[..., Path], given: str | None, expected: str) -> None:
    head = BASE + "    servers: [{name: s}]\n"
    field = f", lifecycle: {given}" if given else ""
    extra = f"servers:\n  - {{name: s, type: stdio, command: x{field}}}\n"
    plan = compile_ok(_suite(write, head=head, extra=extra))
    assert plan.servers[0].lifecycle == expected
    assert f'"lifecycle": "{expected}"' in plan.dumps()  # recorded in the plan, default too


def test_bad_server_lifecycle_is_located_with_a_suggestion(write: Callable[..., Path]) -> None:
    head = BASE + "    servers: [{name: s}]\n"
    extra = "servers:\n  - name: s\n    type: stdio\n    command: x\n    lifecycle: sesion\n"
    path = _suite(write, head=head, extra=extra)
    (err,) = compile_errors(path)
    assert err.code == "invalid-value"
    assert "run, agent, session" in err.message and "'sesion'" in err.message
    assert err.hint is not None and "session" in err.hint
    assert err.line == path.read_text().splitlines().index("    lifecycle: sesion") + 1


def test_bad_header_and_url(write: Callable[..., Path]) -> None:
    head = BASE + "    servers: [{name: s}]\n"
    extra = "servers:\n  - {name: s, type: sse, url: 'ftp://x', headers: ['no colon here']}\n"
    codes = [e.code for e in compile_errors(_suite(write, head=head, extra=extra))]
    assert codes == ["invalid-value", "invalid-value"]


@pytest.mark.requirement("config:agents-allowed-tools")
@pytest.mark.parametrize("key", ["allowed_tools", "allowedTools"])
def test_agent_allowed_tools_both_spellings(write: Callable[..., Path], key: str) -> None:
    head = BASE + f"    servers:\n      - name: s\n        {key}: [read_file]\n"
    extra = "servers:\n  - {name: s, type: stdio, command: x}\n"
    plan = compile_ok(_suite(write, head=head, extra=extra))
    assert plan.agents[0].servers[0].allowed_tools == ("read_file",)  # type: ignore[union-attr]


@pytest.mark.requirement("config:clarification")
def test_clarification_judge_and_pattern_forms(write: Callable[..., Path]) -> None:
    head = BASE + (
        "    clarification_detection: {enabled: true, level: error, judge_provider: $self}\n"
        "  - name: b\n    provider: p\n"
        "    clarification_detection: {enabled: true, use_builtin_patterns: false, custom_patterns: ['(?i)möchten sie']}\n"
        "  - name: c\n    provider: p\n    clarification_detection: {enabled: false}\n"
    )
    plan = compile_ok(_suite(write, head=head))
    a, b, c = plan.agents
    assert (
        a.clarification is not None
        and a.clarification.mode == "judge"
        and a.clarification.level == "error"
    )  # type: ignore[union-attr]
    assert b.clarification is not None and b.clarification.patterns == ("(?i)möchten sie",)  # type: ignore[union-attr]
    assert c.clarification is None  # type: ignore[union-attr]


@pytest.mark.requirement("config:criteria")
@pytest.mark.parametrize(("text", "rate"), [("0.75", 0.75), ('"0.8"', 0.8), ("1", 1.0)])
def test_criteria(write: Callable[..., Path], text: str, rate: float) -> None:
    plan = compile_ok(_suite(write, extra=f"criteria:\n  success_rate: {text}\n"))
    assert plan.criteria.success_rate == rate


def test_criteria_percent_is_an_error(write: Callable[..., Path]) -> None:
    errors = compile_errors(_suite(write, extra="criteria:\n  success_rate: 80\n"))
    assert "0.8" in errors[0].message


@pytest.mark.requirement("config:start-delay")
def test_start_delay(write: Callable[..., Path]) -> None:
    path = write(BASE + SESSION + "        start_delay: 5s\n")
    assert compile_ok(path).cases[0].start_delay_ms == 5000


def test_ai_summary(write: Callable[..., Path]) -> None:
    plan = compile_ok(
        _suite(write, extra="ai_summary:\n  enabled: true\n  judge_provider: $self\n")
    )
    assert plan.ai_summary.enabled and plan.ai_summary.judge_provider == "$self"
    errors = compile_errors(
        _suite(write, extra="ai_summary:\n  enabled: true\n  judge_provider: pp\n")
    )
    assert errors[0].code == "unknown-provider" and errors[0].hint == "did you mean 'p'?"


@pytest.mark.requirement("config:skill")
def test_skill_is_read_at_compile_time(write: Callable[..., Path], tmp_path: Path) -> None:
    skill = tmp_path / "skills" / "pdf"
    (skill / "references").mkdir(parents=True)
    (skill / "SKILL.md").write_text(
        "---\nname: pdf\ndescription: PDFs\n---\nUse pdftotext.\n", encoding="utf-8"
    )
    (skill / "references" / "b.md").write_text("b", encoding="utf-8")
    (skill / "references" / "a.md").write_text("a", encoding="utf-8")
    head = BASE + "    skill: {path: skills/pdf}\n    system_prompt: 'Agent {{AGENT_NAME}}'\n"
    plan = compile_ok(_suite(write, head=head))
    agent = plan.agents[0]
    assert agent.skill is not None and agent.skill.references == ("a.md", "b.md")  # type: ignore[union-attr]
    assert plan.units[0].system_prompt is not None
    assert plan.units[0].system_prompt.startswith("---\nname: pdf") and plan.units[
        0
    ].system_prompt.endswith("\n\nAgent a")


def test_missing_skill(write: Callable[..., Path]) -> None:
    errors = compile_errors(_suite(write, head=BASE + "    skill: {path: nowhere}\n"))
    assert errors[0].code == "skill-missing"


def test_literal_credentials_are_refused(write: Callable[..., Path]) -> None:
    head = "providers:\n  - {name: p, type: OPENAI, token: sk-abc, model: m}\nagents:\n  - {name: a, provider: p}\n"
    errors = compile_errors(_suite(write, head=head))
    assert errors[0].code == "literal-secret" and "{{OPENAI_API_KEY}}" in (errors[0].hint or "")


def test_missing_token_names_the_variable(write: Callable[..., Path]) -> None:
    head = "providers:\n  - {name: p, type: ANTHROPIC, model: m}\nagents:\n  - {name: a, provider: p}\n"
    errors = compile_errors(_suite(write, head=head))
    assert errors[0].hint == 'token: "{{ANTHROPIC_API_KEY}}"'


@pytest.mark.requirement("retry:429-retried-by-default")
def test_retry_defaults_and_zero(write: Callable[..., Path]) -> None:
    # 0 retries means none (it used to become 3); a 429 is retried unless switched off.
    def retry_of(extra: str) -> tuple[bool, int]:
        head = BASE.replace("    replies:", f"{extra}    replies:")
        p = compile_ok(_suite(write, head=head)).providers[0]
        return p.retry.retry_on_429, p.retry.max_retries

    assert retry_of("") == (True, 3)
    assert retry_of("    retry: {max_retries: 0}\n") == (True, 0)
    assert retry_of("    retry: {retry_on_429: false}\n") == (False, 3)
