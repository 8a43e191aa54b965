"""Issue 11: `repeat:` runs every attempt as an independent sample, recorded per attempt.

A fake OpenAI-compatible server answers by the test's prompt: "always" gets the right answer,
"never" a wrong one, "coin" either at random (seeded), "broken" a 500 every time.
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from compiler import compile_suite
from runtime.plan import work_items
from runtime.store import read_results
from tests.fakes import FakeLLM, Fault, RecordedRequest, Reply, serve_in_thread
from tests.fakes.openai_server import openai_app


class Oracle(FakeLLM):
    """Answers by the prompt's keyword; every request is recorded."""

    def __init__(self, seed: int = 7) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def next_item(self, request: RecordedRequest) -> Reply | Fault:
        super().next_item(request)
        prompt = request.body["messages"][-1]["content"]
        with self.lock:
            if "broken" in prompt:
                return Fault.http(500)
            if "coin" in prompt:
                return Reply(text="yes" if self.rng.random() < 0.5 else "no")
            return Reply(text="yes" if "always" in prompt else "no")


SUITE = """\
providers:
  - {{name: local, type: OPENAI_COMPATIBLE, baseUrl: "{url}/v1", model: m, retry: {{max_retries: 1}}}}
agents:
  - {{name: a, provider: local}}
settings:
  repeat: {repeat}
  concurrency: 4
sessions:
  - name: steady
    tests:
      - name: always
        prompt: "always: say yes"
        assertions: [{{type: output_contains, value: "yes"}}]
      - name: never
        prompt: "never: say yes"
        assertions: [{{type: output_contains, value: "yes"}}]
  - name: random
    tests:
      - name: coin
        prompt: "coin: say yes"
        assertions: [{{type: output_contains, value: "yes"}}]
  - name: down
    repeat: 2
    tests:
      - name: broken
        prompt: "broken: say yes"
        assertions: [{{type: output_contains, value: "yes"}}]
"""


@pytest.fixture
def oracle() -> Any:
    fake = Oracle()
    with serve_in_thread(openai_app(fake)) as url:
        yield fake, url


def _suite(tmp_path: Path, url: str, repeat: int) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.format(url=url, repeat=repeat))
    return path


def test_repeat_lowers_innermost_first_and_schedules_attempt_rounds(tmp_path: Path) -> None:
    plan = compile_suite(
        _suite(tmp_path, "http://127.0.0.1:9", 3), seed=1, now="2026-12-01T00:00:00Z"
    )
    assert [c.repeat for c in plan.cases] == [3, 3, 3, 2]  # the session's 2 wins over settings
    assert plan.attempt_count == 11
    items = [(u.session, a) for u, a in work_items(plan.units)]
    assert items == [
        ("steady", 0), ("random", 0), ("down", 0),
        ("steady", 1), ("random", 1), ("down", 1),
        ("steady", 2), ("random", 2),
    ]  # fmt: skip
    # A suite without repeat compiles to the same plan bytes as before repeats existed.
    plain = tmp_path / "plain.yaml"
    plain.write_text(SUITE.format(url="http://x", repeat=1).replace("    repeat: 2\n", ""))
    assert '"repeat"' not in compile_suite(plain, seed=1).dumps()


def test_twenty_attempts_give_labels_intervals_and_errors_apart(
    oracle: tuple[Oracle, str], tmp_path: Path
) -> None:
    fake, url = oracle
    out = tmp_path / "out"
    code = main(
        ["execute", "-q", str(_suite(tmp_path, url, 20)), "--output-dir", str(out),
         "--report", "json", "-o", str(tmp_path / "report")]
    )  # fmt: skip
    assert code in (0, 1)
    (run_dir,) = (out / "runs").iterdir()
    results = read_results(run_dir / "results.jsonl")
    assert len(results) == 3 * 20 + 2
    coin = sorted(r.attempt for r in results.values() if r.test == "coin")
    assert coin == list(range(20))  # every attempt its own line, numbered 0..19
    # Each attempt is a fresh conversation: the second test of a session sees only its own
    # attempt's first exchange, never another attempt's.
    nevers = [r for r in fake.requests if "never" in r.body["messages"][-1]["content"]]
    assert {len(r.body["messages"]) for r in nevers} == {3}

    data = json.loads((tmp_path / "report.json").read_text())
    cells = {row["test"]: row["results"]["a"]["stability"] for row in data["comparison_summary"]}
    assert cells["always"]["label"] == "stable-pass" and cells["always"]["attempts"] == 20
    assert cells["never"]["label"] == "stable-fail"
    flip = cells["coin"]
    assert flip["label"] == "flaky"
    assert flip["ci95"][0] < 0.5 < flip["ci95"][1]
    assert flip["pass_hat_k"]["5"] < 0.2
    down = cells["broken"]
    assert (down["label"], down["errors"], down["pass_rate"]) == ("errored", 2, None)
    assert data["summary"]["errors"] == 2
    assert data["summary"]["stability"]["errored"] == 1
    assert len(data["detailed_results"]) == 62


