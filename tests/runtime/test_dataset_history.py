"""A dataset row's history reaches the agent: compiled from YAML, run through `bench execute`.

The built-in loop is checked by what a fake OpenAI-compatible server received; an external
agent by the request line it echoes back (tests/runtime/agents/misbehaving_agent.py).
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from runtime.agents.loop import history_messages
from runtime.errors import InputError
from runtime.store import read_results
from tests.fakes import FakeLLM

AGENT = Path(__file__).parent / "agents" / "misbehaving_agent.py"

TURNS = [
    {"role": "user", "content": "my name is Ada"},
    {"role": "assistant", "content": "Hello Ada!", "note": "kept for external agents"},
]
ROWS = [
    {"id": "r1", "question": "What is my name?", "answer": "Ada", "turns": TURNS},
    {"id": "r2", "question": "No history here", "answer": "ok"},
]

DATASET = """\
datasets:
  - name: chats
    source: chats.jsonl
    input_map: {input: question, expected: answer, history: turns}
"""


def write_suite(root: Path, agents: str, prompt: str) -> Path:
    (root / "chats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    suite = root / "suite.yaml"
    suite.write_text(
        textwrap.dedent(agents)
        + DATASET
        + textwrap.dedent(
            f"""\
            sessions:
              - name: chat
                dataset: chats
                tests:
                  - name: ask
                    prompt: "{prompt}"
            """
        )
    )
    return suite


def run_results(suite: Path, tmp_path: Path) -> list[Any]:
    code = main(["execute", "-q", str(suite), "--output-dir", str(tmp_path / "out")])
    (run_dir,) = (tmp_path / "out" / "runs").iterdir()
    results = sorted(read_results(run_dir / "results.jsonl").values(), key=lambda r: r.test)
    assert code == 0, [r.error for r in results]
    return results


@pytest.mark.requirement("dataset:history-builtin")
def test_builtin_loop_sends_the_rows_history_after_the_system_prompt(
    openai_server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    fake, url = openai_server
    fake.requests.clear()
    agents = f"""\
        providers:
          - {{name: local, type: OPENAI_COMPATIBLE, baseUrl: "{url}/v1", model: m}}
        agents:
          - name: a
            provider: local
            system_prompt: Be brief.
        """
    results = run_results(write_suite(tmp_path, agents, "{{input}}"), tmp_path)
    assert [r.status for r in results] == ["passed", "passed"]
    sent = {r.body["messages"][-1]["content"]: r.body["messages"] for r in fake.requests}
    assert sent["What is my name?"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "Hello Ada!"},
        {"role": "user", "content": "What is my name?"},
    ]
    assert sent["No history here"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "No history here"},
    ]
    # The row's turns were context, not this case's conversation: the transcript has its own.
    assert [m.role for m in results[0].transcript.messages] == ["user", "assistant"]


@pytest.mark.requirement("dataset:history-external")
def test_external_agent_gets_the_rows_history_in_its_request(tmp_path: Path) -> None:
    agents = f"""\
        agents:
          - name: ext
            command: "{sys.executable} {AGENT}"
            system_prompt: Be brief.
        """
    results = run_results(write_suite(tmp_path, agents, "request"), tmp_path)
    sent = [json.loads(r.transcript.final_output) for r in results]
    assert sent[0]["history"] == [{"role": "system", "content": "Be brief."}, *TURNS]
    assert sent[0]["metadata"] == {"expected": "Ada"}
    assert sent[1]["history"] == [{"role": "system", "content": "Be brief."}]


def test_history_turns_become_messages() -> None:
    messages = history_messages(
        [{"role": "user", "content": {"q": 1}}, {"role": "assistant", "content": None}]
    )
    assert [(m.role, m.content) for m in messages] == [("user", '{"q": 1}'), ("assistant", "")]


def test_a_history_turn_with_another_role_is_an_error_naming_it() -> None:
    with pytest.raises(InputError, match="history turn 2 has role 'tool'"):
        history_messages([{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}])
