"""bench view's list page over a large store: time to list N runs, cold and warm.

The list reads every run's metadata.json (cached by size and mtime) and never a finished
run's results.jsonl, so its cost grows with the number of runs, not with their size. Each
run here has a 1,000-case results.jsonl to show that. Target: the list of 1,000 runs in
about a second on a first request. Figures are printed, never asserted (tests do not time things).

    .venv/bin/python benchmarks/view_bench.py [--runs 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from bench.view.app import create_app  # noqa: E402
from tests.report.samples import big, write_run  # noqa: E402


def _store(root: Path, runs: int) -> None:
    sample = big(1_000)
    first = write_run(sample, root / "seed")
    for i in range(runs):
        run_id = f"2026110{1 + i % 9}-{i:06d}-bench"
        target = root / "runs" / run_id
        target.mkdir(parents=True)
        meta = sample.meta.model_copy(
            update={"run_id": run_id, "plan_name": f"suite-{i % 5}",
                    "started_at": f"2026-11-0{1 + i % 9}T10:{i % 60:02d}:00.000Z"}
        )  # fmt: skip
        (target / "metadata.json").write_text(meta.model_dump_json(indent=2))
        shutil.copyfile(first / "plan.json", target / "plan.json")
        (target / "results.jsonl").hardlink_to(first / "results.jsonl")


def main() -> None:
    """Write the store, then time the list page: first request (cold) and later ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _store(root, args.runs)
        size = (root / "seed" / next((root / "seed").iterdir()).name / "results.jsonl").stat()
        print(f"runs: {args.runs:,}, each with a {size.st_size / 1e6:.1f} MB results.jsonl")
        cold, warm = [], []
        for _ in range(args.repeat):
            client = TestClient(create_app(root / "runs"), base_url="http://127.0.0.1")
            t0 = time.perf_counter()
            page = client.get("/")
            cold.append(time.perf_counter() - t0)
            assert page.status_code == 200 and page.text.count("<tr data-run=") == args.runs
            t0 = time.perf_counter()
            client.get("/")
            warm.append(time.perf_counter() - t0)
        print(f"list, cold (new viewer)  {min(cold):6.3f} .. {max(cold):6.3f} s")
        print(f"list, warm (cached)      {min(warm):6.3f} .. {max(warm):6.3f} s")
        print(f"page size                {len(page.text.encode()) / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
