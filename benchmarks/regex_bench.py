"""Judging an answer with a backtracking-prone suite regex (issue 14).

Target: ``output_regex: "^(a+)+$"`` against a 10,000-character answer judged in under a second.
Python's ``re`` took 6.6 minutes for 32 ``a``s and a ``b`` (exponential); RE2 is linear. Also
times the old matcher on short inputs, so the growth shows. Figures are printed, never asserted.

    .venv/bin/python benchmarks/regex_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from runtime.evaluate import EvalContext, evaluate
from runtime.plan.assertions import OutputRegex
from runtime.regex import compile_go
from runtime.transcript import Transcript

PATTERNS = (r"^(a+)+$", r"^(a|aa)+$", r"^(a|a?)+$")


def _judge(pattern: str, answer: str) -> float:
    compile_go.cache_clear()  # compile counts too
    t0 = time.perf_counter()
    ctx = EvalContext(transcript=Transcript(final_output=answer), variables={})
    [result] = evaluate([OutputRegex(pattern=pattern)], ctx)
    assert result.passed is False
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for size in (10_000, 1_000_000):
        answer = "a" * size + "b"
        for pattern in PATTERNS:
            runs = [_judge(pattern, answer) for _ in range(args.repeat)]
            print(
                f"RE2  {pattern:<12} {size + 1:>9} chars: median {statistics.median(runs) * 1e3:8.2f} ms"
                f"  (min {min(runs) * 1e3:.2f}, max {max(runs) * 1e3:.2f}; target < 1000 ms)"
            )
    for n in (16, 18, 20, 22):
        t0 = time.perf_counter()
        re.search(PATTERNS[0], "a" * n + "b")
        took = time.perf_counter() - t0
        print(
            f"re   {PATTERNS[0]:<12} {n + 1:>9} chars: {took * 1e3:8.2f} ms (old matcher, doubling per char)"
        )


if __name__ == "__main__":
    main()
