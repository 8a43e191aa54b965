"""``bench retry``: only failed (or errored) sessions run again, in a new run merged with the old.

The acceptance test injects provider failures with the fake OpenAI server (through the real
SDK), retries, and checks that only those cases reach the server again and that the merged
report counts each case once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from runtime.plan import BuiltinAgent, OpenAIProvider, Plan, RetryPolicy, ScriptedReply, SecretRef
from runtime.plan.assertions import OutputContains
from runtime.results import RunMetadata
from runtime.store import read_results
from tests.fakes import FakeLLM, Fault, Reply, Usage

from .runtime_helpers import case, make_plan, unit


@pytest.fixture
def fake(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    """The shared fake, with the provider's key in the environment."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-retry-0123456789")
    return fake


def openai_plan(url: str, units: int = 4) -> Plan:
    """``units`` single-case sessions against the fake; no retries, so a 500 is an error."""
    return make_plan(
        [unit(f"u{i}", [case(f"u{i}", 0, f"question {i}")]) for i in range(units)],
        providers=[
            OpenAIProvider(
                name="gpt",
                model="gpt-test",
                api_key=SecretRef.from_env("OPENAI_API_KEY"),
                base_url=url + "/v1",
                retry=RetryPolicy(max_retries=0),
            )
        ],
        agents=[BuiltinAgent(name="agent", provider="gpt")],
    )


def write(plan: Plan, tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    return path


def runs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "runs").iterdir())


def meta(run_dir: Path) -> RunMetadata:
    return RunMetadata.model_validate_json((run_dir / "metadata.json").read_text())


