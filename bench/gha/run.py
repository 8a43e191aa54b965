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
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import BenchError, InputError
from runtime.sanitize import for_terminal

from ..terminal import github_commands_stopped
from .annotations import relocate, workspace_prefix
from .baseline import describe, find_baseline
from .comment import CommentOutcome
from .digest import ReportDigest, digest_of
from .event import read_event
from .inputs import ActionInputs
from .outputs import write_outputs
from .publish import publish
from .shards import compile_stage, merge_stage, shard_args, shard_outputs

__all__ = ["ActionResult", "exit_code_for", "publish_step", "run_action", "run_links"]

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class ActionResult:
    """What one Action run produced; ``exit_code`` is the step's."""

    exit_code: int
    outputs: dict[str, str]


def exit_code_for(
    fail_on: str, digest: ReportDigest, execute_code: int, regressions: int = 0
) -> int:
    """The step's exit code for ``fail-on``, given the report and bench execute's exit code."""
    if execute_code not in (0, 1):
        return execute_code
    if fail_on == "never":
        return 0
    if fail_on == "regression":
        return 1 if regressions else 0
    if fail_on == "any-failure":
        return 1 if digest.any_failure or not digest.criteria_met else 0
    return 0 if digest.criteria_met else 1


def run_action(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    *,
    bench: Sequence[str] | None = None,
    runner: Runner = subprocess.run,
    echo: Callable[[str], None] = print,
    publish_now: bool = True,
) -> ActionResult:
    """Run the whole Action step; writes outputs and the summary, returns the exit code.

    The stage follows the inputs (``inputs.mode``): a whole run, or the compile, shard or merge
    stage of a sharded workflow (bench/gha/shards.py). With ``publish_now`` False the comment
    and job summary are left to ``publish_step`` (the Action runs it after uploading the
    reports, so the comment can link the artifact).
    """
    bench_cmd = list(bench or [sys.executable, "-m", "bench"])
    workdir = Path(inputs.working_directory)
    if not workdir.is_dir():
        raise InputError(f"input 'working-directory' is not a directory: {workdir}")
    out_dir = _output_dir(inputs, environ, workdir)
    base = out_dir / "report"
    child_env = _child_env(environ, inputs.token_env)
    outputs = _empty_outputs()

    if inputs.suite and inputs.mode != "compile":  # the compile stage annotates its own errors
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
    if inputs.mode == "compile":
        code = compile_stage(
            inputs, environ, bench_cmd, workdir, out_dir, child_env, runner, echo, outputs
        )
        write_outputs(outputs, environ.get("GITHUB_OUTPUT"))
        return ActionResult(code, outputs)

    json_path = base.with_name("report.json")
    json_path.unlink(missing_ok=True)  # never publish a stale report from an earlier run
    if inputs.mode == "merge":
        executed_code = merge_stage(
            inputs, environ, bench_cmd, workdir, out_dir, child_env, runner, echo
        )
    else:
        executed_code = _execute(
            inputs, environ, bench_cmd, workdir, out_dir, child_env, runner, echo
        )
    if not json_path.is_file():
        what = "bench merge" if inputs.mode == "merge" else "bench execute"
        echo(f"::error title=bench::{what} exited {executed_code} without a report")
        if inputs.mode == "shard" and any((out_dir / "runs").rglob("metadata.json")):
            # Stopped early (a budget, a cancel): upload what ran, so the merge job reports
            # the run as interrupted rather than this shard as missing.
            outputs.update(shard_outputs(inputs, out_dir))
        write_outputs(outputs, environ.get("GITHUB_OUTPUT"))
        return ActionResult(executed_code or 3, outputs)
    if inputs.mode == "shard":
        outputs.update(shard_outputs(inputs, out_dir))

    baseline = (
        _baseline(inputs, environ, workdir, out_dir, echo)
        if inputs.mode != "shard"
        else _Baseline()
    )
    paths, summary, regressions = _render(inputs, base, baseline)
    digest = digest_of(summary, json_path)
    outputs.update(digest.outputs())
    outputs.update({f"report-{fmt}": str(p) for fmt, p in paths.items()})
    if inputs.record:  # uploaded with the reports, for committing as the forks' cassette
        cassette = Path(inputs.record)
        outputs["cassette"] = str(cassette if cassette.is_absolute() else workdir / cassette)
    if inputs.mode != "shard":
        outputs["upload-name"] = inputs.artifact_name
        uploaded = [v for k, v in outputs.items() if k.startswith("report-") or k == "cassette"]
        outputs["upload-path"] = "\n".join(v for v in uploaded if v)
    if publish_now:
        outputs["comment-url"] = publish_step(inputs, environ, paths["md"], echo=echo).url
    write_outputs(outputs, environ.get("GITHUB_OUTPUT"))
    if inputs.mode == "shard":
        # A slice is judged with the whole run, by the merge job: a shard job fails only when
        # its slice could not run (an invalid plan, an infrastructure failure, a stop).
        code = executed_code if executed_code not in (0, 1) else 0
        label = outputs["upload-name"].removeprefix(f"{inputs.artifact_name}-")
        echo(f"bench: {label}: {digest.passed}/{digest.total} passed; the merge job judges the run")
        return ActionResult(code, outputs)
    code = exit_code_for(inputs.fail_on, digest, executed_code, regressions)
    if code:
        echo(
            f"::error title=bench::{digest.passed}/{digest.total} passed; "
            f"criteria {'met' if digest.criteria_met else 'not met'}; "
            f"{regressions} regressed (fail-on: {inputs.fail_on})"
        )
    return ActionResult(code, outputs)


