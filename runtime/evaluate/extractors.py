"""Extractors: bind session variables from tool results for later tests' run-time templates.

Semantics §3.3: for every call of ``tool`` (in call order) the first text block of its result
is parsed as JSON and ``path`` applied; each match stores ``normalize(value)``, so the last
matching call wins. A call whose result is not JSON, or is empty, is skipped with a warning
(agent-benchmark crashed on empty content, trap 12). When no call matched the variable stays
unbound and a warning says why; a later template that reads it fails its assertion clearly.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import jsonpath
from ..plan import Extractor
from ..transcript import Transcript
from .context import call_json
from .normalize import normalize

__all__ = ["extract"]


def extract(
    extractors: Sequence[Extractor], transcript: Transcript
) -> tuple[dict[str, str], list[str]]:
    """Apply every extractor to the case's tool calls: (bound variables, warnings)."""
    bound: dict[str, str] = {}
    warnings: list[str] = []
    for extractor in extractors:
        name = extractor.variable_name
        label = f"extractor '{name}' ({extractor.path} on '{extractor.tool}')"
        try:
            path = jsonpath.compile_path(extractor.path)
        except ValueError as exc:
            warnings.append(f"{label}: {exc}")
            continue
        calls = [c for c in transcript.tool_calls if c.name == extractor.tool]
        if not calls:
            warnings.append(f"{label}: the tool was not called; '{name}' stays unbound")
            continue
        value: str | None = None
        for index, call in enumerate(calls, start=1):
            data, problem = call_json(call)
            if problem is not None:
                warnings.append(f"{label}: call {index} skipped: {problem}")
                continue
            found = jsonpath.find_value(path, data)
            if found is not jsonpath.NO_MATCH:
                value = normalize(found)
        if value is None:
            warnings.append(f"{label}: no match in {len(calls)} call(s); '{name}' stays unbound")
            continue
        bound[name] = value
    return bound, warnings
