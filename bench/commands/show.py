"""``bench show [RUN] [--cases|--failures]``: one run's summary, its cases, or its failures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "show"
HELP = "show a run (the latest when RUN is omitted): summary, --cases or --failures"
ORDER = 31

_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


def _one(value: Any, limit: int = 500) -> str:
    """Foreign text (an error, a message, a value) as one inert line: runtime/sanitize.py."""
    from runtime.sanitize import for_terminal

    return for_terminal(value, limit=limit)


def _echo(text: str) -> None:
    """Print through the terminal rule: the run's files hold what agents and servers wrote
    (redacted, but not made inert)."""
    from runtime.sanitize import for_terminal

    print(for_terminal(text, keep_newlines=True))


def register(subparsers: Any) -> None:
    """Add ``bench show`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Show a run: its status, plan, totals (passed, failed and errors apart), tokens and "
            "AI summary. RUN is a run id or an unambiguous part of one; the newest run when "
            "omitted."
        ),
    )
    p.add_argument("run_id", metavar="RUN", nargs="?", default=None)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--cases", action="store_true", help="one line per case")
    which.add_argument(
        "--failures", action="store_true",
        help="failed and errored cases with their failed assertions and errors",
    )  # fmt: skip
    p.add_argument(
        "--output-dir", type=Path, default=None,
        help="where runs/ is (default: the current directory)",
    )  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench show``."""
    from runtime.errors import RunStoreError
    from runtime.plan import load_plan
    from runtime.results import RunMetadata
    from runtime.store import METADATA_FILE, PLAN_FILE, RESULTS_FILE, read_results, resolve_run

    path = resolve_run(args.output_dir or Path.cwd(), args.run_id)
    try:
        metadata = RunMetadata.model_validate_json((path / METADATA_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read {path / METADATA_FILE}: {exc}") from exc
    latest = read_results(path / RESULTS_FILE)
    try:
        order = [c.id for c in load_plan(path / PLAN_FILE).cases]
    except Exception:  # no or unreadable plan: show results in the order they were written
        order = list(latest)
    results = [latest[cid] for cid in order if cid in latest]
    if args.cases:
        _print_cases(results, len(order))
    elif args.failures:
        _print_failures(results)
    else:
        _print_summary(path, metadata, latest, results, len(order))
    return 0


def _print_summary(
    path: Path, m: Any, latest: dict[str, Any], results: list[Any], planned: int
) -> None:
    from .runs import current_totals, merge_text, short_hash, totals_text

    t = current_totals(path, m, latest)
    lines = [
        f"run        {m.run_id}  ({path})",
        f"status     {m.status}" + (f": {_one(m.error, 2000)}" if m.error else ""),
        f"suite      {m.plan_name}  plan {short_hash(m.plan_hash)}  bench {m.bench_version}",
        f"started    {m.started_at}" + (f"  ended {m.ended_at}" if m.ended_at else ""),
    ]
    if m.parent_run:
        lines.append(f"retry of   {m.parent_run}")
    if m.filter is not None:
        f = m.filter
        lines.append(f"filter     {f.flags()}: {f.selected} of {f.of} cases")
    if m.shard is not None:
        sh = m.shard
        lines.append(
            f"shard      {sh.label}: {sh.units} of {sh.of_units} units of plan {short_hash(sh.plan_hash)}"
            "  (pool the shards with bench merge)"
        )
    if m.merge is not None:
        lines.append(f"merged     {merge_text(m.merge)}")
    lines.append(f"results    {totals_text(t, m.case_count)}")
    if len(results) < planned:
        lines.append(f"           {planned - len(results)} cases without a result")
    tokens_in = sum(r.transcript.usage.input for r in results)
    tokens_out = sum(r.transcript.usage.output for r in results)
    lines.append(f"tokens     {tokens_in} in, {tokens_out} out")
    cost = sum(r.cost_usd or 0.0 for r in results)
    if cost:
        lines.append(f"cost       ${cost:.4f}")
    if m.criteria_met is not None and m.status == "completed":
        lines.append(f"criteria   {'met' if m.criteria_met else 'NOT met'}")
    by_agent: dict[str, list[Any]] = {}
    for r in results:
        by_agent.setdefault(r.agent, []).append(r)
    for agent, rs in by_agent.items():  # names are the suite's: _echo makes them inert
        p = sum(r.status == "passed" for r in rs)
        f_ = sum(r.status == "failed" for r in rs)
        e = sum(r.status == "error" for r in rs)
        lines.append(f"  {agent}: {p}/{len(rs)} passed, {f_} failed, {e} errors")
    if m.status in ("interrupted", "running"):
        lines.append(
            f"resume     bench execute {path / 'plan.json'} --resume {m.run_id}"
            "  (or the suite it was compiled from)"
        )
    summary = m.ai_summary
    if summary is not None:
        head = f"ai summary ({summary.provider}, {summary.input_tokens + summary.output_tokens} judge tokens)"
        text = summary.text if summary.text else f"  not written: {_one(summary.error)}"
        lines += ["", head, text]
    _echo("\n".join(lines))


def _case_line(r: Any) -> str:
    line = (
        f"{_MARK[r.status]:5}  {r.agent} / {r.session} / {r.test}  "
        f"{r.duration_ms / 1000:.2f}s  {r.transcript.usage.total} tokens"
    )
    if r.attempt:
        line += f"  attempt {r.attempt + 1}"
    if r.retry:
        line += f"  retry {r.retry}"
    return line + (f"  — {_one(r.error)}" if r.error else "")


def _print_cases(results: list[Any], planned: int) -> None:
    for r in results:
        _echo(_case_line(r))
    if len(results) < planned:
        _echo(f"({planned - len(results)} cases without a result)")


def _failed_leaves(assertions: list[Any], depth: int = 0) -> list[str]:
    out: list[str] = []
    for a in assertions:
        if a.passed:
            continue
        text = f"{'  ' * depth}[{_one(a.type, 60)}] {_one(a.message)}"
        if a.expected is not None or a.actual is not None:
            text += f" (expected {_one(repr(a.expected))}, actual {_one(repr(a.actual))})"
        out.append(text)
        out += _failed_leaves(a.children, depth + 1)
    return out


def _print_failures(results: list[Any]) -> None:
    bad = [r for r in results if r.status != "passed"]
    if not bad:
        _echo("no failed or errored cases")
        return
    for r in bad:
        _echo(_case_line(r))
        for text in _failed_leaves(r.assertions):
            _echo(f"    {text}")
        for err in dict.fromkeys(r.transcript.errors):
            if err != r.error:
                _echo(f"    error: {_one(err)}")
    failed = sum(r.status == "failed" for r in bad)
    _echo(f"{failed} failed, {len(bad) - failed} errors")
