"""Run management, graceful Ctrl-C and ai_summary (issue 6 "Run management CLI", "Graceful
Ctrl-C", "Three outcomes"; issue 3 ai_summary; semantics §8 "AI summary"; PacaBench CLI)."""

REQUIREMENTS = {
    "run:budget": "issue 13: settings.budget_usd / bench execute --budget: once the measured cost reaches it no new case starts, the run ends interrupted (exit 130) with the reason, and --resume with a higher budget finishes it without running anything twice",
    "runs:list": "PacaBench list-runs/show + issue 6: `bench runs` lists runs newest first with status, plan hash, totals",
    "runs:show": "PacaBench `show <run-id> [--cases]` + issue 6: `bench show [RUN] [--cases|--failures]`, latest run when omitted",
    "runs:partial-id": "issue 6: partial run ids accepted when unambiguous; ambiguous or unknown ids are exit 2",
    "runs:retry": "PacaBench `retry` + issue 6: `bench retry RUN [--errors-only]` re-runs only failed (or errored) cases in a new run linked to the old one",
    "runs:retry-merge": "issue 6 acceptance: after injected provider failures, the retry's merged report counts each case once",
    "runs:retry-session": "issue 6: re-running a case of a multi-test session re-runs the whole (agent, session) unit",
    "runs:filter": "PacaBench `run --limit` + issue 6: `bench execute --limit N --agents a,b` filters cases before running; the run records the filter",
    "runs:init": "PacaBench `init` + issue 6: `bench init` scaffolds a runnable suite, an example external agent and a workflow",
    "runs:export": "PacaBench `export` + issue 6: `bench export RUN --format json|md`",
    "runs:three-outcomes": "issue 6: passed, failed and error never confused; console summary and exit codes count errors apart",
    "run:interrupt-drain": "issue 6: the first Ctrl-C stops scheduling, in-flight cases finish, status interrupted, resume hint",
    "run:interrupt-stop": "issue 6: the second Ctrl-C stops at once; in-flight cases leave no result",
    "run:interrupt-resume": "issue 6: after either stop, `--resume` completes the run with results equal to an uninterrupted run",
    "summary:judge": "semantics §8: ai_summary asks judge_provider (or $self = provider of the first result) for a <200-word Markdown verdict over a digest",
    "summary:digest": "semantics §8: the digest holds overall stats, per-agent pass rate/tokens/duration, tool usage, failures",
    "summary:stored": "issue 3: the verdict is stored in the run dir (ai_summary.md and metadata.ai_summary), judge tokens kept apart",
    "summary:failure-is-warning": "semantics §8 (60 s timeout) + issue 3: a failure to summarise is a warning, never a failed run",
    "summary:merged": "issue 13: a merged run gets one verdict over the whole run (as an unsharded run), no shard judges its slice",
}
