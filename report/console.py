"""The console report, pytest-like: details only for what failed, then one summary table.

The progress lines already named every case, so passing cases are not repeated. What follows
a run is:

1. ``FAILURES AND ERRORS`` (only when there are some): each failed case with its failed
   assertions (expected and actual), each errored case with its error;
2. one summary table, one row per agent (and a total row when there are several agents);
   with several agents, a compact comparison: the tests on which they differ, one line each;
3. one line of totals and the criteria, then the AI summary when the plan asked for one.

This replaces agent-benchmark's three sections (a comparison table per test, every assertion of
every case, an execution summary): 30 passing cases took 537 lines (docs/compatibility.md).

Colour comes from rich, only on a terminal. Foreign text (names, messages, expected/actual
values, errors, the judge's verdict) is flattened to one line by runtime/sanitize.py and passed
as ``Text``, never markup; bench/terminal.py's consoles apply the rule again to every segment.
"""

from __future__ import annotations

from typing import Any

from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runtime.sanitize import for_terminal

from .case_list import briefs_of
from .environments import fmt_ms, fmt_pct, fmt_usd
from .escape import to_json
from .schema import AssertionReport, CaseReport, Report
from .views import Layout, layout, whole

__all__ = ["print_console_report"]

STATUS = {
    "passed": ("✓ PASS", "green"),
    "failed": ("✗ FAIL", "red"),
    "error": ("! ERROR", "yellow"),
}
MARK = {"passed": "✓", "failed": "✗", "error": "!"}
DIFFERENCES_SHOWN = 20
"""Tests listed where several agents differ; the reports hold the rest."""


def _t(value: Any, limit: int = 300) -> str:
    return for_terminal(" ".join(str(value).split()), limit=limit)


def _name(c: CaseReport, v: Layout, repeated: bool) -> str:
    """``agent / session / test`` (the file too when the suite has several; ``#k`` for the
    k-th attempt of a repeated test)."""
    parts = [c.agent, c.session, c.test]
    if v.multi_file:
        parts.insert(1, c.file)
    name = " / ".join(parts)
    return name + (f" #{c.attempt + 1}" if repeated else "")


def _assertion(console: Console, a: AssertionReport, indent: int) -> None:
    """A failed assertion, its expected and actual values, and its failed children."""
    line = Text(" " * indent)
    line.append("✗", style="red")
    line.append(f" {_t(a.type, 60)}: {_t(a.message)}")
    console.print(line)
    pad = " " * (indent + 4)
    if a.expected is not None:
        console.print(Text(f"{pad}expected: {_t(to_json(a.expected, 400))}"))
    if a.actual is not None:
        console.print(Text(f"{pad}actual:   {_t(to_json(a.actual, 400))}"))
    for child in a.children:
        if not child.passed:
            _assertion(console, child, indent + 2)


def _errors(c: CaseReport) -> list[str]:
    """The case's error; the transcript's errors only when the case has none of its own (they
    repeat it in other words: "LLM call failed (iteration 1): …")."""
    return [c.error] if c.error else list(dict.fromkeys(c.errors))


def _provider(c: CaseReport) -> str:
    """The provider's type (else its name) as the console shows it; empty when unknown."""
    return _t((c.provider_type or c.provider or "").upper(), 40)


def _case(console: Console, c: CaseReport, v: Layout, repeated: bool) -> None:
    label, style = STATUS[c.status]
    line = Text(label, style=f"bold {style}")
    line.append(f" {_t(_name(c, v, repeated), 500)}", style="bold")
    facts = [fmt_ms(c.duration_ms)]
    if provider := _provider(c):
        facts.append(provider)
    line.append(f"  ({', '.join(facts)})", style="dim")
    console.print(line)
    for err in _errors(c)[:5]:
        console.print(Text(f"    error: {_t(err, 1000)}", style="yellow"))
    if c.status == "failed":
        for a in c.assertions:
            if not a.passed:
                _assertion(console, a, 4)


def _summary_table(console: Console, report: Report, v: Layout) -> None:
    table = Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
    for name in ("agent", "cases", "passed", "failed", "errors", "pass rate", "tokens"):
        table.add_column(name, justify="left" if name == "agent" else "right", no_wrap=True)
    priced = report.summary.cost_usd is not None
    if priced:
        table.add_column("cost", justify="right", no_wrap=True)
    table.add_column("avg time", justify="right", no_wrap=True)

    def row(
        name: Text, total: int, p: int, f: int, e: int, tokens: int, cost: Any, avg: float
    ) -> None:
        cells: list[str | Text] = [
            name,
            str(total),
            Text(str(p), style="green" if p else ""),
            Text(str(f), style="red" if f else ""),
            Text(str(e), style="yellow" if e else ""),
            fmt_pct(p / total if total else 0.0),
            f"{tokens:,}",
        ]
        if priced:
            cells.append(fmt_usd(cost))
        table.add_row(*cells, fmt_ms(avg))

    for a in report.agents:
        who = Text(_t(a.name, 60))
        if a.provider_type or a.provider:
            who.append(f" {_t((a.provider_type or a.provider or '').upper(), 40)}", style="dim")
        row(who, a.total, a.passed, a.failed, a.errors, a.tokens, a.cost_usd, a.avg_duration_ms)
    s = report.summary
    if v.multi_agent:
        briefs = briefs_of(report.detailed_results)
        avg = sum(c.duration_ms for c in briefs) / s.total if s.total else 0.0
        tokens = s.input_tokens + s.output_tokens
        total = Text("total", style="bold")
        row(total, s.total, s.passed, s.failed, s.errors, tokens, s.cost_usd, avg)
    console.print(table)


