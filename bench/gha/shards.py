"""The Action's stages of a sharded workflow: compile, shard, merge (docs/github-action.md).

- **compile** (input ``shards: N``): ``bench compile SUITE -o OUT/plan.json`` and its N slices
  (fewer when the plan has fewer sessions); the plan is uploaded as the artifact
  ``<artifact-name>-plan`` and the ``matrix`` output is ``{"shard": ["1/N", ..., "N/N"]}`` for
  ``strategy.matrix: ${{ fromJSON(...) }}``.
- **shard** (input ``shard: I/N``): ``bench execute PLAN --shard I/N`` into ``OUT/runs``; the run
  directory is uploaded as ``<artifact-name>-shard-I-of-N``. Never a comment.
- **merge** (input ``merge: true``): ``bench merge`` of every downloaded shard run into
  ``OUT/merged``, then ``bench report`` of it; the rest is an ordinary run's (comment, gate).

Each job computes the same slices from the same plan (runtime/shard.py), so the stages share
nothing but the artifacts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from runtime.errors import InputError
from runtime.sanitize import for_terminal

from .annotations import annotation, relocate, workspace_prefix
from .inputs import ActionInputs
from .publish import publish

__all__ = ["compile_stage", "matrix", "merge_stage", "shard_args", "shard_outputs"]

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def matrix(count: int) -> str:
    """The ``matrix`` output: ``{"shard": ["1/N", ..., "N/N"]}`` as compact JSON."""
    return json.dumps({"shard": [f"{i}/{count}" for i in range(1, count + 1)]})


def compile_stage(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    bench_cmd: list[str],
    workdir: Path,
    out_dir: Path,
    env: dict[str, str],
    runner: Runner,
    echo: Callable[[str], None],
    outputs: dict[str, str],
) -> int:
    """Compile the suite for ``inputs.shards`` shard jobs; sets plan, matrix and the upload.

    A session is never split, so a plan with fewer (agent, session) units than ``shards`` gets
    one job per unit (a warning says so): ``shards`` is the most jobs, the matrix says how many.
    """
    from runtime import load_plan
    from runtime.shard import slices

    assert inputs.shards is not None
    plan = out_dir / "plan.json"
    plan.unlink(missing_ok=True)
    cmd = [*bench_cmd, "compile", inputs.suite, "-o", str(plan), "--diagnostics-format", "github"]
    echo(f"bench: {' '.join(cmd[len(bench_cmd) - 1 :])}")
    done = runner(cmd, cwd=workdir, env=env, check=False, capture_output=True, text=True)
    text = f"{done.stdout or ''}\n{done.stderr or ''}"
    prefix = workspace_prefix(workdir, environ.get("GITHUB_WORKSPACE"))
    for line in relocate(text.splitlines(), prefix):
        echo(line)
    shown = [for_terminal(x) for x in text.splitlines() if x.strip() and not x.startswith("::")]
    for line in shown:
        echo(line)
    if done.returncode != 0 or not plan.is_file():
        reason = shown[-1] if shown else f"bench compile exited {done.returncode}"
        message = f"the plan for {inputs.shards} shards was not made: {reason}"
        echo(annotation("error", message, title="bench"))
        return int(done.returncode) or 3
    whole = load_plan(plan)
    count = min(inputs.shards, len(whole.units))
    if count < inputs.shards:
        echo(
            annotation(
                "warning",
                f"the plan has {len(whole.units)} (agent, session) units and a session is never "
                f"split: {count} shard jobs instead of {inputs.shards}",
                title="bench",
            )
        )
    cut = slices(whole, count)
    total = sum(s.estimated_tokens for s in cut) or 1
    rows = [
        f"shard {s.index}/{count}: {len(s.units)} units, {s.cases} cases, "
        f"~{s.estimated_tokens:,} estimated tokens ({s.estimated_tokens / total:.1%})"
        for s in cut
    ]
    for row in rows:
        echo(f"bench: {row}")
    from report.escape import md_block

    body = "\n".join([*(line.removeprefix("bench: ") for line in shown), *rows])
    publish(
        f"## bench: plan compiled for {count} shard jobs\n\n{md_block(body, 20_000)}\n",
        environ,
        comment=False,
        summary_copy=out_dir / "summary.md",
        echo=echo,
    )
    outputs.update(
        {
            "plan": str(plan),
            "matrix": matrix(count),
            "upload-name": inputs.plan_artifact,
            "upload-path": str(plan),
        }
    )
    return 0


def shard_args(inputs: ActionInputs, out_dir: Path) -> list[str]:
    """The flags of a shard job's ``bench execute``: its slice, its run in a fresh OUT/runs/."""
    assert inputs.shard is not None
    runs = out_dir / "runs"
    shutil.rmtree(runs, ignore_errors=True)  # the one run found there is this job's
    return ["--shard", f"{inputs.shard[0]}/{inputs.shard[1]}", "--output-dir", str(out_dir)]


