"""Execute a plan: providers once per run, units concurrently, every result durable at once.

``execute(plan, options)`` first checks that every environment variable the plan's cases need
is set (runtime/secrets.py: all missing names at once, exit 2, nothing written), then creates
(or resumes) a run directory, creates each provider the
run needs once, runs the plan's units (runtime/runner.py) and writes one CaseResult per
finished case, durable before the unit's next case starts.

Resume rule: a unit whose cases all have a result is skipped; any other unit is run again
from its first case (readers keep the latest line per case), because the history and the
extracted variables of a half-finished session cannot be rebuilt without re-running it. The
results therefore equal those of an uninterrupted run.

Stopping early (runtime/interrupt.py): with ``options.stop`` drained, no new case starts and
the run ends ``interrupted`` once the cases in flight are written; stopped at once, the cases
in flight are abandoned. A run is ``completed`` only when every case of its plan has a result.
After a completed run whose plan enables ``ai_summary``, the judge writes its verdict
(runtime/summary.py); a failure to summarise is recorded as a warning, never fails the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from .budget import Budget
from .clock import utc_now
from .errors import BenchError, InputError, RunStoreError
from .interrupt import StopRequest
from .plan import Plan, SecretRef, WorkItems
from .plan.facts import unit_facts
from .results import CaseResult, RunFilter, RunMetadata, RunShard, result_key
from .runner import UnitRunner
from .services import Services
from .store import RESULTS_FILE, RunStore
from .store.outcomes import StoredResults

__all__ = ["ExecuteOptions", "RunSummary", "Services", "execute", "summarise_run"]


@dataclass
class ExecuteOptions:
    """How to run a plan."""

    output_dir: Path | None = None
    """Base directory; the run goes to ``<output_dir>/runs/<run-id>/`` (default: cwd)."""
    concurrency: int | None = None
    """Units at once (default: the plan's settings.concurrency)."""
    resume: str | None = None
    """Continue this earlier run (an id or an unambiguous part of one)."""
    run_id: str | None = None
    """Name for a new run (default: timestamp and random suffix)."""
    env: Mapping[str, str] | None = None
    """Environment secrets are resolved from (default: os.environ)."""
    bench_version: str = "0.0.0"
    on_start: Callable[[RunStore, int], None] | None = None
    """Called once the run directory exists, with the number of cases already done."""
    on_result: Callable[[CaseResult], None] | None = None
    """Called after each result is durable (for live progress)."""
    stop: StopRequest | None = None
    """Lets the caller stop the run early (drain, or at once); see runtime/interrupt.py."""
    budget_usd: float | None = None
    """USD the run may cost (agent and judge calls, every earlier part of a resumed run
    included); overrides the plan's settings.budget_usd. Reached: no new case starts."""
    selection: RunFilter | None = None
    """The case filter the (already filtered) plan was made with; recorded in a new run."""
    shard: RunShard | None = None
    """The slice the (already sliced) plan is (runtime/shard.py); recorded in a new run."""
    shard_of: Plan | None = None
    """The whole plan the slice was cut from; a new shard run keeps it as shard-of.json."""
    retries: Mapping[str, int] | None = None
    """Retry count per result key for the results of this execution (``bench retry``);
    default 0."""
    record: Path | None = None
    """Record every LLM answer and tool result into a cassette in this directory."""
    replay: Path | None = None
    """Answer every LLM request and tool call from the cassette in this directory: no
    provider is called, no tool server starts, no key is needed."""
    record_missing: bool = False
    """With ``replay``: ask the real provider or server on a miss and append its answer."""
    cache: Any = None
    """A ``runtime.replay.cache.ResponseCache`` LLM answers are looked up in and stored to
    (live runs only; ignored with ``record`` and ``replay``)."""
    git_commit: str | None = None
    """The commit the run is started from; recorded in a new run's metadata."""


@dataclass
class RunSummary:
    """What a finished run produced: its metadata (totals included); the results are on disk."""

    run_id: str
    run_dir: Path
    metadata: RunMetadata
    plan: Plan | None = None
    """The plan that ran (the order of ``results``)."""

    @property
    def stored(self) -> StoredResults:
        """The latest result of every case, in plan order, read from results.jsonl as a
        stream each time it is iterated (a run holds no results in memory)."""
        plan = self.plan

        def keys() -> Iterator[str]:
            if plan is not None:
                yield from (result_key(c.id, a) for c, a in plan.attempts())

        return StoredResults(self.run_dir / RESULTS_FILE, keys)

    @property
    def results(self) -> list[CaseResult]:
        """The latest result of every case, in plan order, read from results.jsonl (all of
        them in memory at once: for small runs and tests; stream ``stored`` otherwise)."""
        return list(self.stored)

    @property
    def criteria_met(self) -> bool:
        """Whether the suite's criteria held (all cases passed when none are set)."""
        return bool(self.metadata.criteria_met)

    @property
    def exit_code(self) -> int:
        """0 criteria met, 1 not met, 3 when no case could run without an infrastructure fault.

        130 when the run was interrupted (it can be resumed).
        """
        if self.metadata.status == "interrupted":
            return 130
        totals = self.metadata.totals
        if totals.total and totals.errors == totals.total:
            return 3
        return 0 if self.criteria_met else 1


async def execute(
    plan: Plan, options: ExecuteOptions | None = None, *, services: Services | None = None
) -> RunSummary:
    """Run ``plan`` (or resume a run of it) and return the summary; raises BenchError."""
    from .secrets import check_env

    options = options or ExecuteOptions()
    services = services or Services.default()
    base = options.output_dir or Path.cwd()
    unit_facts(plan.units)  # gathered once for the run (a streamed plan has them already)
    traffic = _open_traffic(plan, options)  # a bad cassette is an input error: nothing written
    if traffic is None or not traffic.replay:
        check_env(plan, options.env)  # every missing key at once, before the store is touched
    if options.resume:
        store = RunStore.open_for_resume(base, options.resume, plan)
    else:
        store = RunStore.create(
            base,
            plan,
            bench_version=options.bench_version,
            run_id=options.run_id,
            git_commit=options.git_commit,
        )
    if options.selection is not None and not options.resume:
        store.write_metadata(store.metadata.model_copy(update={"filter": options.selection}))
    if options.shard is not None and not options.resume:
        _keep_whole_plan(store, options.shard_of)
        store.write_metadata(store.metadata.model_copy(update={"shard": options.shard}))
    store.redact = redact = _redactor_for(plan, options.env)
    if traffic is not None:
        from .replay.seam import traffic_services

        traffic.redact = redact
        if traffic.cassette is not None:
            traffic.cassette.redact = redact
        if traffic.cache is not None:
            traffic.cache.redact = redact
        services = traffic_services(services, traffic)
    done = store.outcomes()
    # A (unit, attempt) runs again unless every case of it has a result: its cases share a
    # conversation, so a half-done attempt starts over.
    # Lazily: (unit index, attempt) pairs; a unit is read from the plan when it is about to run
    # (a streamed plan holds no unit for the run).
    # A fresh run keeps every item: none is read to ask (a streamed plan's facts list them).
    todo = WorkItems(
        plan.units,
        keep=(
            (lambda unit, a: not all(result_key(c.id, a) in done for c in unit.cases))
            if len(done)
            else None
        ),
    )
    from .cost import table_for

    prices = table_for(plan.prices).version  # the table the runner prices every case with
    store.write_metadata(
        store.metadata.model_copy(
            update={"status": "running", "ended_at": None, "error": None, "price_version": prices}
        )
    )
    already = plan.attempt_count - todo.case_count
    if options.on_start is not None:
        options.on_start(store, already)

    status = "interrupted"
    error: str | None = None
    budget = Budget.for_run(
        options.budget_usd if options.budget_usd is not None else plan.settings.budget_usd,
        done.values(),
    )
    stop = options.stop or (StopRequest() if budget is not None else None)
    try:
        runner = UnitRunner(
            plan,
            store,
            services,
            concurrency=options.concurrency,
            env=options.env,
            on_result=options.on_result,
            stop=stop,
            retries=options.retries,
            budget=budget,
        )
        with anyio.CancelScope() as scope:
            if stop is not None:
                stop.attach(scope)
            # Resumed at or past the budget: nothing starts.
            await runner.run([] if budget is not None and budget.reached else todo)
        status = "completed"  # _finish downgrades it when a stop left cases without a result
    except BenchError as exc:
        # Its message can quote what a server or an SDK printed: scrub it before it is shown.
        exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
        status, error = "failed", str(exc)
        raise
    finally:
        if traffic is not None:
            _record_traffic(store, traffic)
        reason = budget.reason if budget is not None and budget.reached else None
        summary = _finish(plan, store, status, error, stop_reason=reason)
    # A shard's verdict would judge its slice only: the merged run is judged whole instead.
    if summary.metadata.status == "completed" and plan.ai_summary.enabled and options.shard is None:
        await _summarise(plan, store, summary, services, options)
    return summary


def _open_traffic(plan: Plan, options: ExecuteOptions) -> Any:
    """The run's ``runtime.replay.seam.Traffic``, or None for an ordinary live run."""
    if options.record is not None and options.replay is not None:
        raise InputError(
            "--record and --replay exclude each other (to add the missing "
            "answers to a cassette, use --replay DIR --record-missing)"
        )
    if options.record_missing and options.replay is None:
        raise InputError("--record-missing needs --replay DIR")
    if options.record is None and options.replay is None and options.cache is None:
        return None
    from .replay.cassette import CASSETTE_FILE, Cassette
    from .replay.seam import Traffic

    if options.replay is not None:
        cassette = Cassette.load(options.replay, append=options.record_missing)
        return Traffic(cassette=cassette, replay=True, record_missing=options.record_missing)
    if options.record is not None:
        if options.resume and (options.record / CASSETTE_FILE).is_file():
            # A resumed recording adds to what the interrupted part recorded.
            return Traffic(cassette=Cassette.load(options.record, append=True))
        cassette = Cassette.create(
            options.record, bench_version=options.bench_version, plan_hash=plan.hash
        )
        return Traffic(cassette=cassette)
    return Traffic(cache=options.cache)


def _record_traffic(store: RunStore, traffic: Any) -> None:
    """Close the cassette and note in the run's metadata where its answers came from."""
    from .results import TrafficRecord

    cassette, counts = traffic.cassette, traffic.counts
    if cassette is not None:
        cassette.close()
    mode = "replay" if traffic.replay else "record" if cassette is not None else "cache"
    record = TrafficRecord(
        mode=mode,
        cassette=str(cassette.path) if cassette is not None else None,
        record_missing=traffic.record_missing,
        replayed=counts.replayed,
        recorded=counts.recorded,
        misses=counts.misses,
        cache_hits=counts.cache_hits,
    )
    store.write_metadata(store.metadata.model_copy(update={"traffic": record}))


async def _summarise(
    plan: Plan,
    store: RunStore,
    summary: RunSummary,
    services: Services,
    options: ExecuteOptions,
) -> None:
    """Ask the judge for its verdict; write ai_summary.md and metadata.ai_summary."""
    from .summary import summarise, write_summary

    record = await summarise(
        plan, summary.stored, services.create_provider, env=options.env, stop=options.stop
    )
    summary.metadata = write_summary(store, record)


async def summarise_run(
    run_dir: Path, *, services: Services | None = None, env: Mapping[str, str] | None = None
) -> RunMetadata:
    """The judge's verdict over a finished run directory made without one (a merged run).

    As after an unsharded run: only when the plan enables ``ai_summary``, the run is completed
    and has no verdict yet; written to ai_summary.md and metadata.json with the run's secrets
    scrubbed. A judge failure is recorded as the record's error, never raised.
    """
    from .plan import load_plan
    from .store import METADATA_FILE, PLAN_FILE
    from .summary import summarise, write_summary

    plan = load_plan(run_dir / PLAN_FILE)
    try:
        metadata = RunMetadata.model_validate_json((run_dir / METADATA_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read {run_dir / METADATA_FILE}: {exc}") from exc
    done = metadata.status == "completed" and metadata.ai_summary is None
    if not (done and plan.ai_summary.enabled):
        return metadata
    # Streamed from disk, as after an unsharded run: a merged run can be large.
    results = StoredResults(
        run_dir / RESULTS_FILE, lambda: (result_key(c.id, a) for c, a in plan.attempts())
    )
    store = RunStore(run_dir, plan, metadata)
    store.redact = _redactor_for(plan, env)
    services = services or Services.default()
    record = await summarise(plan, results, services.create_provider, env=env)
    return write_summary(store, record)


def _keep_whole_plan(store: RunStore, whole: Plan | None) -> None:
    """Write the plan a shard was cut from beside the slice (resume and merge read it)."""
    from .shard import SHARD_OF_FILE

    if whole is None:
        return
    path = store.path / SHARD_OF_FILE
    try:
        whole.write(path)
    except OSError as exc:
        raise RunStoreError(f"cannot write {path}: {exc.strerror}") from exc


def _finish(
    plan: Plan, store: RunStore, status: str, error: str | None, *, stop_reason: str | None = None
) -> RunSummary:
    # Counted from what the run wrote and what it resumed from; nothing per case is listed.
    totals, counts = store.latest(lambda: (result_key(c.id, a) for c, a in plan.attempts()))
    expected = plan.attempt_count
    if status == "completed" and totals.total < expected:
        status = "interrupted"  # stopped early: resume runs the rest
    met = counts.met(plan.criteria, expected) if status == "completed" else False
    metadata = store.metadata.model_copy(
        update={
            "status": status,
            "ended_at": utc_now(),
            "totals": totals,
            "criteria_met": met,
            "error": error,
            "stop_reason": stop_reason if status == "interrupted" else None,
        }
    )
    store.write_metadata(metadata)
    return RunSummary(run_id=store.run_id, run_dir=store.path, metadata=metadata, plan=plan)


def _redactor_for(plan: Plan, env: Mapping[str, str] | None) -> Callable[[str], str]:
    """Resolve every secret the plan references (when set) so writes can scrub its value.

    The values of secret-looking environment variables (``AWS_SECRET_ACCESS_KEY``, ``*_TOKEN``)
    are scrubbed too: agents and servers inherit them and may print them (a dying server's
    environment) though the plan never names them.
    """
    from .sanitize import environment_secrets
    from .secrets import Redactor, resolve

    redactor = Redactor(environment_secrets(env))
    # Secrets live in providers, servers and agents only (tests/runtime/test_secrets.py
    # keeps it so): walking the units too cost a third of a second on a 2,000-case plan.
    for ref in _secret_refs(plan.model_dump(mode="python", exclude={"units"})):
        try:
            resolve(ref, env, redactor=redactor)
        except InputError:
            continue  # unset here; the component that needs it reports that
    return redactor.redact


def _secret_refs(data: Any) -> list[SecretRef]:
    found: list[SecretRef] = []
    if isinstance(data, dict):
        if data.get("type") == "secret" and isinstance(data.get("template"), str):
            found.append(SecretRef(template=data["template"]))
        else:
            for value in data.values():
                found.extend(_secret_refs(value))
    elif isinstance(data, list | tuple):
        for value in data:
            found.extend(_secret_refs(value))
    return found
