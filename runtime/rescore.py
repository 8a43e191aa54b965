"""Re-evaluate a finished run's transcripts against a plan's current assertions: no calls.

``rescore(source_run_dir, plan, options)`` makes an ordinary new run (``metadata.rescored_from``
names the source) whose results are the source's transcripts, re-checked: each session's
extractors run again in order (so later prompts' variables and extractor-fed assertions see
what the new plan extracts), then the case's current assertions evaluate. Nothing is called:
no provider is created and no server or agent starts. An ``llm_judge`` verdict comes from
the source run's judge cache (and its parents'); a judgement it has not seen (a new rubric)
cannot be asked, and makes its case an error that says so. A case that was an error in the
source stays one (its transcript is a failure's). A case of the plan without a transcript in
the source (a new test, or one the source never reached) is an error naming that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .case_finish import CaseRun
from .errors import ProviderError, RunStoreError
from .execute import ExecuteOptions, RunSummary, _finish
from .plan import BuiltinAgent, Plan, work_items
from .providers.base import ChatRequest, ChatResponse
from .results import CaseResult, result_key
from .services import Services
from .store import METADATA_FILE, RESULTS_FILE, RunStore, read_results
from .transcript import RunEvent

__all__ = ["rescore"]


class _NoCalls:
    """A judge's ModelClient in a rescore: its verdicts come from the cache or not at all."""

    def __init__(self, name: str, model: str, source: str) -> None:
        self.name, self.model, self.source = name, model, source

    async def chat(
        self,
        request: ChatRequest,
        on_event: Callable[[RunEvent], None],
        *,
        now_ms: Callable[[], float] | None = None,
    ) -> tuple[ChatResponse, int]:
        raise ProviderError(
            f"rescore calls no provider, and run {self.source} has no verdict of judge "
            f"'{self.name}' for this judgement (a changed rubric or output): execute the "
            "test again to judge it",
            provider=self.name,
        )


async def rescore(
    source: Path,
    plan: Plan,
    options: ExecuteOptions | None = None,
    *,
    services: Services | None = None,
) -> RunSummary:
    """Rescore the run in directory ``source`` with ``plan``; the new run goes under
    ``options.output_dir`` (default: the source's runs/ base)."""
    from .cost import table_for
    from .evaluate.scenario_scores import declared_schemas
    from .judging import JudgeCache, Judges, judge_providers
    from .results import RunMetadata

    options = options or ExecuteOptions()
    services = services or Services.default()
    try:
        meta = RunMetadata.model_validate_json((source / METADATA_FILE).read_bytes())
        recorded = read_results(source / RESULTS_FILE)
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read run {source}: {exc}") from exc
    base = options.output_dir or source.parent.parent
    store = RunStore.create(base, plan, bench_version=options.bench_version, run_id=options.run_id)
    store.write_metadata(
        store.metadata.model_copy(update={"rescored_from": meta.run_id, "filter": meta.filter})
    )
    cache = JudgeCache.for_run(source)
    await cache.load()
    cache.path = None  # read the source's verdicts; write nothing into its directory
    names = {n for c in plan.cases for n in judge_providers(c.assertions)}
    clients = {n: _NoCalls(n, plan.provider(n).model, meta.run_id) for n in sorted(names)}
    judges = Judges(clients, cache)
    prices = table_for(plan.prices)
    schemas = declared_schemas(plan.servers)  # scenario turns are scored again, no server runs
    async with store.writer() as writer:
        for unit, attempt in work_items(plan.units):
            agent = plan.agent(unit.agent)
            variables: dict[str, str] = {}
            for case in unit.cases:
                old = recorded.get(result_key(case.id, attempt))
                run = CaseRun(unit, case)
                if old is None:
                    run.fault(f"rescore: run {meta.run_id} has no transcript of this test "
                              "(a new test, or one the run never reached): execute it")  # fmt: skip
                    result = run.result(agent=unit.agent, prices=prices, model=None,
                                        attempt=attempt)  # fmt: skip
                else:
                    result = await _recheck(
                        run, old, variables, services, judges, agent, prices, schemas
                    )
                await writer.append(result)
    return _finish(plan, store, "completed", None)


async def _recheck(
    run: CaseRun,
    old: CaseResult,
    variables: dict[str, str],
    services: Services,
    judges: Any,
    agent: Any,
    prices: Any,
    schemas: Mapping[str, Mapping[str, Any]],
) -> CaseResult:
    """``old``'s transcript checked against ``run.case``'s current extractors and assertions."""
    run.transcript = old.transcript.model_copy(deep=True)
    run.prompt = old.prompt
    run.started_at = old.started_at
    if old.status == "error":
        run.status, run.error = "error", old.error
    await run.check(
        variables,
        services=services,
        judges=judges,
        clarification_enabled=isinstance(agent, BuiltinAgent) and agent.clarification is not None,
    )
    run.score(schemas)
    result = run.result(
        agent=old.agent,
        prices=prices,
        model=old.model,
        provider=old.provider,
        provider_type=old.provider_type,
        attempt=old.attempt,
        retry=old.retry,
    )
    keep: Mapping[str, Any] = {"ended_at": old.ended_at, "duration_ms": old.duration_ms}
    return result.model_copy(update=dict(keep))