def shard_outputs(inputs: ActionInputs, out_dir: Path) -> dict[str, str]:
    """run-dir and the upload (the run directory, as ``<artifact-name>-shard-I-of-N``)."""
    found = sorted(p.parent for p in (out_dir / "runs").rglob("metadata.json"))
    if len(found) != 1:
        raise InputError(
            f"the shard's run directory was not found in {out_dir / 'runs'} "
            f"({len(found)} runs there); do not give --output-dir in 'args' with 'shard'"
        )
    return {
        "run-dir": str(found[0]),
        "upload-name": inputs.shard_artifact,
        "upload-path": str(found[0]),
    }


def _downloaded(root: Path) -> list[Path]:
    """The shard runs actions/download-artifact put in ``root``: one folder per artifact, or,
    when the pattern matched one artifact only, that artifact's files at ``root`` itself."""
    if (root / "metadata.json").is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def merge_stage(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    bench_cmd: list[str],
    workdir: Path,
    out_dir: Path,
    env: dict[str, str],
    runner: Runner,
    echo: Callable[[str], None],
) -> int:
    """``bench merge`` the downloaded shard runs into OUT/merged and write its JSON report.

    Returns 0 when the merged run is complete, 3 when a shard's run stopped early or failed
    or (``allow-partial``) is missing (the report still says so and is posted), or
    ``bench merge``'s code when it refused (no report: a missing shard, shards of different
    plans, ...): the refusal is then the PR comment, so the pull request says why it has no
    report.
    """
    shards = _downloaded(inputs.shards_dir)
    if not shards:
        raise InputError(
            f"no shard runs were downloaded into {inputs.shards_dir} (artifacts named "
            f"{inputs.artifact_name}-shard-*): did the shard jobs run with the input 'shard' "
            "and the same 'artifact-name'?"
        )
    merged = out_dir / "merged"
    shutil.rmtree(merged, ignore_errors=True)
    cmd = [*bench_cmd, "merge", *map(str, shards), "-o", str(merged)]
    if inputs.allow_partial:
        cmd.append("--allow-partial")
    echo(f"bench: merge {len(shards)} shard runs: {', '.join(p.name for p in shards)}")
    done = runner(cmd, cwd=workdir, env=env, check=False, capture_output=True, text=True)
    said = [for_terminal(x) for x in f"{done.stdout or ''}\n{done.stderr or ''}".splitlines()]
    said = [x for x in said if x.strip()]
    for line in said:
        echo(line)
    if done.returncode != 0:
        _refused(inputs, environ, shards, said, int(done.returncode), out_dir, echo)
        return int(done.returncode)
    report = [*bench_cmd, "report", str(merged), "-f", "json", "-o", str(out_dir / "report"), "-q"]
    rendered = runner(report, cwd=workdir, env=env, check=False)
    if rendered.returncode != 0:
        return int(rendered.returncode)
    status = json.loads((merged / "metadata.json").read_text(encoding="utf-8")).get("status")
    return 0 if status == "completed" else 3


def _refused(
    inputs: ActionInputs,
    environ: Mapping[str, str],
    shards: list[Path],
    said: list[str],
    code: int,
    out_dir: Path,
    echo: Callable[[str], None],
) -> None:
    """The merge job's comment and job summary when ``bench merge`` refused the shard runs."""
    from report.escape import md_block

    reason = said[-1].removeprefix("bench: error: ") if said else f"bench merge exited {code}"
    echo(annotation("error", f"the shard runs were not merged: {reason}", title="bench"))
    names = "\n".join(p.name for p in shards)
    hint = (
        ""
        if inputs.allow_partial
        else "\n\nA missing shard's job log says why it has no run (it failed before uploading, "
        "or was cancelled). To report the shards that ran, give the merge step "
        "`allow-partial: true`: the report then names the missing shards and the step still "
        "fails."
    )
    publish(
        "## bench: the shard runs could not be merged\n\n"
        f"{md_block(reason, 4_000)}\n\nShard runs downloaded:\n\n{md_block(names, 4_000)}"
        f"{hint}\n",
        environ,
        comment=inputs.comment,
        mode=inputs.comment_mode,
        token_env=inputs.token_env,
        summary_copy=out_dir / "summary.md",
        echo=echo,
    )
