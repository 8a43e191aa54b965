"""``bench github``: the GitHub Action's steps as commands, usable in any workflow.

- ``bench github run``: the Action's main step (reads ``INPUT_*``; see bench/gha/run.py);
  with ``--no-publish`` it leaves the comment and job summary to ``bench github publish``.
- ``bench github publish``: the Action's step after the upload: the PR comment (linking the
  uploaded artifact, ``BENCH_ARTIFACT_ID``) and the job summary of ``BENCH_REPORT_MD``.
- ``bench github comment --report report.json``: post or update the PR comment, and write the
  job summary (with the reason when no comment could be posted).
- ``bench github outputs --report report.json``: write the step outputs to $GITHUB_OUTPUT.
- ``bench github extras``: the optional extras (bedrock, azure) the Action's suite or plan needs,
  space-separated, so the install step adds just those from the lock.
"""

from __future__ import annotations

import argparse
from typing import Any

NAME = "github"
HELP = "GitHub Actions helpers: run the Action step, post the PR comment, write outputs"
ORDER = 80


def register(subparsers: Any) -> None:
    """Add ``bench github`` and its subcommands."""
    parser = subparsers.add_parser(NAME, help=HELP, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="github_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda _args: (parser.print_help(), 2)[1])

    run = sub.add_parser(
        "run",
        help="the Action's main step: execute a suite and publish it (inputs from INPUT_* variables)",
    )
    run.add_argument(
        "--no-publish",
        action="store_true",
        help="write no comment or job summary (bench github publish does, after the upload)",
    )
    run.set_defaults(handler=_run, workflow_commands=True)  # annotations, ::error

    pub = sub.add_parser(
        "publish",
        help="the Action's comment and job summary of $BENCH_REPORT_MD, linking $BENCH_ARTIFACT_ID",
    )
    pub.set_defaults(handler=_publish, workflow_commands=True)  # ::warning on a 403

    comment = sub.add_parser(
        "comment",
        help="post or update the PR comment for a JSON report, and write the job summary",
    )
    comment.add_argument("--report", required=True, help="a bench JSON report (report.json)")
    comment.add_argument(
        "--markdown", help="post this Markdown file instead of rendering it from the report"
    )
    comment.add_argument(
        "--mode",
        choices=("update", "new", "off"),
        default="update",
        help="update the marked comment (default), always add a new one, or post none",
    )
    comment.add_argument(
        "--token-env",
        default="GITHUB_TOKEN",
        metavar="NAME",
        help="environment variable holding the token (default GITHUB_TOKEN)",
    )
    comment.set_defaults(handler=_comment, workflow_commands=True)  # ::warning on a 403

    outputs = sub.add_parser("outputs", help="write the step outputs of a JSON report")
    outputs.add_argument("--report", required=True, help="a bench JSON report (report.json)")
    outputs.add_argument("--comment-url", default="", help="value of the comment-url output")
    outputs.set_defaults(handler=_outputs)

    extras = sub.add_parser(
        "extras",
        help="print the optional extras the suite or plan needs (inputs from INPUT_* variables)",
    )
    extras.set_defaults(handler=_extras)


def _run(args: argparse.Namespace) -> int:
    import os

    from bench.gha.inputs import ActionInputs
    from bench.gha.run import run_action

    inputs = ActionInputs.from_env(os.environ)
    return run_action(inputs, dict(os.environ), publish_now=not args.no_publish).exit_code


def _publish(_args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.gha.inputs import ActionInputs
    from bench.gha.outputs import write_outputs
    from bench.gha.run import publish_step

    report_md = os.environ.get("BENCH_REPORT_MD", "")
    if not report_md:
        return 0  # no report (an invalid suite, a compile stage): the run step said why
    outcome = publish_step(
        ActionInputs.from_env(os.environ),
        dict(os.environ),
        Path(report_md),
        artifact_id=os.environ.get("BENCH_ARTIFACT_ID", "").strip(),
    )
    write_outputs({"comment-url": outcome.url}, os.environ.get("GITHUB_OUTPUT") or None)
    return 0


def _comment(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.gha.digest import load_digest
    from bench.gha.publish import publish

    load_digest(args.report)  # a clear error for a file that is not a bench report
    if args.markdown:
        markdown = Path(args.markdown).read_text(encoding="utf-8")
    else:
        from report import build_report, render

        markdown = render(build_report(args.report), "md")
    published = publish(
        markdown, dict(os.environ), comment=None, mode=args.mode, token_env=args.token_env
    )
    outcome = published.comment
    if outcome.action not in ("created", "updated"):  # publish() already printed the URL
        from runtime.sanitize import for_terminal

        print(f"bench: no PR comment: {for_terminal(outcome.reason)}")  # may quote GitHub's API
    return 0


def _outputs(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.gha.digest import load_digest
    from bench.gha.outputs import write_outputs
    from report.formats import EXTENSIONS

    path = Path(args.report).resolve()
    values = load_digest(path).outputs()
    stem = path.name.removesuffix(".json")
    for fmt, ext in EXTENSIONS.items():
        sibling = path.with_name(stem + ext)
        values[f"report-{fmt}"] = str(sibling) if sibling.is_file() else ""
    values["comment-url"] = args.comment_url
    text = write_outputs(values, os.environ.get("GITHUB_OUTPUT") or None)
    if not os.environ.get("GITHUB_OUTPUT"):
        print(text, end="")
    return 0


def _extras(_args: argparse.Namespace) -> int:
    import os

    from bench.gha.extras import extras_for_inputs
    from bench.gha.inputs import ActionInputs

    print(" ".join(extras_for_inputs(ActionInputs.from_env(os.environ))))
    return 0
