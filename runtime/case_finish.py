"""Finishing a case, the same for every agent kind: checks, status, cost, the result record.

The built-in loop (``runtime.runner``) and external agents (``runtime.agents.external_unit``)
differ only in how a case's transcript comes to be. Everything after that lives here once:
extractors bind the session's variables, llm_judge nodes are asked, assertions evaluate (the
extractors and assertions in a worker thread, off the event loop, unless the text they check
is short: ``INLINE_CHECK_CHARS``), a judge fault makes the case an error, and the
``CaseResult`` is built with the agent's and the judges' cost apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from .clock import elapsed_ms, monotonic_ms, utc_now
from .errors import InputError
from .offload import run_off_loop
from .results import AssertionResult, CaseResult, CaseStatus
from .templating import TemplateRenderError, render
from .transcript import Transcript

if TYPE_CHECKING:  # judging and cost load with the run, not with `import runtime`
    from .cost import PriceTable
    from .judging import Judges
    from .plan import Case, Unit
    from .services import Services

__all__ = ["CaseRun"]

log = logging.getLogger("bench.runtime")

T = TypeVar("T")


async def _off_loop(func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` in a worker thread: checking untrusted text never blocks the event loop.

    Agent output, tool results and datasets can be large; while a case's extractors and
    assertions run, other units keep running and a signal is handled at once. A stop abandons
    the thread (its result is dropped with the case, which a resume runs again). The hop is
    paid per case, so it goes through ``runtime.offload`` (long-lived workers, batched
    wake-ups), not a fresh ``anyio.to_thread`` call.
    """
    return await run_off_loop(partial(func, *args))


INLINE_CHECK_CHARS = 8192
"""A case whose checked text is at most this long is checked on the event loop.

The built-in checks take time in proportion to the text (suite regexes are RE2, linear): on
this much, tens of microseconds, less than the hop to a worker thread and back costs
(``benchmarks/replay_bench.py``); above it, or with tool calls, dataset metadata or an
evaluator that is not the built-in one, the checks go to a worker thread."""


def _checked_chars(run: CaseRun, variables: Mapping[str, str]) -> int | None:
    """How much text ``run``'s checks read; None when that is not cheap to bound."""
    tr, case = run.transcript, run.case
    if tr.tool_calls or case.metadata:
        return None
    size = len(tr.final_output) + len(case.expected or "") + len(tr.stderr or "")
    for message in tr.messages:
        size += len(message.content)
    for value in variables.values():
        size += len(value)
    return size


@dataclass
class CaseRun:
    """A case in progress: the agent path fills in the transcript, ``check`` and ``result`` finish it."""

    unit: Unit
    case: Case
    transcript: Transcript = field(default_factory=Transcript)
    started_at: str = field(default_factory=utc_now)
    t0: float = field(default_factory=monotonic_ms)
    prompt: str = ""
    """The prompt as sent (empty until it rendered)."""
    status: CaseStatus = "passed"
    error: str | None = None
    assertions: list[AssertionResult] = field(default_factory=list)
    extracted: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] | None = None
    """Scenario scores of the turn (set by ``score``)."""

    def render_prompt(self, variables: Mapping[str, str]) -> str:
        """Finish the case's prompt with the session's variables; it becomes ``self.prompt``."""
        text = self.case.prompt
        if isinstance(text, str):
            self.prompt = text
            return text
        context = dict(variables)
        for name in text.variables:
            if name not in context:
                # The compiler proved an earlier extractor binds it; at run time that
                # extractor can still find nothing. agent-benchmark renders it empty; so do
                # we, and say so in the case's errors.
                context[name] = ""
                self.transcript.errors.append(
                    f"variable '{name}' was not bound by its extractor; rendered as empty"
                )
        try:
            self.prompt = render(text.source, context)
        except TemplateRenderError as exc:
            raise InputError(f"prompt of this test failed to render: {exc}") from exc
        return self.prompt

    def fault(self, message: str) -> None:
        """Make the case an error, keeping the first reason when it already is one."""
        if self.status != "error":
            self.status, self.error = "error", message

    def crashed(self, exc: Exception) -> None:
        """Record an unexpected exception as the case's error (one case must not end the run)."""
        log.exception("%s / %s / %s crashed", self.unit.agent, self.unit.session, self.case.test)
        self.status, self.error = "error", f"{type(exc).__name__}: {exc}"

    async def check(
        self,
        variables: dict[str, str],
        *,
        services: Services,
        judges: Judges,
        clarification_enabled: bool = False,
    ) -> None:
        """Run extractors (into ``variables``), the judges and the assertions; set the status.

        An errored case is not judged: its assertions would only grade the empty or partial
        output of a failure, so they are left unevaluated (the report says the case errored).
        """
        case = self.case
        size = _checked_chars(self, variables) if services.bounded_checks() else None
        inline = size is not None and size <= INLINE_CHECK_CHARS
        if case.extractors:
            if inline:
                self.extracted, warnings = services.extract(case.extractors, self.transcript)
            else:
                self.extracted, warnings = await _off_loop(
                    services.extract, case.extractors, self.transcript
                )
            variables.update(self.extracted)
            for warning in warnings:
                # Named as the user wrote them: ids such as u0001/2 mean nothing to a reader.
                log.warning(
                    "%s / %s / %s: %s", self.unit.agent, self.unit.session, case.test, warning
                )
        if self.status == "error":
            return
        if not judges.asked:
            judged = judges.no_verdicts()
        else:
            judged = await judges.judge(
                case.assertions,
                prompt=self.prompt,
                transcript=self.transcript,
                variables=variables,
                expected=case.expected,
                conversation_id=case.id,
            )
        evaluate = partial(
            services.evaluate,
            expected=case.expected,
            metadata=case.metadata,
            judgements=judged.verdicts,
        )
        args = (case.assertions, self.transcript, dict(variables), clarification_enabled)
        self.assertions = evaluate(*args) if inline else await _off_loop(evaluate, *args)
        if judged.fault is not None:
            self.fault(judged.fault)
        elif not all(a.passed for a in self.assertions):
            self.status = "failed"

    def score(self, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        """Compute the turn's scenario scores when the case is a scenario turn.

        ``schemas``: the argument schema of each tool the agent has. An errored turn is
        scored too: a scenario turn the model failed counts against it, not out of it.
        """
        if self.case.expect is None and self.case.steer is None:
            return
        from .evaluate.scenario_scores import score_turn

        self.scores = score_turn(self.case.expect, self.case.steer, self.transcript, schemas)

    def result(
        self,
        *,
        agent: str,
        prices: PriceTable | None,
        model: str | None,
        provider: str | None = None,
        provider_type: str | None = None,
        attempt: int = 0,
        retry: int = 0,
    ) -> CaseResult:
        """The results.jsonl record, priced with ``prices`` (the shipped table when None)."""
        from .cost import case_cost

        cost = case_cost(self.transcript.llm_calls, prices)
        return CaseResult(
            case_id=self.case.id,
            unit_id=self.unit.id,
            agent=agent,
            provider=provider,
            provider_type=provider_type,
            model=model,
            session=self.unit.session,
            test=self.case.test,
            description=self.case.description,
            file=self.unit.file,
            span=self.case.span,
            status=self.status,
            error=self.error,
            prompt=self.prompt,
            started_at=self.started_at,
            ended_at=utc_now(),
            duration_ms=elapsed_ms(self.t0),
            transcript=self.transcript,
            assertions=self.assertions,
            extracted=self.extracted,
            cost_usd=cost.agent_usd,
            judge_cost_usd=cost.judge_usd,
            attempt=attempt,
            retry=retry,
            scores=self.scores,
        )
