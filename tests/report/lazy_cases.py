"""A report whose cases are a CaseList that counts the whole cases alive, for the tests that
check a sink holds only a few at once."""

from __future__ import annotations

import weakref

from report.case_list import CaseList, briefs_of
from report.schema import CaseReport, Report

__all__ = ["Lazy"]


class Lazy:
    """A report's cases as a CaseList that counts the whole cases alive."""

    def __init__(self, report: Report) -> None:
        self.lines = [c.model_dump_json() for c in report.detailed_results]
        self.alive: set[int] = set()  # ids of the live cases (dropped by weakref.finalize)
        self.most = 0
        self.loads = 0
        self.report = report.model_copy(
            update={"detailed_results": CaseList(briefs_of(report.detailed_results), self.load)}
        )

    def load(self, i: int) -> CaseReport:
        self.note()
        case = CaseReport.model_validate_json(self.lines[i])
        self.alive.add(id(case))
        weakref.finalize(case, self.alive.discard, id(case))
        self.loads += 1
        self.note()
        return case

    def note(self) -> None:
        self.most = max(self.most, len(self.alive))
