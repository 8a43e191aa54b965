"""open_plan: a plan.json verified in one streamed pass, its units parsed on demand."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest

from runtime.errors import PlanError
from runtime.plan import Plan, load_plan, stream
from runtime.plan.stream import LazyUnits, open_plan

from .runtime_helpers import case, make_plan, reply, unit


def _plan(n: int = 40) -> Plan:
    units = [
        unit(
            f"u{i:03d}",
            [case(f"u{i:03d}", 0, f'q{i} — café ☕ "quoted"'), case(f"u{i:03d}", 1, f"r{i}")],
            system_prompt="ünïcode prompt\nwith lines",
        )
        for i in range(n)
    ]
    return make_plan(units, replies=[reply("answer")]).sealed()


@pytest.fixture(params=[7, 64, 1 << 20], ids=["chunk7", "chunk64", "chunk1M"])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small chunks put unit and value boundaries (and multi-byte characters) at a chunk's end."""
    monkeypatch.setattr(stream, "_CHUNK", request.param)
    return int(request.param)


def test_streamed_plan_equals_the_whole_one(tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "plan.json"
    path.write_text(_plan().dumps(), encoding="utf-8")
    whole, streamed = load_plan(path), open_plan(path)
    assert isinstance(streamed.units, LazyUnits)
    assert list(streamed.units) == list(whole.units)
    assert [streamed.units[i] for i in range(len(whole.units))] == list(whole.units)
    assert streamed.units[3:6] == whole.units[3:6]
    assert streamed.hash == whole.hash
    assert streamed.agents == whole.agents and streamed.settings == whole.settings
    assert streamed.cases == whole.cases


def test_compact_plan_file_streams_too(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(_plan().model_dump_json(), encoding="utf-8")
    assert isinstance(open_plan(path).units, LazyUnits)


def test_a_tampered_unit_is_refused_by_the_hash(tmp_path: Path, chunk: int) -> None:
    data = json.loads(_plan(200).dumps())
    data["units"][150]["cases"][1]["prompt"] = "edited"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(PlanError, match="edited by hand"):
        open_plan(path)


def test_a_tampered_header_is_refused_by_the_hash(tmp_path: Path) -> None:
    data = json.loads(_plan().dumps())
    data["settings"]["concurrency"] = 99
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(PlanError, match="edited by hand"):
        open_plan(path)


def test_legacy_hash_and_odd_key_order_still_load(tmp_path: Path) -> None:
    plan = _plan()
    data = json.loads(plan.dumps())
    data["hash"] = plan.legacy_hash()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    assert list(open_plan(path).units) == list(plan.units)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"plan_version": 1, "units": [', "not JSON"),
        ("[1, 2]", "a plan is a JSON object"),
        ('{"plan_version": 99}', "plan_version 99"),
        ('{"plan_version": 1} trailing', "not JSON"),
    ],
)
def test_plan_errors_stay_the_plans_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=message):
        open_plan(path)


def test_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan"):
        open_plan(tmp_path / "nope.json")


def test_lazy_units_hold_no_parsed_unit(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(_plan().dumps(), encoding="utf-8")
    units = open_plan(path).units
    seen = []
    for u in units:
        seen.append(weakref.ref(u))
        del u
    gc.collect()
    assert seen and all(ref() is None for ref in seen)  # none kept alive by the sequence
    assert units[0] == units[0] and units[0] is not units[0]  # parsed on each access


def test_a_plan_file_written_over_after_opening_is_refused(tmp_path: Path) -> None:
    """A run reads its units from plan.json as they start: a recompile into the same file
    mid-run must not hand it units the hash never covered."""
    path = tmp_path / "plan.json"
    text = _plan().dumps()
    path.write_text(text, encoding="utf-8")
    plan = open_plan(path)
    assert plan.units[0].id  # reads fine while the file is the one checked
    path.unlink()
    path.write_text(text.replace("q0 ", "qX ", 1), encoding="utf-8")  # a new file, same size
    with pytest.raises(PlanError, match="changed after its hash was checked"):
        plan.units[0]
    with pytest.raises(PlanError, match="changed after its hash was checked"):
        next(iter(plan.units))