def _execute(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    bench_cmd: list[str],
    workdir: Path,
    out_dir: Path,
    child_env: dict[str, str],
    runner: Runner,
    echo: Callable[[str], None],
) -> int:
    """``bench execute`` of the target (a shard: its slice, into OUT/runs); its exit code."""
    base = out_dir / "report"
    cmd = [*bench_cmd, "execute", inputs.target, "--report", "json", "-o", str(base), *inputs.args]
    if inputs.replay:
        cmd += ["--replay", inputs.replay]
    elif inputs.record:
        cmd += ["--record", inputs.record]
    if inputs.shard is not None:
        cmd += shard_args(inputs, out_dir)
    echo(f"bench: {' '.join(cmd[len(bench_cmd) - 1 :])}")
    # The run prints what agents and servers wrote: no workflow command acts until it is over,
    # even if it is killed before it can end its own ::stop-commands:: block.
    with github_commands_stopped(echo, environ):
        executed = runner(cmd, cwd=workdir, env=child_env, check=False)
    return int(executed.returncode)


def publish_step(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    report_md: Path,
    *,
    artifact_id: str = "",
    echo: Callable[[str], None] = print,
) -> CommentOutcome:
    """The PR comment and job summary of a report (the Action's step after the upload).

    A shard job writes its slice's job summary and never comments: the merge job posts the
    one comment of the whole run. ``artifact_id`` (upload-artifact's output) makes the
    comment link the uploaded reports themselves rather than the run page.
    """
    shard = inputs.mode == "shard"
    published = publish(
        report_md.read_text(encoding="utf-8")
        + run_links(environ, inputs.artifact_name, artifact_id),
        environ,
        comment=False if shard else inputs.comment,
        mode="off" if shard else inputs.comment_mode,
        token_env=inputs.token_env,
        summary_copy=report_md.parent / "summary.md",
        echo=echo,
    )
    return published.comment


def _empty_outputs() -> dict[str, str]:
    names = ["passed", "failed", "errors", "pass-rate", "criteria-met"]
    names += ["report-json", "report-md", "report-html", "report-junit", "comment-url"]
    names += ["cassette", "plan", "matrix", "run-dir", "upload-name", "upload-path"]
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
            echo(for_terminal(line))
    # Exit 2 with no diagnostic is argparse refusing the flags (an older bench): not a verdict.
    return 2 if done.returncode == 2 and marks else 0


_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?")
_ID = re.compile(r"[0-9]+")


