"""While units run, the heap that existed before them is frozen; afterwards it is not."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute

from .runtime_helpers import case, make_plan, reply, services, unit

pytestmark = pytest.mark.anyio


async def test_the_startup_heap_is_frozen_during_the_run_and_released_after(
    tmp_path: Path,
) -> None:
    plan = make_plan([unit("u1", [case("u1", 0, "say hi")])], replies=[reply("hi")])
    base = services()
    frozen_during: list[int] = []

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        frozen_during.append(gc.get_freeze_count())
        return base.evaluate(*args, **kwargs)

    before = gc.get_freeze_count()
    assert before == 0  # a host's own frozen heap would be left alone (nothing to see here)
    summary = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, run_id="r"),
        services=dataclasses.replace(base, evaluate=evaluate),
    )
    assert summary.metadata.status == "completed"
    # The plan, the clients and every imported module were frozen while the case ran...
    assert frozen_during and frozen_during[0] > before
    # ...and handed back to the collector (the oldest generation) when the run ended.
    assert gc.get_freeze_count() == before
