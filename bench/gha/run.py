"""The Action's main step: check the suite, execute it, render, publish, set outputs, decide.

``bench github run`` reads the ``INPUT_*`` variables (inputs.py) and:

1. with a suite, runs ``bench compile SUITE --check --diagnostics-format github`` and re-emits
   its ``::error`` lines with paths relative to the repository, so they land on the diff;
2. runs ``bench execute TARGET --report json -o OUT/report ARGS`` in its own process, with the
   GitHub token removed from its environment (the agent under test never sees it);
3. renders the requested formats (and the baseline comparison) from the JSON report;
4. publishes: the PR comment when there is a pull request, and the job summary;
5. writes the step outputs and returns the exit code that ``fail-on`` asks for.

An invalid suite (exit 2) or an infrastructure failure (exit 3) fails the step whatever
``fail-on`` says, since there is then no complete result to judge.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import InputError

from ..terminal import log_line
from .annotations import relocate, workspace_prefix
from .digest import ReportDigest, digest_of
from .inputs import ActionInputs
from .outputs import write_outputs
from .publish import publish

__all__ = ["ActionResult", "exit_code_for", "run_action"]

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class ActionResult:
    """What one Action run produced; ``exit_code`` is the step's."""

    exit_code: int
    outputs: dict[str, str]


def exit_code_for(fail_on: str, digest: ReportDigest, execute_code: int) -> int:
    """The step's exit code for ``fail-on``, given the report and bench execute's exit code."""
    if execute_code not in (0, 1):
        return execute_code
    if fail_on == "never":
        return 0
    if fail_on == "any-failure":
        return 1 if digest.any_failure or not digest.criteria_met else 0
    return 0 if digest.criteria_met else 1


def run_action(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    *,
    bench: Sequence[str] | None = None,
    runner: Runner = subprocess.run,
    echo: Callable[[str], None] = log_line,
) -> ActionResult:
    """Run the whole Action step; writes outputs and the summary, returns the exit code."""
    bench_cmd = list(bench or [sys.executable, "-m", "bench"])
    workdir = Path(inputs.working_directory)
    if not workdir.is_dir():
        raise InputError(f"input 'working-directory' is not a directory: {workdir}")
    out_dir = _output_dir(inputs, environ, workdir)
    base = out_dir / "report"
    child_env = _child_env(environ, inputs.token_env)
    outputs = _empty_outputs()

    if inputs.suite:
        code = _check_suite(inputs, environ, bench_cmd, workdir, child_env, runner, echo)
        if code == 2:
            publish(
                "## bench: the suite is invalid\n\nSee the errors annotated on the suite file.\n",
                environ,
                comment=False,
                summary_copy=out_dir / "summary.md",
                echo=echo,
            )
            write_outputs(outputs, environ.get("GITHUB_OUTPUT"))
            return ActionResult(2, outputs)

    json_path = base.with_name("report.json")
    json_path.unlink(missing_ok=True)  # never publish a stale report from an earlier run
    cmd = [*bench_cmd, "execute", inputs.target, "--report", "json", "-o", str(base), *inputs.args]
    echo(f"bench: {' '.join(cmd[len(bench_cmd) - 1 :])}")
    # The run prints what agents and servers wrote: no workflow command acts until it is over,
    # even if it is killed before it can close its own ::stop-commands:: block.
    token = secrets.token_hex(16) if environ.get("GITHUB_ACTIONS") == "true" else None
    if token:
        echo(f"::stop-commands::{token}")
    try:
        executed = runner(cmd, cwd=workdir, env=child_env, check=False)
    finally:
        if token:
            echo(f"::{token}::")
    if not json_path.is_file():
        echo(f"::error title=bench::bench execute exited {executed.returncode} without a report")
        write_outputs(outputs, environ.get("GITHUB_OUTPUT"))
        return ActionResult(executed.returncode or 3, outputs)

    paths, summary = _render(inputs, base, workdir)
    digest = digest_of(summary, json_path)
    published = publish(
        paths["md"].read_text(encoding="utf-8"),
        environ,
        comment=inputs.comment,
        mode=inputs.comment_mode,
        token_env=inputs.token_env,
        summary_copy=out_dir / "summary.md",
        echo=echo,
    )
    outputs.update(digest.outputs())
    outputs.update({f"report-{fmt}": str(p) for fmt, p in paths.items()})
    outputs["comment-url"] = published.comment.url
    write_outputs(outputs, environ.get("GITHUB_OUTPUT"))
    code = exit_code_for(inputs.fail_on, digest, executed.returncode)
    if code:
        echo(
            f"::error title=bench::{digest.passed}/{digest.total} passed; "
            f"criteria {'met' if digest.criteria_met else 'not met'} (fail-on: {inputs.fail_on})"
        )
    return ActionResult(code, outputs)


def _empty_outputs() -> dict[str, str]:
    names = ["passed", "failed", "errors", "pass-rate", "criteria-met"]
    names += ["report-json", "report-md", "report-html", "report-junit", "comment-url"]
    return dict.fromkeys(names, "")


def _output_dir(inputs: ActionInputs, environ: Mapping[str, str], workdir: Path) -> Path:
    if inputs.output_dir:
        chosen = Path(inputs.output_dir)
        chosen = chosen if chosen.is_absolute() else workdir / chosen
    elif environ.get("RUNNER_TEMP"):
        chosen = Path(environ["RUNNER_TEMP"]) / "bench-report"
    else:
        chosen = workdir / "bench-report"
    chosen = chosen.resolve()
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def _child_env(environ: Mapping[str, str], token_env: str) -> dict[str, str]:
    # The agent under test runs in bench execute's process tree: it must not see the token.
    drop = {token_env, "GITHUB_TOKEN", "INPUT_GITHUB_TOKEN"}
    return {k: v for k, v in environ.items() if k not in drop}


def _check_suite(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    bench_cmd: list[str],
    workdir: Path,
    env: dict[str, str],
    runner: Runner,
    echo: Callable[[str], None],
) -> int:
    cmd = [*bench_cmd, "compile", inputs.suite, "--check", "--diagnostics-format", "github"]
    done = runner(cmd, cwd=workdir, env=env, check=False, capture_output=True, text=True)
    text = f"{done.stdout or ''}\n{done.stderr or ''}"
    prefix = workspace_prefix(workdir, environ.get("GITHUB_WORKSPACE"))
    marks = relocate(text.splitlines(), prefix)
    for line in marks:
        echo(line)
    for line in text.splitlines():
        if line.strip() and not line.startswith("::"):
            echo(line)
    # Exit 2 with no diagnostic is argparse refusing the flags (an older bench): not a verdict.
    return 2 if done.returncode == 2 and marks else 0


def _render(
    inputs: ActionInputs, base: Path, workdir: Path
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Write the reports asked for; their paths by format, and the run's summary as JSON."""
    from report import build_report, write_reports

    try:
        head = build_report(base.with_name("report.json"))
        baseline = None
        if inputs.baseline:
            path = Path(inputs.baseline)
            baseline = build_report(path if path.is_absolute() else workdir / path)
        written = write_reports(head, inputs.report_formats, base, baseline=baseline)
    except (OSError, ValueError) as exc:  # a BenchError is neither: it passes through as it is
        raise InputError(f"cannot render the reports: {exc}") from exc
    # report_formats are canonical and distinct, and write_reports writes one file per format
    # in the order given.
    paths = dict(zip(inputs.report_formats, written, strict=True))
    return paths, head.summary.model_dump(mode="json")


def main_environ() -> dict[str, str]:
    """A copy of the process environment (a seam for tests)."""
    return dict(os.environ)
