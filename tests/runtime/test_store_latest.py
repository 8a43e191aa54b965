"""RunStore.outcomes() reads results.jsonl once; RunStore.latest() counts its appends since.

Whatever path it takes, the counts must be exactly what reading the file would give: the
latest result per case, as written (secrets scrubbed). The store holds the outcomes it read
(status, tokens, cost), and nothing per result it appends (runtime/store/outcomes.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.results import result_key
from runtime.store import RunStore
from runtime.store.outcomes import read_outcomes, totals_of_outcomes

from .test_store import plan_of, result

pytestmark = pytest.mark.anyio


def _from_file(store: RunStore) -> tuple[object, int, int]:
    """Totals and criteria counts as reading results.jsonl for the plan's keys gives them."""
    found = read_outcomes(store.results_path)
    latest = [o for k in _keys(store) if (o := found.get(k)) is not None]
    totals = totals_of_outcomes(latest)
    return totals, len(latest), sum(o.status == "passed" for o in latest)


def _keys(store: RunStore) -> list[str]:
    return [result_key(c.id, a) for c, a in store.plan.attempts()]


def _counted(store: RunStore) -> tuple[object, int, int]:
    totals, counts = store.latest(lambda: _keys(store))
    return totals, counts.count, counts.passed


@pytest.mark.requirement("run:resume")
async def test_counts_after_appends_are_what_the_file_says(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(3), bench_version="t", run_id="r1")
    async with store.writer() as writer:
        await writer.append(result("u1/0", "failed"))
        await writer.append(result("u1/1"))
    # A resume: the file is read once; the unit runs again and its new lines replace the old.
    again = RunStore.open_for_resume(tmp_path, "r1", store.plan)
    assert list(again.outcomes().keys()) == ["u1/0", "u1/1"]
    async with again.writer() as writer:
        await writer.append(result("u1/0", "passed"))  # the latest wins
        await writer.append(result("u1/1", "error"))
        await writer.append(result("u1/2", "passed"))
    assert _counted(again) == _from_file(again)
    totals, counts = again.latest(lambda: _keys(again))
    assert (totals.total, totals.passed, totals.errors) == (3, 2, 1)
    # Nothing was added per appended result: the outcomes read at the start are all it holds.
    assert list(again.outcomes().keys()) == ["u1/0", "u1/1"]


@pytest.mark.requirement("run:resume")
async def test_earlier_results_a_resume_did_not_replace_still_count(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(3), bench_version="t", run_id="r1")
    async with store.writer() as writer:
        await writer.append(result("u1/0", "failed"))
        await writer.append(result("u1/1", "failed"))
    again = RunStore.open_for_resume(tmp_path, "r1", store.plan)
    again.outcomes()
    async with again.writer() as writer:
        await writer.append(result("u1/0", "passed"))  # stopped before u1/1 ran again
    assert _counted(again) == _from_file(again)
    totals, _ = again.latest(lambda: _keys(again))
    assert (totals.total, totals.passed, totals.failed) == (2, 1, 1)


async def test_appends_before_the_first_read_are_read_from_the_file(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    async with store.writer() as writer:
        await writer.append(result("u1/0"))
    assert list(store.outcomes().keys()) == ["u1/0"]
    async with store.writer() as writer:
        await writer.append(result("u1/1"))
    assert _counted(store) == _from_file(store)
    assert _counted(store)[1] == 2


async def test_counts_are_of_the_redacted_record(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    store.redact = lambda text: text.replace("sk-secret", "***")
    assert len(store.outcomes()) == 0
    async with store.writer() as writer:
        await writer.append(result("u1/0", output="key sk-secret"))
        await writer.append(result("u1/1", output="nothing to hide"))
    assert _counted(store) == _from_file(store)


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


async def test_a_line_whose_writer_was_cancelled_is_written_and_counted(tmp_path: Path) -> None:
    """A case cancelled while its line is being written (stop now) does not wait for it, but
    the line is still written and counted: the counts stay what the file says."""
    import anyio

    store = RunStore.create(tmp_path, plan_of(3), bench_version="t", run_id="r1")
    store.outcomes()
    async with store.writer() as writer:
        await writer.append(result("u1/0"))
        with anyio.CancelScope() as scope:
            scope.cancel()
            await writer.append(result("u1/1", "failed"))
        assert scope.cancelled_caught
    assert sorted(read_outcomes(store.results_path).keys()) == ["u1/0", "u1/1"]
    assert _counted(store) == _from_file(store)
    totals, _ = store.latest(lambda: _keys(store))
    assert (totals.total, totals.passed, totals.failed) == (2, 1, 1)
