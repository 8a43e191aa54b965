"""Every YAML example of agent-benchmark's docs compiles, or fails naming its own mistake.

Fragments (only providers:, or only assertions:) are completed by a harness that adds the
sections they leave out; the example text itself is used unchanged.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from compiler.schema import schema
from tests.compiler.conftest import NOW, compile_errors, compile_ok

DOCS = Path(__file__).resolve().parent.parent / "fixtures" / "docs"

# fixture -> error codes the example's own mistake must produce (absent: it must compile)
EXPECTED_FAILURES: dict[str, set[str]] = {
    "01-configuration-sections.yaml": {"no-providers", "no-agents", "no-sessions"},
    "03-providers.yaml": {"unquoted-template", "duplicate-name"},
    "04-azure-api-key.yaml": {"unquoted-template"},
    "06-rate-limits.yaml": {"unquoted-template"},
    "07-retry.yaml": {"unquoted-template"},
    "14-sessions.yaml": {"undefined-variable"},
    "43-gitlab-ci.yaml": {"unknown-key"},
}

ENV = {"API_BASE_URL": "https://api.example.com/mcp", "WORKSPACE_PATH": "/tmp/workspace"}

_PROVIDERS = """\
providers:
  - name: gemini-flash
    type: SCRIPTED
    replies: [{text: ok}]
  - name: claude-sonnet
    type: SCRIPTED
    replies: [{text: ok}]
  - name: my-provider
    type: SCRIPTED
    replies: [{text: ok}]
"""
_SERVERS = """\
servers:
  - name: filesystem-server
    type: stdio
    command: python -m some_server
  - name: remote-api
    type: http
    url: http://127.0.0.1:9/mcp
  - name: my-server
    type: stdio
    command: python -m my_server
"""
_SESSIONS = """\
sessions:
  - name: harness session
    tests:
      - name: harness test
        prompt: hello
"""


def _examples() -> list[Path]:
    return sorted(DOCS.glob("[0-9][0-9]-*.yaml"))


def compose(example: Path) -> str:
    """The example plus, after it, the sections it leaves out (its own lines keep their numbers)."""
    text = example.read_text(encoding="utf-8")
    keys = set(re.findall(r"^([A-Za-z_]+):", text, flags=re.M))
    if keys == {"assertions"}:
        body = textwrap.indent(text, " " * 8)
        text = f"sessions:\n  - name: S\n    tests:\n      - name: T\n        prompt: hi\n{body}"
        keys = {"sessions"}
    elif keys == {"tests"}:
        text = "sessions:\n  - name: S\n" + textwrap.indent(text, " " * 4)
        keys = {"sessions"}
    if "test_files" in keys or "test" in keys:
        return text
    harness = ["\n# --- harness: sections this docs example leaves out ---\n"]
    if "providers" not in keys:
        harness.append(_PROVIDERS)
    if "servers" not in keys:
        harness.append(_SERVERS)
    if "agents" not in keys:
        provider = "gemini-flash"
        if "providers" in keys:
            provider = re.findall(r"- name: (\S+)", text)[0]
        harness.append(f"agents:\n  - name: harness-agent\n    provider: {provider}\n")
    if "sessions" not in keys:
        harness.append(_SESSIONS)
    return text + "".join(harness)


def _load_plain(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


@pytest.mark.requirement("docs:examples-compile")
@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.stem)
def test_docs_example(example: Path, tmp_path: Path) -> None:
    if example.name == "02-suite.yaml":
        target = example  # its test_files are relative to it
    else:
        target = tmp_path / example.name
        target.write_text(compose(example), encoding="utf-8")
    expected = EXPECTED_FAILURES.get(example.name)
    if expected is None:
        plan = compile_ok(target, env=ENV)
        assert plan.cases
        return
    codes = {d.code for d in compile_errors(target, env=ENV)}
    assert expected <= codes, codes


def test_every_docs_example_is_a_fixture() -> None:
    # 46 YAML blocks in ../shared/seeds/agent-benchmark-docs.txt (templates-only snippets excluded)
    assert len(_examples()) == 46


@pytest.mark.requirement("cli:schema")
@pytest.mark.parametrize(
    "example",
    [e for e in _examples() if e.name not in EXPECTED_FAILURES],  # wrong ones: test_docs_example
    ids=lambda p: p.stem,
)
def test_schema_accepts_the_valid_examples(example: Path) -> None:
    text = (
        example.read_text(encoding="utf-8") if example.name == "02-suite.yaml" else compose(example)
    )
    data = json.loads(json.dumps(_load_plain(text)))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


def test_schema_rejects_a_misspelled_key() -> None:
    data = {
        "sessions": [
            {
                "name": "s",
                "tests": [
                    {
                        "name": "t",
                        "prompt": "p",
                        "assertions": [{"type": "output_contains", "text": "x"}],
                    }
                ],
            }
        ]
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


_ = NOW
