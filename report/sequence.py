"""The steps of one case's exchange (user, agent, LLM, tool servers), for the sequence diagram.

The HTML report draws the diagram itself as SVG in the browser (no Mermaid, no CDN) from
this compact list; labels are plain text, set with ``textContent`` on the page.
"""

from __future__ import annotations

from typing import Any

from .escape import clip, to_json
from .schema import CaseReport

__all__ = ["MAX_STEPS", "sequence"]

MAX_STEPS = 60
"""Longer exchanges are cut; the tool-call timeline beside the diagram has every call."""


def _label(text: str, limit: int = 48) -> str:
    return clip(" ".join(text.split()), limit)


def sequence(case: CaseReport) -> dict[str, Any]:
    """``{"p": [participants], "s": [[from, to, label, kind], ...]}``; kind: req, ok, err."""
    servers: list[str] = []
    events: list[tuple[float, int, list[list[Any]]]] = []
    for i, call in enumerate(c for c in case.llm_calls if c.purpose == "agent"):
        back = (
            ["LLM", "Agent", _label(call.error or "error"), "err"]
            if call.status == "error"
            else ["LLM", "Agent", f"{call.output_tokens} tok out", "ok"]
        )
        events.append(
            (
                call.started_ms,
                0,
                [["Agent", "LLM", f"call {i + 1} ({call.input_tokens} tok in)", "req"], back],
            )
        )
    for tc in case.tool_calls:
        who = tc.server or ("?" if tc.hallucinated else "tools")
        if who not in servers:
            servers.append(who)
        if tc.error or tc.is_error:
            back = [who, "Agent", _label(tc.error or tc.result or "error"), "err"]
        else:
            back = [who, "Agent", _label(tc.result or "ok"), "ok"]
        args = _label(f"{tc.name}({to_json(tc.arguments, 200)})")
        events.append((tc.started_ms, 1, [["Agent", who, args, "req"], back]))
    events.sort(key=lambda e: (e[0], e[1]))
    steps: list[list[Any]] = [["User", "Agent", _label(case.prompt), "req"]]
    for _, _, pair in events:
        steps.extend(pair)
    if case.status == "error" and case.error:
        steps.append(["Agent", "User", _label(case.error), "err"])
    else:
        steps.append(["Agent", "User", _label(case.final_output or "(no output)"), "ok"])
    if len(steps) > MAX_STEPS:
        left = len(steps) - MAX_STEPS + 1
        steps = [
            *steps[: MAX_STEPS - 2],
            ["Agent", "Agent", f"… {left} more steps", "ok"],
            steps[-1],
        ]
    return {"p": ["User", "Agent", "LLM", *servers], "s": steps}
