"""Behaviours of the GitHub Action (issue 5) that its acceptance criteria specify."""

from __future__ import annotations

REQUIREMENTS = {
    "action:comment-create": "issue 5: the first run creates one PR comment carrying the hidden marker",
    "action:comment-update": "issue 5: a later run updates the marked comment (one comment in the end)",
    "action:comment-pagination": "issue 5: the marker is found on a later page of 100+ comments",
    "action:comment-forbidden": "issue 5: 403/404 from a read-only token falls back to the job summary, saying why",
    "action:comment-retry": "issue 5: 5xx and secondary rate limits are retried, honouring Retry-After",
}
REQUIREMENTS.update(
    {
        "action:outputs": "issue 5: outputs passed, failed, errors, pass-rate, criteria-met and report paths via $GITHUB_OUTPUT",
        "action:summary": "issue 5: the Markdown report is written to the job summary ($GITHUB_STEP_SUMMARY)",
        "action:event": "issue 5: a pull_request event gives the PR to comment on; a push event only the summary",
        "action:annotations": "issue 5: compile errors become ::error file=,line=,col= annotations on the diff",
    }
)
REQUIREMENTS["action:fail-on"] = (
    "issue 5: fail-on criteria fails a suite below its success_rate; fail-on never passes it"
)
REQUIREMENTS["action:act"] = (
    "issue 5: the Action runs for real under act (uses: ./) with a pull_request event and a fake GitHub API"
)
REQUIREMENTS["action:actionlint"] = (
    "issue 5: actionlint (with shellcheck) passes on every workflow and on action.yml through uses: ./"
)
REQUIREMENTS["action:env-only"] = (
    "issue 5: every input reaches scripts through env:, never ${{ inputs.* }} inside run:"
)
REQUIREMENTS["action:shards"] = (
    "issue 13: the Action's shards/shard/merge stages: matrix output, shard jobs post nothing, "
    "the merge job comments once and gates"
)
REQUIREMENTS["action:shards-act"] = (
    "issue 13: under act the documented matrix workflow runs compile, a 3-way matrix and merge, one PR comment"
)
REQUIREMENTS["action:html-link"] = (
    "issue 16: the PR comment links the uploaded HTML report (the artifact) where the Action knows it"
)
