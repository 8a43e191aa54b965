"""The run store: layout, durable appends, readers that survive a torn line, run id lookup."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from runtime.errors import RunStoreError
from runtime.results import CaseResult, RunMetadata
from runtime.store import RunStore, find_run, read_results
from runtime.transcript import Transcript

from .runtime_helpers import SPAN, case, make_plan, reply, unit

pytestmark = pytest.mark.anyio


def result(case_id: str, status: str = "passed", output: str = "") -> CaseResult:
    return CaseResult(
        case_id=case_id, unit_id=case_id.split("/")[0], agent="a", session="s", test="t",
        file="f", span=SPAN, status=status, prompt="p",  # type: ignore[arg-type]
        started_at="x", ended_at="y", duration_ms=1.0,
        transcript=Transcript(final_output=output),
    )  # fmt: skip


def plan_of(n: int = 2):  # type: ignore[no-untyped-def]
    return make_plan([unit("u1", [case("u1", i, f"p{i}") for i in range(n)])], replies=[reply("x")])


@pytest.mark.requirement("run:store-layout")
def test_create_writes_plan_metadata_and_empty_results(tmp_path: Path) -> None:
    plan = plan_of()
    store = RunStore.create(tmp_path, plan, bench_version="9.9", run_id="r1")
    assert store.path == tmp_path / "runs" / "r1"
    assert (store.path / "plan.json").read_text() == plan.dumps()
    meta = RunMetadata.model_validate_json((store.path / "metadata.json").read_text())
    assert meta.status == "running" and meta.plan_hash == plan.hash and meta.case_count == 2
    assert (store.path / "results.jsonl").read_bytes() == b""
    with pytest.raises(RunStoreError, match="already exists"):
        RunStore.create(tmp_path, plan, bench_version="9.9", run_id="r1")


@pytest.mark.requirement("run:append-flush")
async def test_appends_are_durable_lines_and_concurrent_writers_do_not_interleave(
    tmp_path: Path,
) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    async with store.writer() as writer:
        await writer.append(result("u1/0"))
        # Once append returned, the line is on disk: another reader sees it now.
        assert read_results(store.results_path).keys() == {"u1/0"}
        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(writer.append, result(f"u{i + 2}/0", output="y" * 5000))
    lines = store.results_path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 202
    assert all(json.loads(line)["case_id"] for line in lines[:-1])


async def test_fsyncs_are_batched_and_the_last_line_is_synced_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each line is written (kill-safe: it is in the kernel) before its append returns; the
    # fsync that guards against a power loss covers many appends, and the close syncs the rest.
    from runtime.store import run_store

    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    events: list[str] = []
    real_write, real_fsync = run_store.os.write, run_store.os.fsync

    def write(fd: int, data: bytes) -> int:
        events.append("write")
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    monkeypatch.setattr(run_store.os, "write", write)
    monkeypatch.setattr(run_store.os, "fsync", fsync)
    async with store.writer() as writer:
        for i in range(50):  # one at a time: each append waits for its own line
            await writer.append(result(f"u{i}/0"))
            assert len(read_results(store.results_path)) == i + 1
    assert events.count("write") == 50
    assert events.count("fsync") < 10
    assert events[-1] == "fsync"  # nothing written after the last sync


async def test_a_failed_fsync_is_the_next_appends_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.store import run_store

    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(run_store, "FSYNC_INTERVAL_S", 0.0)
    monkeypatch.setattr(run_store.os, "fsync", fsync)
    with pytest.raises(RunStoreError, match="Input/output error"):
        async with store.writer() as writer:
            await writer.append(result("u1/0"))
            await writer.append(result("u2/0"))


async def test_redaction_applies_to_results_and_metadata(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    store.redact = lambda text: text.replace("sk-secret", "***")
    async with store.writer() as writer:
        await writer.append(result("u1/0", output="key sk-secret"))
    store.write_metadata(store.metadata.model_copy(update={"error": "bad sk-secret"}))
    assert b"sk-secret" not in store.results_path.read_bytes()
    assert "sk-secret" not in (store.path / "metadata.json").read_text()


@pytest.mark.requirement("run:resume")
def test_reader_keeps_latest_per_case_and_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    a1 = result("u1/0", "failed").model_dump_json()
    a2 = result("u1/0", "passed").model_dump_json()
    b = result("u1/1").model_dump_json()
    path.write_text(f"{a1}\n{b}\n{a2}\n{b[:40]}")
    got = read_results(path)
    assert list(got) == ["u1/0", "u1/1"]
    assert got["u1/0"].status == "passed"
    path.write_text(f"{a1}\nnot json\n{b}\n")
    with pytest.raises(RunStoreError, match=":2: not a result record"):
        read_results(path)


@pytest.mark.requirement("run:resume")
def test_resume_trims_a_torn_line_before_appending(tmp_path: Path) -> None:
    plan = plan_of()
    store = RunStore.create(tmp_path, plan, bench_version="t", run_id="r1")
    good = result("u1/0").model_dump_json()
    store.results_path.write_text(good + "\n" + good[:25])
    again = RunStore.open_for_resume(tmp_path, "r1", plan)
    assert again.results_path.read_text() == good + "\n"


@pytest.mark.requirement("run:resume-plan-mismatch")
def test_resume_with_another_plan_is_refused(tmp_path: Path) -> None:
    RunStore.create(tmp_path, plan_of(2), bench_version="t", run_id="r1")
    with pytest.raises(RunStoreError, match="different plan"):
        RunStore.open_for_resume(tmp_path, "r1", plan_of(3))


def test_run_ids_resolve_by_unambiguous_part(tmp_path: Path) -> None:
    plan = plan_of()
    for rid in ("20261101-100000-aaaaaa", "20261101-110000-bbbbbb"):
        RunStore.create(tmp_path, plan, bench_version="t", run_id=rid)
    assert find_run(tmp_path, "20261101-10").name == "20261101-100000-aaaaaa"
    assert find_run(tmp_path, "bbbb").name == "20261101-110000-bbbbbb"
    with pytest.raises(RunStoreError, match="ambiguous"):
        find_run(tmp_path, "20261101")
    with pytest.raises(RunStoreError, match="no run matching"):
        find_run(tmp_path, "zzz")
    with pytest.raises(RunStoreError, match="not a run id"):
        find_run(tmp_path, "../x")


async def test_a_line_queued_without_waiting_is_written_then_reported(tmp_path: Path) -> None:
    """``append_later`` (a unit's last case): ``then`` runs once the line is in the file."""
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    reported: list[tuple[str, int]] = []

    def then(r: CaseResult) -> None:
        reported.append((r.case_id, store.results_path.read_bytes().count(b"\n")))

    async with store.writer() as writer:
        assert writer.append_later(result("u1/0"), then)
        assert writer.append_later(result("u2/0", "failed"), then)
    assert [case_id for case_id, _ in reported] == ["u1/0", "u2/0"]
    assert all(lines >= i + 1 for i, (_, lines) in enumerate(reported))  # in the file by then
    assert sorted(read_results(store.results_path)) == ["u1/0", "u2/0"]
    totals, _ = store.latest(lambda: ["u1/0", "u2/0"])
    assert (totals.total, totals.passed, totals.failed) == (2, 1, 1)


async def test_a_failed_write_of_a_line_not_waited_for_is_the_next_appends_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.store import run_store

    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")
    reported: list[str] = []

    def write(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_store.os, "write", write)
    async with store.writer() as writer:
        writer.append_later(result("u1/0"), lambda r: reported.append(r.case_id))
        await anyio.sleep(0.2)  # written (and failed) meanwhile
        with pytest.raises(RunStoreError, match="No space left on device"):
            await writer.append(result("u2/0"))
    assert reported == []  # never reported as written


async def test_a_report_that_raises_after_a_line_not_waited_for_ends_the_run(
    tmp_path: Path,
) -> None:
    store = RunStore.create(tmp_path, plan_of(), bench_version="t", run_id="r1")

    def then(r: CaseResult) -> None:
        raise ValueError("the console is gone")

    with pytest.raises(ValueError, match="the console is gone"):
        async with store.writer() as writer:
            writer.append_later(result("u1/0"), then)
    assert list(read_results(store.results_path)) == ["u1/0"]  # written all the same
