"""Incremental runs: a page's key changes exactly when something it depends on does, and
`make test-docs` reuses an unchanged page's pass instead of running it again.

The key tests need no engine; the runs go through the harness for real, twice.
"""
from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import pytest
from pagerun import ROOT, run_pages

sys.path.insert(0, str(ROOT))

from harness import cache
from site_hooks import results

IMAGES = cache.Images("sha256:sandbox1", "seed-aaaa.tar")
PAGE = """# A page

<!-- test-page: files=data.csv -->

```console
$ cat data.csv
a,b
```

```python
--8<-- "hello.py"
```
"""


@pytest.fixture
def page(tmp_path: Path) -> tuple[Path, Path]:
    folder, snippets = tmp_path / "docs", tmp_path / "snippets"
    folder.mkdir()
    snippets.mkdir()
    (folder / "data.csv").write_text("a,b\n")
    (snippets / "hello.py").write_text("print('hello')\n")
    (folder / "x.md").write_text(PAGE)
    return folder / "x.md", snippets


def key(page: Path, snippets: Path, images: cache.Images = IMAGES, harness: str = "h1") -> str | None:
    return cache.page_facts(page, "docs/x.md", [snippets], images, harness).key


def test_the_key_is_stable_while_nothing_changes(page):
    path, snippets = page
    first = key(path, snippets)
    assert first is not None
    path.touch()  # a new mtime is no change
    assert key(path, snippets) == first


@pytest.mark.parametrize("change", ["page", "snippet", "data file", "sandbox image", "base images", "harness"])
def test_the_key_changes_with_each_input(page, change):
    path, snippets = page
    before = key(path, snippets)
    images, harness = IMAGES, "h1"
    if change == "page":
        path.write_text(PAGE + "\nOne more sentence.\n")
    elif change == "snippet":
        (snippets / "hello.py").write_text("print('hello, world')\n")
    elif change == "data file":
        (path.parent / "data.csv").write_text("a,c\n")
    elif change == "sandbox image":
        images = cache.Images("sha256:sandbox2", IMAGES.seed)
    elif change == "base images":
        images = cache.Images(IMAGES.sandbox, "seed-bbbb.tar")
    else:
        harness = "h2"
    assert key(path, snippets, images, harness) != before


def test_the_harness_version_covers_its_python_and_in_container_helpers(tmp_path):
    (tmp_path / "incontainer").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "incontainer" / "helper.py").write_text("y = 1\n")
    first = cache.harness_version(tmp_path)
    (tmp_path / "incontainer" / "helper.py").write_text("y = 2\n")
    second = cache.harness_version(tmp_path)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert len({first, second, cache.harness_version(tmp_path)}) == 3


def test_a_page_that_cannot_be_planned_has_no_key(tmp_path):
    (tmp_path / "x.md").write_text("```console\n$ echo never closed\n")
    assert key(tmp_path / "x.md", tmp_path) is None


def record(status="passed", reason="", kind="console", line=3):
    return {"page": "docs/x.md", "line": line, "kind": kind, "status": status, "reason": reason}


END = {"page": "docs/x.md", "line": 0, "kind": "page", "status": "passed", "reason": ""}


@pytest.mark.parametrize(("records", "reused"), [
    ([record(), record(line=9), END], True),
    ([record(), record("skipped", "gpu-unavailable", line=9), END], True),  # a GPU skip, and no GPU now
    ([record(), record("skipped", "skip-option", line=9), END], False),
    ([record(), record("failed", "output-differs", line=9), END], False),
    ([record(), END], False),  # a K= run: one block of two
    ([record(), record(line=9)], False),  # no page end
    ([record(), record(line=9), {**END, "status": "failed"}], False),  # a teardown block failed
])
def test_only_a_complete_pass_is_reused(tmp_path, records, reused):
    store = cache.Store(tmp_path)
    facts = cache.PageFacts("docs/x.md", "k1", False, 2)
    store.put("k1", {"page": "docs/x.md", "verified": "then", "records": records})
    assert bool(cache.hits([facts], store, lambda: False)) is reused


