"""``bench load`` through the CLI against a paced fake OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cli import main
from runtime.load.result import LoadResult
from tests.fakes import FakeLLM, StreamTiming, serve_in_thread
from tests.fakes.openai_server import openai_app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    with serve_in_thread(openai_app(fake)) as url:
        yield fake, url


@pytest.fixture
def fake(server: tuple[FakeLLM, str]) -> FakeLLM:
    f = server[0]
    f.reset()
    f.timing = StreamTiming(ttft_s=0.02, per_token_s=0.005, tokens=4)
    return f


def _suite(tmp_path: Path, url: str, extra: str = "", key: str = "") -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(
        "providers:\n  - name: local\n    type: OPENAI_COMPATIBLE\n"
        f"    baseUrl: {url}/v1\n    model: gemma\n{key}"
        "agents:\n  - {name: a, provider: local}\n"
        "sessions:\n  - name: s\n    tests:\n"
        "      - {name: t1, prompt: 'What is {{ 1 + 1 }}?'}\n      - {name: t2, prompt: Hi}\n"
        + extra,
        encoding="utf-8",
    )
    return path


def test_a_sweep_writes_the_result_document_and_prints_the_table(
    fake: FakeLLM, server: tuple[FakeLLM, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, server[1], "load:\n  concurrency: [1, 2]\n  requests: 4\n")
    out = tmp_path / "load.json"
    code = main(["load", str(suite), "-o", str(out), "--warmup", "0", "--tag", "baseline",
                 "--card", "gpu=none", "--slo", "ttft=2s", "--max-tokens", "32"])  # fmt: skip
    assert code == 0
    result = LoadResult.model_validate(json.loads(out.read_text()))
    assert [lv.concurrency for lv in result.levels] == [1, 2]
    assert all(lv.requests == lv.completed == 4 for lv in result.levels)
    assert result.knee == 2 and result.token_counting == "usage"
    assert result.provider == "local" and result.endpoint == f"{server[1]}/v1/chat/completions"
    assert result.model_card.model_id == "gemma" and result.model_card.tags == ["baseline"]
    assert result.model_card.fields == {"gpu": "none"}
    assert result.prompts == {"source": "suite", "count": 2}
    # the suite's prompts as the compiler rendered them, round-robin
    sent = [r.body["messages"][0]["content"] for r in fake.requests]
    assert sent[:4] == ["What is 2?", "Hi", "What is 2?", "Hi"]
    assert all(r.body["max_tokens"] == 32 for r in fake.requests)
    printed = capsys.readouterr().out
    assert "TTFT p50" in printed and "knee: 2" in printed and str(out) in printed
    assert "TTFT, ITL, TPOT and e2e in ms" in printed  # the unit of the table's times


def test_flags_override_the_section_and_prompts_can_be_generated_or_read(
    fake: FakeLLM, server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    suite = _suite(tmp_path, server[1], "load:\n  rate: [50]\n  requests: 3\n  warmup: 0\n")
    out = tmp_path / "a.json"
    assert main(["load", str(suite), "-q", "-o", str(out), "--generate-prompts", "2",
                 "--input-tokens", "5", "--rate", "40", "--seed", "4"]) == 0  # fmt: skip
    result = LoadResult.model_validate_json(out.read_text())
    assert result.mode == "rate" and [lv.rate for lv in result.levels] == [40.0]
    assert result.burstiness == 1.0 and result.prompts["source"] == "generated"
    assert [len(r.body["messages"][0]["content"].split()) for r in fake.requests] == [5, 5, 5]
    data = tmp_path / "d.jsonl"
    data.write_text('{"q": "one"}\n\n{"q": "two"}\n')
    fake.reset()
    assert main(["load", str(suite), "-q", "-o", str(out), "--dataset", str(data),
                 "--dataset-field", "q", "--concurrency", "1", "--requests", "2"]) == 0  # fmt: skip
    assert [r.body["messages"][0]["content"] for r in fake.requests] == ["one", "two"]


def test_default_output_goes_under_the_run_store(
    fake: FakeLLM, server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    suite = _suite(tmp_path, server[1])
    assert main(["load", str(suite), "-q", "--requests", "1", "--output-dir", str(tmp_path)]) == 0
    (written,) = (tmp_path / "runs" / "load").glob("*-local.json")
    assert LoadResult.model_validate_json(written.read_text()).levels[0].requests == 1


def test_fail_under_knee_exits_1(
    fake: FakeLLM, server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    suite = _suite(tmp_path, server[1])
    args = ["load", str(suite), "-q", "-o", str(tmp_path / "x.json"), "--requests", "2"]
    assert main([*args, "--slo", "ttft=1ms", "--fail-under-knee", "1"]) == 1
    assert main([*args, "--slo", "ttft=5s", "--fail-under-knee", "1"]) == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--concurrency", "1,0"], "must be at least 1"),
        (["--rate", "x"], "not a number"),
        (["--slo", "ttfb=1s"], "KEY one of ttft, tpot, e2e"),
        (["--slo", "ttft=500"], "not a duration"),
        (["--duration", "10"], "not a duration"),
        (["--concurrency", "1", "--rate", "2"], "not allowed with argument"),
        (["--card", "novalue"], "KEY=VALUE"),
    ],
)
def test_bad_flags_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["load", str(tmp_path / "s.yaml"), *flags])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_input_is_a_clear_error_not_a_traceback(
    server: tuple[FakeLLM, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, server[1])
    assert main(["load", str(suite), "-q", "--provider", "nope"]) == 2
    assert "no such provider in the suite (defined: local)" in capsys.readouterr().err
    assert main(["load", str(suite), "-q", "--dataset", str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read dataset" in capsys.readouterr().err
    keyed = _suite(tmp_path, server[1], key="    token: ${LOAD_TEST_KEY_UNSET}\n")
    assert main(["load", str(keyed), "-q"]) == 2
    assert "LOAD_TEST_KEY_UNSET is not set" in capsys.readouterr().err
    bad = _suite(tmp_path, server[1], "load:\n  concurrency: [1]\n  rate: [1]\n")
    assert main(["load", str(bad), "-q"]) == 2
    assert "concurrency or rate, not both" in capsys.readouterr().err
    assert main(["load", str(tmp_path / "plan.json"), "-q"]) == 2


def test_the_suites_response_assertions_judge_each_answer_and_goodput(
    fake: FakeLLM, server: tuple[FakeLLM, str], tmp_path: Path
) -> None:
    """Answers are "tok0 tok1 tok2 tok3 ": the first prompt's assertion passes, the second's
    fails, a tool assertion (meaningless without tools) is left out, a third prompt has none."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "providers:\n  - name: local\n    type: OPENAI_COMPATIBLE\n"
        f"    baseUrl: {server[1]}/v1\n    model: gemma\n"
        "agents:\n  - {name: a, provider: local}\n"
        "sessions:\n  - name: s\n    tests:\n"
        "      - name: good\n        prompt: one\n        assertions:\n"
        "          - {type: output_contains, value: tok3}\n"
        "          - {type: tool_called, tool: search}\n"
        "      - name: bad\n        prompt: two\n        assertions:\n"
        "          - {type: output_regex, pattern: '^nothing$'}\n"
        "      - {name: none, prompt: three}\n",
        encoding="utf-8",
    )
    out = tmp_path / "j.json"
    code = main(["load", str(suite), "-q", "-o", str(out), "--requests", "3", "--warmup", "0",
                 "--slo", "e2e=30s"])  # fmt: skip
    assert code == 0
    (level,) = LoadResult.model_validate_json(out.read_text()).levels
    assert [s.assertions_ok for s in level.samples] == [True, False, None]
    assert [s.slo_ok for s in level.samples] == [True, False, True]
    assert level.slo_met_fraction == 2 / 3
