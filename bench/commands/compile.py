"""``bench compile``: a suite to a frozen plan.json, or just check it (``--check``)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

NAME = "compile"
HELP = "compile a YAML suite into a frozen plan.json (or --check it); every mistake at once"
ORDER = 10


def register(subparsers: Any) -> None:
    """Add ``bench compile`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Compile SUITE.yaml (a test file or a suite with test_files) into a frozen, hashed plan. "
            "Every problem is reported with file:line:col; exit code 2 when the suite is invalid. "
            "Same suite + same --seed + same --now gives byte-identical plan bytes."
        ),
    )
    p.add_argument(
        "suite", metavar="SUITE.yaml",
        help="test file or suite file, a PawBench scenario .json, or builtin:NAME",
    )  # fmt: skip
    p.add_argument("-o", "--output", metavar="PLAN.json", default=None, help="write the plan here")
    p.add_argument("--check", action="store_true", help="validate only; write nothing")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed for every random value (default: fresh, recorded)",
    )
    p.add_argument(
        "--now", default=None, metavar="ISO",
        help="freeze the clock (ISO 8601 or Unix seconds; default SOURCE_DATE_EPOCH, else now)",
    )  # fmt: skip
    p.add_argument(
        "--diagnostics-format", choices=("text", "json", "github"), default=None,
        help="how problems are printed (default: github inside GitHub Actions when not a terminal, else text)",
    )  # fmt: skip
    p.add_argument(
        "--shards", type=_count, default=None, metavar="N",
        help="also print the N slices `bench execute --shard I/N` runs: units, cases, estimated tokens",
    )  # fmt: skip
    from .execute import add_scenario_options

    add_scenario_options(p)
    # Its GitHub diagnostics format writes workflow commands: no ::stop-commands:: block.
    p.set_defaults(handler=run, workflow_commands=True)


def _summary(plan: Any) -> dict[str, Any]:
    cases = len(plan.cases)
    sessions = len({(u.file, u.session) for u in plan.units})
    return {
        "name": plan.name,
        "cases": cases,
        "attempts": plan.attempt_count,
        "agents": len(plan.agents),
        "sessions": sessions,
        "units": len(plan.units),
        "providers": len(plan.providers),
        "servers": len(plan.servers),
        "max_llm_calls": plan.attempt_count * plan.settings.max_iterations,
        "estimate": _estimate(plan),
        "seed": plan.seed,
        "compiled_now": plan.compiled_now,
        "hash": plan.hash,
    }


def _estimate(plan: Any) -> dict[str, Any]:
    """Expected calls, tokens and cost per provider, and the price table they come from."""
    from runtime.cost import table_for
    from runtime.estimate import provider_estimates

    rows = [vars(e) for e in provider_estimates(plan)]
    known = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    return {
        "providers": rows,
        "input_tokens": sum(r["input_tokens"] for r in rows),
        "output_tokens": sum(r["output_tokens"] for r in rows),
        "cost_usd": sum(known) if known else None,
        "priced": len(known) == len(rows),
        "price_version": table_for(plan.prices).version,
    }


def _print_estimate(e: dict[str, Any]) -> None:
    if not e["providers"]:
        return
    for r in e["providers"]:
        cost = f"~${r['cost_usd']:.4f}" if r["cost_usd"] is not None else "no price for this model"
        print(
            f"  estimate {r['provider']} ({r['model']}): ~{r['calls']:,} calls, "
            f"~{r['input_tokens']:,} input + ~{r['output_tokens']:,} output tokens, {cost}"
        )
    total = f"~${e['cost_usd']:.4f}" if e["cost_usd"] is not None else "unknown"
    partial = (
        "" if e["priced"] or e["cost_usd"] is None else " (models without a price not counted)"
    )
    print(
        f"  estimated cost {total}{partial}; prices {e['price_version']}; chars/4 tokens, "
        "one call per test (two with tools), 100-token answers"
    )


def _count(text: str) -> int:
    from .execute import positive

    return positive(text)


def _slices(plan: Any, count: int) -> list[dict[str, Any]]:
    """The slices of ``--shards N`` as rows (runtime/shard.py cuts them)."""
    from runtime.shard import slices

    cut = slices(plan, count)
    whole = sum(s.estimated_tokens for s in cut) or 1
    return [
        {
            "shard": f"{s.index}/{count}",
            "units": len(s.units),
            "cases": s.cases,
            "attempts": s.attempts,
            "estimated_tokens": s.estimated_tokens,
            "share": round(s.estimated_tokens / whole, 4),
        }
        for s in cut
    ]


def _print_slices(rows: list[dict[str, Any]]) -> None:
    print(
        f"{len(rows)} shards (bench execute PLAN --shard I/{len(rows)}), balanced by estimated tokens:"
    )
    for r in rows:
        print(
            f"  shard {r['shard']}: {r['units']} units, {r['cases']} cases"
            + (f" ({r['attempts']} attempts)" if r["attempts"] != r["cases"] else "")
            + f", ~{r['estimated_tokens']:,} tokens ({r['share']:.1%})"
        )


def _unset_env(plan: Any) -> list[Any]:
    """A warning per environment variable the plan needs that is unset here.

    Warnings, not errors: CI often compiles without the secrets; ``bench execute`` refuses to
    start when one is still unset where it runs (runtime/secrets.py).
    """
    from compiler.diagnostics import Diagnostic
    from runtime.secrets import needed_env

    out = []
    for name, user, span in needed_env(plan):
        if os.environ.get(name):
            continue
        out.append(
            Diagnostic(
                code="unset-env",
                message=f"environment variable {name} is not set (needed by {user})",
                file=span.file if span else plan.name,
                line=span.line if span else 0,
                col=span.col if span else 0,
                hint=f"export {name} before bench execute, which refuses to start without it",
                severity="warning",
            )
        )
    return out


def run(args: argparse.Namespace) -> int:
    """Compile, print diagnostics and a summary, write the plan."""
    from bench.console import default_format, print_diagnostics
    from compiler import SuiteInvalid, compile_with_warnings
    from runtime.errors import InputError

    fmt = args.diagnostics_format or default_format()
    now = None
    if args.now is not None:
        from compiler.freeze import parse_now

        try:
            now = parse_now(args.now)
        except ValueError as exc:
            raise InputError(f"--now {args.now!r} is not an ISO 8601 time or Unix seconds") from exc
    try:
        from .execute import builtin_scenario, scenario_target

        target = builtin_scenario(args.suite) or args.suite
        result = compile_with_warnings(
            target, seed=args.seed, now=now, scenario=scenario_target(args)
        )
    except SuiteInvalid as exc:
        print_diagnostics(exc.diagnostics, exc.sources, fmt=fmt, stream=sys.stdout if fmt == "json" else None,
                          extra={"ok": False})  # fmt: skip
        if fmt != "json":
            n = len(exc.errors)
            print(
                f"bench: {args.suite}: {n} error{'s' if n != 1 else ''}; nothing written",
                file=sys.stderr,
            )
        return exc.exit_code
    plan = result.plan
    summary = _summary(plan)
    if args.shards is not None:
        summary["shards"] = _slices(plan, args.shards)
    warnings = sorted([*result.warnings, *_unset_env(plan)], key=lambda d: (d.file, d.line, d.col))
    if fmt == "json":
        print_diagnostics(warnings, result.sources, fmt="json", stream=sys.stdout,
                          extra={"ok": True, "summary": summary})  # fmt: skip
    elif warnings:
        print_diagnostics(warnings, result.sources, fmt=fmt)
    if args.output and not args.check:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(plan.dumps())
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc.strerror}") from exc
    if fmt != "json":
        s = summary
        repeats = f", {s['attempts']} attempts" if s["attempts"] != s["cases"] else ""
        print(
            f"{s['name']}: {s['cases']} cases{repeats} ({s['agents']} agents x {s['sessions']} sessions, {s['units']} units), "
            f"{s['providers']} providers, {s['servers']} servers; at most {s['max_llm_calls']} LLM calls "
            f"(attempts x max_iterations)"
        )
        _print_estimate(s["estimate"])
        clock = s["compiled_now"] or "unused"
        print(f"seed {s['seed']}, clock {clock}, {s['hash']}")
        if "shards" in s:
            _print_slices(s["shards"])
        if args.check:
            print("ok (--check: nothing written)")
        elif args.output:
            print(f"wrote {args.output}")
    return 0