def test_gpu_skips_run_again_where_a_gpu_is_usable(tmp_path):
    store = cache.Store(tmp_path)
    facts = cache.PageFacts("docs/x.md", "k1", False, 1)
    store.put("k1", {"page": "docs/x.md", "verified": "then",
                     "records": [record("skipped", "gpu-unavailable"), END]})
    assert cache.hits([facts], store, lambda: False)
    assert not cache.hits([facts], store, lambda: True)


def ago(**delta) -> str:
    return (datetime.datetime.now(datetime.UTC) - datetime.timedelta(**delta)).isoformat(timespec="seconds")


HOUR = datetime.timedelta(hours=1)


# How long ago the pass was recorded, as the test's own clock reads it when it runs: a time
# computed at collection would name the test differently in each xdist worker.
@pytest.mark.parametrize(("verified", "window", "reused"), [
    (datetime.timedelta(minutes=10), HOUR, True),
    (datetime.timedelta(minutes=61), HOUR, False),  # the window has passed: it goes online again
    (datetime.timedelta(seconds=5), datetime.timedelta(0), False),  # NETWORK_TTL=0: every time
    (datetime.timedelta(minutes=-30), HOUR, False),  # verified "in the future": the clock moved, trust nothing
    ("2026-12-02T10:00:00", HOUR * 10**6, False),  # no offset: not a time the harness wrote
    ("then", HOUR, False),
], ids=["10-minutes-ago", "61-minutes-ago", "window-0", "in-the-future", "no-offset", "unreadable"])
def test_a_network_page_is_reused_only_inside_the_network_window(tmp_path, verified, window, reused):
    if isinstance(verified, datetime.timedelta):
        verified = ago(seconds=verified.total_seconds())
    store = cache.Store(tmp_path)
    store.put("k1", {"page": "docs/x.md", "verified": verified, "records": [record(), END]})
    facts = cache.PageFacts("docs/x.md", "k1", True, 1)
    assert bool(cache.hits([facts], store, lambda: False, window)) is reused
    # an offline page with the same entry does not care how old it is
    assert cache.hits([cache.PageFacts("docs/x.md", "k1", False, 1)], store, lambda: False)


@pytest.mark.parametrize(("text", "seconds"), [("0", 0), ("90", 90), ("90s", 90), ("30m", 1800), (" 1h ", 3600)])
def test_the_network_window_reads_seconds_minutes_and_hours(text, seconds):
    assert cache.parse_window(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "-1h", "1.5h", "1d", "1 h"])
def test_a_network_window_that_is_not_a_duration_is_refused_by_name(text):
    with pytest.raises(ValueError, match=r"--network-ttl=.* is not a duration: say 0, 90s, 30m or 1h"):
        cache.parse_window(text)


def test_a_run_remembers_its_network_pages_but_not_what_it_reused(tmp_path):
    store = cache.Store(tmp_path)
    facts = {"docs/x.md": cache.PageFacts("docs/x.md", "k1", True, 1),
             "docs/y.md": cache.PageFacts("docs/y.md", "k2", False, 1)}
    y = [{**r, "page": "docs/y.md", "cached": "2026-12-01T09:00:00+00:00"} for r in (record(), END)]
    data = {"run": {"finished": ago(seconds=0), "image_id": "sha256:x"}, "blocks": [record(), y[0]],
            "pages": [END, y[1]]}
    assert cache.remember(data, facts, store) == ["docs/x.md"]
    assert store.get("k1") is not None and store.get("k2") is None


def test_the_gate_refuses_cached_records_and_says_why(tmp_path):
    report = tmp_path / "results.json"
    report.write_text(json.dumps({
        "run": {"finished": "2026-12-02T10:00:00+00:00", "image_id": "sha256:x", "exit_status": 0},
        "blocks": [{**record(), "cached": "2026-12-01T09:00:00+00:00"}], "pages": [END]}))
    run, _ = results.read_run(report)
    assert any(p.startswith("docs/x.md: its results were reused from the cache (verified 2026-12-01T09:00:00")
               and "FRESH=1" in p for p in run.problems), run.problems


