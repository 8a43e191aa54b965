"""The run store: one directory per run, PacaBench style, and the resume rule.

Layout of ``<output dir>/runs/<run-id>/``::

    plan.json       the plan that ran (``Plan.write``: ``Plan.dumps()``, or a streamed plan's
                    file as verified)
    metadata.json   RunMetadata: status, start/end, totals (rewritten atomically)
    results.jsonl   one CaseResult per finished case, appended and fsynced

results.jsonl is append-only. A case can appear more than once (a resumed run re-runs a unit
that had not finished); readers keep the latest line per ``case_id``. A line cut short by a
kill (no trailing newline, or not JSON) is ignored by readers and trimmed before a resumed run
appends.

Writes happen in one dedicated thread: every waiting line is written in one ``write``, then
each writer is released. The event loop never blocks on disk, and ``append`` returns only
once its line is in the file, so the next case of that unit starts after its predecessor's
result is safe from a kill of bench (the kernel has it). The ``fsync`` that guards against
a crash of the machine itself covers every line written in the last ``FSYNC_INTERVAL_S``:
it runs at most that long after a line was written, and when the writer closes. A fsync per
batch of lines cost as much as the rest of a replayed case (benchmarks/replay_bench.py). A
failed fsync is the next ``append``'s error (or the close's). On asyncio a writer is released
by one ``call_soon_threadsafe`` per batch (no thread per waiting case); other backends wait
in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType

import anyio
import anyio.to_thread

from ..clock import utc_now
from ..criteria import CriteriaTally
from ..errors import RunStoreError
from ..plan import Plan
from ..results import CaseResult, RunMetadata, RunTotals, TotalsSum
from .outcomes import Outcomes, RunTally, read_outcomes

__all__ = [
    "METADATA_FILE",
    "PLAN_FILE",
    "RESULTS_FILE",
    "ResultWriter",
    "RunEntry",
    "RunStore",
    "find_run",
    "list_runs",
    "new_run_id",
    "read_results",
    "resolve_run",
    "totals_of",
]

PLAN_FILE = "plan.json"
METADATA_FILE = "metadata.json"
RESULTS_FILE = "results.jsonl"
RUNS_DIR = "runs"
FSYNC_INTERVAL_S = 0.5
"""At most this long between a line's write and the fsync that makes it crash-proof."""


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYMMDD-HHMMSS-xxxxxx`` (UTC, 6 random hex digits)."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def read_results(path: Path) -> dict[str, CaseResult]:
    """Read results.jsonl: the latest result per result key (case id, and attempt when repeated),
    in order of first appearance.

    A torn last line (a kill mid-write) is skipped; a bad line elsewhere is a RunStoreError,
    because it means the file was edited or corrupted, not merely cut short.
    """
    if not path.exists():
        return {}
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    results: dict[str, CaseResult] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        is_last = number == len(lines)  # no newline after it: possibly torn
        try:
            result = CaseResult.model_validate_json(line)
        except ValueError as exc:
            if is_last:
                break
            raise RunStoreError(f"{path}:{number}: not a result record ({exc})") from exc
        results[result.key] = result
    return results


def totals_of(results: Iterable[CaseResult]) -> RunTotals:
    """Totals over ``results``: outcomes (errors never folded into failures), tokens, cost."""
    totals = TotalsSum()
    for r in results:
        u = r.transcript.usage
        totals.count(r.status, u.input, u.output, r.cost_usd, r.judge_cost_usd)
    return totals.as_totals()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


LATER_MAX = 32
"""Lines queued by ``append_later`` and not yet written, at most: each holds its result
alive, so a run that produces results faster than they are written holds this many."""


@dataclass
class _Pending:
    line: bytes
    loop: asyncio.AbstractEventLoop | None = None
    """The event loop told once the line is written (asyncio), by ``_release``."""
    future: asyncio.Future[None] | None = None
    """Resolved on ``loop`` once the line is durable (a waiting ``append``)."""
    done: threading.Event | None = None
    """Set once the line is durable (other backends, which wait for it in a worker thread)."""
    error: BaseException | None = None
    written: Callable[[BaseException | None], None] | None = None
    """Called on ``loop`` with the write's error (None: written): the store counts the line."""


def _release(batch: list[_Pending]) -> None:
    # Runs on the event loop: count every line of one committed batch, wake its writers.
    for pending in batch:
        if pending.written is not None:
            pending.written(pending.error)
        if pending.future is not None and not pending.future.done():
            pending.future.set_result(None)


