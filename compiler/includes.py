"""Suite files: load ``test_files`` (relative to the suite), merge shared sections, apply variable_policy.

A file with ``test_files`` is a suite: its providers, servers, agents, settings, criteria and
ai_summary are used, and those of the test files are ignored with a warning (as agent-benchmark
ignores them). A file without ``test_files`` is a single test file. Suites do not nest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from runtime.plan import Span

from .diagnostics import Diagnostics
from .pawbench import (
    ScenarioTarget,
    add_target,
    is_pawbench_scenario,
    needs_target,
    translate,
)
from .source import SourceDoc, YamlPath, load_yaml
from .suite import (
    AgentDef,
    AiSummaryDef,
    CriteriaDef,
    Document,
    ProviderDef,
    ServerDef,
    SessionDef,
    SettingsDef,
)
from .validate import Validated, validate_document

__all__ = ["Located", "Suite", "TestFile", "load_suite"]

T = TypeVar("T")


@dataclass
class Located(Generic[T]):
    """A validated piece of a suite and where it is written."""

    value: T
    doc: SourceDoc
    path: YamlPath

    def span(self, *sub: str | int, key: bool = False) -> Span:
        """The span of this piece, or of a key/value inside it."""
        return self.doc.positions.span((*self.path, *sub), key=key)


@dataclass
class TestFile:
    """One file that holds sessions, with the raw variables that apply to it."""

    __test__ = False  # not a pytest test class

    doc: SourceDoc
    document: Document
    variables: dict[str, str]
    """Raw (unrendered) variables after variable_policy."""
    variable_doc: dict[str, SourceDoc] = field(default_factory=dict)
    """Which file each variable is written in (for spans)."""

    @property
    def sessions(self) -> list[Located[SessionDef]]:
        """The file's sessions with their locations."""
        return [Located(s, self.doc, ("sessions", i)) for i, s in enumerate(self.document.sessions)]


@dataclass
class Suite:
    """Everything the later passes need, merged from the suite and its test files."""

    name: str
    root: SourceDoc
    document: Document
    providers: list[Located[ProviderDef]]
    servers: list[Located[ServerDef]]
    agents: list[Located[AgentDef]]
    settings: Located[SettingsDef] | None
    criteria: Located[CriteriaDef] | None
    ai_summary: Located[AiSummaryDef] | None
    files: list[TestFile]
    sources: list[SourceDoc]
    pruned: dict[str, set[str]]
    """Names of providers/servers/agents dropped as invalid."""


def _located(doc: SourceDoc, document: Document) -> dict[str, list[Located[object]]]:
    return {
        "providers": [Located(p, doc, ("providers", i)) for i, p in enumerate(document.providers)],
        "servers": [Located(s, doc, ("servers", i)) for i, s in enumerate(document.servers)],
        "agents": [Located(a, doc, ("agents", i)) for i, a in enumerate(document.agents)],
    }


def _policy_vars(
    policy: str,
    suite: dict[str, str],
    test: dict[str, str],
    suite_doc: SourceDoc,
    test_doc: SourceDoc,
) -> tuple[dict[str, str], dict[str, SourceDoc]]:
    if policy == "test-only":
        return dict(test), dict.fromkeys(test, test_doc)
    if policy == "merge-test-priority":
        merged = {**suite, **test}
        return merged, {k: (test_doc if k in test else suite_doc) for k in merged}
    if policy == "merge-suite-priority":
        merged = {**test, **suite}
        return merged, {k: (suite_doc if k in suite else test_doc) for k in merged}
    return dict(suite), dict.fromkeys(suite, suite_doc)  # suite-only, the default


def _load_child(
    root: SourceDoc, i: int, entry: str, display: str, diags: Diagnostics
) -> tuple[SourceDoc | None, Validated | None]:
    """One test file of a suite: read and validated, or (doc or None, None) after a diagnostic."""
    at = root.positions.span(("test_files", i))
    target = (root.path.parent / entry).resolve()
    shown = os.path.normpath(os.path.join(os.path.dirname(display), entry))
    if target == root.path:
        diags.add("include-cycle", "a suite cannot list itself in test_files", at)
        return None, None
    child = load_yaml(target, shown, diags, at=at)
    if child is None:
        return None, None
    valid = validate_document(child, diags)
    if valid is None:
        return child, None
    cdoc = valid.document
    if cdoc.test_files is not None:
        diags.add("nested-suite", f"{shown} is itself a suite; suites do not nest",
                  child.positions.span(("test_files",), key=True))  # fmt: skip
        return child, None
    if not cdoc.sessions:
        diags.add("no-sessions", f"{shown} has no sessions", Span(file=shown, line=1, col=1),
                  hint="a test file listed in test_files needs at least one session")  # fmt: skip
    for section in (
        "providers",
        "servers",
        "agents",
        "settings",
        "criteria",
        "ai_summary",
        "prices",
    ):
        if child.positions.has((section,)):
            diags.warn("ignored-section", f"'{section}' of a test file is ignored in a suite; the suite's is used",
                       child.positions.span((section,), key=True))  # fmt: skip
    return child, valid