# ---------------------------------------------------------------- real runs

TWO = {"a.md": "# A\n\n```console\n$ echo a\na\n```\n",
       "b.md": "# B\n\n```console\n$ echo b\nb\n```\n\n```python\nprint(1 + 1)\n#> 2\n```\n"}


def write_pages(folder: Path, pages: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text)
    return folder


def run(folder: Path, tmp_path: Path, *extra: str):
    out = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}"
    out.mkdir()
    return run_pages(folder, tmp_path=out, extra=["-n", "2", "--dist", "loadfile",
                                                  f"--cache={tmp_path / 'cache'}", *extra])


def cached_pages(outcome) -> dict[str, set]:
    """page -> the set of its records' `cached` marks (None: ran in this run)."""
    found: dict[str, set] = {}
    for r in outcome.records():
        found.setdefault(Path(r["page"]).name, set()).add(r.get("cached"))
    return found


@pytest.mark.docker
def test_a_second_run_reuses_unchanged_pages_and_reruns_an_edited_one(tmp_path):
    pages = write_pages(tmp_path / "pages", TWO)
    first = run(pages, tmp_path)
    assert first.code == 0, first.output
    assert "cached pass" not in first.output
    assert cached_pages(first) == {"a.md": {None}, "b.md": {None}}

    second = run(pages, tmp_path)
    assert second.code == 0, second.output
    for name in TWO:
        assert f"{pages / name}: cached pass from " in second.output, second.output
    verified_at = json.loads(first.results.read_text())["run"]["finished"]
    assert cached_pages(second) == {"a.md": {verified_at}, "b.md": {verified_at}}
    assert len(second.records()) == len(first.records())
    assert "[handbook] 2 of 2 page(s) reused from the cache, 0 to run (FRESH=1 runs them all)" in second.output

    (pages / "b.md").write_text(TWO["b.md"] + "\nOne more line.\n")
    third = run(pages, tmp_path)
    assert third.code == 0, third.output
    assert cached_pages(third) == {"a.md": {verified_at}, "b.md": {None}}
    assert "b.md: cached pass" not in third.output
    assert "[handbook] 1 of 2 page(s) reused from the cache, 1 to run" in third.output


@pytest.mark.docker
def test_network_pages_rerun_outside_their_window_and_fresh_runs_run_everything(tmp_path):
    net = "# Net\n\n<!-- test: network -->\n```console\n$ echo online\nonline\n```\n"
    pages = write_pages(tmp_path / "pages", {**TWO, "net.md": net})
    first = run(pages, tmp_path)
    assert first.code == 0, first.output
    verified_at = json.loads(first.results.read_text())["run"]["finished"]

    inside = run(pages, tmp_path)  # the default window (an hour) has not passed
    assert inside.code == 0, inside.output
    assert cached_pages(inside)["net.md"] == {verified_at}
    assert f"{pages / 'net.md'}: cached pass from {verified_at} (a network page: runs again after " in inside.output
    assert "or now with NETWORK_TTL=0)" in inside.output

    strict = run(pages, tmp_path, "--network-ttl=0")  # what make test-docs NETWORK_TTL=0 passes
    assert strict.code == 0, strict.output
    marks = cached_pages(strict)
    assert marks["net.md"] == {None}  # ran again
    assert None not in marks["a.md"] | marks["b.md"]  # reused
    assert "net.md: cached pass" not in strict.output

    fresh = run(pages, tmp_path, "--fresh")  # what make test-docs FRESH=1 passes
    assert fresh.code == 0, fresh.output
    assert "cached pass" not in fresh.output
    assert cached_pages(fresh) == {"a.md": {None}, "b.md": {None}, "net.md": {None}}

    wrong = run(pages, tmp_path, "--network-ttl=soon")
    assert wrong.code == 4, wrong.output  # pytest's usage error, before any page runs
    assert "--network-ttl='soon' is not a duration: say 0, 90s, 30m or 1h" in wrong.output
