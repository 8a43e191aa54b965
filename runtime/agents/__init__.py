"""Agents: the built-in tool-calling loop (``loop``); external agent processes come later."""

from __future__ import annotations

from .loop import AgentSetup as AgentSetup
from .loop import ModelClient as ModelClient
from .loop import ToolCaller as ToolCaller
from .loop import TurnOutcome as TurnOutcome
from .loop import run_turn as run_turn

__all__ = ["AgentSetup", "ModelClient", "ToolCaller", "TurnOutcome", "run_turn"]
