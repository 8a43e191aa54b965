"""Agents: the built-in tool-calling loop (``loop``) and external agent processes.

External agents (``external``: the worker pool and its JSON-lines protocol; ``external_unit``:
running a unit's cases on it) are imported by the runner only when a plan has one.
"""

from __future__ import annotations

from .loop import AgentSetup as AgentSetup
from .loop import ModelClient as ModelClient
from .loop import ToolCaller as ToolCaller
from .loop import TurnOutcome as TurnOutcome
from .loop import run_turn as run_turn

__all__ = ["AgentSetup", "ModelClient", "ToolCaller", "TurnOutcome", "run_turn"]
