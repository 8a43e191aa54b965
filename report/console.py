"""The console report of agent-benchmark: comparison summary, detailed results, execution summary.

Colour comes from rich and only when the console is a terminal; untrusted text is passed
as ``rich.text.Text`` (never as markup) with control characters removed, so an agent's
output cannot inject styles or terminal escape sequences.
"""

from __future__ import annotations

from typing import Any

from rich.box import SQUARE
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runtime.sanitize import for_terminal

from .escape import to_json
from .render import fmt_ms, fmt_pct
from .schema import AssertionReport, CaseReport, Report
from .views import layout

__all__ = ["print_console_report"]

RULE = "═" * 63
STATUS = {
    "passed": ("✓ PASS", "green"),
    "failed": ("✗ FAIL", "red"),
    "error": ("! ERROR", "yellow"),
}


def _t(value: Any, limit: int = 300) -> str:
    return for_terminal(" ".join(str(value).split()), limit=limit)


def _heading(console: Console, title: str) -> None:
    console.print(RULE, style="bold")
    console.print(Text(title.center(63), style="bold cyan"))
    console.print(RULE, style="bold")
    console.print()


def _assertion(console: Console, a: AssertionReport, indent: int) -> None:
    mark, style = ("✓", "green") if a.passed else ("✗", "red")
    line = Text(" " * indent)
    line.append(mark, style=style)
    line.append(f" {_t(a.type, 60)}: {_t(a.message)}")
    console.print(line)
    pad = " " * (indent + 2)
    if a.expected is not None:
        console.print(Text(f"{pad}• expected: {_t(to_json(a.expected, 400))}"))
    if a.actual is not None:
        console.print(Text(f"{pad}• actual: {_t(to_json(a.actual, 400))}"))
    # Details repeat expected/actual under other names ("actual", "max"); show each value once.
    shown = [a.expected, a.actual]
    extra = [
        (k, v) for k, v in a.details.items() if k not in ("expected", "actual") and v not in shown
    ]
    for key, value in extra[:6]:
        console.print(Text(f"{pad}• {_t(key, 40)}: {_t(to_json(value, 200))}", style="dim"))
    for child in a.children:
        _assertion(console, child, indent + 2)


def _errors(c: CaseReport) -> list[str]:
    """The case error and the transcript's errors, each once."""
    return list(dict.fromkeys([c.error, *c.errors] if c.error else c.errors))


def _provider(c: CaseReport) -> str:
    """The provider's type (else its name) as the console shows it; empty when unknown."""
    return _t((c.provider_type or c.provider or "").upper(), 40)


def _case(console: Console, c: CaseReport) -> None:
    label, style = STATUS[c.status]
    line = Text("  ")
    line.append(label.split()[0], style=style)
    line.append(f" {_t(c.agent, 80)}")
    if provider := _provider(c):
        line.append(f" [{provider}]", style="dim")
    line.append(f" ({fmt_ms(c.duration_ms)})")
    console.print(line)
    console.print(
        Text(
            f"    tokens {c.tokens.input} in / {c.tokens.output} out · latency {fmt_ms(c.latency_ms)}"
            f" · {len(c.tool_calls)} tool call(s)",
            style="dim",
        )
    )
    for err in _errors(c)[:10]:
        console.print(Text(f"    error: {_t(err)}", style="yellow"))
    for a in c.assertions:
        _assertion(console, a, 4)
    console.print()


def print_console_report(report: Report, console: Console) -> None:
    """Print the seed's three console sections; coloured only when ``console`` is a terminal."""
    v = layout(report)
    _heading(console, "COMPARISON SUMMARY")
    for tg in v.tests:
        rate = tg.passed / len(tg.cases) if tg.cases else 0.0
        title = Text("📋 Test: ")
        title.append(_t(tg.test, 120), style="bold")
        if v.multi_session or v.multi_file:
            title.append(f" ({_t(tg.file, 60)} › {_t(tg.session, 60)})", style="dim")
        title.append(f" [{fmt_pct(rate)} passed]")
        console.print(title)
        console.print(Text(f"   Summary: {tg.passed}/{len(tg.cases)} agents passed"))
        table = Table(box=SQUARE, padding=(0, 1))
        table.add_column("Agent", min_width=24)
        table.add_column("Status", min_width=9)
        table.add_column("Duration", justify="right", min_width=9)
        for c in tg.cases:
            label, style = STATUS[c.status]
            who = Text(_t(c.agent, 60))
            if provider := _provider(c):
                who.append(f"\n  └─ [{provider}]", style="dim")
            table.add_row(who, Text(label, style=style), fmt_ms(c.duration_ms))
        console.print(table)
        console.print()
    _heading(console, "DETAILED TEST RESULTS")
    for tg in v.tests:
        console.print(Text(f"📋 Test: {_t(tg.test, 120)}", style="bold"))
        for c in tg.cases:
            _case(console, c)
    s = report.summary
    console.print(RULE, style="bold")
    console.print(
        Text(f"Total: {s.total} | Passed: {s.passed} | Failed: {s.failed} | Errors: {s.errors}")
    )
    console.print(RULE, style="bold")
    console.print()
    console.print("=" * 80)
    console.print(Text("[Summary] Test Execution Summary", style="bold"))
    console.print("=" * 80)
    avg = sum(c.duration_ms for c in report.detailed_results) / s.total if s.total else 0.0
    error_count = sum(len(_errors(c)) for c in report.detailed_results)
    lines: list[tuple[str, str, str | None]] = [
        ("Total Tests:", str(s.total), None),
        ("Passed:", f"{s.passed} ({fmt_pct(s.passed / s.total if s.total else 0)})", "green"),
        (
            "Failed:",
            f"{s.failed} ({fmt_pct(s.failed / s.total if s.total else 0)})",
            "red" if s.failed else None,
        ),
        (
            "Errored:",
            f"{s.errors} ({fmt_pct(s.errors / s.total if s.total else 0)})",
            "yellow" if s.errors else None,
        ),
        ("Total Tool Calls:", str(s.tool_calls), None),
        ("Total Errors:", str(error_count), None),
        ("Total Duration:", f"{s.duration_ms:.0f}ms wall (avg: {avg:.0f}ms per test)", None),
        ("Total Tokens:", str(s.input_tokens + s.output_tokens), None),
    ]
    if s.cost_usd is not None:
        lines.append(("Total Cost:", f"${s.cost_usd:.4f}", None))
    if s.judge_cost_usd is not None:
        lines.append(("Judge Cost:", f"${s.judge_cost_usd:.4f} (apart from the total)", None))
    if s.not_run:
        lines.append(("Not Run:", str(s.not_run), "yellow"))
    verdict = "met" if s.criteria_met else "NOT met"
    lines.append(("Criteria:", verdict, "green" if s.criteria_met else "red"))
    for name, value, row_style in lines:
        console.print(Text(f"  {name:<18}{value}", style=row_style or ""))
    console.print("=" * 80)
    _ai_summary(console, report)


def _ai_summary(console: Console, report: Report) -> None:
    """The judge's verdict (untrusted text: controls stripped, never read as rich markup)."""
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
