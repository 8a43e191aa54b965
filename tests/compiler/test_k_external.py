"""External (command) agents in the suite language, and the example run through `bench execute`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.cli import main
from runtime.cost import cost_of
from runtime.plan import ExternalAgent, SecretRef
from runtime.transcript import TokenUsage
from tests.compiler.conftest import compile_errors, compile_ok
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "external-agent" / "suite.yaml"

EXTERNAL = """\
agents:
  - name: ext
    command: "python 'my agent.py' --fast"
    workers: 3
    timeout: 90s
    setup: make data
    teardown: rm -rf tmp
    working_dir: sub
    env:
      OPENAI_API_KEY: "{{OPENAI_API_KEY}}"
      MODE: "{{AGENT_MODE}}"
      LEVEL: "2"
sessions:
  - name: s
    tests:
      - name: t
        prompt: "hi from {{AGENT_NAME}} via [{{PROVIDER_NAME}}]"
        assertions:
          - type: output_contains
            value: hello
"""


@pytest.mark.requirement("suite:external-agent")
def test_command_agent_lowers_to_external_agent(write: Callable[..., Path]) -> None:
    path = write(EXTERNAL)
    plan = compile_ok(path, env={"AGENT_MODE": "quick", "OPENAI_API_KEY": "sk-value-1234"})
    [agent] = plan.agents
    assert isinstance(agent, ExternalAgent)
    assert agent.command == ("python", "my agent.py", "--fast")
    assert (agent.workers, agent.timeout_ms) == (3, 90_000)
    assert (agent.setup, agent.teardown) == ("make data", "rm -rf tmp")
    assert agent.working_dir == str((path.parent / "sub").resolve())
    assert isinstance(agent.env["OPENAI_API_KEY"], SecretRef)
    assert "sk-value-1234" not in plan.dumps()
    assert agent.env["LEVEL"] == "2"
    assert plan.providers == ()  # no providers: needs none for external agents only
    # An external agent has no suite provider: PROVIDER_NAME is empty for it.
    assert plan.units[0].cases[0].prompt == "hi from ext via []"


@pytest.mark.requirement("suite:external-agent")
def test_external_agent_defaults(write: Callable[..., Path]) -> None:
    path = write(
        "agents:\n  - name: ext\n    command: ./agent\n"
        "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: p}\n"
    )
    [agent] = compile_ok(path).agents
    assert isinstance(agent, ExternalAgent)
    assert (agent.workers, agent.timeout_ms, agent.env) == (1, 300_000, {})
    assert agent.working_dir == str(path.parent.resolve())


@pytest.mark.requirement("suite:external-agent-checks")
@pytest.mark.parametrize(
    ("agent", "code", "needle"),
    [
        ("    servers: [{name: srv}]\n", "invalid-value", "cannot use 'servers'"),
        ("    provider: p\n", "conflicting-keys", "both 'provider' and 'command'"),
        ("    env: {OPENAI_API_KEY: sk-live-abc}\n", "literal-secret", "OPENAI_API_KEY"),
        ("    command2: x\n", "unknown-key", "command2"),
    ],
)
def test_external_agent_diagnostics(
    write: Callable[..., Path], agent: str, code: str, needle: str
) -> None:
    text = (
        "providers:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\n"
        "servers:\n  - {name: srv, type: stdio, command: x}\n"
        "agents:\n  - name: ext\n    command: ./agent\n" + agent + "sessions:\n  - name: s\n"
        "    tests:\n      - {name: t, prompt: p}\n"
    )
    errors = compile_errors(write(text))
    assert any(e.code == code and needle in e.message for e in errors), errors
    assert all(e.line >= 1 for e in errors)


@pytest.mark.requirement("suite:external-agent-checks")
@pytest.mark.parametrize(
    ("command", "needle"),
    [('"\'unbalanced"', "cannot split command"), ('"  "', "command is empty")],
)
def test_unusable_commands_are_reported_for_agents_and_stdio_servers(
    write: Callable[..., Path], command: str, needle: str
) -> None:
    # The external agent and the stdio server share one command lowering: both must report.
    text = (
        "providers:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\n"
        f"servers:\n  - name: srv\n    type: stdio\n    command: {command}\n"
        "agents:\n  - {name: b, provider: p, servers: [{name: srv}]}\n"
        f"  - name: ext\n    command: {command}\n"
        "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: p}\n"
    )
    errors = compile_errors(write(text))
    found = {(e.code, e.line) for e in errors if needle in e.message}
    assert found == {("invalid-value", 6), ("invalid-value", 10)}, errors


@pytest.mark.requirement("suite:external-agent-checks")
def test_builtin_agent_needs_provider_and_rejects_external_keys(
    write: Callable[..., Path],
) -> None:
    text = (
        "providers:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\n"
        "agents:\n  - name: a\n  - name: b\n    provider: p\n    workers: 2\n"
        "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: p}\n"
    )
    errors = compile_errors(write(text))
    assert any(
        e.code == "missing-key" and "agent 'a' needs 'provider'" in e.message for e in errors
    )
    assert any(
        e.code == "invalid-value"
        and "'workers' applies only to external" in e.message
        and e.line == 7
        for e in errors
    ), errors


SERVED = [
    Reply(text="Hello! How can I help?", usage=Usage(25, 7)),
    Reply(text="Hello again.", usage=Usage(48, 4, cached=24)),
]


@pytest.mark.slow
@pytest.mark.requirement("suite:external-agent-e2e")
def test_example_suite_runs_through_bench_execute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/external-agent/suite.yaml through `bench execute`, a streaming fake on loopback."""
    fake = FakeLLM().push(*SERVED)
    with serve_in_thread(openai_app(fake)) as url:
        # The suite runs `python agent.py`: the interpreter running the tests (it has openai).
        monkeypatch.setenv(
            "PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
        )
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
        monkeypatch.setenv("UPSTREAM_BASE_URL", f"{url}/v1")
        monkeypatch.chdir(tmp_path)
        code = main(["execute", "-q", str(EXAMPLE), "--report", "json", "-o", "out/ext"])
    assert code == 0
    text = (tmp_path / "out" / "ext.json").read_text()
    assert "sk-test-not-a-secret" not in text
    report = json.loads(text)
    cases = report["detailed_results"]
    assert [c["status"] for c in cases] == ["passed", "passed"]
    assert len(fake.requests) == 2 and all(r.body.get("stream") for r in fake.requests)
    for case, served in zip(cases, SERVED, strict=True):
        [call] = case["llm_calls"]
        u = served.usage
        tokens = case["tokens"]
        assert (tokens["input"], tokens["output"], tokens["cached"]) == (
            u.input,
            u.output,
            u.cached,
        )
        assert (call["input_tokens"], call["output_tokens"]) == (u.input, u.output)
        assert case["ttft_ms"] == call["ttft_ms"] and call["ttft_ms"] is not None
        assert case["latency_ms"] >= call["latency_ms"] >= call["ttft_ms"]
        # Cost from the suite's prices: block (equal here to the shipped table's gpt-4o-mini).
        usage = TokenUsage(input=u.input, output=u.output, cached=u.cached)
        assert case["cost_usd"] == pytest.approx(cost_of("gpt-4o-mini", usage))


def test_env_names_read_as_secret_by_the_same_rule_as_templates(write: Callable[..., Path]) -> None:
    # One rule for variable names (compiler/secret_names.looks_secret): AUTHOR and
    # SESSION_NAME are not secrets, so literal values are fine; DB_PASSWORD is.
    head = (
        "providers:\n  - {name: p, type: SCRIPTED, replies: [{text: ok}]}\n"
        "agents:\n  - name: ext\n    command: ./agent\n"
    )
    tail = "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: p}\n"
    [agent] = compile_ok(write(head + "    env: {AUTHOR: me, SESSION_NAME: s1}\n" + tail)).agents
    assert isinstance(agent, ExternalAgent) and agent.env == {"AUTHOR": "me", "SESSION_NAME": "s1"}
    errors = compile_errors(write(head + "    env: {DB_PASSWORD: hunter2}\n" + tail))
    assert [e.code for e in errors] == ["literal-secret"]
