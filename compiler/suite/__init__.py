"""The suite language as users write it: pydantic models of plain YAML data (extra keys forbidden)."""

from __future__ import annotations

from .agents import AgentDef as AgentDef
from .agents import AgentServerDef as AgentServerDef
from .agents import ClarificationDef as ClarificationDef
from .agents import SkillDef as SkillDef
from .assertions import LEAF_MODELS as LEAF_MODELS
from .assertions import AssertionSyntax as AssertionSyntax
from .datasets import DatasetDef as DatasetDef
from .document import AiSummaryDef as AiSummaryDef
from .document import CriteriaDef as CriteriaDef
from .document import Document as Document
from .document import SettingsDef as SettingsDef
from .extractors import ExtractorDef as ExtractorDef
from .load import LoadDef as LoadDef
from .load import SloDef as SloDef
from .providers import PROVIDER_TYPES as PROVIDER_TYPES
from .providers import ProviderDef as ProviderDef
from .servers import SERVER_TYPES as SERVER_TYPES
from .servers import ServerDef as ServerDef
from .sessions import SessionDef as SessionDef
from .sessions import TestDef as TestDef

__all__ = [
    "LEAF_MODELS",
    "PROVIDER_TYPES",
    "SERVER_TYPES",
    "AgentDef",
    "AgentServerDef",
    "AiSummaryDef",
    "AssertionSyntax",
    "ClarificationDef",
    "CriteriaDef",
    "DatasetDef",
    "Document",
    "ExtractorDef",
    "LoadDef",
    "ProviderDef",
    "ServerDef",
    "SessionDef",
    "SettingsDef",
    "SkillDef",
    "SloDef",
    "TestDef",
]
