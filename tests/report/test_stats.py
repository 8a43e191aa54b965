"""Issue 11's statistics: intervals, pass@k / pass^k, labels, exact tests, verdicts.

Pure functions over counts (report/stats.py) and the verdicts over pooled attempts
(report/verdicts.py); seeded simulations stand in for runs against a random fake model.
"""

from __future__ import annotations

import itertools
import math
import random

import pytest

from report.stability import stability_of, suite_stability
from report.stats import (
    cluster_interval,
    fisher_one_sided,
    holm,
    label_of,
    min_one_sided_p,
    pass_at_k,
    pass_hat_k,
    wilson,
)
from report.verdicts import Sample, judge


def test_wilson_matches_the_textbook_values() -> None:
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10)[0] == 0.0 and round(wilson(0, 10)[1], 4) == 0.2775
    assert wilson(10, 10)[1] == 1.0 and round(wilson(10, 10)[0], 4) == 0.7225
    assert wilson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("n", "c"), [(5, 0), (5, 2), (6, 3), (7, 7), (4, 1)])
def test_pass_at_k_and_pass_hat_k_are_the_subset_averages(n: int, c: int) -> None:
    # The unbiased estimators equal the average over every k-subset of the n attempts of
    # "some pass" and "all pass": check them against that definition directly.
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(outcomes, k))
        some = sum(any(s) for s in subsets) / len(subsets)
        every = sum(all(s) for s in subsets) / len(subsets)
        assert math.isclose(pass_at_k(n, c, k), some)
        assert math.isclose(pass_hat_k(n, c, k), every)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)


def test_labels_leave_errors_out() -> None:
    assert label_of(3, 0, 5) == "stable-pass"
    assert label_of(0, 3, 5) == "stable-fail"
    assert label_of(1, 2, 0) == "flaky"
    assert label_of(0, 0, 4) == "errored"


def test_fisher_one_sided_is_the_lady_tasting_tea() -> None:
    # Fisher's own example: 3 of 4 right against 1 of 4, one-sided p = 17/70.
    assert math.isclose(fisher_one_sided(1, 4, 3, 4, "better"), 17 / 70)
    assert math.isclose(fisher_one_sided(3, 4, 1, 4, "worse"), 17 / 70)
    assert fisher_one_sided(3, 4, 3, 4, "worse") > 0.5
    assert math.isclose(min_one_sided_p(1, 1), 0.5)
    assert math.isclose(min_one_sided_p(3, 3), 1 / 20)


def test_holm_adjusts_step_down_and_keeps_order() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []
    assert holm([0.5]) == [0.5]


def test_the_cluster_interval_is_wider_than_pretending_attempts_are_independent() -> None:
    # 10 tests that always pass and 10 that always fail, 10 attempts each: 200 attempts but
    # really 20 samples of the suite. The naive Wilson interval is far too narrow.
    clusters = [(10, 10)] * 10 + [(0, 10)] * 10
    low, high = cluster_interval(clusters)
    naive_low, naive_high = wilson(100, 200)
    assert low < 0.5 < high
    assert high - low > 2.5 * (naive_high - naive_low)
    # Identical clusters: no between-cluster variance, Wilson over the pooled counts.
    assert cluster_interval([(5, 10)] * 4) == wilson(20, 40)
    assert cluster_interval([]) == (0.0, 1.0)


def _attempts(rng: random.Random, p: float, n: int) -> tuple[int, int]:
    passed = sum(rng.random() < p for _ in range(n))
    return passed, n - passed


def _pair(b: tuple[int, int], h: tuple[int, int], *, errors: int = 0) -> tuple[Sample, Sample]:
    test = {"agent": "a", "key": "k", "file": "f", "session": "s", "test": "t"}
    base = Sample(passed=b[0], failed=b[1], **test)
    head = Sample(passed=h[0], failed=h[1], errors=errors, **test)
    return base, head


def test_a_half_pass_test_is_flaky_with_an_interval_around_half() -> None:
    rng = random.Random(11)
    statuses = ["passed" if rng.random() < 0.5 else "failed" for _ in range(20)]
    st = stability_of(statuses)  # type: ignore[arg-type]
    assert st.label == "flaky" and st.attempts == 20
    assert st.ci95[0] < 0.5 < st.ci95[1]
    assert st.pass_hat_k[5] < 0.2
    assert set(st.pass_at_k) == set(range(1, 21))
    always = stability_of(["passed"] * 20)
    assert always.label == "stable-pass" and always.pass_hat_k[20] == 1.0
    never = stability_of(["failed"] * 20)
    assert never.label == "stable-fail" and never.pass_at_k[20] == 0.0