class ResultWriter:
    """Appends result lines to results.jsonl from one worker thread with group commit.

    Use as ``async with store.writer() as writer: await writer.append(result)``.
    """

    def __init__(
        self,
        path: Path,
        redact: Callable[[str], str] | None = None,
        on_written: Callable[[CaseResult, str, str], None] | None = None,
    ) -> None:
        self._path = path
        self._redact = redact
        self._on_written = on_written
        """Called with the result, its JSON and the line as written, once it is durable."""
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._file: int | None = None
        # Threads that wait for their line to be durable; sized so that a high --concurrency
        # is never throttled by anyio's default thread limit (40).
        self._waiters = anyio.CapacityLimiter(256)
        self._sync_error: OSError | None = None
        """A failed fsync: raised by the next append, or by the close."""
        self._loop: asyncio.AbstractEventLoop | None = None
        """The asyncio loop the writer was entered on (None: another backend)."""
        self._later = 0
        """Lines of ``append_later`` not written yet (at most ``LATER_MAX``)."""
        self._later_error: BaseException | None = None
        """What failed after ``append_later`` returned (the write, or ``then``): raised by the
        next append, or by the close."""

    async def __aenter__(self) -> ResultWriter:
        self._loop = _asyncio_loop()
        self._file = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._thread = threading.Thread(target=self._run, name="bench-results-writer", daemon=True)
        self._thread.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue.put(None)
        thread, self._thread = self._thread, None
        if thread is not None:
            await anyio.to_thread.run_sync(thread.join)
        if self._file is not None:
            os.close(self._file)
            self._file = None
        if exc is None:
            self._raise_later_error()
            if self._sync_error is not None:
                error = self._sync_error
                raise RunStoreError(f"cannot write {self._path}: {error}") from error

    def _raise_later_error(self) -> None:
        error, self._later_error = self._later_error, None
        if isinstance(error, OSError):
            raise RunStoreError(f"cannot write {self._path}: {error}") from error
        if error is not None:
            raise error

    def _pending(self, result: CaseResult) -> tuple[_Pending, str, str]:
        self._raise_later_error()
        raw = result.model_dump_json()
        text = self._redact(raw) if self._redact is not None else raw
        return _Pending(line=text.encode("utf-8") + b"\n"), raw, text

    async def append(self, result: CaseResult) -> None:
        """Append one result and return once it is written (fsynced within
        ``FSYNC_INTERVAL_S``)."""
        pending, raw, text = self._pending(result)
        loop = self._loop
        if loop is not None:
            pending.loop, pending.future = loop, loop.create_future()
            pending.written = partial(self._counted, result, raw, text)
            self._queue.put(pending)
            # Not shielded: a line is counted where it is written (``_release``), so a case
            # cancelled while it waits still has its line written and counted; only the
            # wait ends (a cancel scope per case cost more than the rest of the hand-off).
            await pending.future
        else:
            pending.done = done = threading.Event()
            self._queue.put(pending)
            # The wait happens in a worker thread so the event loop keeps running other units.
            await anyio.to_thread.run_sync(done.wait, limiter=self._waiters)
            self._counted(result, raw, text, pending.error)
        error = pending.error or self._sync_error
        if error is not None:
            raise RunStoreError(f"cannot write {self._path}: {error}") from error

    def append_later(self, result: CaseResult, then: Callable[[CaseResult], None]) -> bool:
        """Queue ``result``'s line without waiting for it; ``then(result)`` runs on the event
        loop once it is written. False (nothing queued) outside asyncio, or while
        ``LATER_MAX`` such lines wait to be written: ``append`` instead.

        For a line nothing waits on (a unit's last case: no next case of its conversation
        must wait for it to be durable). The close waits for it; a write that fails, or a
        ``then`` that raises, is raised by the next append or by the close.
        """
        loop = self._loop
        if loop is None or self._later >= LATER_MAX:
            return False
        pending, raw, text = self._pending(result)
        pending.loop = loop
        self._later += 1

        def written(error: BaseException | None) -> None:
            self._later -= 1
            self._counted(result, raw, text, error)
            try:
                if error is None:
                    then(result)
            except Exception as exc:  # raised where the writer is next used
                error = exc
            if error is not None and self._later_error is None:
                self._later_error = error

        pending.written = written
        self._queue.put(pending)
        return True

    def _counted(
        self, result: CaseResult, raw: str, text: str, error: BaseException | None
    ) -> None:
        if error is None and self._on_written is not None:
            self._on_written(result, raw, text)

    def _run(self) -> None:
        stop = False
        unsynced_since: float | None = None
        """When the oldest line not yet fsynced was written (None: every line is synced)."""
        while not stop:
            batch: list[_Pending] = []
            timeout = None
            if unsynced_since is not None:
                timeout = max(0.0, unsynced_since + FSYNC_INTERVAL_S - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:  # quiet for a while: make what was written crash-proof
                self._sync()
                unsynced_since = None
                continue
            if item is None:
                stop = True
            else:
                batch.append(item)
            # Everything already waiting goes in the same write.
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    batch.append(more)
            if batch and self._commit(batch) and unsynced_since is None:
                unsynced_since = time.monotonic()
            if unsynced_since is not None and (
                stop or time.monotonic() - unsynced_since >= FSYNC_INTERVAL_S
            ):
                self._sync()
                unsynced_since = None

    def _sync(self) -> None:
        try:
            assert self._file is not None
            os.fsync(self._file)
        except OSError as exc:
            self._sync_error = exc

    def _commit(self, batch: list[_Pending]) -> bool:
        """Write ``batch`` and release its writers; True when the lines were written."""
        error: BaseException | None = None
        try:
            assert self._file is not None
            data = b"".join(p.line for p in batch)
            while data:  # a regular file takes it whole; a short write is finished, not lost
                data = data[os.write(self._file, data) :]
        except OSError as exc:
            error = exc
        by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for pending in batch:
            pending.error = error
            if pending.done is not None:
                pending.done.set()
            if pending.loop is not None:
                by_loop.setdefault(pending.loop, []).append(pending)
        for loop, waiting in by_loop.items():
            try:
                loop.call_soon_threadsafe(_release, waiting)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass
        return error is None


def _asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, or None under another backend (trio)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class RunStore:
    """One run directory: its plan, metadata and results."""

    def __init__(self, path: Path, plan: Plan, metadata: RunMetadata) -> None:
        self.path = path
        """The run directory, ``<base>/runs/<run-id>``."""
        self.plan = plan
        self.metadata = metadata
        """The metadata as last written."""
        self.redact: Callable[[str], str] | None = None
        """Applied to every line and to metadata before they are written (secret values)."""
        self._outcomes: Outcomes | None = None
        """results.jsonl's outcomes as outcomes() first read them."""
        self._tally: RunTally | None = None
        # Every line appended since, counted, not kept (runtime/store/outcomes.py), so the end
        # of a run neither reads the whole file again nor holds anything per result.

    @property
    def run_id(self) -> str:
        """The run's id (its directory name)."""
        return self.metadata.run_id

    @property
    def results_path(self) -> Path:
        """Path of results.jsonl."""
        return self.path / RESULTS_FILE

    @classmethod
    def create(
        cls,
        base: Path,
        plan: Plan,
        *,
        bench_version: str,
        run_id: str | None = None,
        git_commit: str | None = None,
    ) -> RunStore:
        """Make ``<base>/runs/<run-id>/`` with plan.json and metadata.json (status running)."""
        run_id = run_id or new_run_id()
        path = base / RUNS_DIR / run_id
        try:
            path.mkdir(parents=True, exist_ok=False)
            plan.write(path / PLAN_FILE)  # a streamed plan's file is copied, never held whole
        except FileExistsError as exc:
            raise RunStoreError(f"run directory {path} already exists") from exc
        except OSError as exc:
            raise RunStoreError(f"cannot create run directory {path}: {exc.strerror}") from exc
        metadata = RunMetadata(
            run_id=run_id,
            plan_hash=plan.hash,
            plan_name=plan.name,
            bench_version=bench_version,
            status="running",
            started_at=utc_now(),
            case_count=plan.attempt_count,
            git_commit=git_commit,
        )
        store = cls(path, plan, metadata)
        store.write_metadata(metadata)
        # results.jsonl last: once it exists, the run is resumable (plan and metadata are there).
        store.results_path.touch()
        return store

    @classmethod
    def open_for_resume(cls, base: Path, run_id: str, plan: Plan) -> RunStore:
        """Open an earlier run to continue it; refuses a run made from a different plan."""
        path = find_run(base, run_id)
        try:
            metadata = RunMetadata.model_validate_json((path / METADATA_FILE).read_bytes())
        except (OSError, ValueError) as exc:
            raise RunStoreError(f"cannot read {path / METADATA_FILE}: {exc}") from exc
        if metadata.plan_hash != plan.hash:
            raise RunStoreError(
                f"run {metadata.run_id} was made from a different plan "
                f"({metadata.plan_hash[:19]}…, this plan is {plan.hash[:19]}…); "
                "resume it with the same suite, seed and bench version, or start a new run"
            )
        store = cls(path, plan, metadata)
        store._trim_torn_line()
        return store

    def outcomes(self) -> Outcomes:
        """The latest recorded outcome per result key (as written: redacted), in file order,
        as results.jsonl held them when first called (a resume's done set).

        The file is read once, as a stream; lines this store's writers append afterwards are
        counted by ``latest`` instead of being added here, so a run holds nothing per result
        it writes. Only outcomes are held (status, tokens, cost per key), never the results.
        """
        if self._outcomes is None:
            self._outcomes = read_outcomes(self.results_path)
            self._tally = RunTally(
                self._outcomes, by_group=self.plan.criteria.pass_hat_k is not None
            )
        return self._outcomes

    def latest(self, keys: Callable[[], Iterable[str]]) -> tuple[RunTotals, CriteriaTally]:
        """Totals and criteria counts over the latest result of each key of ``keys`` (the
        plan's, made afresh when called): what reading results.jsonl would give, without
        reading it again (``RunTally.latest``)."""
        self.outcomes()
        assert self._tally is not None
        return self._tally.latest(keys)

    def _written(self, result: CaseResult, raw: str, line: str) -> None:
        if self._tally is None:
            return  # not read yet: outcomes() will read the file, this line included
        if line != raw:  # a secret was scrubbed: count the record as the file has it
            self._tally.add_line(line)
        else:
            self._tally.add(result)

    def write_metadata(self, metadata: RunMetadata) -> None:
        """Replace metadata.json atomically."""
        self.metadata = metadata
        text = metadata.model_dump_json(indent=2) + "\n"
        if self.redact is not None:
            text = self.redact(text)
        try:
            _atomic_write(self.path / METADATA_FILE, text)
        except OSError as exc:
            raise RunStoreError(f"cannot write {self.path / METADATA_FILE}: {exc}") from exc

    def writer(self) -> ResultWriter:
        """An async context manager appending to results.jsonl."""
        return ResultWriter(self.results_path, redact=self.redact, on_written=self._written)

    def _trim_torn_line(self) -> None:
        # A kill mid-write can leave a last line without its newline; appending after it
        # would glue two records together, so cut it off first.
        path = self.results_path
        if not path.exists():
            path.touch()
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(path, "r+b") as fh:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())


