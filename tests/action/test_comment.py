"""bench.gha.comment against the fake GitHub API on loopback: every branch of find-or-update."""

from __future__ import annotations

import pytest

from bench.gha.comment import (
    COMMENT_LIMIT,
    MARKER,
    CommentClient,
    GitHubAPIError,
    fit_comment,
    publish_comment,
)
from runtime.errors import InputError
from tests.action.fake_github import (
    HIDDEN_TOKEN,
    READ_TOKEN,
    WRITE_TOKEN,
    FakeGitHub,
    Scripted,
)

REPO = "octo/widgets"
PR = 7
BODY = f"{MARKER}\n## bench: 3/4 passed\n"


def _client(fake: FakeGitHub, token: str = WRITE_TOKEN, **kw: object) -> CommentClient:
    waits: list[float] = []
    client = CommentClient(fake.url, token, sleep=waits.append, **kw)  # type: ignore[arg-type]
    client.waits = waits  # type: ignore[attr-defined]
    return client


@pytest.mark.requirement("action:comment-create")
def test_first_run_creates_the_comment(github_api: FakeGitHub) -> None:
    github_api.seed(REPO, PR, ["LGTM", "please rebase"])
    with _client(github_api) as client:
        outcome = publish_comment(client, REPO, PR, BODY)
    assert outcome.action == "created"
    assert outcome.url.endswith(
        f"/pull/{PR}#issuecomment-{github_api.comments[(REPO, PR)][-1]['id']}"
    )
    assert github_api.bodies(REPO, PR) == ["LGTM", "please rebase", BODY]
    assert [r.authorization for r in github_api.requests] == [f"Bearer {WRITE_TOKEN}"] * 2


@pytest.mark.requirement("action:comment-update")
def test_second_run_updates_the_same_comment(github_api: FakeGitHub) -> None:
    with _client(github_api) as client:
        first = publish_comment(client, REPO, PR, BODY)
        second = publish_comment(client, REPO, PR, BODY.replace("3/4", "4/4"))
    assert (first.action, second.action) == ("created", "updated")
    assert first.url == second.url
    assert github_api.bodies(REPO, PR) == [BODY.replace("3/4", "4/4")]
    assert [r.method for r in github_api.writes()] == ["POST", "PATCH"]


@pytest.mark.requirement("action:comment-pagination")
def test_marker_on_a_later_page_is_found(github_api: FakeGitHub) -> None:
    github_api.seed(REPO, PR, [f"chatter {i}" for i in range(150)])
    github_api.seed(REPO, PR, [f"{MARKER}\nold report"])
    github_api.seed(REPO, PR, [f"chatter {i}" for i in range(60)])
    with _client(github_api) as client:
        outcome = publish_comment(client, REPO, PR, BODY)
    assert outcome.action == "updated"
    bodies = github_api.bodies(REPO, PR)
    assert len(bodies) == 211 and bodies[150] == BODY
    pages = [r.query for r in github_api.requests if r.method == "GET"]
    assert pages == ["per_page=100", "per_page=100&page=2"]


def test_listing_stops_at_the_last_page(github_api: FakeGitHub) -> None:
    github_api.seed(REPO, PR, [f"chatter {i}" for i in range(250)])
    with _client(github_api) as client:
        assert len(list(client.iter_comments(REPO, PR))) == 250
        assert client.find(REPO, PR) is None
    assert [r.query for r in github_api.requests][-1] == "per_page=100&page=3"


def test_new_mode_always_adds_a_comment(github_api: FakeGitHub) -> None:
    with _client(github_api) as client:
        publish_comment(client, REPO, PR, BODY, mode="new")
        outcome = publish_comment(client, REPO, PR, BODY, mode="new")
    assert outcome.action == "created"
    assert github_api.bodies(REPO, PR) == [BODY, BODY]
    assert all(r.method == "POST" for r in github_api.requests)


def test_off_mode_sends_nothing(github_api: FakeGitHub) -> None:
    with _client(github_api) as client:
        outcome = publish_comment(client, REPO, PR, BODY, mode="off")
    assert outcome.action == "skipped" and "off" in outcome.reason
    assert github_api.requests == []


def test_unknown_mode_is_an_input_error(github_api: FakeGitHub) -> None:
    with _client(github_api) as client, pytest.raises(InputError, match="update, new or off"):
        publish_comment(client, REPO, PR, BODY, mode="sometimes")  # type: ignore[arg-type]


@pytest.mark.requirement("action:comment-forbidden")
@pytest.mark.parametrize(
    ("token", "status", "words"),
    [
        (READ_TOKEN, 403, "read-only token"),
        (HIDDEN_TOKEN, 404, "not visible to the token"),
        ("ghs_not_a_token", 401, "token was rejected"),
    ],
)
def test_no_write_access_is_unavailable_with_a_reason(
    github_api: FakeGitHub, token: str, status: int, words: str
) -> None:
    github_api.seed(REPO, PR, ["hello"])
    with _client(github_api, token) as client:
        outcome = publish_comment(client, REPO, PR, BODY)
    assert outcome.action == "unavailable"
    assert str(status) in outcome.reason and words in outcome.reason
    assert token not in outcome.reason
    assert github_api.bodies(REPO, PR) == ["hello"]
    assert client.waits == []  # type: ignore[attr-defined]


