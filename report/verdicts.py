"""A verdict per test x agent between two runs: regressed only when the data say so.

Each test x agent pools its attempts on each side (passes, failures, errors; errors are left out
of every rate). Then, in this order:

- only in head: ``new``; only in base: ``removed``;
- what the test ran changed (prompt, assertions, the agent's provider, model or servers: the
  case's ``definition`` hash, when both reports carry one): ``not-comparable``;
- no non-error attempt on a side, or too few attempts for any outcome to be significant (the
  most extreme table's one-sided Fisher p-value is above alpha; e.g. one attempt each):
  ``unchanged`` when both sides have the same pass rate, else ``insufficient-data``, never
  "regressed";
- the rest is the tested family; a pair with the same pass rate on both sides is
  ``unchanged``;
- otherwise a one-sided Fisher exact test per direction. The "worse" and "better" p-values of
  all tests that could reach significance are Holm-adjusted together, as one family (so the
  chance of any false "regressed" or "improved" in a comparison is at most alpha):
  ``regressed`` / ``improved`` when the adjusted p-value is at most alpha, else
  ``within-noise``. (Leaving out the tests that cannot reach significance whatever happens is
  Tarone's refinement: it depends on the attempt counts only, so the family-wise error stays
  controlled.)

The reasons for Fisher and Holm are in report/stats.py and docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runtime.criteria import StatusCounts

from .case_list import CaseBrief, briefs_of
from .construct import make
from .schema import CaseReport, Report, SideCounts, TestVerdict, Verdict
from .stats import fisher_one_sided, holm, min_one_sided_p

__all__ = ["ALPHA", "Sample", "judge", "pairs_of", "samples_of", "verdicts"]

ALPHA = 0.05
"""Significance level of the regression and improvement tests (after correction)."""


@dataclass(slots=True, kw_only=True)
class Sample(StatusCounts):
    """One side's attempts of one test x agent: its counts (``add``, ``judged``) and the test."""

    agent: str
    key: str
    file: str
    session: str
    test: str
    definition: str | None = None

    @property
    def rate(self) -> float | None:
        """Pass rate over judged attempts, or None when there are none."""
        return self.passed / self.judged if self.judged else None

    def counts(self) -> SideCounts:
        """This side as the report records it."""
        return make(
            SideCounts,
            passed=self.passed,
            failed=self.failed,
            errors=self.errors,
            pass_rate=self.rate,
        )


def samples_of(cases: Sequence[CaseBrief | CaseReport]) -> dict[tuple[str, str], Sample]:
    """Attempts pooled per (agent, test key), in order of first appearance; the sample's
    test and definition are its first attempt's. Give briefs (``briefs_of``): whole cases
    work too, but a report built from a run would build each one."""
    out: dict[tuple[str, str], Sample] = {}
    for c in cases:
        ident = (c.agent, c.key)
        s = out.get(ident)
        if s is None:
            s = out[ident] = Sample(
                agent=c.agent,
                key=c.key,
                file=c.file,
                session=c.session,
                test=c.test,
                definition=c.definition,
            )
        s.add(c.status)
    return out


def pairs_of(
    base: dict[tuple[str, str], Sample], head: dict[tuple[str, str], Sample]
) -> dict[tuple[str, str], tuple[Sample | None, Sample | None]]:
    """Every test x agent of either side: head's order, then those only in base."""
    pairs: dict[tuple[str, str], tuple[Sample | None, Sample | None]] = {
        ident: (base.get(ident), s) for ident, s in head.items()
    }
    for ident, s in base.items():
        if ident not in head:
            pairs[ident] = (s, None)
    return pairs


def _first_pass(base: Sample | None, head: Sample | None, alpha: float) -> Verdict | None:
    """The verdicts that need no test; None when the pair belongs to the tested family.

    Membership depends on the attempt counts only (never on what passed), so the family-wise
    error of the Holm correction holds; pairs with equal rates stay in it (they count in the
    correction) and come out ``unchanged``.
    """
    if base is None:
        return "new"
    if head is None:
        return "removed"
    if base.definition and head.definition and base.definition != head.definition:
        return "not-comparable"
    if base.judged and head.judged and min_one_sided_p(base.judged, head.judged) <= alpha:
        return None
    if base.judged and head.judged and base.rate == head.rate:
        return "unchanged"
    return "insufficient-data"


def judge(
    pairs: dict[tuple[str, str], tuple[Sample | None, Sample | None]], alpha: float = ALPHA
) -> list[TestVerdict]:
    """One verdict per pair, in the pairs' order."""
    first = {ident: _first_pass(b, h, alpha) for ident, (b, h) in pairs.items()}
    tested = [ident for ident, v in first.items() if v is None]
    worse_raw, better_raw = [], []
    for ident in tested:
        b, h = pairs[ident]
        assert b is not None and h is not None
        worse_raw.append(fisher_one_sided(b.passed, b.judged, h.passed, h.judged, "worse"))
        better_raw.append(fisher_one_sided(b.passed, b.judged, h.passed, h.judged, "better"))
    # One family: a "regressed" and an "improved" claim are both claims of a change, so the
    # chance of any false claim, either way, stays at alpha.
    adjusted = holm(worse_raw + better_raw)
    worse = dict(zip(tested, adjusted[: len(tested)], strict=True))
    better = dict(zip(tested, adjusted[len(tested) :], strict=True))
    out = []
    for ident, (b, h) in pairs.items():
        verdict = first[ident]
        p_value: float | None = None
        if verdict is None:
            assert b is not None and h is not None
            if b.rate == h.rate:
                verdict = "unchanged"
            elif worse[ident] <= alpha:
                verdict, p_value = "regressed", worse[ident]
            elif better[ident] <= alpha:
                verdict, p_value = "improved", better[ident]
            else:
                verdict, p_value = "within-noise", min(worse[ident], better[ident])
        ref = h or b
        assert ref is not None
        out.append(
            make(  # counts and verdicts computed here: nothing to validate
                TestVerdict,
                agent=ref.agent,
                key=ref.key,
                file=ref.file,
                session=ref.session,
                test=ref.test,
                verdict=verdict,
                base=b.counts() if b else None,
                head=h.counts() if h else None,
                p_value=p_value,
            )
        )
    return out


def verdicts(base: Report, head: Report, alpha: float = ALPHA) -> list[TestVerdict]:
    """Every test x agent of either report with its verdict (head's order, then removed)."""
    b = samples_of(briefs_of(base.detailed_results))
    h = samples_of(briefs_of(head.detailed_results))
    return judge(pairs_of(b, h), alpha)
