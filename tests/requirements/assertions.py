"""Assertions, extractors, JSONPath and clarification detection (agent-benchmark docs and semantics)."""

from __future__ import annotations

REQUIREMENTS: dict[str, str] = {
    "extract:jsonpath": "agent-benchmark docs, Data Extraction; semantics §3.3: jsonpath over content[0].text of every call of `tool`, last match wins, yalp dialect",
}
