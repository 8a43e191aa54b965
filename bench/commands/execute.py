"""``bench execute``: compile (or load) a plan, run it, show progress, summary and reports.

Ctrl-C once stops starting cases and lets the ones in flight finish; twice stops at once
(runtime/interrupt.py). Either way the run is ``interrupted``, the exit code is 130 and the
message says how to resume. ``--limit``/``--agents`` filter the cases (runtime/selection.py);
``--shard I/N`` then keeps one slice of what they left (runtime/shard.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "execute"
HELP = "run a suite (YAML, compiled in memory) or a plan.json; resume a killed run"
ORDER = 20


def register(subparsers: Any) -> None:
    """Add ``bench execute`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Run SUITE.yaml (compiled in memory) or a plan.json. Each run gets a directory "
            "runs/<run-id>/ with plan.json, metadata.json and results.jsonl. Exit codes: "
            "0 criteria met, 1 not met, 2 invalid input, 3 infrastructure failure."
        ),
    )
    p.add_argument(
        "target", metavar="SUITE_OR_PLAN", nargs="?", default=None,
        help="a suite .yaml/.yml, a plan .json, a PawBench scenario .json or builtin:NAME "
        "(optional with --resume: the run's own plan)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=None, help="seed for random values (YAML only)")
    add_run_options(
        p,
        concurrency="(agent, session) units at once (default: the suite's settings.concurrency)",
        output_dir="where runs/<run-id>/ goes (default: the current directory)",
    )
    p.add_argument("--resume", metavar="RUN_ID", default=None,
                   help="continue a killed run (an id, or an unambiguous part of one)")  # fmt: skip
    p.add_argument(
        "--limit", type=positive, default=None, metavar="N",
        help="run only the first N cases of each agent (recorded in the run)",
    )  # fmt: skip
    p.add_argument(
        "--agents", default=None, metavar="A,B",
        help="run only these agents' cases, comma-separated (recorded in the run)",
    )  # fmt: skip
    p.add_argument(
        "--repeat", type=positive, default=None, metavar="K",
        help="run every test K times, overriding the suite's repeat: (recorded in the run)",
    )  # fmt: skip
    p.add_argument(
        "--budget", type=usd, default=None, metavar="USD",
        help="start no new case once the run has cost USD (agent and judge calls); the run "
        "ends interrupted, resumable with a higher --budget (overrides settings.budget_usd)",
    )  # fmt: skip
    p.add_argument(
        "--shard", type=shard_flag, default=None, metavar="I/N",
        help="run only the I-th of N slices of the plan, balanced by estimated cost and never "
        "splitting a session (recorded in the run; pool the slices with bench merge)",
    )  # fmt: skip
    add_scenario_options(p)
    add_traffic_options(p)
    p.set_defaults(handler=run)


def add_traffic_options(p: argparse.ArgumentParser) -> None:
    """--record, --replay, --record-missing and --cache (docs/replay.md)."""
    g = p.add_argument_group("record and replay (docs/replay.md)")
    g.add_argument(
        "--record", type=Path, default=None, metavar="DIR",
        help="write every LLM answer and tool result to a cassette in DIR",
    )  # fmt: skip
    g.add_argument(
        "--replay", type=Path, default=None, metavar="DIR",
        help="answer from the cassette in DIR: no provider call, no server start, no key "
        "needed; a request it lacks is a case error",
    )  # fmt: skip
    g.add_argument(
        "--record-missing", action="store_true",
        help="with --replay: call the provider (or server) for the misses and append them",
    )  # fmt: skip
    g.add_argument(
        "--cache", action="store_true",
        help="reuse LLM answers from the response cache (off by default; `bench cache`)",
    )  # fmt: skip


def usd(text: str) -> float:
    """An amount of USD greater than 0 (argparse type)."""
    try:
        value = float(text.lstrip("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of USD, e.g. 2.50") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a budget must be more than 0 USD, got {text!r}")
    return value


def shard_flag(text: str) -> tuple[int, int]:
    """argparse type of ``--shard``: ``I/N`` with 1 <= I <= N."""
    from runtime.errors import InputError
    from runtime.shard import parse_shard

    try:
        return parse_shard(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--shard {text!r}: ")) from None


def add_run_options(p: argparse.ArgumentParser, *, concurrency: str, output_dir: str) -> None:
    """The options of every command that runs cases (execute, retry), with their helps.

    --concurrency, --output-dir, --report, -o/--output and -q/--quiet; ``concurrency`` and
    ``output_dir`` are the two helps that differ between the commands.
    """
    p.add_argument("--concurrency", type=positive, default=None, help=concurrency)
    p.add_argument("--output-dir", type=Path, default=None, help=output_dir)
    p.add_argument(
        "--report", default=None, metavar="FORMATS",
        help="reports to write, comma-separated: html,md,json,junit",
    )  # fmt: skip
    p.add_argument(
        "-o", "--output", default=None, metavar="NAME",
        help="base name of the reports (NAME.html, ...; default: <run dir>/report)",
    )  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no live progress or summary")


def positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_formats(text: str | None) -> list[str]:
    """The report formats of ``--report`` (none when absent or empty); unknown ones are exit 2."""
    from report.formats import normalise_formats

    return normalise_formats(text) if text and text.strip() else []


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench execute``."""
    from bench.gitinfo import head_commit
    from bench.terminal import make_console
    from runtime import ExecuteOptions

    formats = parse_formats(args.report)
    console = make_console()
    if console.is_terminal and not args.quiet and args.target:
        with console.status(f"compiling {args.target}"):  # the phase before the bar
            plan = _load(args)
    else:
        plan = _load(args)
    plan, selection = _select(plan, args)
    whole = plan
    plan, shard = _shard(plan, args)
    options = ExecuteOptions(
        output_dir=args.output_dir,
        concurrency=args.concurrency,
        resume=args.resume,
        selection=selection,
        record=args.record,
        replay=args.replay,
        record_missing=args.record_missing,
        cache=_cache(args),
        budget_usd=args.budget,
        shard=shard,
        shard_of=whole if shard is not None else None,
        git_commit=None if args.resume else head_commit(Path.cwd()),
    )
    summary = run_plan(console, plan, options, quiet=args.quiet, target=args.target)
    if summary.metadata.status == "interrupted":
        return int(summary.exit_code)
    report_run(console, summary, formats, args)
    return int(summary.exit_code)


def run_plan(console: Any, plan: Any, options: Any, *, quiet: bool, target: str) -> Any:
    """Execute ``plan`` with live progress and Ctrl-C handling; print how to resume if stopped.

    Shared by ``bench execute`` and ``bench retry``; ``target`` is what the resume hint names.
    """
    import functools

    import anyio

    from bench import __version__
    from bench.progress import RunProgress
    from bench.terminal import make_console
    from runtime.execute import execute
    from runtime.interrupt import StopRequest, run_with_signals

    err = make_console(stderr=True)
    stop = StopRequest()

    def on_drain() -> None:
        err.print(
            "interrupt: finishing the cases in flight, starting no new ones "
            "(press Ctrl-C again to stop at once)",
            markup=False,
        )

    def on_stop() -> None:
        err.print("interrupt: stopping now; the cases in flight will run again on resume",
                  markup=False)  # fmt: skip

    live = None if not quiet else False
    with RunProgress(
        console,
        plan.attempt_count,
        live=live,
        starting="replaying" if options.replay else _starting(plan),
        repeated=_repeated(plan),
    ) as progress:
        options.bench_version = __version__
        options.stop = stop
        if not quiet:
            options.on_start, options.on_result = progress.on_start, progress.on_result
        summary = anyio.run(
            functools.partial(
                run_with_signals,
                functools.partial(execute, plan, options),
                stop,
                on_drain=on_drain,
                on_stop=on_stop,
            )
        )
    if summary.metadata.status == "interrupted":
        totals = summary.metadata.totals
        if summary.metadata.stop_reason:
            err.print(f"run {summary.run_id} stopped: {summary.metadata.stop_reason}", markup=False)
        err.print(
            f"run {summary.run_id} interrupted: {totals.total} of {plan.attempt_count} cases done "
            f"({totals.passed} passed, {totals.failed} failed, {totals.errors} errors). "
            f"Resume with: bench execute {target or ''} --resume {summary.run_id}".replace(
                "  ", " "
            )
            + (f" --output-dir {options.output_dir}" if options.output_dir else "")
            + (" --budget <a higher USD amount>" if summary.metadata.stop_reason else ""),
            markup=False,
            soft_wrap=True,
        )
    _warn_summary(err, summary)
    return summary


def _cache(args: argparse.Namespace) -> Any:
    """The response cache when --cache is given (never with --record or --replay)."""
    if not getattr(args, "cache", False):
        return None
    from runtime.errors import InputError

    if args.record is not None or args.replay is not None:
        raise InputError("--cache is for live runs; drop it with --record or --replay")
    from runtime.replay.cache import ResponseCache

    return ResponseCache.default()


def _starting(plan: Any) -> str:
    """The phase a run is in until its first case ends: what it has to start first."""
    from runtime.plan import ExternalAgent

    what = []
    if plan.servers:
        what.append("servers")
    if any(isinstance(a, ExternalAgent) for a in plan.agents):
        what.append("agents")
    return f"starting {' and '.join(what)}" if what else "running"


def _repeated(plan: Any) -> bool:
    """Whether any case runs more than once (every case's ``repeat`` is at least 1, so the
    attempts outnumber the cases exactly then; a streamed plan counts both when opened)."""
    return bool(plan.attempt_count != plan.case_count)


def _warn_summary(err: Any, summary: Any) -> None:
    record = summary.metadata.ai_summary
    if record is not None and record.error:
        err.print(f"warning: {record.error}", markup=False, soft_wrap=True)


def _select(plan: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """Apply --limit/--agents (or, on resume, the filter the run was started with)."""
    from runtime.errors import InputError
    from runtime.selection import make_filter, recorded_filter, same_filter, select

    agents = [a.strip() for a in args.agents.split(",")] if args.agents else None
    wanted = make_filter(args.limit, agents, args.repeat)
    if args.resume:
        recorded = recorded_filter(args.output_dir or Path.cwd(), args.resume)
        if wanted is not None and not same_filter(wanted, recorded):
            raise InputError(
                "a resumed run keeps the case filter it was started with "
                f"({recorded.flags() if recorded else 'no filter'}); drop --limit/--agents/--repeat or give the same ones"
            )
        wanted = recorded
    if wanted is None:
        return plan, None
    return select(plan, wanted)


def _shard(plan: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """Apply --shard (or, on resume, the slice the run was started with)."""
    from runtime.errors import InputError
    from runtime.shard import recorded_shard, take_shard

    wanted = args.shard
    if args.resume:
        recorded = recorded_shard(args.output_dir or Path.cwd(), args.resume)
        before = (recorded.index, recorded.count) if recorded is not None else None
        if wanted is not None and tuple(wanted) != before:
            raise InputError(
                "a resumed run keeps the shard it was started with "
                f"({'--shard ' + recorded.label if recorded else 'no shard'}); drop --shard or give the same one"
            )
        wanted = before
    if wanted is None:
        return plan, None
    return take_shard(plan, *wanted)


def _load(args: argparse.Namespace) -> Any:
    """The plan: loaded from JSON, or compiled from YAML (for a resume, as the run compiled it)."""
    from runtime import load_plan
    from runtime.errors import InputError

    if args.target is None:
        if not args.resume:
            raise InputError("give a suite (.yaml) or a plan (.json) to run, or --resume RUN_ID")
        from runtime.shard import plan_to_resume

        return plan_to_resume(args.output_dir or Path.cwd(), args.resume)
    target = Path(args.target)
    scenario = builtin_scenario(args.target)
    if scenario is not None:
        target = scenario
    elif target.suffix.lower() == ".json":
        plan = _plan_or_none(target)
        if plan is not None:
            return plan
    elif target.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise InputError(f"{target}: expected a suite (.yaml, .yml), a plan or a scenario (.json)")
    from compiler import compile_suite

    seed, now = args.seed, None
    if args.resume:
        # Recompile exactly as the run did (same seed, same frozen clock), so an unchanged
        # suite yields the same plan hash and the resume is accepted.
        from datetime import datetime

        from runtime.store import PLAN_FILE, find_run

        earlier = load_plan(find_run(args.output_dir or Path.cwd(), args.resume) / PLAN_FILE)
        seed = earlier.seed if seed is None else seed
        if earlier.compiled_now:  # recorded only when a template read the clock
            now = datetime.fromisoformat(earlier.compiled_now)  # 3.11+ reads the trailing Z
    kwargs: dict[str, Any] = {"seed": seed, "scenario": scenario_target(args)}
    if now is not None:
        kwargs["now"] = now
    return compile_suite(target, **kwargs)


def _plan_or_none(path: Path) -> Any:
    """The plan at ``path``; None when the JSON is no plan (the compiler reads it then: a
    PawBench scenario, or a clear error). A plan run never imports the compiler.

    The plan is streamed (``open_plan``): its hash is checked in one pass and a unit is read
    from the file when it is about to run, so a large plan is not held for the run."""
    import json

    from runtime.errors import PlanError
    from runtime.plan import open_plan

    try:
        return open_plan(path)
    except PlanError:
        try:  # only a file that is no plan is read whole, to tell a scenario from an error
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict) and "plan_version" not in data and "agents" in data:
            return None
        raise


def builtin_scenario(target: str) -> Path | None:
    """The file of ``builtin:NAME`` (a scenario shipped with bench); None for any other target."""
    if not target.startswith("builtin:"):
        return None
    from bench.scenarios import scenario_path

    return scenario_path(target.removeprefix("builtin:"))


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    """``--endpoint`` and ``--model``: the agent under test of a PawBench scenario (.json)."""
    g = p.add_argument_group("PawBench scenarios, .json (docs/scenarios.md)")
    g.add_argument(
        "--endpoint", default=None, metavar="URL",
        help="OpenAI-compatible endpoint the scenario runs against, as pawbench's --endpoint "
        "(default http://localhost:8000; /v1 is appended)",
    )  # fmt: skip
    g.add_argument(
        "--model", default=None, metavar="NAME",
        help="model name sent to the endpoint (default: 'default')",
    )  # fmt: skip


def scenario_target(args: argparse.Namespace) -> Any:
    """The ``ScenarioTarget`` the command line names (defaults where it names none)."""
    from compiler import ScenarioTarget

    out = ScenarioTarget()
    if getattr(args, "endpoint", None):
        out = ScenarioTarget(endpoint=args.endpoint, model=out.model)
    if getattr(args, "model", None):
        out = ScenarioTarget(endpoint=out.endpoint, model=args.model)
    return out


def report_run(console: Any, summary: Any, formats: list[str], args: argparse.Namespace) -> None:
    """Print the console report and write the reports asked for (uses args.quiet, args.output).

    The report is read back from results.jsonl (the run held no results). With no report
    file asked for, it is built for the console alone: transcripts of failed and errored
    cases only; with -q as well, not at all.
    """
    if formats or not args.quiet:
        import report as reports

        built = reports.build_report(
            summary.run_dir, details="shown" if formats else "failures", plan=summary.plan
        )
        if not args.quiet:
            reports.print_console_report(built, console)  # includes the AI summary, if any
        if formats:
            base = Path(args.output) if args.output else summary.run_dir / "report"
            for path in reports.write_reports(built, formats, base):
                console.print(f"wrote {path}", highlight=False, markup=False)
    _verdict(console, summary)


def _verdict(console: Any, summary: Any) -> None:
    verdict = "criteria met" if summary.criteria_met else "criteria NOT met"
    t = summary.metadata.totals
    console.print(
        f"run {summary.run_id}: {verdict} (exit {summary.exit_code}): {t.passed} passed, "
        f"{t.failed} failed, {t.errors} errors; results in {summary.run_dir}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
