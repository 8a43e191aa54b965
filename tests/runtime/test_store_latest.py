"""RunStore.outcomes() reads results.jsonl once, then follows its own appends.

Whatever path it takes, it must hold exactly what reading the file would: the latest
outcome per case, in order of first appearance, as written (secrets scrubbed). It holds
outcomes (status, tokens, cost), never the results themselves (runtime/store/outcomes.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.store import RunStore
from runtime.store.outcomes import Outcomes, read_outcomes

from .test_store import plan_of, result

pytestmark = pytest.mark.anyio


def _view(outcomes: Outcomes) -> list[tuple[str, object]]:
    return [(k, outcomes.get(k)) for k in outcomes.keys()]


@pytest.mark.requirement("run:resume")
async def test_outcomes_after_appends_are_what_the_file_says(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    assert len(store.outcomes()) == 0
    async with store.writer() as writer:
        await writer.append(result("u1/0", "failed"))
        await writer.append(result("u1/1"))
        await writer.append(result("u1/0", "passed"))  # a re-run: the latest wins
    got = store.outcomes()
    assert _view(got) == _view(read_outcomes(store.results_path))
    assert list(got.keys()) == ["u1/0", "u1/1"]
    first = got.get("u1/0")
    assert first is not None and first.status == "passed"


async def test_appends_before_the_first_read_are_read_from_the_file(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    async with store.writer() as writer:
        await writer.append(result("u1/0"))
    assert list(store.outcomes().keys()) == ["u1/0"]
    async with store.writer() as writer:
        await writer.append(result("u1/1"))
    assert _view(store.outcomes()) == _view(read_outcomes(store.results_path))
    assert list(store.outcomes().keys()) == ["u1/0", "u1/1"]


async def test_outcomes_hold_the_redacted_record(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    store.redact = lambda text: text.replace("sk-secret", "***")
    assert len(store.outcomes()) == 0
    async with store.writer() as writer:
        await writer.append(result("u1/0", output="key sk-secret"))
        await writer.append(result("u1/1", output="nothing to hide"))
    assert _view(store.outcomes()) == _view(read_outcomes(store.results_path))


@pytest.mark.requirement("run:resume")
def test_outcome_reader_keeps_the_latest_and_skips_a_torn_last_line(tmp_path: Path) -> None:
    from runtime.errors import RunStoreError

    path = tmp_path / "results.jsonl"
    a1 = result("u1/0", "failed").model_dump_json()
    a2 = result("u1/0", "passed").model_dump_json()
    b = result("u1/1").model_dump_json()
    path.write_text(f"{a1}\n{b}\n{a2}\n{b[:40]}")
    got = read_outcomes(path)
    assert list(got.keys()) == ["u1/0", "u1/1"]
    first = got.get("u1/0")
    assert first is not None and first.status == "passed"
    path.write_text(f"{a1}\nnot json\n{b}\n")
    with pytest.raises(RunStoreError, match=":2: not a result record"):
        read_outcomes(path)
