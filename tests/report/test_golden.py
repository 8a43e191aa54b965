"""The JSON report of a plain run, a hostile run and a repeated run, pinned byte for byte.

The goldens in tests/report/golden/ were written by the report builder before it was made
lean (issue 11/13); any change to how a run is read or a report built must leave the JSON
the same (only ``generated_at`` and ``bench_version`` vary and are normalised).
Regenerate them only for a deliberate change to the report: ``BENCH_REGOLD=1`` runs this file
writing them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from report import build_report, render
from tests.report.samples import Sample, adversarial, repeated, sample, write_run

GOLDEN = Path(__file__).resolve().parent / "golden"


def _repeated_run() -> Sample:
    """Three attempts of 09_failed_with_errors' cases: some tests fail on a later attempt."""
    base = sample("09_failed_with_errors")
    return repeated(base, 3, {0: {1, 2}, 1: {0}, 3: {2}})


SAMPLES = {
    "plain": lambda: sample("09_failed_with_errors"),
    "multi": lambda: sample("08_multi_agent_multi_file"),
    "adversarial": adversarial,
    "repeated": _repeated_run,
}
HASHED = {"adversarial"}


def _normalised(text: str) -> str:
    doc = json.loads(text)
    doc["generated_at"] = "GENERATED_AT"
    doc["bench_version"] = "BENCH_VERSION"
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.requirement("report:json-fields")
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_json_report_is_what_it_was(name: str, tmp_path: Path) -> None:
    run = write_run(SAMPLES[name](), tmp_path)
    got = _normalised(render(build_report(run), "json"))
    if name in HASHED:  # megabytes of hostile output: its digest is pinned, not its text
        got = hashlib.sha256(got.encode()).hexdigest() + "\n"
    path = GOLDEN / f"{name}.json{'.sha256' if name in HASHED else ''}"
    if os.environ.get("BENCH_REGOLD"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
