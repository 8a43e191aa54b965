"""The Action's inputs, read from the ``INPUT_*`` variables that action.yml sets through ``env:``.

action.yml never writes ``${{ inputs.* }}`` inside a ``run:`` script (a crafted input would
become shell code); it maps each input to an environment variable and this module reads and
validates them, so every rule about inputs lives in tested Python.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from report.formats import FORMATS, normalise_formats
from runtime.errors import InputError

__all__ = ["FAIL_ON", "FORMATS", "PLAN_DOWNLOAD", "SHARDS_DOWNLOAD", "ActionInputs", "Mode"]

Mode = Literal["run", "compile", "shard", "merge"]
PLAN_DOWNLOAD = "bench-plan"
"""Folder of $RUNNER_TEMP the Action downloads the compile job's plan artifact into (shard)."""
SHARDS_DOWNLOAD = "bench-shards"
"""Folder of $RUNNER_TEMP the Action downloads the shard jobs' run artifacts into (merge)."""

FAIL_ON = ("criteria", "any-failure", "regression", "never")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class ActionInputs:
    """Validated inputs of one Action run (see action.yml for each one's meaning)."""

    suite: str = ""
    plan: str = ""
    args: list[str] = field(default_factory=list)
    working_directory: str = "."
    comment: bool | None = None
    """True/False as given; None (empty input) means: comment on pull_request events."""
    comment_mode: Literal["update", "new", "off"] = "update"
    baseline: str = "auto"
    """``auto`` (the base branch's newest report, on pull requests), ``none``, or a path."""
    baseline_max_age_days: float = 14.0
    """A fetched baseline older than this is used, with a warning in the comment."""
    artifact_name: str = "bench-report"
    """The artifact the Action uploads report.json as, and looks for on the base branch."""
    fail_on: Literal["criteria", "any-failure", "regression", "never"] = "criteria"
    report_formats: list[str] = field(default_factory=lambda: list(FORMATS))
    output_dir: str = ""
    replay: str = ""
    """A cassette directory to answer from (``bench execute --replay``): no provider call, no
    key needed (pull requests from forks)."""
    record: str = ""
    """A cassette directory to record into (``bench execute --record``)."""
    token_env: str = "GITHUB_TOKEN"
    """Name of the variable holding the token (its value is never stored here)."""
    shards: int | None = None
    """Compile stage of a sharded workflow: compile the suite for this many shard jobs, upload
    the plan, output the matrix; nothing runs."""
    shard: tuple[int, int] | None = None
    """Execute stage: run slice I of N of the plan; upload the run; never comment."""
    merge: bool = False
    """Merge stage: merge the shard jobs' runs, then report, comment and gate as a whole run."""
    allow_partial: bool = False
    """Merge stage: merge the shard runs there are even when some are missing (the report says
    which); without it a missing shard refuses the merge."""
    runner_temp: str = ""
    """$RUNNER_TEMP, where the Action downloads the plan (shard) and the shard runs (merge)."""

    @property
    def mode(self) -> Mode:
        """Which stage this use of the Action is: a whole run, or a stage of a sharded one."""
        if self.shards is not None:
            return "compile"
        if self.shard is not None:
            return "shard"
        return "merge" if self.merge else "run"

    @property
    def target(self) -> str:
        """The suite or plan to execute (for a shard without ``plan``: the downloaded plan)."""
        if self.shard is not None and not self.plan and self.runner_temp:
            return str(Path(self.runner_temp) / PLAN_DOWNLOAD / "plan.json")
        return self.plan or self.suite

    @property
    def shards_dir(self) -> Path:
        """Where the merge stage finds the downloaded shard runs (one folder per artifact)."""
        return Path(self.runner_temp) / SHARDS_DOWNLOAD

    @property
    def shard_artifact(self) -> str:
        """The artifact a shard job uploads its run as: ``<artifact-name>-shard-I-of-N``."""
        assert self.shard is not None
        return f"{self.artifact_name}-shard-{self.shard[0]}-of-{self.shard[1]}"

    @property
    def plan_artifact(self) -> str:
        """The artifact the compile job uploads the plan as: ``<artifact-name>-plan``."""
        return f"{self.artifact_name}-plan"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Read and validate ``INPUT_*``; every problem is an InputError naming the input."""

        def get(name: str) -> str:
            return environ.get(f"INPUT_{name}", "").strip()

        suite, plan = get("SUITE"), get("PLAN")
        shards, shard = _shards(get("SHARDS")), _shard(get("SHARD"))
        merge = _flag(get("MERGE"), "merge") or False
        _check_stage(suite, plan, shards, shard, merge)
        allow_partial = _flag(get("ALLOW_PARTIAL"), "allow-partial") or False
        if allow_partial and not merge:
            raise InputError(
                "input 'allow-partial' is for the merge stage: give it with 'merge: true'"
            )
        runner_temp = environ.get("RUNNER_TEMP", "")
        if (merge or (shard and not plan)) and not runner_temp:
            raise InputError(
                "the inputs 'merge' and 'shard' (without 'plan') download artifacts into "
                "$RUNNER_TEMP, which is not set: run them in a GitHub Actions job"
            )
        try:
            args = shlex.split(get("ARGS"))
        except ValueError as exc:
            raise InputError(f"input 'args' is not valid shell words: {exc}") from exc
        replay, record = get("REPLAY"), get("RECORD")
        if replay and record:
            raise InputError("give at most one of the inputs 'replay' and 'record'")
        return cls(
            suite=suite,
            plan=plan,
            args=args,
            working_directory=get("WORKING_DIRECTORY") or ".",
            comment=_flag(get("COMMENT"), "comment"),
            comment_mode=_choice(
                get("COMMENT_MODE") or "update", ("update", "new", "off"), "comment-mode"
            ),  # type: ignore[arg-type]
            baseline=get("BASELINE") or "auto",
            baseline_max_age_days=_days(get("BASELINE_MAX_AGE_DAYS")),
            artifact_name=get("ARTIFACT_NAME") or "bench-report",
            fail_on=_choice(get("FAIL_ON") or "criteria", FAIL_ON, "fail-on"),  # type: ignore[arg-type]
            report_formats=_formats(get("REPORT_FORMATS")),
            output_dir=get("OUTPUT_DIR"),
            replay=replay,
            record=record,
            shards=shards,
            shard=shard,
            merge=merge,
            allow_partial=allow_partial,
            runner_temp=runner_temp,
        )


def _check_stage(
    suite: str, plan: str, shards: int | None, shard: tuple[int, int] | None, merge: bool
) -> None:
    """One stage at a time, each with the target it needs (docs/github-action.md, Sharding)."""
    stages = [n for n, on in (("shards", shards), ("shard", shard), ("merge", merge)) if on]
    if len(stages) > 1:
        raise InputError(
            f"give at most one of the inputs 'shards', 'shard' and 'merge', not {' and '.join(stages)}"
        )
    if merge:
        if suite or plan:
            raise InputError(
                "input 'merge' merges the shard jobs' runs (their artifacts): give no 'suite' or 'plan'"
            )
        return
    if shard:
        if suite:
            raise InputError(
                "input 'shard' runs a slice of the compile job's plan: give 'plan' (or nothing, "
                "to use the plan the compile job uploaded), not 'suite' (suites compiled in each "
                "job could differ, and their shards would not merge)"
            )
        return
    if shards and not suite:
        raise InputError("input 'shards' compiles a suite for the shard jobs: give 'suite'")
    if bool(suite) == bool(plan):
        raise InputError("give exactly one of the inputs 'suite' and 'plan'")


def _shards(value: str) -> int | None:
    if not value:
        return None
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise InputError(
            f"input 'shards' must be a number of shard jobs (1 or more), not {value!r}"
        )
    return count


def _shard(value: str) -> tuple[int, int] | None:
    if not value:
        return None
    from runtime.shard import parse_shard

    try:
        return parse_shard(value)
    except InputError:
        raise InputError(
            f"input 'shard' must be I/N (the I-th of N slices, e.g. 2/4), not {value!r}"
        ) from None


def _flag(value: str, name: str) -> bool | None:
    low = value.lower()
    if not low:
        return None
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise InputError(f"input '{name}' must be true or false, not {value!r}")


def _days(value: str) -> float:
    if not value:
        return 14.0
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if days < 0:
        raise InputError(f"input 'baseline-max-age-days' must be a number of days, not {value!r}")
    return days


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise InputError(f"input '{name}' must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _formats(value: str) -> list[str]:
    """The formats to write: report.formats' parsing, with JSON and Markdown always added."""
    try:
        names = normalise_formats(value) if value.strip() else list(FORMATS)
    except InputError as exc:
        raise InputError(f"input 'report-formats': {exc}") from None
    # JSON and Markdown are always written: outputs read the JSON, the summary and comment are the Markdown.
    wanted = set(names) | {"json", "md"}
    return [f for f in FORMATS if f in wanted]
