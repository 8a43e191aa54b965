"""What the HTML report's search box and filters read: one JSON index of the tests.

The page's script never reads the DOM to decide what matches: it reads this index, written
once into a ``<script type="application/json">`` block (escaped by ``escape.json_script``).
Shape (short keys: at 10,000 cases every byte is paid ten thousand times)::

    {"agents": [name, ...], "types": [assertion type, ...], "texts": [case text, ...],
     "tests": [{"t": anchor, "s": session anchor, "q": test text,
                "c": [[agent index, status, stability label or "", [type index, ...],
                       case text index], ...]}, ...]}

``q`` holds the test's name, description and prompt; a case's text its final output, error
and tool calls (name, arguments, result, error). Each piece is clipped to
``SEARCH_TEXT_LIMIT`` characters. Case texts are stored once in ``texts`` (agents and attempts
often write the same output and tool results). A test matches when one of its cases satisfies every
active filter and the search text is found in the test's or that case's text.

The index needs every case's transcript: :func:`case_facts` reads each whole case once, in
report order (one at a time), and keeps only what the page uses of it (its assertion types
and count, its span, its clipped search text, the prompt of each test's first case).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import escape
from .schema import AssertionReport, CaseReport, Report, SpanReport, ToolCallReport
from .views import Layout

__all__ = ["SEARCH_TEXT_LIMIT", "CaseFacts", "case_facts", "filter_options", "view_index"]

SEARCH_TEXT_LIMIT = 2_000
"""Characters of each searched text (an output, a tool result) kept in the index."""


def _clip(text: str | None) -> str:
    return escape.clip(escape.strip_controls(text or ""), SEARCH_TEXT_LIMIT)


def _types(items: list[AssertionReport], out: set[str]) -> set[str]:
    for a in items:
        out.add(a.type)
        _types(a.children, out)
    return out


def _tool_text(t: ToolCallReport) -> str:
    args = t.raw_arguments
    if args is None:
        args = json.dumps(t.arguments, ensure_ascii=False, sort_keys=True, default=str)
    return "\n".join(_clip(x) for x in (t.name, args, t.result, t.error) if x)


def _case_text(c: CaseReport) -> str:
    parts = [_clip(c.final_output), _clip(c.error)]
    parts += [_tool_text(t) for t in c.tool_calls]
    return "\n".join(p for p in parts if p)


@dataclass
class CaseFacts:
    """What the HTML page uses of each whole case beyond its brief, by case index."""

    types: list[frozenset[str]] = field(default_factory=list)
    """The assertion types of each case (its nested assertions' too)."""
    assertions: list[int] = field(default_factory=list)
    """Each case's number of top-level assertions."""
    spans: dict[int, SpanReport] = field(default_factory=dict)
    """Each case's span, for a single-agent report (a large run's passed cases show it
    without being fetched again); one object per distinct span."""
    text: list[int] = field(default_factory=list)
    """Each case's search text, as an index into ``texts``."""
    texts: list[str] = field(default_factory=list)
    """Distinct case texts, in the order first met in report order."""
    prompts: dict[int, str] = field(default_factory=dict)
    """The clipped prompt of each test's first case (by case index)."""


def case_facts(report: Report, v: Layout) -> CaseFacts:
    """One pass over the report's whole cases, keeping only :class:`CaseFacts`."""
    facts = CaseFacts()
    firsts = {tg.cases[0].index for tg in v.tests}
    sets: dict[frozenset[str], frozenset[str]] = {}
    texts: dict[str, int] = {}
    spans: dict[tuple[str, int], SpanReport] = {}
    for i, c in enumerate(report.detailed_results):
        found = frozenset(_types(c.assertions, set()))
        facts.types.append(sets.setdefault(found, found))
        facts.assertions.append(len(c.assertions))
        if not v.multi_agent:
            facts.spans[i] = spans.setdefault((c.span.file, c.span.line), c.span)
        facts.text.append(texts.setdefault(_case_text(c), len(texts)))
        if i in firsts:
            facts.prompts[i] = _clip(c.prompt)
    facts.texts = list(texts)
    return facts


def filter_options(report: Report, v: Layout, facts: CaseFacts) -> dict[str, list[Any]]:
    """The values each filter offers: statuses, stability labels (only when a test was
    repeated), agents (when several), sessions (``[anchor, label]``, when several) and the
    assertion types met in the report."""
    types: set[str] = set().union(*facts.types)
    cells = [cell for row in report.comparison_summary for cell in row.results.values()]
    repeated = any(cell.stability and cell.stability.attempts > 1 for cell in cells)
    labels = sorted({cell.stability.label for cell in cells if cell.stability}) if repeated else []
    sessions = [
        [sg.anchor, f"{f.file} › {sg.session}" if v.multi_file else sg.session]
        for f in v.files
        for sg in f.sessions
    ]
    return {
        "status": ["passed", "failed", "error"],
        "label": labels,
        "agent": v.agents if v.multi_agent else [],
        "session": sessions if v.multi_session else [],
        "type": sorted(types),
    }


def view_index(report: Report, v: Layout, options: dict[str, list[Any]], facts: CaseFacts) -> str:
    """The index as the text of a ``<script type="application/json">`` block."""
    agents = {name: i for i, name in enumerate(v.agents)}
    types = {name: i for i, name in enumerate(options["type"])}
    labels = {
        (row.key, agent): cell.stability.label if cell.stability else ""
        for row in report.comparison_summary
        for agent, cell in row.results.items()
    }
    session_of = {(sg.file, sg.session): sg.anchor for f in v.files for sg in f.sessions}
    texts: dict[int, int] = {}  # a case text's index in facts.texts -> its index here
    tests = []
    for tg in v.tests:
        first = tg.cases[0]
        cases = [
            [
                agents.get(c.agent, -1),
                c.status,
                labels.get((c.key, c.agent), ""),
                sorted(types[t] for t in facts.types[c.index]),
                texts.setdefault(facts.text[c.index], len(texts)),
            ]
            for c in tg.cases
        ]
        prompt = facts.prompts[first.index]
        text = "\n".join(p for p in (_clip(tg.test), _clip(tg.description), prompt) if p)
        tests.append(
            {"t": tg.anchor, "s": session_of[(tg.file, tg.session)], "q": text, "c": cases}
        )
    # Numbered as first met in the page's order, as the page has always had them.
    data = {
        "agents": v.agents,
        "types": options["type"],
        "texts": [facts.texts[i] for i in texts],
        "tests": tests,
    }
    return escape.json_script(data)