def find_run(base: Path, run_id: str) -> Path:
    """The run directory for ``run_id``: an exact id, or an unambiguous prefix or substring."""
    root = base / RUNS_DIR
    if not run_id or "/" in run_id or run_id in (".", ".."):
        raise RunStoreError(f"not a run id: {run_id!r}")
    exact = root / run_id
    if (exact / METADATA_FILE).is_file():
        return exact
    runs = sorted(p.name for p in _run_dirs(root))
    matches = [r for r in runs if r.startswith(run_id)] or [r for r in runs if run_id in r]
    if not matches:
        hint = f"; runs there: {', '.join(runs[-5:])}" if runs else ""
        raise RunStoreError(f"no run matching {run_id!r} under {root}{hint}")
    if len(matches) > 1:
        raise RunStoreError(
            f"run id {run_id!r} is ambiguous under {root}: {', '.join(matches[:10])}"
        )
    return root / matches[0]


def _run_dirs(root: Path) -> Iterable[Path]:
    if not root.is_dir():
        return []
    return [p for p in root.iterdir() if (p / METADATA_FILE).is_file()]


# --- listing runs (bench runs / show) ---------------------------------------------------


@dataclass
class RunEntry:
    """A run directory found under ``<base>/runs``, with its metadata when readable."""

    path: Path
    metadata: RunMetadata | None
    problem: str | None = None
    """Why the metadata could not be read (the entry is still listed)."""

    @property
    def run_id(self) -> str:
        """The run's id (its directory name when the metadata is unreadable)."""
        return self.metadata.run_id if self.metadata is not None else self.path.name


def list_runs(base: Path) -> list[RunEntry]:
    """Every run under ``<base>/runs``, newest first (by start time, then id)."""
    entries: list[RunEntry] = []
    for path in _run_dirs(base / RUNS_DIR):
        try:
            metadata = RunMetadata.model_validate_json((path / METADATA_FILE).read_bytes())
            entries.append(RunEntry(path, metadata))
        except (OSError, ValueError) as exc:
            entries.append(RunEntry(path, None, f"unreadable {METADATA_FILE}: {exc}"))
    # Ids are timestamps by default, but --run-id names need not sort: start time decides.
    entries.sort(
        key=lambda e: (e.metadata.started_at if e.metadata else "", e.run_id), reverse=True
    )
    return entries


def resolve_run(base: Path, run_id: str | None) -> Path:
    """The run directory for ``run_id`` (partial ids allowed), or the newest run when None."""
    if run_id:
        return find_run(base, run_id)
    for entry in list_runs(base):
        if entry.metadata is not None:
            return entry.path
    raise RunStoreError(f"no runs under {base / RUNS_DIR}; start one with `bench execute`")
