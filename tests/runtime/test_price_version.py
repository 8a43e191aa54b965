"""The price table's version is recorded: RunMetadata.price_version and the report's summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from runtime.cost import default_table
from runtime.plan import ModelPrice, Plan

from .runtime_helpers import case, make_plan, reply, unit


def run(plan: Plan, tmp_path: Path) -> tuple[dict[str, object], dict[str, object]]:
    """Execute ``plan`` with a JSON report; return (metadata.json, the report's summary)."""
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    code = main(["execute", "-q", str(path), "--output-dir", str(tmp_path), "--report", "json"])
    assert code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    meta = json.loads((run_dir / "metadata.json").read_text())
    report = json.loads((run_dir / "report.json").read_text())
    return meta, report["summary"]


def plain() -> Plan:
    return make_plan([unit("u0", [case("u0", 0, "hi")])], replies=[reply("hello")])


@pytest.mark.requirement("cost:price-version")
def test_the_shipped_tables_version_is_recorded(tmp_path: Path) -> None:
    meta, summary = run(plain(), tmp_path)
    version = default_table().version
    assert version and meta["price_version"] == version
    assert summary["price_version"] == version


@pytest.mark.requirement("cost:price-version")
def test_suite_prices_mark_the_version(tmp_path: Path) -> None:
    prices = {"my-llama": ModelPrice(input=0.0, output=0.0)}
    plan = plain().model_copy(update={"prices": prices, "hash": ""}).sealed()
    meta, summary = run(plan, tmp_path)
    assert meta["price_version"] == summary["price_version"] == f"{default_table().version}+suite"