def _differences(console: Console, v: Layout) -> None:
    """Several agents: the tests on which they did not all end alike, one line each."""
    differ = [tg for tg in v.tests if len({c.status for c in tg.cases}) > 1]
    if not differ:
        console.print(Text("Every test ended alike for all agents.", style="dim"))
        return
    console.print(Text(f"Tests where the agents differ ({len(differ)}):", style="bold"))
    for tg in differ[:DIFFERENCES_SHOWN]:
        where = f"{tg.session} / {tg.test}" if (v.multi_session or v.multi_file) else tg.test
        line = Text(f"  {_t(where, 200)}:")
        for c in tg.cases:
            line.append(f" {MARK[c.status]}", style=STATUS[c.status][1])
            line.append(f" {_t(c.agent, 60)}")
        console.print(line)
    if len(differ) > DIFFERENCES_SHOWN:
        more = len(differ) - DIFFERENCES_SHOWN
        console.print(Text(f"  … and {more} more (the HTML and Markdown reports list every test)"))


def _totals(console: Console, report: Report, v: Layout) -> None:
    s = report.summary
    parts = [f"{s.total} cases: {s.passed} passed, {s.failed} failed, {s.errors} errors"]
    if s.not_run:
        parts.append(f"{s.not_run} not run")
    parts.append(f"{s.tool_calls} tool calls")
    parts.append(f"{s.input_tokens + s.output_tokens:,} tokens")
    if s.cost_usd is not None:
        parts.append(fmt_usd(s.cost_usd))
    if s.judge_cost_usd is not None:
        parts.append(f"judge {fmt_usd(s.judge_cost_usd)} (apart)")
    parts.append(f"{fmt_ms(s.duration_ms)} wall")
    console.print(Text(" · ".join(parts)))
    if v.flaky:
        names = ", ".join(f"{_t(f.test, 80)} ({_t(f.agent, 40)})" for f in v.flaky[:5])
        more = f" and {len(v.flaky) - 5} more" if len(v.flaky) > 5 else ""
        console.print(Text(f"flaky: {names}{more}", style="yellow"))
    rule = _criteria_rule(report)
    if s.criteria_met:
        console.print(Text(f"criteria met{rule}", style="green"))
    else:
        console.print(Text(f"criteria NOT met{rule}", style="bold red"))


def _criteria_rule(report: Report) -> str:
    s = report.summary
    rules = []
    if s.success_rate_required is not None:
        rules.append(
            f"pass rate {fmt_pct(s.pass_rate)}, {fmt_pct(s.success_rate_required)} required"
        )
    if s.pass_hat_k_required is not None:
        k, need = s.pass_hat_k_required.k, s.pass_hat_k_required.min
        rules.append(f"pass^{k} {fmt_pct(s.pass_hat_k)}, {fmt_pct(need)} required")
    if not rules:
        rules.append("every case must pass")
    return ": " + "; ".join(rules)


def print_console_report(report: Report, console: Console) -> None:
    """Failures and errors in detail, one summary table, totals and criteria (see above)."""
    v = layout(report)
    if v.failures:
        console.print()
        console.print(Text(f"FAILURES AND ERRORS ({len(v.failures)})", style="bold"))
        repeated = any(c.attempt for c in briefs_of(report.detailed_results))
        for c in whole(report, v.failures):  # one whole case at a time
            _case(console, c, v, repeated)
    console.print()
    _summary_table(console, report, v)
    if report.scenarios is not None:
        from .scenario_console import print_scenarios

        console.print()
        print_scenarios(console, report.scenarios)
    if v.multi_agent:
        console.print()
        _differences(console, v)
    console.print()
    _totals(console, report, v)
    _traffic(console, report)
    _ai_summary(console, report)


def _traffic(console: Console, report: Report) -> None:
    """Say where the answers came from when it was not (only) the providers."""
    if report.rescored_from:
        console.print(
            Text(f"rescore of run {_t(report.rescored_from, 80)}: its transcripts, the suite's "
                 "current assertions; nothing was called", style="cyan")
        )  # fmt: skip
    t = report.traffic
    if t is None:
        return
    where = _t(t.cassette or "", 200)
    if t.mode == "replay":
        text = f"replay of cassette {where}: no provider called, latency and tokens as recorded"
        if t.misses:
            text += f"; {t.misses} request(s) not in the cassette (their cases are errors)"
        if t.record_missing and t.recorded:
            text += f"; {t.recorded} missing answer(s) recorded live"
        console.print(Text(text, style="cyan"))
    elif t.mode == "record":
        console.print(Text(f"recorded {t.recorded} answer(s) to cassette {where}", style="cyan"))
    elif t.cache_hits:
        console.print(Text(f"{t.cache_hits} LLM answer(s) from the response cache", style="cyan"))


def _ai_summary(console: Console, report: Report) -> None:
    """The judge's verdict (untrusted text: controls escaped, never read as rich markup)."""
    ai = report.ai_summary
    if ai is None:
        return
    console.print()
    if ai.text is None:
        console.print(
            Text(f"AI summary unavailable: {_t(ai.error or 'no verdict')}", style="yellow")
        )
        return
    who = f"{ai.provider} / {ai.model}" if ai.model else ai.provider
    console.print(Text(f"AI SUMMARY ({_t(who, 120)})", style="bold cyan"))
    console.print(Text(for_terminal(ai.text, keep_newlines=True, limit=4000)), soft_wrap=True)
