"""The self-test workflow's last step: check the Action's outputs, files and verdicts.

Run by .github/workflows/action-selftest.yml with each step's outputs (``toJSON``) and outcome
in the environment. Standard library only: it runs on the runner's own python3. With
``SELFTEST_OUT`` set (the act-based test does), it also copies what it saw there, so the test
can look closer (comment bodies are checked on the fake API's side).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

MARKER = "<!-- bench-report -->"
OUTPUTS = (
    "passed",
    "failed",
    "errors",
    "pass-rate",
    "criteria-met",
    "report-json",
    "report-md",
    "report-html",
    "comment-url",
    "exit-code",
)

problems: list[str] = []


def check(ok: bool, what: str) -> None:
    """Record ``what`` as a problem unless ``ok``."""
    if not ok:
        problems.append(what)


def outputs_of(var: str) -> dict[str, str]:
    """A step's outputs from its ``toJSON`` in the environment."""
    raw = os.environ.get(var, "") or "{}"
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def check_report_step(name: str, out: dict[str, str]) -> None:
    """The outputs of a run that produced a report agree with the files they point to."""
    missing = [k for k in OUTPUTS if k not in out]
    check(not missing, f"{name}: outputs missing {missing}")
    if missing:
        return
    report = Path(out["report-json"])
    check(report.is_file(), f"{name}: report-json {report} does not exist")
    if not report.is_file():
        return
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    for key, field in (("passed", "passed"), ("failed", "failed"), ("errors", "errors")):
        check(
            out[key] == str(summary[field]),
            f"{name}: output {key}={out[key]!r} but report {summary[field]}",
        )
    check(
        abs(float(out["pass-rate"]) - summary["pass_rate"]) < 1e-4,
        f"{name}: pass-rate {out['pass-rate']} != {summary['pass_rate']}",
    )
    check(
        out["criteria-met"] == ("true" if summary["criteria_met"] else "false"),
        f"{name}: criteria-met {out['criteria-met']} disagrees with the report",
    )
    md = Path(out["report-md"])
    check(
        md.is_file() and MARKER in md.read_text(encoding="utf-8"),
        f"{name}: report-md lacks the marker",
    )
    check(Path(out["report-html"]).is_file(), f"{name}: report-html missing")
    job_summary = report.parent / "summary.md"
    check(job_summary.is_file(), f"{name}: no copy of the job summary beside the reports")
    if md.is_file() and job_summary.is_file():
        check(
            md.read_text(encoding="utf-8").strip() in job_summary.read_text(encoding="utf-8"),
            f"{name}: the job summary does not hold the Markdown report",
        )


def main() -> int:
    """Check every step; print the problems and return 1 if there are any."""
    steps = {
        "quickstart": outputs_of("QUICKSTART"),
        "below-never": outputs_of("BELOW_NEVER"),
        "below-criteria": outputs_of("BELOW_CRITERIA"),
        "readonly": outputs_of("READONLY"),
        "again": outputs_of("AGAIN"),
    }
    outcomes = {
        "below-never": os.environ.get("BELOW_NEVER_OUTCOME", ""),
        "below-criteria": os.environ.get("BELOW_CRITERIA_OUTCOME", ""),
        "readonly": os.environ.get("READONLY_OUTCOME", ""),
    }
    is_pr = os.environ.get("EVENT_NAME") == "pull_request"

    check_report_step("quickstart", steps["quickstart"])
    check(steps["quickstart"].get("exit-code") == "0", "quickstart: expected exit-code 0")
    if is_pr:
        check(
            bool(steps["quickstart"].get("comment-url")),
            "quickstart: no comment-url on a pull request",
        )

    for name, code, outcome in (
        ("below-never", "0", "success"),
        ("below-criteria", "1", "failure"),
    ):
        out = steps[name]
        check_report_step(name, out)
        check(
            out.get("criteria-met") == "false",
            f"{name}: the fixture suite should miss its criteria",
        )
        check(
            out.get("exit-code") == code,
            f"{name}: exit-code {out.get('exit-code')!r}, expected {code}",
        )
        check(
            outcomes[name] == outcome,
            f"{name}: step outcome {outcomes[name]!r}, expected {outcome}",
        )
        check(out.get("comment-url") == "", f"{name}: comment: false still posted a comment")

    if outcomes["readonly"] not in ("", "skipped"):
        out = steps["readonly"]
        check_report_step("readonly", out)
        check(
            outcomes["readonly"] == "success", "readonly: a read-only token must not fail the job"
        )
        check(
            out.get("comment-url") == "", "readonly: a read-only token cannot have posted a comment"
        )
        if out.get("report-json"):
            text = (Path(out["report-json"]).parent / "summary.md").read_text(encoding="utf-8")
            check(
                "No PR comment" in text and "403" in text, "readonly: the summary does not say why"
            )

    dest = os.environ.get("SELFTEST_OUT")
    if dest:
        _export(Path(dest), steps, outcomes)
    for problem in problems:
        print(f"::error title=action self-test::{problem}")
    print(f"action self-test: {len(problems)} problem(s)")
    return 1 if problems else 0


def _export(dest: Path, steps: dict[str, dict[str, str]], outcomes: dict[str, str]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "selftest.json").write_text(
        json.dumps({"outputs": steps, "outcomes": outcomes, "problems": problems}, indent=2),
        encoding="utf-8",
    )
    for name, out in steps.items():
        if out.get("report-json") and Path(out["report-json"]).is_file():
            shutil.copytree(Path(out["report-json"]).parent, dest / name, dirs_exist_ok=True)


if __name__ == "__main__":
    sys.exit(main())
