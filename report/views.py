"""Report data regrouped for the templates: files > sessions > tests > one case per agent.

Templates only lay this out; every count and grouping is decided here. The groups hold case
BRIEFS (report/case_list.py: a case's scalar fields, no transcript), so a layout of a
100,000-case run is small; a sink fetches a whole case (:func:`whole`) only where it renders
its details, and lets it go after use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .case_list import CaseBrief, briefs_of
from .schema import CaseReport, Report, Stability

__all__ = [
    "FileGroup",
    "FlakyEntry",
    "Layout",
    "SessionGroup",
    "TestGroup",
    "WholeCases",
    "layout",
    "whole",
]


@dataclass(frozen=True)
class FlakyEntry:
    """A test x agent whose attempts both passed and failed."""

    key: str
    test: str
    session: str
    agent: str
    stability: Stability


@dataclass
class TestGroup:
    """One test (file, session, test) with each agent's case, in agent order."""

    key: str
    anchor: str
    file: str
    session: str
    test: str
    description: str | None
    cases: list[CaseBrief]

    @property
    def passed(self) -> int:
        """Cases of this test that passed."""
        return sum(c.status == "passed" for c in self.cases)

    @property
    def failed(self) -> bool:
        """Any agent failed or errored on this test."""
        return any(c.status != "passed" for c in self.cases)

    @property
    def duration_ms(self) -> float:
        """Sum of the cases' durations."""
        return sum(c.duration_ms for c in self.cases)


@dataclass
class SessionGroup:
    """A session's tests in order."""

    file: str
    session: str
    anchor: str
    tests: list[TestGroup] = field(default_factory=list)

    @property
    def cases(self) -> list[CaseBrief]:
        """Every case of the session."""
        return [c for t in self.tests for c in t.cases]


@dataclass
class FileGroup:
    """A test file's sessions in order."""

    file: str
    anchor: str
    sessions: list[SessionGroup] = field(default_factory=list)

    @property
    def cases(self) -> list[CaseBrief]:
        """Every case of the file."""
        return [c for s in self.sessions for c in s.cases]


@dataclass
class Layout:
    """What the report shows, decided by the seed's level table."""

    files: list[FileGroup]
    tests: list[TestGroup]
    agents: list[str]
    multi_agent: bool
    multi_test: bool
    multi_session: bool
    multi_file: bool
    failures: list[CaseBrief]
    """Failed and errored cases, errors first (the failures-first list)."""
    flaky: list[FlakyEntry] = field(default_factory=list)
    """Test x agent entries labelled flaky, in report order (those a baseline verdict already
    calls regressed or improved left out: they are listed there)."""


def layout(report: Report) -> Layout:
    """Group the report's cases for the templates, keeping execution order."""
    files: dict[str, FileGroup] = {}
    sessions: dict[tuple[str, str], SessionGroup] = {}
    tests: dict[str, TestGroup] = {}
    briefs = briefs_of(report.detailed_results)
    for case in briefs:
        fg = files.get(case.file)
        if fg is None:
            fg = files[case.file] = FileGroup(case.file, f"f{len(files)}")
        sg = sessions.get((case.file, case.session))
        if sg is None:
            sg = sessions[(case.file, case.session)] = SessionGroup(
                case.file, case.session, f"s{len(sessions)}"
            )
            fg.sessions.append(sg)
        tg = tests.get(case.key)
        if tg is None:
            tg = tests[case.key] = TestGroup(
                case.key, f"t{len(tests)}", case.file, case.session, case.test, case.description, []
            )
            sg.tests.append(tg)
        tg.cases.append(case)
    agents = [a.name for a in report.agents]
    order = {name: i for i, name in enumerate(agents)}
    for tg in tests.values():
        tg.cases.sort(key=lambda c: order.get(c.agent, len(order)))
    failures = [c for c in briefs if c.status == "error"]
    failures += [c for c in briefs if c.status == "failed"]
    return Layout(
        files=list(files.values()),
        tests=list(tests.values()),
        agents=agents,
        multi_agent=len(agents) > 1,
        multi_test=len(tests) > 1,
        multi_session=len(sessions) > 1,
        multi_file=len(files) > 1,
        failures=failures,
        flaky=_flaky(report),
    )


def whole(report: Report, briefs: Iterable[CaseBrief]) -> Iterator[CaseReport]:
    """The whole cases of ``briefs``, one at a time (built on demand from a run's CaseList;
    a report read from JSON holds them already)."""
    cases = report.detailed_results
    for b in briefs:
        yield cases[b.index]


class WholeCases:
    """Whole cases of a list of briefs, fetched each time a template walks (a slice of) it:
    ``len()`` counts the briefs, and ``cases[:n]`` yields the first ``n`` whole cases one at a
    time, so a template that prints a capped list holds one whole case at a time."""

    def __init__(self, report: Report, briefs: Sequence[CaseBrief]) -> None:
        self._report = report
        self._briefs = briefs

    def __len__(self) -> int:
        return len(self._briefs)

    def __getitem__(self, index: slice) -> Iterator[CaseReport]:
        return whole(self._report, self._briefs[index])

    def __iter__(self) -> Iterator[CaseReport]:
        return whole(self._report, self._briefs)


def _flaky(report: Report) -> list[FlakyEntry]:
    changed = set()
    if report.baseline is not None:
        changed = {
            (v.key, v.agent)
            for v in report.baseline.verdicts
            if v.verdict in ("regressed", "improved")
        }
    return [
        FlakyEntry(row.key, row.test, row.session, agent, cell.stability)
        for row in report.comparison_summary
        for agent, cell in row.results.items()
        if cell.stability is not None
        and cell.stability.label == "flaky"
        and (row.key, agent) not in changed
    ]