def _load_test_files(
    root: SourceDoc,
    document: Document,
    display: str,
    policy: str,
    pruned: dict[str, set[str]],
    sources: list[SourceDoc],
    diags: Diagnostics,
) -> list[TestFile]:
    files: list[TestFile] = []
    seen: set[Path] = set()
    for i, entry in enumerate(document.test_files or []):
        target = (root.path.parent / entry).resolve()
        if target in seen:
            diags.add("duplicate-test-file", f"{entry} is listed twice in test_files",
                      root.positions.span(("test_files", i)))  # fmt: skip
            continue
        seen.add(target)
        child, valid = _load_child(root, i, entry, display, diags)
        if child is not None:
            sources.append(child)
        if child is None or valid is None:
            continue
        for k, v in valid.pruned_names.items():
            pruned.setdefault(k, set()).update(v)
        cdoc = valid.document
        variables, where = _policy_vars(policy, document.variables, cdoc.variables, root, child)
        files.append(TestFile(child, cdoc, variables, where))
    return files


def load_suite(
    path: Path, display: str, diags: Diagnostics, *, scenario: ScenarioTarget | None = None
) -> Suite | None:
    """Load a suite or test file and everything it includes; None when the root cannot be read.

    A PawBench scenario (``compiler.pawbench``) is translated into a test file first; it and
    a YAML scenario without providers and agents get their agent under test on
    ``scenario``'s endpoint (default ``ScenarioTarget()``).
    """
    root = load_yaml(path, display, diags)
    if root is None:
        return None
    if is_pawbench_scenario(path, root.data):
        root = translate(root, scenario or ScenarioTarget(), diags)
        if root is None:
            return None
    elif needs_target(root.data):
        # A YAML scenario without providers and agents: the agent under test comes from the
        # command line (--endpoint, --model), as for a PawBench scenario.
        add_target(root.data, scenario or ScenarioTarget())
    validated = validate_document(root, diags)
    if validated is None:
        return None
    document = validated.document
    pruned = {k: set(v) for k, v in validated.pruned_names.items()}
    sources = [root]
    files: list[TestFile] = []
    settings = document.settings
    policy = (settings.variable_policy if settings else None) or "suite-only"
    if document.test_files is not None:
        if document.sessions:
            diags.add(
                "suite-sessions",
                "a suite file (with test_files) cannot hold sessions itself",
                root.positions.span(("sessions",), key=True),
                hint="move the sessions into a test file",
            )
        if not document.test_files:
            diags.add("suite-empty", "test_files is empty", root.positions.span(("test_files",)))
        files = _load_test_files(root, document, display, policy, pruned, sources, diags)
    else:
        if not document.sessions and "sessions" not in pruned:
            diags.add(
                "no-sessions",
                "the file has no sessions",
                root.positions.span(()),
                hint="add sessions: with tests, or test_files: to make this a suite",
            )
        files.append(
            TestFile(
                root, document, dict(document.variables), dict.fromkeys(document.variables, root)
            )
        )
    loc = _located(root, document)
    # A suite of external agents only needs no provider (an llm_judge names its own).
    needs_provider = not document.agents or any(a.command is None for a in document.agents)
    if not document.providers and "providers" not in pruned and needs_provider:
        diags.add(
            "no-providers",
            "no providers are defined",
            root.positions.span(()),
            hint="add a providers: section",
        )
    if not document.agents and "agents" not in pruned:
        diags.add(
            "no-agents",
            "no agents are defined",
            root.positions.span(()),
            hint="add an agents: section",
        )
    # The suite's own name, else its path as given: a file stem ("suite") names nothing.
    name = document.name or display
    return Suite(
        name=name,
        root=root,
        document=document,
        providers=loc["providers"],  # type: ignore[arg-type]  # Located[object] narrows by section
        servers=loc["servers"],  # type: ignore[arg-type]
        agents=loc["agents"],  # type: ignore[arg-type]
        settings=Located(document.settings, root, ("settings",)) if document.settings else None,
        criteria=Located(document.criteria, root, ("criteria",)) if document.criteria else None,
        ai_summary=Located(document.ai_summary, root, ("ai_summary",))
        if document.ai_summary
        else None,
        files=files,
        sources=sources,
        pruned=pruned,
    )
