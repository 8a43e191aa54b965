"""The console's scenario table: scores per session and per agent (docs/scenarios.md)."""

from __future__ import annotations

from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runtime.sanitize import for_terminal

from .scenarios import (
    CONSOLE_COLUMNS,
    ScenarioSummary,
    adaptability_line,
    scenario_cells,
    weights_line,
)

__all__ = ["print_scenarios"]


def print_scenarios(console: Console, summary: ScenarioSummary) -> None:
    """One row per (agent, session), then each agent's total over its parallel sessions."""
    # No padding: the box's one-space separators alone, so the eleven columns fit 80 columns.
    table = Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0,
                  title="SCENARIOS", title_justify="left")  # fmt: skip
    table.add_column("agent / session", min_width=12, overflow="fold")
    for name in CONSOLE_COLUMNS:
        table.add_column(name, justify="right", no_wrap=True)
    for s in summary.sessions:
        who = Text(for_terminal(f"{s.agent} / {s.session}", limit=80))
        table.add_row(who, *scenario_cells(s, compact=True))
    for s in summary.agents:
        table.add_row(Text(for_terminal(f"{s.agent} (all sessions)", limit=80), style="bold"),
                      *scenario_cells(s, compact=True))  # fmt: skip
    console.print(table)
    console.print(Text(weights_line(summary), style="dim"))
    if summary.tokens_per_s is not None:
        console.print(Text(f"throughput: {summary.tokens_per_s:,.1f} output tok/s aggregate "
                           "(sessions in parallel)"))  # fmt: skip
    for s in summary.agents:
        line = adaptability_line(s)
        if line is not None:
            console.print(Text(for_terminal(f"adaptability, {s.agent}: {line}", limit=200)))