@pytest.mark.requirement("runs:retry")
@pytest.mark.requirement("runs:retry-merge")
def test_retry_after_injected_provider_failures_reruns_only_those_and_merges(
    fake: FakeLLM, openai_server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    import report

    plan_path = write(openai_plan(openai_server[1]), tmp_path)
    # Concurrency 1: requests arrive in plan order; u1 and u3 meet a 500.
    fake.push(
        Reply(text="a0", usage=Usage(7, 3)),
        Fault.http(500),
        Reply(text="a2", usage=Usage(7, 3)),
        Fault.http(503),
    )
    code = main(["execute", "-q", str(plan_path), "--output-dir", str(tmp_path),
                 "--concurrency", "1"])  # fmt: skip
    assert code == 1
    (parent,) = runs(tmp_path)
    first = read_results(parent / "results.jsonl")
    assert {cid: r.status for cid, r in first.items()} == {
        "u0/0": "passed", "u1/0": "error", "u2/0": "passed", "u3/0": "error",
    }  # fmt: skip

    fake.requests.clear()
    fake.push(Reply(text="b1", usage=Usage(7, 3)), Reply(text="b3", usage=Usage(7, 3)))
    assert main(["retry", parent.name[:17], "-q", "--output-dir", str(tmp_path)]) == 0
    # Only the two errored cases reached the provider again.
    prompts = [r.body["messages"][-1]["content"] for r in fake.requests]
    assert sorted(prompts) == ["question 1", "question 3"]

    child = next(p for p in runs(tmp_path) if p != parent)
    m = meta(child)
    assert m.parent_run == parent.name and m.status == "completed"
    assert m.totals.total == 4 and m.totals.passed == 4 and m.totals.errors == 0
    merged = read_results(child / "results.jsonl")
    assert {cid: (r.transcript.final_output, r.retry) for cid, r in merged.items()} == {
        "u0/0": ("a0", 0), "u1/0": ("b1", 1), "u2/0": ("a2", 0), "u3/0": ("b3", 1),
    }  # fmt: skip
    built = report.build_report(child)
    assert built.summary.total == 4 and built.summary.passed == 4
    assert len(built.detailed_results) == 4
    assert sorted(c.case_id for c in built.detailed_results) == ["u0/0", "u1/0", "u2/0", "u3/0"]
    # The parent run is left as it was.
    assert read_results(parent / "results.jsonl") == first
    assert (child / "plan.json").read_text() == (parent / "plan.json").read_text()


def scripted_session_plan() -> Plan:
    """u0: a 3-test session whose 2nd test fails; u1: one passing test."""
    return make_plan(
        [
            unit(
                "u0",
                [
                    case("u0", i, f"step {i}", assertions=[OutputContains(value="ok")])
                    for i in range(3)
                ],
            ),
            unit("u1", [case("u1", 0, "alone", assertions=[OutputContains(value="ok")])]),
        ],  # fmt: skip
        replies=[
            ScriptedReply(when="step 0", text="ok 0"),
            ScriptedReply(when="step 1", text="wrong"),
            ScriptedReply(when="step 2", text="ok 2"),
            ScriptedReply(when="alone", text="ok alone"),
        ],
    )


@pytest.mark.requirement("runs:retry-session")
def test_a_failed_test_reruns_its_whole_session_and_copies_the_rest(tmp_path: Path) -> None:
    plan_path = write(scripted_session_plan(), tmp_path)
    assert main(["execute", "-q", str(plan_path), "--output-dir", str(tmp_path)]) == 1
    (parent,) = runs(tmp_path)
    parent_results = read_results(parent / "results.jsonl")
    assert main(["retry", parent.name, "-q", "--output-dir", str(tmp_path)]) == 1
    child = next(p for p in runs(tmp_path) if p != parent)
    merged = read_results(child / "results.jsonl")
    # The whole session u0 ran again (retry 1, new timestamps); u1 was copied untouched.
    assert [merged[f"u0/{i}"].retry for i in range(3)] == [1, 1, 1]
    assert all(merged[f"u0/{i}"].started_at >= parent_results["u0/2"].ended_at for i in range(3))
    assert merged["u1/0"] == parent_results["u1/0"]
    assert merged["u0/1"].status == "failed"  # the scripted agent is still wrong
    # Copied results come first in the file, then the re-run session.
    lines = (child / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["case_id"] for line in lines] == ["u1/0", "u0/0", "u0/1", "u0/2"]


@pytest.mark.requirement("runs:retry")
def test_errors_only_leaves_failures_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = write(scripted_session_plan(), tmp_path)
    main(["execute", "-q", str(plan_path), "--output-dir", str(tmp_path)])
    (parent,) = runs(tmp_path)
    capsys.readouterr()
    assert main(["retry", parent.name, "--errors-only", "--output-dir", str(tmp_path)]) == 0
    assert "nothing to retry" in capsys.readouterr().out
    assert runs(tmp_path) == [parent]  # no new run


@pytest.mark.requirement("runs:retry")
def test_errors_only_reruns_errored_sessions(tmp_path: Path) -> None:
    # u0 fails (wrong answer), u1 errors (no scripted reply left): only u1 runs again.
    plan = make_plan(
        [
            unit("u0", [case("u0", 0, "hi", assertions=[OutputContains(value="ok")])]),
            unit("u1", [case("u1", 0, "unanswered")]),
        ],
        replies=[ScriptedReply(when="hi", text="wrong")],
    )
    plan_path = write(plan, tmp_path)
    main(["execute", "-q", str(plan_path), "--output-dir", str(tmp_path)])
    (parent,) = runs(tmp_path)
    assert main(["retry", parent.name, "--errors-only", "-q", "--output-dir", str(tmp_path)]) == 1
    child = next(p for p in runs(tmp_path) if p != parent)
    merged = read_results(child / "results.jsonl")
    assert (merged["u0/0"].status, merged["u0/0"].retry) == ("failed", 0)
    assert (merged["u1/0"].status, merged["u1/0"].retry) == ("error", 1)


@pytest.mark.requirement("runs:partial-id")
def test_bad_retry_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retry", "nope", "--output-dir", str(tmp_path)]) == 2
    plan_path = write(scripted_session_plan(), tmp_path)
    for _ in range(2):
        main(["execute", "-q", str(plan_path), "--output-dir", str(tmp_path)])
    capsys.readouterr()
    assert main(["retry", "2026", "--output-dir", str(tmp_path)]) == 2
    assert "ambiguous" in capsys.readouterr().err


def test_an_unfinished_run_is_refused_with_the_resume_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = write(scripted_session_plan(), tmp_path)
    main(["execute", "-q", str(plan_path), "--output-dir", str(tmp_path)])
    (parent,) = runs(tmp_path)
    lines = (parent / "results.jsonl").read_text().splitlines()
    (parent / "results.jsonl").write_text("\n".join(lines[:2]) + "\n")  # as if killed
    capsys.readouterr()
    assert main(["retry", parent.name, "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not finished" in err and f"--resume {parent.name}" in err
