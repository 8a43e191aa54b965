"""Foreign text on the console: what an agent, a server or a provider wrote cannot act on it.

A hostile external agent (tests/hostile/agent.py) answers with an error, an output and a
stdout line that carry workflow commands (``::add-mask::``, ``::error``), terminal escapes, a
line long enough that any wrap starts a line with ``::``, and its own API key; an MCP stdio
server (tests/hostile/server.py) prints the same and its whole environment to stderr and
dies; the agent's teardown prints it and fails (a logged warning). ``bench execute`` runs
them through the real CLI with stdout and stderr piped (as in a CI log, plain and with GITHUB_ACTIONS=true): no line may start with ``::`` other than bench's
own ``::stop-commands::`` pair, no ESC or other control byte and no secret value may appear.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "hostile"
SECRET = "sk-test-SECRET-value-0123456789"
TOKEN = "svc-token-ABCDEFGH-98765"  # not referenced by the suite: found by its name
# Bytes a terminal or the runner's line reader acts on: C0 (but tab and newline), DEL, C1,
# and the Unicode line and paragraph separators.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

SUITE = """\
providers:
  - name: scripted
    type: SCRIPTED
    replies:
      - when: "use the server"
        text: "never reached"
servers:
  - name: dying
    type: stdio
    command: "{python} {server}"
    process_delay: 0s
    env:
      OPENAI_API_KEY: "{{{{OPENAI_API_KEY}}}}"
agents:
  - name: hostile
    command: "{python} {agent}"
    timeout: 20s
    teardown: "{python} {fail}"
    env:
      OPENAI_API_KEY: "{{{{OPENAI_API_KEY}}}}"
{tooled}sessions:
  - name: s
    tests:
      - name: error
        prompt: error
      - name: output
        prompt: output
        assertions:
          - type: output_contains
            value: "never there"
      - name: garbage
        prompt: garbage
"""


TOOLED = """\
  - name: tooled
    provider: scripted
    servers:
      - name: dying
"""


def _run(
    tmp_path: Path, dying_server: bool, extra: tuple[str, ...] = (), **env: str
) -> tuple[int, str]:
    """Run the suite; with ``dying_server`` the server's death stops the run (a BenchError
    quoting its stderr), without it the run ends and prints its report."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        SUITE.format(
            python=sys.executable,
            agent=HOSTILE / "agent.py",
            server=HOSTILE / "server.py",
            fail=HOSTILE / "fail.py",
            tooled=TOOLED if dying_server else "",
        )
    )
    environ = {
        **os.environ,
        "OPENAI_API_KEY": SECRET,
        "SERVICE_TOKEN": TOKEN,
        "COLUMNS": "80",  # a guessed width must not matter when stdout is not a terminal
        **env,
    }
    environ.pop("GITHUB_ACTIONS", None)
    environ.update(env)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "execute",
            str(suite),
            "--output-dir",
            str(tmp_path),
            *extra,
        ],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        timeout=120,
    )
    out = done.stdout.decode("utf-8") + done.stderr.decode("utf-8")
    return done.returncode, out


def _check(out: str, *, own_commands: int) -> None:
    assert SECRET not in out and TOKEN not in out
    assert not CONTROL.search(out), repr(CONTROL.search(out))
    # The runner splits lines at LF and at CR, trims leading whitespace and then looks for "::".
    lines = re.split(r"\r\n|\r|\n", out)
    commands = [line for line in lines if line.lstrip().startswith("::")]
    assert len(commands) == own_commands, commands
    assert "##[" not in out  # the runner's legacy command form, found anywhere in a line
    # The payload still shows, made inert: the reader learns what the agent said.
    assert "add-mask" in out and "RED" in out


@pytest.mark.requirement("console:foreign-text")
@pytest.mark.parametrize("dying_server", [True, False], ids=["server-dies", "report"])
def test_foreign_text_cannot_act_on_a_piped_console(tmp_path: Path, dying_server: bool) -> None:
    code, out = _run(tmp_path, dying_server)
    assert code == (3 if dying_server else 1), out
    _check(out, own_commands=0)
    assert "***" in out  # the secret was there, and was redacted
    if not dying_server:  # the report shows the output that failed its assertion
        assert "never there" in out and "line-separator" in out


@pytest.mark.requirement("console:foreign-text")
@pytest.mark.parametrize("dying_server", [True, False], ids=["server-dies", "report"])
def test_foreign_text_cannot_act_on_a_github_actions_log(
    tmp_path: Path, dying_server: bool
) -> None:
    code, out = _run(tmp_path, dying_server, GITHUB_ACTIONS="true")
    assert code == (3 if dying_server else 1), out
    # bench's own pair: ::stop-commands::TOKEN first, ::TOKEN:: last; nothing between acts.
    _check(out, own_commands=2)
    lines = [line for line in out.splitlines() if line.startswith("::")]
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines[1] == f"::{token}::"


@pytest.mark.requirement("console:foreign-text")
def test_the_stop_commands_pair_leaves_data_on_stdout_alone(tmp_path: Path) -> None:
    """A script reads stdout (``bench schema > s.json``): the pair goes to stderr."""
    import json

    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "schema"], env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert isinstance(json.loads(done.stdout), dict)
    stop, resume = done.stderr.splitlines()
    assert resume == "::" + stop.removeprefix("::stop-commands::") + "::"


@pytest.mark.requirement("console:foreign-text")
@pytest.mark.parametrize(
    "view", [[], ["--cases"], ["--failures"]], ids=["summary", "cases", "failures"]
)
def test_bench_show_prints_foreign_text_inert(tmp_path: Path, view: list[str]) -> None:
    """``bench show`` reads the run's files back: redacted already, but not yet inert."""
    code, _ = _run(tmp_path, False)
    assert code == 1
    (run,) = (tmp_path / "runs").iterdir()
    env = {**os.environ, "OPENAI_API_KEY": SECRET, "SERVICE_TOKEN": TOKEN}
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "show", run.name, *view, "--output-dir", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, out
    assert SECRET not in out and TOKEN not in out
    assert not CONTROL.search(out), repr(CONTROL.search(out))
    assert not [ln for ln in re.split(r"\r\n|\r|\n", out) if ln.lstrip().startswith("::")]
    assert "##[" not in out


def test_a_dying_server_beside_an_external_agent_with_the_warm_pool_on(tmp_path: Path) -> None:
    """More sessions than --concurrency turns the warm pool on: the run still ends cleanly
    with its error (it raised "Attempted to exit a cancel scope that isn't the current
    task's": the external agents' task groups were entered inside the servers' one)."""
    code, out = _run(tmp_path, True, extra=("--concurrency", "1"))
    assert code == 3, out
    assert "Traceback" not in out and "cancel scope" not in out
