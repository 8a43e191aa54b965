"""Two load results side by side: per-level deltas (``bench compare BASE.json HEAD.json``).

Levels are matched by their value (concurrency 4 with concurrency 4); a level only one sweep
ran is shown with the other side empty. Both sweeps must be of the same mode: a concurrency
level and a request rate measure different things, and comparing them is an InputError.
Shown per level: aggregate output tok/s, TTFT p50 and p99, TPOT p50, goodput; and the knee
of each. Higher is better for tok/s and goodput, lower for latencies.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runtime.errors import InputError
from runtime.load.result import LoadLevel, LoadResult
from runtime.sanitize import for_terminal

from .charts.load import level_label
from .environments import fmt_ms, fmt_rps, fmt_tok_s
from .load import level_value, x_label

__all__ = ["FIGURES", "LevelDelta", "LoadComparison", "compare_load", "print_load_compare"]


@dataclass(frozen=True)
class Figure:
    """One compared figure: where it is read, how it is shown, which way is better."""

    name: str
    higher_is_better: bool
    unit: str

    def read(self, level: LoadLevel | None) -> float | None:
        if level is None:
            return None
        return {
            "tok/s": level.output_tok_s,
            "TTFT p50": level.ttft_ms.p50,
            "TTFT p99": level.ttft_ms.p99,
            "TPOT p50": level.tpot_ms.p50,
            "goodput": level.goodput_rps,
        }[self.name]

    def show(self, value: float | None) -> str:
        if self.unit == "ms":
            return fmt_ms(value)
        return fmt_rps(value) if self.unit == "req/s" else fmt_tok_s(value)


FIGURES = (
    Figure("tok/s", True, "tok/s"),
    Figure("TTFT p50", False, "ms"),
    Figure("TTFT p99", False, "ms"),
    Figure("TPOT p50", False, "ms"),
    Figure("goodput", True, "req/s"),
)


@dataclass(frozen=True)
class Cell:
    """One figure at one level: base, head, the change, and whether it got better."""

    base: str
    head: str
    delta: str
    """The signed change with its percentage ("+40.0 (+25%)"), or "—"."""
    pct: str
    """The signed percentage alone ("+25%"), or "" when there is none."""
    better: bool | None
    """True: improved, False: worse, None: unchanged or not comparable."""


@dataclass(frozen=True)
class LevelDelta:
    label: str
    base: LoadLevel | None
    head: LoadLevel | None
    cells: list[Cell]


@dataclass(frozen=True)
class LoadComparison:
    base: LoadResult
    head: LoadResult
    x_label: str
    rows: list[LevelDelta]
    base_knee: str | None
    head_knee: str | None


def _cell(fig: Figure, base: float | None, head: float | None) -> Cell:
    if base is None or head is None:
        return Cell(fig.show(base), fig.show(head), "—", "", None)
    diff = head - base
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    amount = fig.show(abs(diff))
    pct = f"{sign}{abs(diff) / base * 100:.0f}%" if base else ""
    better = None if diff == 0 else (diff > 0) == fig.higher_is_better
    delta = f"{sign}{amount} ({pct})" if pct else f"{sign}{amount}"
    return Cell(fig.show(base), fig.show(head), delta, pct, better)


def compare_load(base: LoadResult, head: LoadResult) -> LoadComparison:
    """Per-level deltas of ``head`` against ``base`` (same sweep mode, levels by value)."""
    if base.mode != head.mode:
        raise InputError(
            f"cannot compare a {base.mode} sweep with a {head.mode} sweep: their levels "
            "measure different things; run both with --concurrency or both with --rate"
        )
    by_base = {level_value(lv): lv for lv in base.levels}
    by_head = {level_value(lv): lv for lv in head.levels}
    rows = []
    for value in sorted(set(by_base) | set(by_head)):
        b, h = by_base.get(value), by_head.get(value)
        cells = [_cell(fig, fig.read(b), fig.read(h)) for fig in FIGURES]
        rows.append(LevelDelta(level_label(value), b, h, cells))
    return LoadComparison(
        base=base,
        head=head,
        x_label=x_label(head),
        rows=rows,
        base_knee=None if base.knee is None else level_label(base.knee),
        head_knee=None if head.knee is None else level_label(head.knee),
    )


def _who(result: LoadResult) -> str:
    model = result.model_card.model_id or "?"
    tags = f" [{', '.join(result.model_card.tags)}]" if result.model_card.tags else ""
    return f"{model} on {result.provider}{tags} ({result.started_at})"


def render_load_compare_md(cmp: LoadComparison) -> str:
    """GitHub Markdown: a row per level, base → head and the change for each figure."""
    from .environments import md_env

    return (
        md_env()
        .get_template("load_compare.md.j2")
        .render(
            c=cmp,
            figures=FIGURES,
            base_who=_who(cmp.base),
            head_who=_who(cmp.head),
            arrow=_md_arrow,
        )
    )


def _md_arrow(cell: Cell) -> Markup:
    mark = "" if cell.better is None else " 🟢" if cell.better else " 🔴"
    change = "" if cell.delta == "—" else f" · {cell.delta}"
    return Markup(f"{cell.base} → {cell.head}{change}{mark}")


def print_load_compare(cmp: LoadComparison, console: Console) -> None:
    """The comparison as a console table (colour on a terminal only)."""
    console.print(Text(f"base: {_t(_who(cmp.base))}"))
    console.print(Text(f"head: {_t(_who(cmp.head))}"))
    table = Table(box=SIMPLE_HEAD, pad_edge=False)
    table.add_column(cmp.x_label, justify="right")
    for fig in FIGURES:
        table.add_column(fig.name, justify="right")
    for row in cmp.rows:
        only = " (base only)" if row.head is None else " (head only)" if row.base is None else ""
        cells: list[Text | str] = [row.label + only]
        for cell in row.cells:
            style = "" if cell.better is None else "green" if cell.better else "red"
            text = Text(f"{cell.base} → {cell.head}")
            if cell.pct and cell.better is not None:
                text.append(f" {cell.pct}", style=style)
            cells.append(text)
        table.add_row(*cells)
    console.print(table)
    console.print(
        Text(f"knee: {cmp.base_knee or 'none'} → {cmp.head_knee or 'none'} ({cmp.x_label})")
    )


def _t(value: str) -> str:
    return for_terminal(" ".join(value.split()), limit=300)
