"""The viewer app through Starlette's TestClient: pages, read-only, and path tricks refused."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bench.view.app import create_app
from report import build_report, render
from tests.view.conftest import BASE_ID, HEAD_ID

EVIL_ID = "20261102-120000-10_adversarial"


def _client(root: Path, **kwargs: object) -> TestClient:
    return TestClient(create_app(root, **kwargs), base_url="http://127.0.0.1:8765")  # type: ignore[arg-type]


def test_list_shows_every_run_newest_first_with_its_figures(store: Path) -> None:
    r = _client(store).get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    rows = re.findall(r'<tr data-run="([^"]+)"', r.text)
    assert rows == [HEAD_ID, BASE_ID, EVIL_ID]  # same start time: by name
    assert 'href="/runs/20261103-090000-head"' in r.text
    assert "9/9 passed" not in r.text and "7/9 passed, 1 failed" in r.text  # head: 8 results
    assert "04_multi_agent_multi_test" in r.text
    # one trend per suite, one mark per run of it
    assert r.text.count('class="suite-trend"') == 2
    assert 'data-marks="2"' in r.text and 'data-marks="1"' in r.text
    # the adversarial run's hostile names are escaped, and the page runs no script
    assert "<script" not in r.text.lower()


def test_run_page_is_the_html_report(store: Path) -> None:
    r = _client(store).get(f"/runs/{BASE_ID}")
    assert r.status_code == 200
    expected = render(build_report(store / BASE_ID), "html")
    strip = re.compile(r"generated \S+")  # the report stamps its generation time
    assert strip.sub("", r.text) == strip.sub("", expected)
    # the header CSP is the report's own (its one inline script allowed by hash), no framing
    csp = r.headers["content-security-policy"]
    assert "script-src 'sha256-" in csp and "default-src 'none'" in csp
    assert csp.endswith("frame-ancestors 'none'")


def test_compare_page_by_query_and_through_the_list_form(store: Path) -> None:
    c = _client(store)
    r = c.get("/compare", params={"base": BASE_ID, "head": HEAD_ID})
    assert r.status_code == 200
    assert "newly-failing" in r.text and "newly-passing" in r.text
    assert r.text.count('class="pair ') == 3
    assert "script-src" not in r.headers["content-security-policy"]
    # the list's form names the fields /compare reads
    page = c.get("/").text
    assert 'action="/compare"' in page and 'name="base"' in page and 'name="head"' in page
    assert c.get("/compare", params={"base": BASE_ID}).status_code == 400


def test_a_changed_run_is_seen_without_a_restart(store: Path) -> None:
    c = _client(store)
    assert c.get(f"/runs/{HEAD_ID}").status_code == 200
    shutil.rmtree(store / HEAD_ID)
    assert c.get(f"/runs/{HEAD_ID}").status_code == 404
    assert HEAD_ID not in c.get("/").text


@pytest.mark.parametrize(
    "url",
    [
        "/runs/..%2f..%2fetc%2fpasswd",
        "/runs/..%2F" + BASE_ID,
        "/runs/%2e%2e",
        "/runs/%2Fetc%2Fpasswd",
        "/runs//etc/passwd",
        "//etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        f"/runs/{BASE_ID}%2fmetadata.json",
        f"/runs/{BASE_ID}/metadata.json",
        f"/runs/{BASE_ID[:10]}",  # a prefix: the CLI resolves it, URLs name runs exactly
        "/runs/%00",
        "/compare?base=..&head=" + BASE_ID,
        "/compare?base=/etc/passwd&head=" + BASE_ID,
        "/compare?base=" + BASE_ID + "&head=..%2f..%2fetc",
        "/runs.html",
    ],
)
def test_path_tricks_are_404_and_never_a_file(store: Path, url: str) -> None:
    r = _client(store).get(url)
    assert r.status_code == 404, url
    assert "root:" not in r.text and '"plan_hash"' not in r.text


def test_symlinks_out_of_the_store_are_not_runs(store: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(store / BASE_ID, outside / "secret-run")
    (outside / "secret-run" / "metadata.json").write_text(
        (store / BASE_ID / "metadata.json").read_text().replace(BASE_ID, "secret-run")
    )
    os.symlink(outside / "secret-run", store / "secret-run")
    # a run whose results file points outside the store
    shutil.copytree(store / BASE_ID, store / "leaky")
    (store / "leaky" / "results.jsonl").unlink()
    os.symlink(outside / "secret-run" / "results.jsonl", store / "leaky" / "results.jsonl")
    # a link inside the store to a run of it is fine
    os.symlink(store / BASE_ID, store / "latest")
    c = _client(store)
    assert c.get("/runs/secret-run").status_code == 404
    assert c.get("/runs/leaky").status_code == 404
    assert c.get("/compare", params={"base": "secret-run", "head": BASE_ID}).status_code == 404
    listing = c.get("/").text
    assert "secret-run" not in listing and "leaky" not in listing
    assert c.get("/runs/latest").status_code == 200


def test_read_only_get_and_head_only(store: Path) -> None:
    c = _client(store)
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = c.request(method, f"/runs/{BASE_ID}")
        assert r.status_code == 405, method
        assert r.headers["allow"] == "GET, HEAD"
    head = c.head(f"/runs/{BASE_ID}")
    assert head.status_code == 200 and head.content == b""
    assert sorted(p.name for p in (store / BASE_ID).iterdir()) == [
        "metadata.json",
        "plan.json",
        "results.jsonl",
    ]


def test_other_host_names_are_refused_unless_allowed(store: Path) -> None:
    # A page on another site cannot read the store by rebinding its name to 127.0.0.1.
    c = _client(store)
    assert c.get("/", headers={"host": "evil.example:8765"}).status_code == 400
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"):
        assert c.get("/", headers={"host": host}).status_code == 200, host
    anyone = _client(store, allowed_hosts=None)
    assert anyone.get("/", headers={"host": "box.lan:8765"}).status_code == 200


def test_every_answer_carries_the_safety_headers(store: Path) -> None:
    c = _client(store)
    for url in ("/", f"/runs/{BASE_ID}", "/nope", f"/compare?base={BASE_ID}&head={HEAD_ID}"):
        h = c.get(url).headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["x-frame-options"] == "DENY"
        assert "default-src 'none'" in h["content-security-policy"]


def test_the_list_reads_metadata_only(store: Path) -> None:
    # Finished runs are listed from metadata.json: a results.jsonl that cannot be parsed
    # is not even read (a large store lists fast); opening that run says what is wrong.
    (store / BASE_ID / "results.jsonl").write_text("not json\nnot json either\n")
    c = _client(store)
    r = c.get("/")
    assert r.status_code == 200 and BASE_ID in r.text
    page = c.get(f"/runs/{BASE_ID}")
    assert page.status_code in (200, 500)
    assert "Traceback" not in page.text


def test_unreadable_metadata_is_listed_not_linked(store: Path) -> None:
    (store / "broken").mkdir()
    (store / "broken" / "metadata.json").write_text("{<script>")
    c = _client(store)
    page = c.get("/").text
    assert 'data-run="broken"' in page and 'href="/runs/broken"' not in page
    r = c.get("/runs/broken")
    assert r.status_code == 500 and "<script>" not in r.text


def test_a_run_still_going_is_counted_from_its_results(store: Path) -> None:
    # metadata.json gets its totals when a run ends: a running (or killed) run is counted
    # from results.jsonl, as bench runs counts it
    meta_path = store / HEAD_ID / "metadata.json"
    text = meta_path.read_text()
    meta = json.loads(text)
    meta.update(status="running", ended_at=None, totals={})
    meta_path.write_text(json.dumps(meta))
    page = _client(store).get("/").text
    row = page[page.index(f'<tr data-run="{HEAD_ID}"') :]
    row = row[: row.index("</tr>")]
    assert "running" in row and "7/9 passed, 1 failed" in row
    assert "87.5%" in row  # 7 of the 8 cases with a result