def test_a_killed_run_resumes_without_repeating_or_losing_an_attempt(
    oracle: tuple[Oracle, str], tmp_path: Path
) -> None:
    fake, url = oracle
    suite = _suite(tmp_path, url, 4)
    out = tmp_path / "out"
    assert main(["execute", "-q", str(suite), "--output-dir", str(out), "--seed", "3"]) in (0, 1)
    (run_dir,) = (out / "runs").iterdir()
    results_path = run_dir / "results.jsonl"
    lines = results_path.read_text().splitlines()
    full = {json.loads(line)["attempt"] for line in lines}
    assert full == {0, 1, 2, 3}
    # Cut the file as a kill would: keep the first 5 results only, mark the run interrupted.
    results_path.write_text("\n".join(lines[:5]) + "\n")
    meta = json.loads((run_dir / "metadata.json").read_text())
    meta["status"] = "interrupted"
    (run_dir / "metadata.json").write_text(json.dumps(meta))
    kept = {(json.loads(line)["case_id"], json.loads(line)["attempt"]) for line in lines[:5]}
    before = len(fake.requests)
    code = main(["execute", "-q", str(suite), "--output-dir", str(out), "--resume", run_dir.name])
    assert code in (0, 1)
    resumed = read_results(results_path)
    assert len(resumed) == 3 * 4 + 2
    assert {(r.case_id, r.attempt) for r in resumed.values()} >= kept
    # Only the missing (unit, attempt)s ran again: fewer requests than the whole run made.
    assert len(fake.requests) - before < len(lines)


def test_repeat_flag_overrides_the_suite_and_is_kept_on_resume(
    oracle: tuple[Oracle, str], tmp_path: Path
) -> None:
    _fake, url = oracle
    out = tmp_path / "out"
    suite = _suite(tmp_path, url, 20)
    assert main(["execute", "-q", str(suite), "--output-dir", str(out), "--repeat", "2"]) in (0, 1)
    (run_dir,) = (out / "runs").iterdir()
    assert len(read_results(run_dir / "results.jsonl")) == 4 * 2
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["filter"]["repeat"] == 2
    assert main(["execute", "-q", str(suite), "--output-dir", str(out), "--resume", run_dir.name,
                 "--repeat", "3"]) == 2  # fmt: skip


def test_pass_hat_k_criterion_averages_over_tests_and_leaves_errors_out() -> None:
    from runtime.criteria import criteria_met, mean_pass_hat_k
    from runtime.plan import Criteria, PassHatK

    # Test a: 4 of 4 passed (pass^2 = 1); test b: 2 of 4 (pass^2 = 1/6); c: errors only.
    outcomes = [("a", "passed")] * 4 + [("b", "passed"), ("b", "passed"), ("b", "failed"),
                ("b", "failed"), ("c", "error"), ("c", "error")]  # fmt: skip
    assert mean_pass_hat_k(outcomes, 2) == pytest.approx((1 + 1 / 6) / 2)
    assert mean_pass_hat_k([("c", "error")], 2) is None
    loose = Criteria(success_rate=0.5, pass_hat_k=PassHatK(k=2, min=0.5))
    strict = Criteria(success_rate=0.5, pass_hat_k=PassHatK(k=2, min=0.6))
    assert criteria_met(loose, outcomes, len(outcomes))
    assert not criteria_met(strict, outcomes, len(outcomes))
    assert not criteria_met(loose, outcomes, len(outcomes) + 1)  # a missing attempt


def test_pass_hat_k_needs_enough_repeats_at_compile_time(tmp_path: Path) -> None:
    from compiler.errors import SuiteInvalid

    path = tmp_path / "s.yaml"
    path.write_text(
        SUITE.format(url="http://127.0.0.1:9", repeat=3)
        + "criteria:\n  pass_hat_k: {k: 5, min: 0.8}\n"
    )
    with pytest.raises(SuiteInvalid) as err:
        compile_suite(path, seed=1)
    assert "pass-hat-k-repeat" in str(err.value) or any(
        d.code == "pass-hat-k-repeat" for d in err.value.diagnostics
    )


def test_a_scripted_provider_replays_its_script_for_every_attempt(tmp_path: Path) -> None:
    # Each attempt is its own conversation: one scripted reply serves all three attempts.
    path = tmp_path / "s.yaml"
    path.write_text(
        "providers:\n  - {name: m, type: SCRIPTED, model: s, replies: [{text: ok}]}\n"
        "agents:\n  - {name: a, provider: m}\nsettings:\n  repeat: 3\n"
        "criteria:\n  pass_hat_k: {k: 3, min: 1}\n"
        "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"
        "        assertions: [{type: output_contains, value: ok}]\n"
    )
    out = tmp_path / "out"
    assert main(["execute", "-q", str(path), "--output-dir", str(out)]) == 0
    (run_dir,) = (out / "runs").iterdir()
    results = read_results(run_dir / "results.jsonl")
    assert sorted((r.attempt, r.status) for r in results.values()) == [
        (0, "passed"), (1, "passed"), (2, "passed"),
    ]  # fmt: skip
