"""The seams ``execute()`` composes: providers, tool pools, evaluators.

The defaults are the real runtime modules, imported on first use so that importing
``runtime`` stays light. Tests replace one piece at a time (a tool pool, an evaluator)
without monkeypatching.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from .agents.loop import ToolCaller
from .plan import BuiltinAgent, Extractor, ProviderSpec, ServerSpec
from .plan.assertions import Assertion
from .providers.base import Provider, ToolSpec
from .results import AssertionResult
from .transcript import Transcript

__all__ = ["Evaluator", "Services", "ToolPool"]


class ToolPool(ToolCaller, Protocol):
    """The tool servers of one unit (runtime.toolservers.ServerPool)."""

    async def tools_for(self, agent: BuiltinAgent) -> list[tuple[ToolSpec, str]]:
        """The agent's tools with their server names, after agent-level allowed_tools."""
        ...


class Evaluator(Protocol):
    """Evaluates a case's assertions on its transcript (runtime.evaluate.evaluate by default)."""

    def __call__(
        self,
        assertions: Sequence[Assertion],
        transcript: Transcript,
        variables: Mapping[str, str],
        clarification_enabled: bool,
        *,
        expected: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        judgements: Mapping[int, Any] | None = None,
    ) -> list[AssertionResult]:
        """One result per top-level assertion.

        ``expected`` and ``metadata`` are the case's (dataset cases); ``judgements`` holds the
        llm_judge verdicts computed beforehand (runtime.judging), keyed by ``id(node)``.
        """
        ...


@dataclass
class Services:
    """The seams execute() composes; the defaults are the real runtime modules.

    Tests replace one piece at a time (a tool pool, an evaluator) without monkeypatching.
    """

    create_provider: Callable[[ProviderSpec, Mapping[str, str] | None], Provider]
    open_pool: Callable[
        [Sequence[ServerSpec], Mapping[str, str] | None], AbstractAsyncContextManager[ToolPool]
    ]
    evaluate: Evaluator
    extract: Callable[[Sequence[Extractor], Transcript], tuple[dict[str, str], list[str]]]
    traffic: Any = None
    """runtime.replay.seam.Traffic when the run records or replays (the metrics proxy of
    external agents consults it too); None for a live run."""

    def bounded_checks(self) -> bool:
        """Whether the evaluators are the built-in ones, whose time is bounded by the text
        they check (a replaced one may wait on anything)."""
        return self.evaluate is _default_evaluate and self.extract is _default_extract

    @classmethod
    def default(cls) -> Services:
        """The real providers, tool servers and evaluators (imported on first use)."""
        return cls(
            create_provider=_default_create_provider,
            open_pool=_default_open_pool,
            evaluate=_default_evaluate,
            extract=_default_extract,
        )


def _default_create_provider(spec: ProviderSpec, env: Mapping[str, str] | None) -> Provider:
    from .providers.registry import create_provider

    return create_provider(spec, env=env)


def _default_open_pool(
    servers: Sequence[ServerSpec], env: Mapping[str, str] | None
) -> AbstractAsyncContextManager[ToolPool]:
    from .toolservers import ServerPool

    pool: AbstractAsyncContextManager[ToolPool] = ServerPool(tuple(servers), env=env)
    return pool


def _default_evaluate(
    assertions: Sequence[Assertion],
    transcript: Transcript,
    variables: Mapping[str, str],
    clarification_enabled: bool,
    *,
    expected: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    judgements: Mapping[int, Any] | None = None,
) -> list[AssertionResult]:
    if not assertions:
        return []
    from .evaluate import EvalContext, evaluate

    ctx = EvalContext(
        transcript=transcript,
        variables=variables,
        clarification_enabled=clarification_enabled,
        # work_dir stays None: file_created reads the working directory itself, when it runs
        # (a getcwd per case cost up to 1.6 ms here).
        expected=expected,
        metadata=metadata or {},
        judgements=judgements or {},
    )
    return list(evaluate(assertions, ctx))


def _default_extract(
    extractors: Sequence[Extractor], transcript: Transcript
) -> tuple[dict[str, str], list[str]]:
    from .evaluate import extract

    return extract(extractors, transcript)
