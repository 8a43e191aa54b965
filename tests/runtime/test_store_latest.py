"""RunStore.done_results() reads results.jsonl once, then follows its own appends.

Whatever path it takes, it must return exactly what reading the file would: the latest
record per case, in order of first appearance, as written (secrets scrubbed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.store import RunStore, read_results

from .test_store import plan_of, result

pytestmark = pytest.mark.anyio


@pytest.mark.requirement("run:resume")
async def test_done_results_after_appends_is_what_the_file_says(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    assert store.done_results() == {}
    async with store.writer() as writer:
        await writer.append(result("u1/0", "failed"))
        await writer.append(result("u1/1"))
        await writer.append(result("u1/0", "passed"))  # a re-run: the latest wins
    got = store.done_results()
    assert got == read_results(store.results_path)
    assert list(got) == ["u1/0", "u1/1"] and got["u1/0"].status == "passed"


async def test_appends_before_the_first_read_are_read_from_the_file(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    async with store.writer() as writer:
        await writer.append(result("u1/0"))
    assert list(store.done_results()) == ["u1/0"]
    async with store.writer() as writer:
        await writer.append(result("u1/1"))
    assert store.done_results() == read_results(store.results_path)
    assert list(store.done_results()) == ["u1/0", "u1/1"]


async def test_done_results_holds_the_redacted_record(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    store.redact = lambda text: text.replace("sk-secret", "***")
    assert store.done_results() == {}
    async with store.writer() as writer:
        await writer.append(result("u1/0", output="key sk-secret"))
        await writer.append(result("u1/1", output="nothing to hide"))
    got = store.done_results()
    assert got["u1/0"].transcript.final_output == "key ***"
    assert got["u1/1"].transcript.final_output == "nothing to hide"
    assert got == read_results(store.results_path)
