"""A load result (``bench load``'s document, kind "bench-load") as JSON, Markdown, HTML, console.

The document itself is :class:`runtime.load.result.LoadResult`; this module reads it back,
checks it, and renders it through templates/load.html.j2 (two inline SVG charts from
report/charts/load.py, a table of levels, the server's metrics, the model card) and
templates/load.md.j2 (a table row per level, then each level's distributions in a collapsed
section). Every string the server, the model or the user wrote (the model card, error classes,
the prompts' description) is escaped by the environments' rules (report/environments.py).
``docs/load.schema.json`` is generated from the model (``python -m report.load``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pydantic import ValidationError
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runtime.errors import InputError
from runtime.load.result import LOAD_SCHEMA_VERSION, Distribution, LoadLevel, LoadResult
from runtime.sanitize import for_terminal

from .environments import fmt_ms, fmt_pct, fmt_rps, fmt_tok_s

__all__ = [
    "LOAD_FORMATS",
    "LevelRow",
    "is_load_document",
    "level_rows",
    "level_value",
    "load_json_schema",
    "load_schema_text",
    "print_load_console",
    "read_load_result",
    "render_load",
    "write_load_reports",
]

KIND = "bench-load"
LOAD_FORMATS = ("json", "md", "html")
EXTENSIONS = {"json": ".json", "md": ".md", "html": ".html"}


def level_value(level: LoadLevel) -> float:
    """The level's place on the sweep: its concurrency, else its request rate."""
    if level.concurrency is not None:
        return float(level.concurrency)
    return float(level.rate or 0.0)


def x_label(result: LoadResult) -> str:
    """What the level axis counts."""
    return "concurrency" if result.mode == "concurrency" else "rate (req/s)"


@dataclass(frozen=True)
class LevelRow:
    """One level, with what every format shows of it."""

    label: str
    value: float
    level: LoadLevel
    is_knee: bool

    @property
    def error_count(self) -> int:
        return sum(self.level.errors.values())


def level_rows(result: LoadResult) -> list[LevelRow]:
    """The levels in sweep order, labelled."""
    from .charts.load import level_label

    return [
        LevelRow(
            label=level_label(level_value(lv)),
            value=level_value(lv),
            level=lv,
            is_knee=result.knee is not None and level_value(lv) == result.knee,
        )
        for lv in result.levels
    ]


# ---- reading ------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from exc


_KIND = re.compile(r'"kind"\s*:\s*"bench-load"')
_PEEK = 64 * 1024


def is_load_document(path: str | Path) -> bool:
    """True when ``path`` is a JSON file whose ``kind`` is "bench-load" (a load result).

    Only the file's head is read: ``kind`` comes near the top of every load result (bench
    writes it second; sorted keys put it before ``levels``), and a test report of many
    megabytes is not parsed twice to learn that it is not one.
    """
    p = Path(path)
    if p.suffix.lower() != ".json" or not p.is_file():
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(_PEEK)
    except OSError:
        return False
    return bool(_KIND.search(head.decode("utf-8", "replace")))


def read_load_result(path: str | Path) -> LoadResult:
    """Read a load result written by ``bench load``; InputError when it is not a valid one."""
    p = Path(path)
    data = _read_json(p)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InputError(f'{p} is not a bench load result (its "kind" is not "{KIND}")')
    version = data.get("schema_version")
    if version != LOAD_SCHEMA_VERSION:
        raise InputError(
            f"{p}: load schema_version {version!r} is not supported "
            f"(this bench reads version {LOAD_SCHEMA_VERSION})"
        )
    try:
        return LoadResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"{p}: not a valid bench load result ({exc.error_count()} problem(s)); "
            f"first at {loc}: {first['msg']}"
        ) from exc


# ---- rendering ----------------------------------------------------------------------------


def normalise_load_formats(spec: str | list[str]) -> list[str]:
    """The report formats a load result renders as (json, md, html); junit has no meaning here."""
    from .formats import normalise_formats

    names = normalise_formats(spec)
    if "junit" in names:
        raise InputError(
            "a load result has no JUnit form (it has no test cases); choose json, md or html"
        )
    return names


def _charts(result: LoadResult) -> dict[str, Any]:
    from .charts.load import latency_svg, throughput_svg

    levels = [level_value(lv) for lv in result.levels]
    label = x_label(result)
    return {
        "throughput": throughput_svg(
            levels, [lv.output_tok_s for lv in result.levels], x_label=label, knee=result.knee
        ),
        "latency": latency_svg(
            levels,
            [lv.ttft_ms.p50 for lv in result.levels],
            [lv.ttft_ms.p99 for lv in result.levels],
            x_label=label,
            knee=result.knee,
        ),
    }


DISTRIBUTIONS = (
    ("ttft_ms", "TTFT", "ms"),
    ("tpot_ms", "TPOT", "ms"),
    ("itl_ms", "ITL", "ms"),
    ("e2e_ms", "End-to-end", "ms"),
    ("output_tok_s_per_request", "Output tok/s per request", "tok/s"),
)
"""The per-request figures of a level, in the order every format shows them."""