def test_errors_are_counted_apart_and_never_in_a_rate() -> None:
    st = stability_of(["error"] * 5)
    assert (st.label, st.errors, st.pass_rate, st.pass_at_k) == ("errored", 5, None, {})
    mixed = stability_of(["passed", "error", "passed", "failed"])
    assert (mixed.passed, mixed.failed, mixed.errors, mixed.attempts) == (2, 1, 1, 4)
    assert mixed.pass_rate == pytest.approx(2 / 3)


def test_a_big_drop_is_regressed() -> None:
    rng = random.Random(3)
    base, head = _pair(_attempts(rng, 0.9, 20), _attempts(rng, 0.2, 20))
    (v,) = judge({("a", "k"): (base, head)})
    assert v.verdict == "regressed"
    assert v.p_value is not None and v.p_value <= 0.05
    (back,) = judge({("a", "k"): (head, base)})
    assert back.verdict == "improved"


def test_no_change_is_not_called_a_regression_in_95_of_100_simulations() -> None:
    quiet = 0
    for seed in range(100):
        rng = random.Random(seed)
        base, head = _pair(_attempts(rng, 0.5, 20), _attempts(rng, 0.5, 20))
        (v,) = judge({("a", "k"): (base, head)})
        quiet += v.verdict in ("within-noise", "unchanged")
    assert quiet >= 95


def test_one_attempt_flip_is_insufficient_data() -> None:
    (v,) = judge({("a", "k"): _pair((1, 0), (0, 1))})
    assert (v.verdict, v.p_value) == ("insufficient-data", None)
    (same,) = judge({("a", "k"): _pair((1, 0), (1, 0))})
    assert same.verdict == "unchanged"


def test_errors_only_on_a_side_is_insufficient_data() -> None:
    (v,) = judge({("a", "k"): _pair((10, 0), (0, 0), errors=10)})
    assert v.verdict == "insufficient-data"
    assert v.head is not None and v.head.errors == 10 and v.head.pass_rate is None


def test_new_removed_and_changed_definitions() -> None:
    base, head = _pair((5, 0), (0, 5))
    head.definition, base.definition = "aaa", "bbb"
    verdicts = judge({("a", "k"): (base, head), ("a", "n"): (None, head), ("a", "r"): (base, None)})
    assert [v.verdict for v in verdicts] == ["not-comparable", "new", "removed"]


def test_holm_spreads_alpha_over_the_tests_compared() -> None:
    # A drop that is significant alone (one-sided p ~ 0.0054, twice that after the two
    # directions) is not after 10 comparisons (20 hypotheses).
    base, head = _pair((10, 0), (4, 6))
    (alone,) = judge({("a", "k"): (base, head)})
    assert alone.verdict == "regressed"
    pairs = {("a", "k"): (base, head)}
    for i in range(9):
        pairs[("a", f"other{i}")] = _pair((5, 5), (5, 5))
    # Equal rates are "unchanged" but still counted in the family of tests.
    verdicts = judge(pairs)
    assert verdicts[0].verdict == "within-noise"


def test_suite_stability_counts_clusters() -> None:
    from report.build import _case
    from tests.report.samples import make_case

    cases = [
        _case(make_case(case_id=f"c{i}", agent="a", file="f", session="s", test=t, status=st))
        for i, (t, st) in enumerate(
            [
                ("t1", "passed"),
                ("t1", "failed"),
                ("t2", "passed"),
                ("t2", "passed"),
                ("t3", "error"),
            ]
        )
    ]
    suite = suite_stability(cases)
    assert suite.pass_rate == pytest.approx(3 / 4)
    assert (suite.flaky, suite.errored) == (1, 1)
    assert suite.ci95[0] < 0.75 < suite.ci95[1]


def test_stability_from_counts_is_stability_of_the_statuses_and_never_shared() -> None:
    from report.stability import stability_from

    statuses = ["passed", "failed", "error", "passed", "passed"]
    one, two = stability_from(3, 1, 1), stability_from(3, 1, 1)
    assert one == two == stability_of(statuses)  # type: ignore[arg-type]
    # Figures are computed once per distinct count, but each cell gets its own objects.
    assert one is not two and one.pass_at_k is not two.pass_at_k
    assert one.pass_hat_k is not two.pass_hat_k