def run_links(environ: Mapping[str, str], artifact: str, artifact_id: str = "") -> str:
    """A Markdown line linking this workflow run and its report artifact (empty outside Actions).

    With ``artifact_id`` (upload-artifact's ``artifact-id`` output) the HTML report link is the
    artifact's own page (``.../actions/runs/RUN/artifacts/ID``, a download of the reports),
    else the run page's artifact list. Every piece comes from the runner's environment or the
    upload step and is checked against its shape, and the URLs pass ``md_url`` as every link of
    the report does, so nothing can turn into other Markdown.
    """
    from report.escape import md_url

    server = environ.get("GITHUB_SERVER_URL", "")
    repo = environ.get("GITHUB_REPOSITORY", "")
    run_id = environ.get("GITHUB_RUN_ID", "")
    if not (_SERVER.fullmatch(server) and _REPO.fullmatch(repo) and _ID.fullmatch(run_id)):
        return ""
    run_url = md_url(f"{server}/{repo}/actions/runs/{run_id}")
    if not run_url:
        return ""
    known = _ID.fullmatch(artifact_id)
    html = f"{run_url}/artifacts/{artifact_id}" if known else f"{run_url}#artifacts"
    name = artifact if re.fullmatch(r"[A-Za-z0-9_.-]+", artifact) else "bench-report"
    return (
        f"\n[Workflow run](<{run_url}>) · [HTML report](<{md_url(html)}>) "
        f"(artifact {name}, with report.json for later comparisons)\n"
    )


@dataclass(frozen=True)
class _Baseline:
    """The report to compare with (if any), where it came from, and what to say about it."""

    path: Path | None = None
    source: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()


def _baseline(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    workdir: Path,
    out_dir: Path,
    echo: Callable[[str], None],
) -> _Baseline:
    """The ``baseline`` input resolved: none, a path, or (auto) the base branch's report."""
    choice = inputs.baseline
    if choice == "none":
        return _Baseline()
    if choice != "auto":
        path = Path(choice)
        return _Baseline(path=path if path.is_absolute() else workdir / path)
    event = read_event(environ)
    if not event.is_pull_request or not event.base_ref or not event.repository:
        return _Baseline()  # a push run is the baseline of later pull requests: judged alone
    search = find_baseline(
        environ,
        repo=event.repository,
        base_branch=event.base_ref,
        out_dir=out_dir,
        artifact=inputs.artifact_name,
        token=environ.get(inputs.token_env, ""),
    )
    if search.found is None:
        echo(f"bench: no baseline: {for_terminal(search.reason)}")
        return _Baseline(notes=(f"No baseline: {search.reason}.",))
    found = search.found
    notes = []
    if found.age_days > inputs.baseline_max_age_days:
        notes.append(
            f"The baseline is {found.age_days:.0f} days old (over {inputs.baseline_max_age_days:g}): "
            f"the base branch has had no successful run since; differences may not be this PR's."
        )
    echo(f"bench: baseline: run {found.run_id} on {found.branch} at {found.commit[:12]}")
    return _Baseline(path=found.path, source=describe(found), notes=tuple(notes))


def _render(
    inputs: ActionInputs, base: Path, baseline: _Baseline
) -> tuple[dict[str, Path], dict[str, Any], int]:
    """Write the reports asked for; their paths by format, the run's summary as JSON, and how
    many test x agent entries regressed against the baseline."""
    from report import build_report, write_reports
    from report.compare import with_baseline
    from report.schema import BaselineSource

    try:
        head = build_report(base.with_name("report.json"))
        notes = list(baseline.notes)
        if baseline.path is not None:
            try:
                base_report = build_report(baseline.path)
            except BenchError as exc:
                if baseline.source is None:
                    raise  # a baseline the user named must be readable
                base_report = None
                notes.append(f"No baseline: the base run's report could not be read ({exc}).")
            if base_report is not None:
                head = with_baseline(head, base_report)
                if base_report.plan_hash != head.plan_hash:
                    notes.append(
                        "The baseline was made from a different plan (the suite or bench "
                        "changed): tests whose definition changed are marked not-comparable."
                    )
        if head.baseline is not None:
            head = head.model_copy(
                update={
                    "baseline": head.baseline.model_copy(
                        update={
                            "source": BaselineSource(**baseline.source)
                            if baseline.source
                            else None,
                            "notes": notes,
                        }
                    )
                }
            )
        elif notes:
            head = head.model_copy(update={"warnings": [*head.warnings, *notes]})
        written = write_reports(head, inputs.report_formats, base)
    except (OSError, ValueError) as exc:  # a BenchError is neither: it passes through as it is
        raise InputError(f"cannot render the reports: {exc}") from exc
    # report_formats are canonical and distinct, and write_reports writes one file per format
    # in the order given.
    paths = dict(zip(inputs.report_formats, written, strict=True))
    regressions = head.baseline.verdict_counts.get("regressed", 0) if head.baseline else 0
    return paths, head.summary.model_dump(mode="json"), regressions


def main_environ() -> dict[str, str]:
    """A copy of the process environment (a seam for tests)."""
    return dict(os.environ)