def test_read_token_fails_on_the_write_not_the_listing(github_api: FakeGitHub) -> None:
    with _client(github_api, READ_TOKEN) as client:
        outcome = publish_comment(client, REPO, PR, BODY)
    assert outcome.action == "unavailable"
    assert [r.method for r in github_api.requests] == ["GET", "POST"]
    assert "Resource not accessible by integration" in outcome.reason


@pytest.mark.requirement("action:comment-retry")
def test_server_errors_are_retried_with_backoff(github_api: FakeGitHub) -> None:
    github_api.script += [Scripted(502, method="GET"), Scripted(503, method="GET")]
    with _client(github_api, backoff=0.5) as client:
        outcome = publish_comment(client, REPO, PR, BODY)
    assert outcome.action == "created"
    assert client.waits == [0.5, 1.0]  # type: ignore[attr-defined]
    assert [r.method for r in github_api.requests] == ["GET", "GET", "GET", "POST"]


@pytest.mark.requirement("action:comment-retry")
def test_secondary_rate_limit_waits_for_retry_after(github_api: FakeGitHub) -> None:
    limited = Scripted(
        403,
        headers={"Retry-After": "7"},
        body={"message": "You have exceeded a secondary rate limit."},
        method="POST",
    )
    github_api.script.append(limited)
    with _client(github_api) as client:
        outcome = publish_comment(client, REPO, PR, BODY)
    assert outcome.action == "created"
    assert client.waits == [7.0]  # type: ignore[attr-defined]
    assert github_api.bodies(REPO, PR) == [BODY]


def test_secondary_rate_limit_without_header_waits_a_minute(github_api: FakeGitHub) -> None:
    github_api.script.append(
        Scripted(403, body={"message": "You have exceeded a secondary rate limit"}, method="GET")
    )
    with _client(github_api) as client:
        assert publish_comment(client, REPO, PR, BODY).action == "created"
    assert client.waits == [60.0]  # type: ignore[attr-defined]


def test_primary_rate_limit_waits_until_reset(github_api: FakeGitHub) -> None:
    import time

    reset = str(int(time.time()) + 30)
    github_api.script.append(
        Scripted(429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
    )
    with _client(github_api) as client:
        assert publish_comment(client, REPO, PR, BODY).action == "created"
    (wait,) = client.waits  # type: ignore[attr-defined]
    assert 0 < wait <= 31


def test_too_long_a_wait_gives_up(github_api: FakeGitHub) -> None:
    github_api.script.append(Scripted(429, headers={"Retry-After": "3600"}))
    with _client(github_api) as client, pytest.raises(GitHubAPIError, match="3600s"):
        publish_comment(client, REPO, PR, BODY)
    assert client.waits == []  # type: ignore[attr-defined]


def test_persistent_server_errors_raise_after_the_attempts(github_api: FakeGitHub) -> None:
    github_api.script += [Scripted(500) for _ in range(3)]
    with _client(github_api, max_attempts=3) as client:
        with pytest.raises(GitHubAPIError, match="after 3 attempts") as info:
            publish_comment(client, REPO, PR, BODY)
    assert WRITE_TOKEN not in str(info.value)
    assert len(client.waits) == 2  # type: ignore[attr-defined]


def test_unexpected_status_is_an_api_error(github_api: FakeGitHub) -> None:
    github_api.script.append(Scripted(422, body={"message": "Validation Failed"}, method="POST"))
    with _client(github_api) as client, pytest.raises(GitHubAPIError, match="422.*Validation"):
        publish_comment(client, REPO, PR, BODY)


def test_transport_errors_are_retried_then_raised() -> None:
    waits: list[float] = []
    # A closed port on loopback: every connection is refused.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with CommentClient(
        f"http://127.0.0.1:{port}", WRITE_TOKEN, max_attempts=2, sleep=waits.append
    ) as client:
        with pytest.raises(GitHubAPIError, match="ConnectError"):
            publish_comment(client, REPO, PR, BODY)
    assert waits == [1.0]


def test_next_page_on_another_host_is_not_followed(github_api: FakeGitHub) -> None:
    github_api.seed(REPO, PR, [f"c{i}" for i in range(120)])
    github_api.next_link_host = "http://127.0.0.2:1"
    with _client(github_api) as client, pytest.raises(GitHubAPIError, match="another host"):
        publish_comment(client, REPO, PR, BODY)
    assert len(github_api.requests) == 1


def test_body_without_marker_gets_one(github_api: FakeGitHub) -> None:
    with _client(github_api) as client:
        publish_comment(client, REPO, PR, "## plain report\n")
        outcome = publish_comment(client, REPO, PR, "## second\n")
    assert outcome.action == "updated"
    assert github_api.bodies(REPO, PR) == [f"{MARKER}\n## second\n"]


def test_oversized_body_is_cut_to_the_limit(github_api: FakeGitHub) -> None:
    big = MARKER + "\n" + "| row | with text |\n" * 10_000
    with _client(github_api) as client:
        publish_comment(client, REPO, PR, big)
    (body,) = github_api.bodies(REPO, PR)
    assert len(body) <= COMMENT_LIMIT
    assert body.startswith(MARKER) and "cut to fit" in body
    assert fit_comment("short") == "short"


def test_token_is_not_in_the_repr() -> None:
    client = CommentClient("http://127.0.0.1:1", WRITE_TOKEN)
    assert WRITE_TOKEN not in repr(client)