def _context(result: LoadResult) -> dict[str, Any]:
    rows = level_rows(result)
    return {
        "r": result,
        "rows": rows,
        "x_label": x_label(result),
        "knee_label": next((row.label for row in rows if row.is_knee), None),
        "peak": max(rows, key=lambda row: row.level.output_tok_s, default=None),
        "has_metrics": any(lv.server_metrics is not None for lv in result.levels),
        "has_goodput": any(lv.goodput_rps is not None for lv in result.levels),
        "distributions": {row.label: _distributions(row.level) for row in rows},
        "error_classes": sorted({k for lv in result.levels for k in lv.errors}),
    }


def _dist_cells(dist: Distribution, unit: str) -> list[Markup]:
    """count, mean, p50, p90, p99, min, max of one figure, formatted (our numbers: trusted)."""
    cells = [Markup(f"{dist.count:,}")]
    for field in ("mean", "p50", "p90", "p99", "min", "max"):
        value = getattr(dist, field)
        cells.append(Markup(fmt_ms(value) if unit == "ms" else fmt_tok_s(value)))
    return cells


def _distributions(level: LoadLevel) -> list[tuple[str, list[Markup]]]:
    return [(name, _dist_cells(getattr(level, key), unit)) for key, name, unit in DISTRIBUTIONS]


def render_load_html(result: LoadResult) -> str:
    """One self-contained HTML page: no script at all, a CSP that forbids every request."""
    from .environments import html_env

    return (
        html_env().get_template("load.html.j2").render(**_context(result), charts=_charts(result))
    )


def render_load_md(result: LoadResult) -> str:
    """GitHub Markdown: a row per level, then each level's distributions (collapsed)."""
    from .environments import md_env

    return md_env().get_template("load.md.j2").render(**_context(result))


def render_load(result: LoadResult, fmt: str) -> str:
    """``result`` as json, md or html."""
    (name,) = normalise_load_formats(fmt)
    if name == "json":
        return result.model_dump_json(indent=2) + "\n"
    if name == "md":
        return render_load_md(result)
    return render_load_html(result)


def write_load_reports(
    result: LoadResult, formats: str | list[str], output_base: str | Path
) -> list[Path]:
    """Write each format to ``<output_base><ext>``; the paths written."""
    base = Path(output_base)
    base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name in normalise_load_formats(formats):
        path = base.with_name(base.name + EXTENSIONS[name])
        path.write_text(render_load(result, name), encoding="utf-8")
        written.append(path)
    return written


# ---- console ------------------------------------------------------------------------------


def print_load_console(result: LoadResult, console: Console) -> None:
    """A table row per level, then the knee and why the sweep stopped (if it did)."""
    rows = level_rows(result)
    table = Table(box=SIMPLE_HEAD, title=None, pad_edge=False)
    for head in (x_label(result), "requests", "errors", "tok/s", "req/s", "goodput"):
        table.add_column(head, justify="right")
    for head in ("SLO met", "TTFT p50", "TTFT p99", "TPOT p50", "E2E p99"):
        table.add_column(head, justify="right")
    for row in rows:
        lv = row.level
        table.add_row(
            Text(row.label + (" ◆" if row.is_knee else ""), style="bold" if row.is_knee else ""),
            str(lv.requests),
            Text(str(row.error_count), style="red" if row.error_count else ""),
            fmt_tok_s(lv.output_tok_s),
            fmt_rps(lv.requests_per_s),
            fmt_rps(lv.goodput_rps),
            fmt_pct(lv.slo_met_fraction),
            fmt_ms(lv.ttft_ms.p50),
            fmt_ms(lv.ttft_ms.p99),
            fmt_ms(lv.tpot_ms.p50),
            fmt_ms(lv.e2e_ms.p99),
        )
    model = result.model_card.model_id or "?"
    console.print(
        Text(f"bench load: {_t(model)} on {_t(result.provider)} ({_t(result.provider_type)})")
    )
    console.print(table)
    knee = next((row.label for row in rows if row.is_knee), None)
    if result.slo is not None:
        console.print(
            Text(f"knee: {x_label(result)} {knee}" if knee else "knee: no level met the SLO")
        )
    if result.stopped_early:
        console.print(Text(f"stopped early: {_t(result.stopped_early)}", style="yellow"))


def _t(value: Any, limit: int = 200) -> str:
    return for_terminal(" ".join(str(value).split()), limit=limit)


# ---- schema -------------------------------------------------------------------------------


def load_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`LoadResult`, as committed in docs/load.schema.json."""
    from runtime.plan.docstrings import json_schema as documented

    schema = documented(LoadResult)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema = {k: schema[k] for k in sorted(schema, key=lambda k: (k != "$schema", k))}
    schema["title"] = LoadResult.__name__
    return schema


def load_schema_text() -> str:
    """docs/load.schema.json's exact text."""
    return json.dumps(load_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m report.load > docs/load.schema.json`
    print(load_schema_text(), end="")
