"""Run stores for the viewer tests: sample runs written as the runtime writes them (fast), and
two real runs of the quickstart (slow: bench execute with its MCP servers)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from runtime.results import CaseResult
from runtime.store import totals_of
from tests.report.conftest import browser as browser  # headless chromium, shared
from tests.report.samples import Sample, sample, write_run

ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = ROOT / "test-output" / "view"

BASE_ID = "20261102-120000-base"
HEAD_ID = "20261103-090000-head"
HOSTILE = "<script>alert('head')</script> @everyone [x](javascript:alert(1))"


def _changed(r: CaseResult) -> CaseResult:
    """The head's version of a base result (see ``head_sample``)."""
    if (r.agent, r.test) == ("claude-agent", "Read file"):  # failed -> passed
        fixed = [a.model_copy(update={"passed": True}) for a in r.assertions]
        return r.model_copy(update={"status": "passed", "assertions": fixed})
    if (r.agent, r.test) == ("gemini-agent", "Create file"):  # passed -> failed, other output
        calls = [
            c.model_copy(update={"arguments": {"path": "other.txt"}})
            for c in r.transcript.tool_calls
        ]
        t = r.transcript.model_copy(
            update={"final_output": f"Created other.txt.\n{HOSTILE}", "tool_calls": calls}
        )
        asr = [
            a.model_copy(update={"passed": False, "message": HOSTILE})
            if a.type == "tool_param_equals"
            else a
            for a in r.assertions
        ]
        return r.model_copy(update={"status": "failed", "transcript": t, "assertions": asr})
    return r


def head_sample(base: Sample) -> Sample:
    """``base`` one day later: a test fixed, a test broken (other output and tool arguments,
    hostile text), one test x agent gone."""
    results = [
        _changed(r) for r in base.results if (r.agent, r.test) != ("gpt-agent", "Delete file")
    ]
    meta = base.meta.model_copy(
        update={
            "run_id": HEAD_ID,
            "started_at": "2026-11-03T09:00:00.000Z",
            "ended_at": "2026-11-03T09:00:30.000Z",
            "totals": totals_of(results),
        }
    )
    return replace(base, meta=meta, results=results, stale=[])


def base_sample() -> Sample:
    """The 04_multi_agent_multi_test sample as the base run."""
    s = sample("04_multi_agent_multi_test")
    return replace(s, meta=s.meta.model_copy(update={"run_id": BASE_ID}))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A runs directory with a base run, a head run, and an adversarial run."""
    runs = tmp_path / "runs"
    base = base_sample()
    write_run(base, runs)
    write_run(head_sample(base), runs)
    write_run(sample("10_adversarial"), runs)
    return runs


@pytest.fixture(scope="session")
def view_output() -> Path:
    """test-output/view/: screenshots and pages for a person to look at."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


QUICKSTART_EDIT = (
    '      - when: "Tokyo"\n        text: "Tokyo is nine hours ahead of UTC."\n',
    '      - when: "Tokyo"\n'
    "        tool_calls:\n"
    "          - name: convert_time\n"
    '            arguments: {source_timezone: "UTC", time: "12:00", target_timezone: "Asia/Tokyo"}\n'
    '      - when: "Tokyo"\n'
    '        text: "Tokyo is 9 hours ahead of UTC: noon in UTC is 21:00 in Tokyo."\n',
)
"""The head run's change to the quickstart: the Tokyo test now calls convert_time."""


@pytest.fixture(scope="session")
def quickstart_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store with two runs of the quickstart suite (as scripts/demo runs it): the suite as
    shipped (base), then with its Tokyo reply changed (head, ``QUICKSTART_EDIT``)."""
    from bench.cli import main

    work = tmp_path_factory.mktemp("quickstart")
    shutil.copytree(ROOT / "examples" / "quickstart", work / "examples" / "quickstart")
    shutil.copytree(ROOT / "examples" / "servers", work / "examples" / "servers")
    suite = work / "examples" / "quickstart" / "suite.yaml"
    with pytest.MonkeyPatch.context() as mp:
        # The suite starts its servers with `python`: the interpreter running the tests.
        mp.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
        mp.chdir(work)
        assert main(["execute", "-q", str(suite)]) == 0
        text = suite.read_text(encoding="utf-8")
        assert QUICKSTART_EDIT[0] in text
        suite.write_text(text.replace(*QUICKSTART_EDIT), encoding="utf-8")
        assert main(["execute", "-q", str(suite)]) == 0
    yield work / "runs"
