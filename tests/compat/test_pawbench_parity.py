"""Every PawBench parity row holds for bench, and docs/compatibility.md holds the rendered table."""

from __future__ import annotations

import pytest

from .pawbench_parity import DOC, ROWS, Row, bench_value, document_table, render


@pytest.mark.parametrize("row", ROWS, ids=[r.case for r in ROWS])
def test_row_holds_for_bench(row: Row) -> None:
    got = bench_value(row)
    if row.bench is None:
        assert got is None
    else:
        assert got == pytest.approx(row.bench)
    assert row.same or row.why, "a row where bench differs from PawBench must say why"


def test_document_holds_the_rendered_table() -> None:
    assert document_table(DOC.read_text(encoding="utf-8")) == render()
