"""Every environment reference a run needs is checked before its run directory exists.

A missing provider key used to surface only once the run had started (a ``failed`` run with no
result stayed in the store). Now ``bench execute`` lists every unset variable the selected
cases need, with what needs it, exits 2 and writes nothing; ``bench compile`` warns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.cli import main
from runtime.errors import InputError
from runtime.plan import load_plan
from runtime.secrets import MissingSecretsError, missing_env, needed_env

SUITE = """\
providers:
  - {{name: gpt, type: OPENAI, token: "{{{{KEY_GPT}}}}", model: m, baseUrl: "http://127.0.0.1:9/v1"}}
  - {{name: claude, type: ANTHROPIC, token: "{{{{KEY_CLAUDE}}}}", model: m}}
  - {{name: judge, type: OPENAI, token: "{{{{KEY_JUDGE}}}}", model: m}}
  - {{name: summ, type: OPENAI, token: "Bearer {{{{KEY_SUM}}}}", model: m}}
  - {{name: unused, type: OPENAI, token: "{{{{KEY_UNUSED}}}}", model: m}}
  - name: fake
    type: SCRIPTED
    replies: [{{text: "ok"}}, {{text: "ok"}}, {{text: "ok"}}]
servers:
  - name: tools
    type: stdio
    command: {python} -c pass
    env: {{SERVICE_TOKEN: "{{{{KEY_SERVER}}}}"}}
  - name: remote
    type: sse
    url: http://127.0.0.1:9/sse
    headers: ["Authorization: Bearer {{{{KEY_HEADER}}}}"]
  - name: idle
    type: sse
    url: http://127.0.0.1:9/sse
    headers: ["Authorization: Bearer {{{{KEY_IDLE}}}}"]
agents:
  - {{name: a1, provider: gpt, servers: [{{name: tools}}, {{name: remote}}]}}
  - {{name: a2, provider: claude}}
  - name: ext
    command: {python} -c pass
    env: {{OPENAI_API_KEY: "{{{{KEY_EXT}}}}"}}
  - {{name: scripted, provider: fake}}
ai_summary: {{enabled: {summary}, judge_provider: summ}}
sessions:
  - name: s
    tests:
      - name: first
        prompt: hi
      - name: second
        prompt: again
        assertions:
          - {{type: llm_judge, provider: judge, rubric: "Is {{{{ output }}}} right?"}}
"""

KEYS = ["KEY_GPT", "KEY_CLAUDE", "KEY_JUDGE", "KEY_SUM", "KEY_UNUSED", "KEY_SERVER"]
KEYS += ["KEY_HEADER", "KEY_IDLE", "KEY_EXT"]


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.format(python=sys.executable, summary="true"), encoding="utf-8")
    return path


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def test_execute_lists_every_missing_variable_and_writes_nothing(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["execute", "-q", str(suite)]) == 2
    err = _error(capsys)
    for key, where in [
        ("KEY_GPT", "provider 'gpt'"),
        ("KEY_CLAUDE", "provider 'claude'"),
        ("KEY_JUDGE", "provider 'judge'"),
        ("KEY_SUM", "provider 'summ'"),
        ("KEY_SERVER", "server 'tools'"),
        ("KEY_HEADER", "server 'remote'"),
        ("KEY_EXT", "agent 'ext'"),
    ]:
        line = next((ln for ln in err.splitlines() if key in ln), "")
        assert where in line, (key, err)
    # Declared but needed by no case: no reason to refuse the run.
    assert "KEY_UNUSED" not in err and "KEY_IDLE" not in err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_variable_only_a_deselected_agent_needs_does_not_block(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The scripted agent needs no key; the judge (second test) and the summary still do.
    assert main(["execute", "-q", str(suite), "--agents", "scripted"]) == 2
    err = _error(capsys)
    assert "KEY_JUDGE" in err and "KEY_SUM" in err
    assert "KEY_GPT" not in err and "KEY_CLAUDE" not in err and "KEY_EXT" not in err
    # --limit 1 drops the judged test; ai_summary off: nothing left to need a key.
    suite.write_text(SUITE.format(python=sys.executable, summary="false"), encoding="utf-8")
    assert main(["execute", "-q", str(suite), "--agents", "scripted", "--limit", "1"]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "results.jsonl").read_text(encoding="utf-8").count("\n") == 1


def test_missing_env_names_each_variable_once_with_every_user(suite: Path) -> None:
    assert main(["compile", str(suite), "-o", "plan.json"]) == 0
    plan = load_plan(Path("plan.json"))
    env = {"KEY_GPT": "sk-1", "KEY_CLAUDE": "", "KEY_SERVER": "t"}
    missing = dict(missing_env(plan, env))
    assert "KEY_GPT" not in missing and "KEY_SERVER" not in missing
    assert "KEY_CLAUDE" in missing  # empty is unset, as at run time
    assert [use.name for use in needed_env(plan)].count("KEY_JUDGE") == 1
    with pytest.raises(MissingSecretsError) as info:
        from runtime.secrets import check_env

        check_env(plan, env)
    assert isinstance(info.value, InputError)
    assert info.value.names == tuple(sorted(missing))


def test_execute_checks_before_the_run_directory_exists(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runtime API too: execute() raises before RunStore.create."""
    import anyio

    from runtime import ExecuteOptions, execute

    assert main(["compile", str(suite), "-o", "plan.json"]) == 0
    plan = load_plan(Path("plan.json"))
    with pytest.raises(MissingSecretsError):
        anyio.run(execute, plan, ExecuteOptions(output_dir=tmp_path, env={}))
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_compile_warns_about_unset_variables_but_succeeds(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "--check", "--diagnostics-format", "text", str(suite)]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "warning[unset-env]" in text
    assert "KEY_GPT" in text and "provider 'gpt'" in text
    assert "KEY_UNUSED" not in text
