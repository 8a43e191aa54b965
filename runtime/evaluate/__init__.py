"""Evaluate a case's recorded transcript: assertions, extractors, clarification detection.

Everything here is a pure function over recorded data (no I/O except ``file_created``'s
existence check), so the runtime core calls it after the agent loop and tests call it directly.
"""

from __future__ import annotations

from .assertions import MAX_DEPTH as MAX_DEPTH
from .assertions import evaluate as evaluate
from .context import EvalContext as EvalContext
from .extractors import extract as extract

__all__ = ["MAX_DEPTH", "EvalContext", "evaluate", "extract"]
